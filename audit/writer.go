package audit

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"
)

// CheckpointEvery is how many events may pass without a checkpoint.
const CheckpointEvery = 64

// ErrClosed is returned by Append after Seal or Close.
var ErrClosed = errors.New("audit log is sealed or closed")

// Options configure a new run's log.
type Options struct {
	// RunID names the run in every event and checkpoint.
	RunID string
	// Key signs the checkpoints.
	Key ed25519.PrivateKey
	// Now is the clock; nil means time.Now. Tests set it.
	Now func() time.Time
	// Actor and Start are run.start's actor and data.
	Actor string
	Start RunInfo
}

// RunInfo is what run.start binds (DESIGN §5). Create fills in PublicKey.
type RunInfo struct {
	Runbook       string            `json:"runbook"`
	RunbookSHA256 string            `json:"runbook_sha256"`
	Version       string            `json:"drpilot_version"`
	Mode          string            `json:"mode"`
	Account       string            `json:"account"`
	Regions       map[string]string `json:"regions"`
	CallerARN     string            `json:"caller_arn"`
	PublicKey     string            `json:"public_key"`
	// Vars are the runbook vars the operator overrode (--var), which a
	// resumed run applies again.
	Vars map[string]any `json:"vars,omitempty"`
}

// Entry is what a caller logs; the Writer adds the rest of the Event.
type Entry struct {
	Type  string
	Step  string
	Actor string
	// Data is marshalled to JSON; it should be an object. Secrets in it
	// are redacted (see redactData).
	Data any
	// Sensitive names top-level keys of Data to redact whatever their
	// names.
	Sensitive []string
}

// Writer appends events to a run's log. It is safe for concurrent use by
// parallel steps: events are numbered in the order Append is called.
type Writer struct {
	mu     sync.Mutex
	dir    string
	run    string
	file   *os.File
	signer note.Signer
	now    func() time.Time

	seq        int64
	prev       string
	tree       merkle
	sinceCheck int
	checked    int64 // lines covered by the newest checkpoint
	closed     bool  // sealed or closed: no more events
	err        error // the first write error: the log is broken from there
}

// Create starts a run's log in dir, which must not hold one already: it
// writes pub.pem and run.start, which binds the signing key to the run.
func Create(dir string, opts Options) (*Writer, error) {
	if opts.RunID == "" || len(opts.Key) != ed25519.PrivateKeySize {
		return nil, errors.New("audit: a run id and an Ed25519 key are required")
	}
	signer, err := noteSigner(opts.Key)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, CheckpointsDir), 0o700); err != nil {
		return nil, err
	}
	pub, err := PublicKeyPEM(opts.Key.Public().(ed25519.PublicKey))
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, EventsFile), os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("%s already holds a run's log; use a new directory", dir)
		}
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, PubFile), pub, 0o644); err != nil {
		f.Close()
		return nil, err
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	w := &Writer{dir: dir, run: opts.RunID, file: f, signer: signer, now: now, prev: zeroHash}
	opts.Start.PublicKey = string(pub)
	if _, err := w.Append(Entry{Type: TypeRunStart, Actor: opts.Actor, Data: opts.Start}); err != nil {
		f.Close()
		return nil, err
	}
	return w, nil
}

// Append writes one event and returns its sequence number. Durable events
// (run.start, aws.request, decision, run.end) are on disk when it returns;
// an aws.request must be logged this way before the request is sent.
func (w *Writer) Append(e Entry) (int64, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return 0, w.err
	}
	if w.closed {
		return 0, ErrClosed
	}
	line, err := w.encode(e)
	if err != nil {
		return 0, err
	}
	// One write of the whole line and its LF: a crash leaves at most a
	// torn last line, which Verify tells apart from a whole one.
	if _, err := w.file.Write(append(line, '\n')); err != nil {
		return 0, w.fail(err)
	}
	if durable(e.Type) {
		if err := w.file.Sync(); err != nil {
			return 0, w.fail(err)
		}
	}
	if err := w.tree.add(line); err != nil {
		return 0, w.fail(err)
	}
	seq := w.seq
	w.seq++
	w.prev = lineHash(line)
	if w.sinceCheck++; w.sinceCheck >= CheckpointEvery {
		if err := w.checkpoint(); err != nil {
			return seq, err
		}
	}
	return seq, nil
}

func (w *Writer) encode(e Entry) ([]byte, error) {
	if e.Type == "" {
		return nil, errors.New("audit: event without a type")
	}
	data := []byte("{}")
	if e.Data != nil {
		raw, err := json.Marshal(e.Data)
		if err != nil {
			return nil, fmt.Errorf("audit: %s data: %w", e.Type, err)
		}
		if data, err = redactData(raw, e.Sensitive); err != nil {
			return nil, fmt.Errorf("audit: %s data: %w", e.Type, err)
		}
	}
	return json.Marshal(Event{
		V: Version, Run: w.run, Seq: w.seq, TS: w.now().UTC().Format(time.RFC3339Nano),
		Type: e.Type, Step: e.Step, Actor: e.Actor, Data: data, Prev: w.prev,
	})
}

func (w *Writer) fail(err error) error {
	w.err = fmt.Errorf("audit log %s: %w", w.dir, err)
	return w.err
}

// Checkpoint signs the log as it stands. The executor calls it after every
// mutating step; Append calls it every CheckpointEvery events.
func (w *Writer) Checkpoint() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	return w.checkpoint()
}

func (w *Writer) checkpoint() error {
	w.sinceCheck = 0
	if w.seq == 0 || w.seq == w.checked {
		return nil
	}
	// The lines a checkpoint covers must be on disk before it is.
	if err := w.file.Sync(); err != nil {
		return w.fail(err)
	}
	root, err := w.tree.root(w.seq)
	if err != nil {
		return w.fail(err)
	}
	c := checkpoint{run: w.run, n: w.seq, root: root, head: w.prev}
	if err := writeCheckpoint(w.dir, c, w.signer); err != nil {
		return w.fail(err)
	}
	w.checked = w.seq
	return nil
}

// Seal writes run.end with data, the final checkpoint, and closes the log.
func (w *Writer) Seal(actor string, data any) error {
	if _, err := w.Append(Entry{Type: TypeRunEnd, Actor: actor, Data: data}); err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.checkpoint(); err != nil {
		return err
	}
	w.closed = true
	return w.file.Close()
}

// Close closes the log without sealing it, as when a run is interrupted:
// Verify will call it INCOMPLETE, and resume continues it.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	if w.err == nil && w.seq > w.checked {
		_ = w.checkpoint()
	}
	return w.file.Close()
}

// Run returns the run id.
func (w *Writer) Run() string { return w.run }

// Dir returns the run directory.
func (w *Writer) Dir() string { return w.dir }
