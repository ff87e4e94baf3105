package audit

import (
	"crypto/ed25519"
	"path/filepath"
	"testing"
)

// TestCheckpointSoonThenSeal seals right after asking for a background
// checkpoint, many times over, so that the seal races the checkpointer's
// start: it must neither hang nor leave the log without its checkpoints.
func TestCheckpointSoonThenSeal(t *testing.T) {
	t.Parallel()
	key, _ := GenerateKey()
	for i := 0; i < 100; i++ {
		dir := filepath.Join(t.TempDir(), "run")
		w, err := Create(dir, Options{RunID: "r", Key: key})
		if err != nil {
			t.Fatal(err)
		}
		w.Append(Entry{Type: TypeStepDone, Step: "s"})
		w.CheckpointSoon()
		if i%2 == 0 {
			w.Append(Entry{Type: TypeNote})
			w.CheckpointSoon()
		}
		if err := w.Seal("drpilot", nil); err != nil {
			t.Fatal(err)
		}
		if rep, _ := Verify(dir, key.Public().(ed25519.PublicKey)); rep.Verdict != Valid {
			t.Fatalf("round %d: %s %s", i, rep.Verdict, rep.Reason)
		}
	}
}

// TestNothingFollowsTheSeal appends from another goroutine while the log is
// sealed: every append after run.end is refused, so the log verifies.
func TestNothingFollowsTheSeal(t *testing.T) {
	t.Parallel()
	key, _ := GenerateKey()
	for i := 0; i < 30; i++ {
		dir := filepath.Join(t.TempDir(), "run")
		w, err := Create(dir, Options{RunID: "r", Key: key})
		if err != nil {
			t.Fatal(err)
		}
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			for {
				select {
				case <-stop:
					return
				default:
					w.Append(Entry{Type: TypeNote, Data: map[string]string{"text": "late"}})
				}
			}
		}()
		w.CheckpointSoon()
		err = w.Seal("drpilot", nil)
		close(stop)
		<-done
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Append(Entry{Type: TypeNote}); err != ErrClosed {
			t.Fatalf("an append after the seal: %v", err)
		}
		if rep, _ := Verify(dir, key.Public().(ed25519.PublicKey)); rep.Verdict != Valid {
			t.Fatalf("round %d: %s at %d: %s", i, rep.Verdict, rep.Seq, rep.Reason)
		}
	}
}
