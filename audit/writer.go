package audit

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
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
	// Secrets are texts that never go into the log, wherever they appear
	// in an event's data, run.start's included: the values of a runbook's
	// sensitive vars. AddSecrets adds more as a run finds them.
	Secrets []string
	// fileLayout writes the older layout, a file per checkpoint: for tests
	// that readers still accept what older drpilot versions wrote.
	fileLayout bool
}

// RunInfo is what run.start binds (docs/audit-format.md). Create fills in PublicKey.
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
	// RTO and RPO are the runbook's targets, as written ("30m"), for the
	// post-incident record; empty when the runbook sets none.
	RTO string `json:"rto,omitempty"`
	RPO string `json:"rpo,omitempty"`
	// ProjectedRTO is the plan's critical path ("23m"): all a dry run can
	// say about the RTO.
	ProjectedRTO string `json:"projected_rto,omitempty"`
	// Team is, in a team run, the run lock it holds (the team Region,
	// table, bucket, fencing token, and whom it took the lock over from)
	// or why it holds none (docs/team.md).
	Team map[string]any `json:"team,omitempty"`
	// Sandbox is, in a sandbox run, the scenario it was served and the
	// faults the scenario injects from the start, for the game-day
	// scorecard of the record.
	Sandbox *SandboxInfo `json:"sandbox,omitempty"`
	// Plan is the runbook's steps in the plan's order (phase by phase, as
	// drpilot plan shows them) with what each is expected to take: the
	// record lists phases in this order, and audit diff compares planned
	// with actual durations even for steps that never ran. Logs written
	// before it have none.
	Plan []PlanStep `json:"plan,omitempty"`
}

// PlanStep is one step of the plan as run.start records it.
type PlanStep struct {
	ID    string `json:"id"`
	Phase string `json:"phase,omitempty"`
	// Expect is the step's expected duration ("2m"), when the runbook or
	// the action's catalogue entry gives one.
	Expect string `json:"expect,omitempty"`
}

// SandboxInfo is a sandbox run's scenario and its faults, each as the
// sandbox's JSON form of a fault (docs/sandbox.md).
type SandboxInfo struct {
	Scenario string            `json:"scenario"`
	Faults   []json.RawMessage `json:"faults"`
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

	// cps writes the checkpoints (checkpoints.jsonl).
	cps *checkpointLog
	// written is how many bytes of events.jsonl were written; syncedTo,
	// under syncMu, how many are known to be on disk. Concurrent syncs
	// share one fsync (group commit): the background checkpointer's sync
	// can cover the line an aws.request waits for, and the reverse.
	written  atomic.Int64
	syncMu   sync.Mutex
	syncedTo int64

	seq        int64
	prev       string
	tree       merkle
	sinceCheck int
	checked    int64 // lines covered by the newest checkpoint
	// unadopted holds signing back on a reopened log with an unsigned
	// tail until the line that adopts it (and says so) is appended: a
	// resume that gives up before then must leave the tail unsigned, or
	// its lines would pass as signed without any record of adoption.
	unadopted bool
	closed    bool  // sealed, sealing or closed: no more events
	fileDone  bool  // the file is closed
	err       error // the first write error: the log is broken from there

	// soon wakes the background checkpointer (CheckpointSoon); done is
	// closed when it has stopped.
	soon chan struct{}
	done chan struct{}
	// secrets are texts redacted wherever they appear (Options.Secrets).
	secrets []string
	// synced is told, without blocking, when lines reach the disk (a
	// durable event, a checkpoint): a copy of the log elsewhere follows.
	synced func()
}

// OnSynced sets f to be called after every durable event and checkpoint
// is on disk. f must not block and must not call the Writer.
func (w *Writer) OnSynced(f func()) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.synced = f
}

func (w *Writer) notifySynced() {
	if w.synced != nil {
		w.synced()
	}
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
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	pub, err := PublicKeyPEM(opts.Key.Public().(ed25519.PublicKey))
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, EventsFile), os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
	if err == nil {
		if lerr := lockLog(f); lerr != nil {
			f.Close()
			return nil, lerr
		}
	}
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
	cps, err := newCheckpointLog(dir, opts.fileLayout)
	if err != nil {
		f.Close()
		return nil, err
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	w := &Writer{dir: dir, run: opts.RunID, file: f, cps: cps, signer: signer, now: now, prev: zeroHash}
	w.AddSecrets(opts.Secrets...)
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
	end := w.written.Add(int64(len(line)) + 1)
	if durable(e.Type) {
		if err := w.syncEvents(end); err != nil {
			return 0, w.fail(err)
		}
		w.notifySynced()
	}
	if err := w.tree.add(line); err != nil {
		return 0, w.fail(err)
	}
	seq := w.seq
	w.seq++
	w.prev = lineHash(line)
	w.unadopted = false
	if e.Type == TypeRunEnd {
		// Nothing may follow the seal: refuse appends from here on, in the
		// same critical section that wrote it.
		w.closed = true
	}
	if w.sinceCheck++; w.sinceCheck >= CheckpointEvery || e.Type == TypeDecision {
		// A person's decision is signed before anything acts on it: a
		// crash can then leave it unsigned only before it took effect.
		if err := w.checkpoint(); err != nil {
			return seq, err
		}
	}
	return seq, nil
}

// AddSecrets adds texts that must never go into the log from now on, such
// as a SecureString value a step is about to send: wherever one appears in
// an event's data, it is replaced by Redacted and the event keeps the
// SHA-256 of what it was given.
func (w *Writer) AddSecrets(secrets ...string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, s := range secrets {
		if s != "" && !contains(w.secrets, s) {
			w.secrets = append(w.secrets, s)
		}
	}
}

// HoldsSecret reports whether JSON text holds one of the texts the log
// redacts, for a record kept beside the log that must not hold them in
// plain text either (the sandbox's recording).
func (w *Writer) HoldsSecret(raw []byte) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return HoldsSecret(raw, w.secrets)
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
		if data, err = redactData(raw, e.Sensitive, w.secrets); err != nil {
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
	c, ok := w.pendingCheckpoint()
	if !ok {
		return w.err
	}
	// The lines a checkpoint covers must be on disk before it is.
	if err := w.syncEvents(w.written.Load()); err != nil {
		return w.fail(err)
	}
	if err := w.cps.write(c, w.signer); err != nil {
		return w.fail(err)
	}
	w.checked = w.seq
	w.notifySynced()
	return nil
}

// CheckpointSoon asks for a checkpoint of the log as it stands, written in
// the background: signing and writing a checkpoint costs several fsyncs,
// and a step that changed something should not wait for them before the
// next one starts. Write-ahead does not depend on checkpoints (aws.request
// is durable on its own); Seal and Close wait for the background writer.
func (w *Writer) CheckpointSoon() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed || w.err != nil {
		return
	}
	if w.soon == nil {
		w.soon, w.done = make(chan struct{}, 1), make(chan struct{})
		go w.checkpointInBackground(w.soon, w.done)
	}
	select {
	case w.soon <- struct{}{}:
	default: // one is pending already, and it will cover this request
	}
}

// checkpointInBackground writes checkpoints as CheckpointSoon asks. It
// takes the lock only to read the log's state, so appends go on while it
// syncs and writes.
// It is given its channels rather than reading them from w, which
// stopBackground clears under the lock.
func (w *Writer) checkpointInBackground(soon <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	for range soon {
		w.mu.Lock()
		c, ok := w.pendingCheckpoint()
		end := w.written.Load()
		w.mu.Unlock()
		if !ok {
			continue
		}
		// The lines a checkpoint covers must be on disk before it is.
		err := w.syncEvents(end)
		if err == nil {
			err = w.cps.write(c, w.signer)
		}
		w.mu.Lock()
		switch {
		case err != nil && w.err == nil:
			w.fail(err)
		case err == nil && c.n > w.checked:
			w.checked = c.n
		}
		if err == nil {
			w.notifySynced()
		}
		w.mu.Unlock()
	}
}

// pendingCheckpoint returns the checkpoint of the log as it stands, when
// it covers more lines than the newest one written. Called with w.mu held.
func (w *Writer) pendingCheckpoint() (checkpoint, bool) {
	if w.err != nil || w.seq == 0 || w.seq <= w.checked || w.unadopted {
		return checkpoint{}, false
	}
	root, err := w.tree.root(w.seq)
	if err != nil {
		w.fail(err)
		return checkpoint{}, false
	}
	return checkpoint{run: w.run, n: w.seq, root: root, head: w.prev}, true
}

// stopBackground waits for the background checkpointer to finish. It is
// called without the lock, which the checkpointer takes.
func (w *Writer) stopBackground() {
	w.mu.Lock()
	soon, done := w.soon, w.done
	w.soon = nil
	w.mu.Unlock()
	if soon != nil {
		close(soon)
		<-done
	}
}

// Seal writes run.end with data, the final checkpoint, and closes the log.
func (w *Writer) Seal(actor string, data any) error {
	if _, err := w.Append(Entry{Type: TypeRunEnd, Actor: actor, Data: data}); err != nil {
		return err
	}
	w.stopBackground()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fileDone {
		return nil
	}
	if err := w.checkpoint(); err != nil {
		return err
	}
	w.fileDone = true
	return errors.Join(w.file.Close(), w.cps.close())
}

// Pause writes run.paused with data, a checkpoint, and closes the log
// without sealing it: the run stopped with something left to do, and
// drpilot resume or drpilot abort continues the log. Verify calls it
// INCOMPLETE and says the run is paused.
func (w *Writer) Pause(actor string, data any) error {
	if _, err := w.Append(Entry{Type: TypeRunPaused, Actor: actor, Data: data}); err != nil {
		return err
	}
	return w.Close()
}

// Close closes the log without sealing it, as when a run is interrupted:
// Verify will call it INCOMPLETE, and resume continues it.
func (w *Writer) Close() error {
	w.stopBackground()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fileDone {
		return nil
	}
	w.closed, w.fileDone = true, true
	if w.err == nil && w.seq > w.checked && !w.unadopted {
		_ = w.checkpoint()
	}
	return errors.Join(w.file.Close(), w.cps.close())
}

// syncEvents makes the first upTo bytes of events.jsonl durable, with one
// fsync for every caller that waits meanwhile: whoever syncs covers all
// that was written when it began.
func (w *Writer) syncEvents(upTo int64) error {
	w.syncMu.Lock()
	defer w.syncMu.Unlock()
	if w.syncedTo >= upTo {
		return nil
	}
	target := w.written.Load()
	if err := w.file.Sync(); err != nil {
		return err
	}
	w.syncedTo = target
	return nil
}

// newCheckpointLog starts a new run's checkpoints: checkpoints.jsonl, or,
// for tests of the older layout, the checkpoints directory.
func newCheckpointLog(dir string, fileLayout bool) (*checkpointLog, error) {
	if !fileLayout {
		return createCheckpointLog(dir)
	}
	if err := os.MkdirAll(filepath.Join(dir, CheckpointsDir), 0o700); err != nil {
		return nil, err
	}
	return &checkpointLog{dir: dir}, nil
}

// Run returns the run id.
func (w *Writer) Run() string { return w.run }

// Dir returns the run directory.
func (w *Writer) Dir() string { return w.dir }
