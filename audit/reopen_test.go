package audit

import (
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReopenContinuesAnInterruptedLog(t *testing.T) {
	t.Parallel()
	key, _ := GenerateKey()
	dir := filepath.Join(t.TempDir(), "run")
	w, err := Create(dir, Options{RunID: "r1", Key: key, Start: RunInfo{Mode: "live", Runbook: "rb.toml"}})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 70; i++ { // past one automatic checkpoint
		w.Append(Entry{Type: TypeNote, Data: map[string]int{"i": i}})
	}
	w.Append(Entry{Type: TypeAWSRequest, Step: "s", Data: map[string]string{"call": "s/1"}})
	w.file.Close() // a crash: no Close, no seal
	// ...in the middle of writing one more line.
	f, _ := os.OpenFile(filepath.Join(dir, EventsFile), os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(`{"v":1,"run":"r1","seq":72,"ts":"`)
	f.Close()

	other, _ := GenerateKey()
	if _, err := Reopen(dir, other, nil); err == nil || !strings.Contains(err.Error(), "resume with the run's key") {
		t.Fatalf("reopen with another key: %v", err)
	}
	r, err := Reopen(dir, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.TornBytes == 0 || len(r.Events) != 72 || r.Start.Runbook != "rb.toml" || r.Events[71].Type != TypeAWSRequest {
		t.Fatalf("reopened: torn %d, %d events, start %+v", r.TornBytes, len(r.Events), r.Start)
	}
	if _, err := r.Writer.Append(Entry{Type: TypeRunResumed}); err != nil {
		t.Fatal(err)
	}
	if err := r.Writer.Seal("drpilot", map[string]string{"outcome": "succeeded"}); err != nil {
		t.Fatal(err)
	}
	rep, _ := Verify(dir, key.Public().(ed25519.PublicKey))
	if rep.Verdict != Valid {
		t.Fatalf("after resume: %s at %d: %s", rep.Verdict, rep.Seq, rep.Reason)
	}
	if _, err := Reopen(dir, key, nil); err == nil || !strings.Contains(err.Error(), "nothing to resume") {
		t.Fatalf("reopen of a sealed log: %v", err)
	}
}

// TestReopenRefusesAnEndedRun: a crash between run.end and the seal's
// checkpoint leaves an INCOMPLETE log that must not be continued.
func TestReopenRefusesAnEndedRun(t *testing.T) {
	t.Parallel()
	key, _ := GenerateKey()
	dir := filepath.Join(t.TempDir(), "run")
	w, err := Create(dir, Options{RunID: "r1", Key: key})
	if err != nil {
		t.Fatal(err)
	}
	w.Append(Entry{Type: TypeRunEnd, Data: map[string]string{"outcome": "succeeded"}})
	w.file.Close() // the crash: the seal's checkpoint never came
	if _, err := Reopen(dir, key, nil); err == nil || !strings.Contains(err.Error(), "the run ended") {
		t.Fatalf("reopen of an ended run: %v", err)
	}
}

// TestReopenRefusesALogInUse: while one writer holds a run's log (a run
// still going), a resume or an abort cannot open it, and cuts nothing.
func TestReopenRefusesALogInUse(t *testing.T) {
	t.Parallel()
	key, _ := GenerateKey()
	dir := t.TempDir()
	w, err := Create(dir, Options{RunID: "busy", Key: key})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Append(Entry{Type: TypeNote}); err != nil {
		t.Fatal(err)
	}
	if _, err := Reopen(dir, key, nil); !errors.Is(err, ErrInUse) {
		t.Fatalf("reopen while the run writes: %v, want ErrInUse", err)
	}
	w.Close()
	r, err := Reopen(dir, key, nil)
	if err != nil {
		t.Fatalf("reopen after the run stopped: %v", err)
	}
	r.Writer.Close()
}
