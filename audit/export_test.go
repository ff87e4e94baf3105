package audit

import (
	"crypto/ed25519"
	"path/filepath"
	"strings"
	"testing"
)

// TestExportOfAnInterruptedRun builds a record from a log that stops
// between a request and its answer: the run is unfinished, the request is
// flagged unanswered, a skip keeps its reason and a note its author.
func TestExportOfAnInterruptedRun(t *testing.T) {
	t.Parallel()
	key, _ := GenerateKey()
	dir := filepath.Join(t.TempDir(), "run")
	w, err := Create(dir, Options{RunID: "r1", Key: key, Start: RunInfo{Mode: "live", Runbook: "rb.toml", RTO: "30m", RPO: "15m"}})
	if err != nil {
		t.Fatal(err)
	}
	w.Append(Entry{Type: TypeStepReady, Step: "a", Data: map[string]any{"phase": "freeze", "action": "ssm.put-parameter"}})
	w.Append(Entry{Type: TypeStepSkipped, Step: "a", Data: map[string]any{"reason": "Tokyo is unreachable"}})
	w.Append(Entry{Type: TypeNote, Step: "a", Actor: "kenji", Data: map[string]any{"text": "called the DBA"}})
	w.Append(Entry{Type: TypeStepReady, Step: "b", Data: map[string]any{"phase": "restore", "action": "backup.start-restore"}})
	w.Append(Entry{Type: TypeAWSRequest, Step: "b", Data: map[string]any{"call": "b/1", "operation": "backup:StartRestoreJob", "region": "eu-central-1"}})
	w.Close()

	rec, err := Export(dir, key.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Verdict != Incomplete || rec.Outcome != "unfinished" || rec.RTO.Target != "30m" || rec.RTO.Achieved != "" {
		t.Errorf("record head: %+v", rec)
	}
	if len(rec.Steps) != 2 || rec.Steps[0].SkipReason != "Tokyo is unreachable" || rec.Steps[1].Status != "started" {
		t.Errorf("steps: %+v", rec.Steps)
	}
	if len(rec.Requests) != 1 || !rec.Requests[0].Unanswered || len(rec.Notes) != 1 || rec.Notes[0].Actor != "kenji" {
		t.Errorf("requests %+v, notes %+v", rec.Requests, rec.Notes)
	}
	var md strings.Builder
	if err := rec.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"**Audit log: INCOMPLETE**", "skipped: Tokyo is unreachable", "no answer logged", "target 30m, not measured"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md.String())
		}
	}
}

// TestExportOfARetriedStep: a step that failed and then succeeded on a
// retry is done, with no error left over from the failed attempt.
func TestExportOfARetriedStep(t *testing.T) {
	t.Parallel()
	key, _ := GenerateKey()
	dir := filepath.Join(t.TempDir(), "run")
	w, _ := Create(dir, Options{RunID: "r1", Key: key})
	w.Append(Entry{Type: TypeStepReady, Step: "a", Data: map[string]any{"phase": "restore"}})
	w.Append(Entry{Type: TypeStepFailed, Step: "a", Data: map[string]any{"error": "Throttling", "attempt": 1}})
	w.Append(Entry{Type: TypeStepDone, Step: "a", Data: map[string]any{"attempt": 2}})
	w.Seal("drpilot", map[string]string{"outcome": "succeeded"})
	rec, err := Export(dir, key.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	if s := rec.Steps[0]; s.Status != "done" || s.Error != "" || s.Attempts != 2 {
		t.Errorf("step %+v", s)
	}
}
