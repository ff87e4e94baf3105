package team

import (
	"bytes"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drpilot/drpilot/audit"
)

// newLog starts a run's log with n notes after run.start.
func newLog(t *testing.T, priv ed25519.PrivateKey, n int) (*audit.Writer, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "run")
	w, err := audit.Create(dir, audit.Options{RunID: "run-a", Key: priv, Actor: "alice", Start: audit.RunInfo{Runbook: "store", Mode: "live"}})
	if err != nil {
		t.Fatal(err)
	}
	appendNotes(t, w, n)
	return w, dir
}

func appendNotes(t *testing.T, w *audit.Writer, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		if _, err := w.Append(audit.Entry{Type: audit.TypeNote, Actor: "alice", Data: map[string]any{"text": "note"}}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestLogCopySurvivesTheLaptop: the log is copied part by part as it
// grows, the parts end to end are the log byte for byte, a copy that
// fails catches up once the bucket answers, and the copy downloaded on
// another machine verifies as the original does.
func TestLogCopySurvivesTheLaptop(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := testCtx(t)
		s := b.store(t, "us-west-2")
		priv, _ := audit.GenerateKey()
		w, dir := newLog(t, priv, 3)
		prefix := LogPrefix("store", "run-a")
		if _, err := s.NewUploader(ctx, dir, prefix); err == nil {
			t.Fatal("an uploader to a bucket that does not exist must fail")
		}
		if _, err := s.Init(ctx); err != nil {
			t.Fatal(err)
		}
		u, err := s.NewUploader(ctx, dir, prefix)
		if err != nil {
			t.Fatal(err)
		}
		if err := u.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if st := u.Status(); st.Lines != 4 || st.Behind != 0 || st.Err != nil {
			t.Fatalf("after the first sync: %+v", st)
		}
		appendNotes(t, w, 5)
		if err := w.Checkpoint(); err != nil {
			t.Fatal(err)
		}
		// The bucket's Region is out for a while: the copy falls behind
		// and says so, and the run goes on.
		saved := s.cfg.AuditBucket
		s.cfg.AuditBucket = "no-such-bucket-" + strings.ToLower(b.name)
		if err := u.Sync(ctx); err == nil {
			t.Fatal("a sync to a bucket that does not answer must fail")
		}
		if st := u.Status(); st.Behind != 5 || st.Err == nil || st.Since.IsZero() {
			t.Fatalf("behind: %+v", st)
		}
		s.cfg.AuditBucket = saved
		appendNotes(t, w, 2)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if err := u.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if st := u.Status(); st.Lines != 11 || st.Behind != 0 || st.Err != nil || !st.Since.IsZero() {
			t.Fatalf("caught up: %+v", st)
		}
		// A new uploader (a resumed run) starts after what is there.
		u2, err := s.NewUploader(ctx, dir, prefix)
		if err != nil || u2.Status().Lines != 11 {
			t.Fatalf("a second uploader: %+v %v", u2, err)
		}
		elsewhere := filepath.Join(t.TempDir(), "copy")
		lines, err := s.Download(ctx, prefix, elsewhere)
		if err != nil || lines != 11 {
			t.Fatalf("download: %d %v", lines, err)
		}
		want, _ := os.ReadFile(filepath.Join(dir, audit.EventsFile))
		got, _ := os.ReadFile(filepath.Join(elsewhere, audit.EventsFile))
		if !bytes.Equal(want, got) {
			t.Fatalf("the copy differs from the log:\n%s\n---\n%s", got, want)
		}
		report, err := audit.Verify(elsewhere, priv.Public().(ed25519.PublicKey))
		if err != nil || report.Lines != 11 || report.Checkpoints == 0 {
			t.Fatalf("verify of the copy: %+v %v", report, err)
		}
		// checkpoints.jsonl is copied in parts too, each line once, and
		// put end to end they are the file, byte for byte.
		wantCps, _ := os.ReadFile(filepath.Join(dir, audit.CheckpointsFile))
		gotCps, _ := os.ReadFile(filepath.Join(elsewhere, audit.CheckpointsFile))
		if len(wantCps) == 0 || !bytes.Equal(wantCps, gotCps) {
			t.Fatalf("the copy's checkpoints differ:\n%s\n---\n%s", gotCps, wantCps)
		}
		objects, _ := s.list(ctx, prefix)
		if parts, err := contiguousParts(objects, checkpointsDir); err != nil || len(parts) == 0 || parts[len(parts)-1].last+1 != int64(report.Checkpoints) {
			t.Fatalf("checkpoint parts %v (%v) for %d checkpoints", parts, err, report.Checkpoints)
		}
		tail, next, err := s.Lines(ctx, prefix, 9)
		if err != nil || next != 11 || bytes.Count(tail, []byte{'\n'}) != 2 {
			t.Fatalf("lines from 9: %q %d %v", tail, next, err)
		}
		if _, err := s.Download(ctx, LogPrefix("store", "no-run"), filepath.Join(t.TempDir(), "none")); err == nil || !strings.Contains(err.Error(), "holds no drpilot run") {
			t.Fatalf("download of nothing: %v", err)
		}
	})
}

// TestOverlappingPartsAreTheLogOnce: a put whose answer was lost may
// have stored its part, and the retry stores the same first lines in a
// longer part; the copy is still the log, each line once. A gap is not.
func TestOverlappingPartsAreTheLogOnce(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := testCtx(t)
		s := b.store(t, "us-west-2")
		if _, err := s.Init(ctx); err != nil {
			t.Fatal(err)
		}
		prefix := LogPrefix("store", "run-o")
		for name, body := range map[string]string{
			"pub.pem": "key\n", partName(partsDir, 0, 1): "l0\nl1\n", partName(partsDir, 0, 3): "l0\nl1\nl2\nl3\n", partName(partsDir, 2, 4): "l2\nl3\nl4\n",
		} {
			if err := s.put(ctx, prefix+name, []byte(body)); err != nil {
				t.Fatal(err)
			}
		}
		dir := filepath.Join(t.TempDir(), "copy")
		n, err := s.Download(ctx, prefix, dir)
		got, _ := os.ReadFile(filepath.Join(dir, audit.EventsFile))
		if err != nil || n != 5 || string(got) != "l0\nl1\nl2\nl3\nl4\n" {
			t.Fatalf("download: %d %v %q", n, err, got)
		}
		tail, next, err := s.Lines(ctx, prefix, 3)
		if err != nil || next != 5 || string(tail) != "l3\nl4\n" {
			t.Fatalf("lines from 3: %q %d %v", tail, next, err)
		}
		if err := s.put(ctx, prefix+partName(partsDir, 6, 7), []byte("l6\nl7\n")); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Download(ctx, prefix, filepath.Join(t.TempDir(), "gap")); err == nil || !strings.Contains(err.Error(), "no part holds line 5") {
			t.Fatalf("a gap: %v", err)
		}
	})
}
