package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"time"
)

// Rebuilding a sandbox from its recording (record.go): the scenario from
// the recording's copy, at the moment it was first applied, then every
// recorded change in order, each at its own simulated moment, straight to
// its handler: a replayed request succeeded when it was served, so faults
// do not reject, throttle or delay it. Then the clock stands at the latest
// moment recorded and runs on from there: the simulated world stood still
// while no process served it.

// RecordingError is a recording that cannot be read or replayed.
type RecordingError struct {
	File string
	Line int // 0 for the recording as a whole
	Msg  string
}

func (e *RecordingError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// Recording is a recording read back.
type Recording struct {
	Dir     string
	Header  Header
	Records []Record // Records[i] is line i+2
	// Size is the bytes of the whole lines; TornBytes those of a last line
	// without its newline, cut short when the process or the machine
	// stopped, which is left out.
	Size, TornBytes int64
	scenario        []byte
}

// ReadRecording reads the recording in dir and the scenario copy next to
// it, which must be the one the recording was made with.
func ReadRecording(dir string) (*Recording, error) {
	path := filepath.Join(dir, RecordingFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &RecordingError{File: path, Msg: fmt.Sprintf("cannot read the recording: %v", unwrapPathError(err))}
	}
	rec, err := ParseRecording(path, data)
	if err != nil {
		return nil, err
	}
	rec.Dir = dir
	if rec.Header.ScenarioSHA256 == "" {
		return rec, nil
	}
	scPath := filepath.Join(dir, ScenarioCopy)
	if rec.scenario, err = os.ReadFile(scPath); err != nil {
		return nil, &RecordingError{File: scPath, Msg: fmt.Sprintf("cannot read the copy of the scenario the run used: %v", unwrapPathError(err))}
	}
	if sum := sha256Hex(rec.scenario); sum != rec.Header.ScenarioSHA256 {
		return nil, &RecordingError{File: scPath, Msg: fmt.Sprintf("the scenario changed since the run began (SHA-256 %s, recorded %s): the recorded requests were served after the scenario as it was", sum, rec.Header.ScenarioSHA256)}
	}
	return rec, nil
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// ParseRecording reads a recording's lines: the header, then the records.
// file names it in errors. Anything but a torn last line that is not a
// well-formed record is an error naming its line.
func ParseRecording(file string, data []byte) (*Recording, error) {
	whole := bytes.LastIndexByte(data, '\n') + 1
	rec := &Recording{Size: int64(whole), TornBytes: int64(len(data) - whole)}
	lines := bytes.Split(data[:whole], []byte{'\n'})
	lines = lines[:len(lines)-1] // what follows the last newline is torn, or nothing
	if len(lines) == 0 {
		return nil, &RecordingError{File: file, Msg: "the recording is empty: it has no header line"}
	}
	if err := parseHeader(lines[0], &rec.Header); err != nil {
		return nil, &RecordingError{File: file, Line: 1, Msg: err.Error()}
	}
	rec.Records = make([]Record, 0, len(lines)-1)
	for i, line := range lines[1:] {
		var r Record
		if err := strictUnmarshal(line, &r); err != nil {
			return nil, &RecordingError{File: file, Line: i + 2, Msg: fmt.Sprintf("not a record: %v", err)}
		}
		if err := r.check(); err != nil {
			return nil, &RecordingError{File: file, Line: i + 2, Msg: err.Error()}
		}
		rec.Records = append(rec.Records, r)
	}
	return rec, nil
}

// strictUnmarshal decodes one JSON value and nothing after it.
func strictUnmarshal(line []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(line))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("more than one JSON value on the line")
	}
	return nil
}

var sha256RE = regexp.MustCompile(`^[0-9a-f]{64}$`)

func parseHeader(line []byte, h *Header) error {
	if err := strictUnmarshal(line, h); err != nil {
		return fmt.Errorf("not a recording's header: %v", err)
	}
	switch {
	case h.Kind != kindHeader:
		return fmt.Errorf("not a sandbox recording: its first line's kind is %q, not %q", h.Kind, kindHeader)
	case h.Format > recordingFormat:
		return fmt.Errorf("recorded in format %d by a newer drpilot, which this one (format %d) cannot replay: resume with that drpilot", h.Format, recordingFormat)
	case h.Format < 1:
		return fmt.Errorf("format %d is not a recording format", h.Format)
	case !accountRE.MatchString(h.Account):
		return fmt.Errorf("account %q is not 12 digits", h.Account)
	case !(h.TimeScale > 0 && h.TimeScale <= 1e6):
		return fmt.Errorf("time_scale %g is out of range (above 0, at most 1000000)", h.TimeScale)
	case h.Start.IsZero():
		return errors.New("the clock's start is missing")
	case h.ScenarioSHA256 != "" && !sha256RE.MatchString(h.ScenarioSHA256):
		return fmt.Errorf("scenario_sha256 %q is not a SHA-256", h.ScenarioSHA256)
	case h.ScenarioSHA256 != "" && h.AppliedAt.IsZero():
		return errors.New("the moment the scenario was applied is missing")
	}
	return nil
}

// check says what a record lacks for its kind.
func (r *Record) check() error {
	if r.SimTime.IsZero() {
		return fmt.Errorf("a %q record without its sim_time", r.Kind)
	}
	switch r.Kind {
	case KindRequest:
		if r.Service == "" || r.Operation == "" || r.Region == "" || r.RequestID == "" {
			return errors.New("a request needs its service, operation, region and request_id")
		}
		if len(r.Input) > 0 && r.Input[0] != '{' {
			return errors.New("a request's input is a JSON object")
		}
	case KindFault:
		if r.Fault == nil {
			return errors.New("a fault record without its fault")
		}
	case KindClock:
		if d, err := time.ParseDuration(r.Advance); r.Advance != "" && (err != nil || d < 0) {
			return fmt.Errorf("advance %q is not a duration", r.Advance)
		}
	case KindDelivery:
		if r.Delivery == nil && r.Sealed == nil {
			return errors.New("a delivery record without its delivery")
		}
	case KindMark:
		if r.Name == "" {
			return errors.New("a mark without its name")
		}
	case KindEndpoint:
		if r.Service == "" || r.Region == "" || r.Name == "" || r.Operation == "" || r.Path == "" {
			return errors.New("an endpoint request needs its service, region, name, operation and path")
		}
	case KindResumed:
		if r.Generation < 1 {
			return fmt.Errorf("generation %d: resumptions count from 1", r.Generation)
		}
	default:
		return fmt.Errorf("unknown kind %q (request, fault, clock, delivery, mark, resumed or endpoint): written by a newer drpilot?", r.Kind)
	}
	return nil
}

// Restored says what a rebuilt sandbox was rebuilt from.
type Restored struct {
	Recording *Recording
	// Requests, Faults, Advances and Deliveries count the changes
	// replayed.
	Requests, Faults, Advances, Deliveries int
	// Clock is where the rebuilt sandbox's clock starts: the latest
	// simulated moment recorded.
	Clock time.Time
	// Generation is how many times the sandbox was rebuilt before.
	Generation int
	marks      map[string]time.Time
	requestIDs map[string]bool
}

// Has reports whether a request of this id was recorded as a change.
func (r *Restored) Has(requestID string) bool { return r.requestIDs[requestID] }

// Mark returns a named moment's first record.
func (r *Restored) Mark(name string) (time.Time, bool) {
	t, ok := r.marks[name]
	return t, ok
}

// Rebuild makes the sandbox the recording describes, its clock standing
// at the latest moment recorded and running on from there. It does not
// record: ContinueRecording carries the recording on.
func (rec *Recording) Rebuild() (*Sandbox, *Restored, error) {
	h := rec.Header
	var sc *Scenario
	if h.ScenarioSHA256 != "" {
		var err error
		if sc, err = ParseScenario(filepath.Join(rec.Dir, ScenarioCopy), rec.scenario); err != nil {
			return nil, nil, err
		}
	}
	s := New(Options{Account: h.Account, TimeScale: h.TimeScale, Start: h.Start})
	at := h.Start
	if sc != nil {
		at = h.AppliedAt
	}
	s.clock.holdAt(at)
	if sc != nil {
		if err := s.applyAt(sc, at); err != nil {
			return nil, nil, err
		}
	}
	r := &Restored{Recording: rec, Clock: at, marks: map[string]time.Time{}, requestIDs: map[string]bool{}}
	file := filepath.Join(rec.Dir, RecordingFile)
	for i := range rec.Records {
		if err := s.replay(&rec.Records[i], r); err != nil {
			return nil, nil, &RecordingError{File: file, Line: i + 2, Msg: err.Error()}
		}
	}
	// Request ids from now on are above any made before a rebuild.
	s.requestSeq.Store(uint64(r.Generation+1) << 32)
	s.clock.holdAt(r.Clock)
	s.clock.release()
	return s, r, nil
}

// replay applies one record.
func (s *Sandbox) replay(rec *Record, r *Restored) error {
	if rec.Sealed != nil {
		return errors.New("the record carries a secret and is sealed: open the recording with its key (Unseal) before rebuilding")
	}
	if rec.SimTime.After(r.Clock) {
		r.Clock = rec.SimTime
	}
	switch rec.Kind {
	case KindRequest:
		if r.requestIDs[rec.RequestID] {
			return fmt.Errorf("request id %s is recorded twice", rec.RequestID)
		}
		r.requestIDs[rec.RequestID] = true
		r.Requests++
		return s.replayRequest(rec)
	case KindFault:
		r.Faults++
		if err := s.applyFault(*rec.Fault, rec.SimTime, false); err != nil {
			return fmt.Errorf("the fault cannot be applied: %v", err)
		}
	case KindClock:
		if rec.Advance != "" {
			r.Advances++
		}
	case KindDelivery:
		r.Deliveries++
		s.mu.Lock()
		s.keepDelivery(*rec.Delivery)
		s.mu.Unlock()
	case KindMark:
		if _, seen := r.marks[rec.Name]; !seen {
			r.marks[rec.Name] = rec.SimTime
		}
	case KindResumed:
		r.Generation = max(r.Generation, rec.Generation)
	case KindEndpoint:
		r.Requests++
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.replayEndpoint(rec)
	}
	return nil
}

// replayRequest runs a recorded request's handler at its moment, with its
// request id. An error or a panic is the recording's: it does not describe
// what this sandbox does, and the sandbox rebuilt from it would not be the
// one the run changed.
func (s *Sandbox) replayRequest(rec *Record) (err error) {
	what := fmt.Sprintf("%s %s in %s at %s (request id %s)", rec.Service, rec.Operation, rec.Region,
		rec.SimTime.UTC().Format(time.RFC3339), rec.RequestID)
	op := s.ops[opKey{rec.Service, rec.Operation}]
	if op == nil || !op.mutating {
		return fmt.Errorf("%s: the sandbox has no such operation that changes anything", what)
	}
	input := map[string]any{}
	if len(rec.Input) > 0 {
		if err := json.Unmarshal(rec.Input, &input); err != nil || input == nil {
			return fmt.Errorf("%s: the input is not a JSON object: %v", what, err)
		}
	}
	for k, b := range rec.Binary {
		input[k] = b
	}
	s.clock.holdAt(rec.SimTime)
	c := &call{sb: s, region: rec.Region, service: rec.Service, op: rec.Operation, input: input,
		now: rec.SimTime, requestID: rec.RequestID}
	s.mu.Lock()
	defer s.mu.Unlock()
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%s: replaying it failed inside the sandbox: %v", what, p)
		}
	}()
	if _, err := op.handler(c); err != nil {
		return fmt.Errorf("%s succeeded when it was recorded, and fails replayed: %v; this drpilot's sandbox does not do what the one that recorded it did", what, err)
	}
	return nil
}

// ContinueRecording carries on the recording the sandbox was rebuilt
// from: a torn last line is cut off, and a resumed record begins what the
// rebuilt sandbox changes. Call it on the sandbox Rebuild returned, before
// anything changes it, with the options the recording was started with:
// a key that is not the recording's own is refused, since the records it
// sealed would not open together.
func (s *Sandbox) ContinueRecording(r *Restored, opts RecordOptions) (*Recorder, error) {
	seal, err := newSealer(opts)
	if err != nil {
		return nil, fmt.Errorf("continue the recording: %w", err)
	}
	if id := r.Recording.Header.KeyID; id != "" && (seal == nil || KeyID(opts.Key) != id) {
		return nil, fmt.Errorf("continue the recording: its records are sealed with key %s, and it is continued without that key", id)
	}
	s.mu.Lock()
	changes := s.changes
	s.mu.Unlock()
	path := filepath.Join(r.Recording.Dir, RecordingFile)
	if changes > 0 {
		return nil, fmt.Errorf("continue the recording %s: the sandbox has changed since it was rebuilt", path)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return nil, fmt.Errorf("continue the recording: %w", err)
	}
	fi, err := f.Stat()
	switch {
	case err != nil:
	case fi.Size() != r.Recording.Size+r.Recording.TornBytes:
		err = fmt.Errorf("%s changed since it was read (%d bytes, then %d)", path, r.Recording.Size+r.Recording.TornBytes, fi.Size())
	case r.Recording.TornBytes > 0:
		err = f.Truncate(r.Recording.Size)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("continue the recording: %w", err)
	}
	rec := &Recorder{sb: s, path: path, f: f, last: r.Clock, seal: seal}
	s.mu.Lock()
	if err = s.changeSince(changes); err == nil {
		rec.write(&Record{Kind: KindResumed, SimTime: s.clock.Now(), Generation: r.Generation + 1})
		rec.sync()
		if err = rec.Err(); err == nil {
			s.rec.Store(rec)
		}
	}
	s.mu.Unlock()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("continue the recording: %w", err)
	}
	return rec, nil
}

// changeSince is an error if the sandbox changed since it had served n
// changes. Callers hold s.mu.
func (s *Sandbox) changeSince(n int) error {
	if s.changes != n {
		return fmt.Errorf("the sandbox served %d change(s) meanwhile, which the recording would lack", s.changes-n)
	}
	return nil
}
