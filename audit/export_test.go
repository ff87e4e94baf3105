package audit

import (
	"crypto/ed25519"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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

// TestRTOVerdictNeverClaimsARecoveryThatDidNotHappen: only a run that
// succeeded achieved an RTO; a dry run projects; sandbox figures say so.
func TestRTOVerdictNeverClaimsARecoveryThatDidNotHappen(t *testing.T) {
	t.Parallel()
	cases := []struct {
		facts RTOFacts
		want  string
	}{
		{RTOFacts{Outcome: "succeeded", Mode: "live", Elapsed: 20 * time.Minute, Target: 30 * time.Minute}, "RTO achieved 20m against 30m: met"},
		{RTOFacts{Outcome: "succeeded", Mode: "live", Elapsed: 2 * time.Hour, Target: 30 * time.Minute}, "RTO achieved 2h against 30m: MISSED"},
		{RTOFacts{Outcome: "failed", Mode: "live", Elapsed: 5 * time.Minute, Target: 30 * time.Minute}, "NOT RECOVERED after 5m (RTO 30m)"},
		{RTOFacts{Outcome: "aborted", Mode: "live", Elapsed: 5 * time.Minute}, "NOT RECOVERED after 5m (no RTO target)"},
		{RTOFacts{Outcome: "paused", Mode: "sandbox", Elapsed: 90 * time.Second, Target: time.Hour}, "NOT RECOVERED after 1m30s (RTO 1h) — simulated, on the sandbox's clock"},
		{RTOFacts{Outcome: "succeeded", Mode: "sandbox", Elapsed: 12 * time.Minute, Target: time.Hour}, "RTO achieved 12m against 1h: met — simulated, on the sandbox's clock"},
		{RTOFacts{Outcome: "succeeded", Mode: "dry-run", Elapsed: time.Second, Target: 30 * time.Minute, Projected: 23 * time.Minute}, "dry run: nothing was recovered; projected 23m (the critical path) against RTO 30m: within"},
	}
	for _, c := range cases {
		if got := RTOVerdict(c.facts); got != c.want {
			t.Errorf("%+v:\n got %q\nwant %q", c.facts, got, c.want)
		}
	}
}

// TestExportReadsOnlyWhatVerifies: a forged run.end appended after the
// seal without its newline is not read into the record, whose verdict says
// the log is INVALID.
func TestExportReadsOnlyWhatVerifies(t *testing.T) {
	t.Parallel()
	key := testKey(t)
	dir := t.TempDir()
	w, err := Create(dir, Options{RunID: "r", Key: key, Start: RunInfo{Mode: "live", RTO: "30m"}})
	if err != nil {
		t.Fatal(err)
	}
	w.Seal("drpilot", map[string]any{"outcome": "failed"})
	f, _ := os.OpenFile(filepath.Join(dir, EventsFile), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"v":1,"run":"r","seq":2,"ts":"2026-11-21T03:00:00Z","type":"run.end","step":"","actor":"x","data":{"outcome":"succeeded"},"prev":"` + strings.Repeat("0", 64) + `"}`)
	f.Close()
	rec, err := Export(dir, key.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Verdict != Invalid || rec.Outcome != "failed" {
		t.Errorf("verdict %s, outcome %s: the forged tail was read", rec.Verdict, rec.Outcome)
	}
}

// TestExportListsPhasesInTheRunbooksOrder: parallel steps start a later
// phase ("reintegrate") before an earlier one ("freeze"); the record
// lists them in the plan's order that run.start carries, in md, html
// (the timeline's rows) and JSON alike, and a log without the plan keeps
// the order they started in.
func TestExportListsPhasesInTheRunbooksOrder(t *testing.T) {
	t.Parallel()
	plan := []PlanStep{{ID: "f", Phase: "freeze"}, {ID: "g", Phase: "freeze"}, {ID: "r", Phase: "reintegrate", Expect: "2m"}}
	for _, c := range []struct {
		plan []PlanStep
		want []string
	}{
		{plan, []string{"freeze", "reintegrate", "verify"}}, // verify is not in the plan: last
		{nil, []string{"reintegrate", "verify", "freeze"}},  // an older log: as they started
	} {
		key, _ := GenerateKey()
		dir := filepath.Join(t.TempDir(), "run")
		w, err := Create(dir, Options{RunID: "r1", Key: key, Start: RunInfo{Mode: "live", Plan: c.plan}})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []struct{ id, phase string }{{"r", "reintegrate"}, {"v", "verify"}, {"f", "freeze"}} {
			w.Append(Entry{Type: TypeStepReady, Step: s.id, Data: map[string]any{"phase": s.phase}})
			w.Append(Entry{Type: TypeStepDone, Step: s.id, Data: map[string]any{"attempt": 1}})
		}
		w.Seal("drpilot", map[string]string{"outcome": "succeeded"})
		rec, err := Export(dir, key.Public().(ed25519.PublicKey))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range rec.Phases {
			got = append(got, p.Name)
		}
		if strings.Join(got, ",") != strings.Join(c.want, ",") {
			t.Errorf("plan %v: phases %v, want %v", c.plan, got, c.want)
		}
		if len(rec.Plan) != len(c.plan) {
			t.Errorf("the record's plan: %+v, want %+v", rec.Plan, c.plan)
		}
		var md, html strings.Builder
		rec.WriteMarkdown(&md)
		if err := rec.WriteHTML(&html); err != nil {
			t.Fatal(err)
		}
		for name, text := range map[string]string{"markdown": md.String(), "html": html.String()} {
			if !inOrder(text, c.want...) {
				t.Errorf("%s lists the phases out of order %v:\n%s", name, c.want, text)
			}
		}
	}
}

// inOrder says whether each of words occurs in text after the one
// before it.
func inOrder(text string, words ...string) bool {
	at := 0
	for _, w := range words {
		i := strings.Index(text[at:], w)
		if i < 0 {
			return false
		}
		at += i + len(w)
	}
	return true
}
