package sandbox

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// A recording lets a sandbox be rebuilt after the process that served it
// ends (docs/sandbox.md, "Recording and rebuilding"). Its state is a
// function of the scenario, the state-changing requests in the order the
// store served them, and the simulated moment each was served at: resource
// ids come from per-service sequences and request ids, states from the
// clock. So a recording keeps the scenario's text, then appends, one JSON
// line each, every state-changing request that succeeded, every fault
// given and clock advance made at run time, every webhook delivery, and
// the latest simulated moment anyone saw. replay.go reads it back.

// Files in a recording's directory.
const (
	RecordingFile = "requests.jsonl"
	ScenarioCopy  = "scenario.toml"
)

// recordingFormat is the "format" of a recording's first line: 2 may
// hold sealed records (record_seal.go), which a drpilot that reads format
// 1 alone would replay without their input.
const recordingFormat = 2

// Record kinds: the "kind" of every line after the first.
const (
	KindRequest  = "request"  // a state-changing AWS request that succeeded
	KindFault    = "fault"    // a fault given or cleared at run time
	KindClock    = "clock"    // a simulated moment someone saw, or an advance
	KindDelivery = "delivery" // a webhook delivery of the simulated internet
	KindMark     = "mark"     // a named simulated moment (a run's start)
	KindResumed  = "resumed"  // the sandbox was rebuilt and carries on
	KindEndpoint = "endpoint" // a change made through a resource's own endpoint (an OpenSearch restore)
)

// kindHeader is the first line's kind.
const kindHeader = "sandbox"

// Header is a recording's first line: what to rebuild the sandbox from
// before its requests are replayed.
type Header struct {
	Kind      string    `json:"kind"`
	Format    int       `json:"format"`
	Account   string    `json:"account"`
	TimeScale float64   `json:"time_scale"`
	Start     time.Time `json:"start"` // the clock's start; request ids begin with it
	// AppliedAt is the moment the scenario was applied at; Scenario is
	// the file it was read from (for people: the copy next to the
	// recording is what is replayed) and ScenarioSHA256 the copy's digest.
	// All three are empty for a sandbox without a scenario.
	AppliedAt      time.Time `json:"applied_at,omitzero"`
	Scenario       string    `json:"scenario,omitempty"`
	ScenarioSHA256 string    `json:"scenario_sha256,omitempty"`
	// KeyID names the key that seals the records that carry a secret
	// (KeyID); empty for a recording made without a key, which seals
	// nothing.
	KeyID string `json:"key_id,omitempty"`
}

// Record is one line of a recording after the header.
type Record struct {
	Kind    string    `json:"kind"`
	SimTime time.Time `json:"sim_time"`
	// A request: where it went, its id (ids of what it made derive from
	// it), and its decoded input; members that are bytes (an S3 object's
	// body) are in Binary, base64 in the file.
	Region    string            `json:"region,omitempty"`
	Service   string            `json:"service,omitempty"`
	Operation string            `json:"operation,omitempty"`
	RequestID string            `json:"request_id,omitempty"`
	Input     json.RawMessage   `json:"input,omitempty"`
	Binary    map[string][]byte `json:"binary,omitempty"`
	// Fault is a fault's change; Advance a clock advance ("10m"); Delivery
	// a webhook delivery as /_sandbox/webhooks lists it; Name a mark's.
	Fault    *Fault    `json:"fault,omitempty"`
	Advance  string    `json:"advance,omitempty"`
	Delivery *Delivery `json:"delivery,omitempty"`
	Name     string    `json:"name,omitempty"`
	// Path is the path of a request to a resource's own endpoint (the
	// resource is Name, the method Operation, the body Input).
	Path string `json:"path,omitempty"`
	// Generation counts the rebuilds: request ids made after the n-th
	// start above n<<32, so that none repeats one made before.
	Generation int `json:"generation,omitempty"`
	// Sealed replaces Input, Binary and Delivery when they carry a secret:
	// the nonce and their AES-256-GCM encryption (record_seal.go).
	Sealed []byte `json:"sealed,omitempty"`
	// conceals marks a request whose operation conceals a value (a
	// SecureString's), which is sealed whatever HoldsSecret finds.
	conceals bool
}

// Recorder appends a sandbox's changes to its recording. Every line is
// written whole with one write, in the order the store served the
// changes, before the request is answered; a change is synced to disk
// before its answer goes out, so that a killed process loses at most the
// request it was serving, which drpilot's own write-ahead log reconciles.
type Recorder struct {
	sb   *Sandbox
	path string
	seal *sealer

	mu     sync.Mutex
	f      *os.File
	last   time.Time // the latest simulated moment written
	dirty  bool      // written since the last sync
	closed bool
	err    error // the first failure: the recording is incomplete from there
}

// StartRecording records the sandbox's changes from now on in dir, made if
// need be: a copy of its scenario and requests.jsonl, which must not exist
// yet. It refuses a sandbox that has changed since its scenario was
// applied, which no recording could rebuild. opts say how it keeps secrets.
func (s *Sandbox) StartRecording(dir string, opts RecordOptions) (*Recorder, error) {
	seal, err := newSealer(opts)
	if err != nil {
		return nil, fmt.Errorf("record the sandbox: %w", err)
	}
	s.mu.Lock()
	sc, appliedAt, applied, changes := s.scenario, s.appliedAt, s.applied, s.changes
	s.mu.Unlock()
	switch {
	case changes > 0:
		return nil, fmt.Errorf("record the sandbox in %s: it has served %d change(s) already, which a recording started now would not rebuild", dir, changes)
	case applied > 1:
		return nil, fmt.Errorf("record the sandbox in %s: %d scenarios were applied to it, and a recording rebuilds from one", dir, applied)
	case sc != nil && sc.src == nil:
		return nil, fmt.Errorf("record the sandbox in %s: its scenario was made in Go, not read from a file, and a recording keeps the file", dir)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("record the sandbox: %w", err)
	}
	// The recording first, so that one already there is refused before
	// its scenario's copy is overwritten.
	f, err := os.OpenFile(filepath.Join(dir, RecordingFile), os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("record the sandbox: %w", err)
	}
	h := Header{Kind: kindHeader, Format: recordingFormat, Account: s.account, TimeScale: s.clock.Scale(), Start: s.origin}
	if seal != nil {
		h.KeyID = KeyID(opts.Key)
	}
	if sc != nil {
		h.AppliedAt, h.Scenario, h.ScenarioSHA256 = appliedAt, sc.file, sha256Hex(sc.src)
		if err := writeFileSynced(filepath.Join(dir, ScenarioCopy), sc.src); err != nil {
			f.Close()
			return nil, fmt.Errorf("record the sandbox: keep a copy of the scenario: %w", err)
		}
	}
	rec := &Recorder{sb: s, path: f.Name(), f: f, seal: seal}
	line, _ := json.Marshal(h)
	rec.writeLine(line, h.Start)
	rec.sync()
	err = errors.Join(rec.err, syncDir(dir))
	s.mu.Lock()
	if err == nil {
		err = s.changeSince(changes)
	}
	if err == nil {
		s.rec.Store(rec)
	}
	s.mu.Unlock()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("record the sandbox in %s: %w", dir, err)
	}
	return rec, nil
}

// Path is the recording's file.
func (r *Recorder) Path() string { return r.path }

// Err is the first write or sync that failed, nil while the recording is
// whole. A recording that failed is not appended to again: resume refuses
// to rebuild from it what it lacks.
func (r *Recorder) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// Mark records a named simulated moment and syncs it: drpilot marks when
// its run started on the sandbox's clock, which ${run.started_at} and the
// run's RTO count from, so that a resumed run counts from the same moment.
func (r *Recorder) Mark(name string, at time.Time) error {
	r.write(&Record{Kind: KindMark, SimTime: at, Name: name})
	r.sync()
	return r.Err()
}

// Close stops recording: it records the clock as it stands (where a
// rebuilt sandbox's clock will start), syncs and closes the file. The
// sandbox goes on serving, unrecorded.
func (r *Recorder) Close() error {
	r.sb.mu.Lock() // no request is between its change and its record now
	r.sb.rec.CompareAndSwap(r, nil)
	r.sb.mu.Unlock()
	r.observe(r.sb.clock.Now())
	r.sync()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return r.err
	}
	r.closed = true
	if err := r.f.Close(); err != nil && r.err == nil {
		r.err = err
	}
	return r.err
}

// write appends a record, sealed if it carries a secret. Changes are
// written holding the store lock, so that their order in the file is the
// order they were served in.
func (r *Recorder) write(rec *Record) {
	if err := r.seal.seal(rec); err != nil {
		r.fail(fmt.Errorf("seal a %s record: %w", rec.Kind, err))
		return
	}
	line, err := json.Marshal(rec)
	if err != nil {
		r.fail(fmt.Errorf("encode a %s record: %w", rec.Kind, err))
		return
	}
	r.writeLine(line, rec.SimTime)
}

// writeLine appends one line, which tells of the simulated moment at.
func (r *Recorder) writeLine(line []byte, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil || r.closed {
		return
	}
	// One write of the whole line: a process killed now leaves it whole
	// or absent, never half of it, unless the machine itself stops.
	if _, err := r.f.Write(append(line, '\n')); err != nil {
		r.err = fmt.Errorf("write %s: %w", r.path, err)
		return
	}
	r.dirty = true
	if at.After(r.last) {
		r.last = at
	}
}

// sync flushes what was written to the disk.
func (r *Recorder) sync() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.dirty || r.err != nil || r.closed {
		return
	}
	if err := r.f.Sync(); err != nil {
		r.err = fmt.Errorf("sync %s: %w", r.path, err)
		return
	}
	r.dirty = false
}

func (r *Recorder) fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err == nil {
		r.err = err
	}
}

// observe records a simulated moment someone was answered at, if it is
// later than any recorded yet: a rebuilt sandbox's clock starts no earlier,
// so that nothing a run saw happen un-happens. It is written before the
// answer and synced with the next change.
func (r *Recorder) observe(now time.Time) {
	r.mu.Lock()
	later := now.After(r.last)
	r.mu.Unlock()
	if later {
		r.write(&Record{Kind: KindClock, SimTime: now})
	}
}

// observed records that an answer is computed at now, when recording.
func (s *Sandbox) observed(now time.Time) {
	if rec := s.rec.Load(); rec != nil {
		rec.observe(now)
	}
}

// advance moves the clock on, as POST /_sandbox/clock does, and records
// it; it returns the new simulated time.
func (s *Sandbox) advance(d time.Duration) (time.Time, error) {
	s.mu.Lock()
	if err := s.clock.Advance(d); err != nil {
		s.mu.Unlock()
		return time.Time{}, err
	}
	now := s.clock.Now()
	s.changes++
	rec := s.rec.Load()
	if rec != nil {
		rec.write(&Record{Kind: KindClock, SimTime: now, Advance: d.String()})
	}
	s.mu.Unlock()
	if rec != nil {
		rec.sync()
	}
	return now, nil
}

// requestRecord encodes a state-changing request before its handler runs
// (a handler may change its input), for the recorder to write if it
// succeeds; nil when the sandbox is not recording. Callers hold s.mu.
func (s *Sandbox) requestRecord(c *call) (*Record, error) {
	if s.rec.Load() == nil {
		return nil, nil
	}
	plain := make(map[string]any, len(c.input))
	var binary map[string][]byte
	for k, v := range c.input {
		if b, ok := v.([]byte); ok {
			if binary == nil {
				binary = map[string][]byte{}
			}
			binary[k] = b
			continue
		}
		plain[k] = v
	}
	input, err := json.Marshal(plain)
	if err != nil {
		return nil, err
	}
	return &Record{Kind: KindRequest, SimTime: c.now, Region: c.region, Service: c.service, Operation: c.op,
		RequestID: c.requestID, Input: input, Binary: binary, conceals: ssmConceals(c)}, nil
}

// recordChange writes a change that was served, when recording. Callers
// hold s.mu; they sync the recorder after they let it go.
func (s *Sandbox) recordChange(rec *Record) *Recorder {
	s.changes++
	r := s.rec.Load()
	if r != nil && rec != nil {
		r.write(rec)
	}
	return r
}

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// writeFileSynced writes a file whole and syncs it.
func writeFileSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	return errors.Join(err, f.Close())
}

// syncDir syncs a directory, so that the files just made in it survive
// the machine stopping.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}
