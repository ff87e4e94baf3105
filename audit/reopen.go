package audit

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// TypeRunResumed marks where a resumed run continues its log.
const TypeRunResumed = "run.resumed"

// Reopened is an interrupted run's log, opened to be continued.
type Reopened struct {
	Writer *Writer
	// Events are the log's whole lines, parsed, in order.
	Events []Event
	// Start is run.start's data.
	Start RunInfo
	// TornBytes is the size of a torn last line that was cut off: the
	// crash came in the middle of writing it, so it was never whole.
	TornBytes int
	// Unsigned are the lines after the newest checkpoint, which the
	// caller adopts into the signed record by going on (Count 0: none).
	// It must record them (Adoption.Record, under AdoptedKey) in the
	// first line it appends, and show them to the operator.
	Unsigned Adoption
}

// replayLines takes a verified log's whole lines into a writer that will
// continue it — its sequence, chain head and Merkle tree — and returns them
// parsed.
func (w *Writer) replayLines(whole []byte) ([]Event, error) {
	var events []Event
	for _, line := range bytes.Split(whole, []byte{'\n'}) {
		if len(line) == 0 {
			continue
		}
		var ev Event
		if err := json.Unmarshal(line, &ev); err != nil {
			return nil, fmt.Errorf("seq %d: %w", w.seq, err)
		}
		events = append(events, ev)
		if err := w.tree.add(line); err != nil {
			return nil, err
		}
		w.seq++
		w.prev = lineHash(line)
	}
	return events, nil
}

// Reopen continues the log in dir, which must be a run that did not end:
// every whole line verifies, the log is not sealed, and key is the key the
// run was signed with. A torn last line is cut off. The caller appends
// run.resumed before anything else.
func Reopen(dir string, key ed25519.PrivateKey, now func() time.Time) (r *Reopened, err error) {
	// One writer at a time, before anything is read or cut: a log another
	// process is writing looks torn at its end, and is not.
	path := filepath.Join(dir, EventsFile)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			f.Close()
		}
	}()
	if err := lockLog(f); err != nil {
		return nil, err
	}
	pub := key.Public().(ed25519.PublicKey)
	rep, err := Verify(dir, pub)
	if err != nil {
		return nil, err
	}
	if pemData, err := os.ReadFile(filepath.Join(dir, PubFile)); err == nil {
		if runKey, err := ParsePublicKey(pemData); err == nil && !runKey.Equal(pub) {
			rep.Verdict, rep.Key = UntrustedKey, Fingerprint(runKey)
		}
	}
	switch rep.Verdict {
	case Valid:
		return nil, errors.New("the run ended and its log is sealed: there is nothing to resume")
	case Incomplete:
	case UntrustedKey:
		return nil, fmt.Errorf("the run was signed with key %s, not this one (%s): resume with the run's key (--key)", rep.Key, Fingerprint(pub))
	default:
		return nil, fmt.Errorf("the log does not verify (%s at seq %d: %s): it cannot be continued", rep.Verdict, rep.Seq, rep.Reason)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	whole := bytes.LastIndexByte(data, '\n') + 1
	r = &Reopened{TornBytes: len(data) - whole}
	if r.TornBytes > 0 {
		if err := os.Truncate(path, int64(whole)); err != nil {
			return nil, fmt.Errorf("cut the torn last line: %w", err)
		}
	}
	if now == nil {
		now = time.Now
	}
	w := &Writer{dir: dir, now: now, prev: zeroHash}
	if r.Events, err = w.replayLines(data[:whole]); err != nil {
		return nil, err
	}
	if len(r.Events) == 0 || r.Events[0].Type != TypeRunStart {
		return nil, errors.New("the log has no run.start: it cannot be continued")
	}
	for _, ev := range r.Events {
		if ev.Type == TypeRunEnd {
			// The run ended, and only its final checkpoint is missing:
			// nothing may follow run.end, and there is nothing left to run.
			return nil, fmt.Errorf("the run ended (run.end at seq %d) and only its final checkpoint is missing: there is nothing to resume; its log verifies INCOMPLETE as it stands", ev.Seq)
		}
	}
	// Numbers stay json.Numbers, so that a var's large integer survives.
	dec := json.NewDecoder(bytes.NewReader(r.Events[0].Data))
	dec.UseNumber()
	if err := dec.Decode(&r.Start); err != nil {
		return nil, fmt.Errorf("run.start: %w", err)
	}
	w.run, w.checked = r.Events[0].Run, rep.Signed
	w.written.Store(int64(whole))
	r.Unsigned = unsignedTail(r.Events, rep.Signed, w.prev)
	w.unadopted = r.Unsigned.Count > 0
	if w.signer, err = noteSigner(key); err != nil {
		return nil, err
	}
	if w.cps, err = openCheckpointLog(dir, rep.Signed); err != nil {
		return nil, err
	}
	w.file = f
	r.Writer = w
	return r, nil
}
