package main

import (
	"strings"
	"testing"
	"time"

	"github.com/drpilot/drpilot/audit"
)

// TestDiffSetsEachRunAgainstThePlan: each side is measured against its own
// runbook's expectation; a changed expectation shows both, a step with
// none shows none, and a log written before run.start carried the plan
// falls back to step.ready's expect.
func TestDiffSetsEachRunAgainstThePlan(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	step := func(id string, took time.Duration, expect string) audit.StepRecord {
		return audit.StepRecord{ID: id, Status: "done", Started: t0, Ended: t0.Add(took), Expect: expect}
	}
	a := &pastRun{RunbookID: "rb", Rec: &audit.Record{Run: "a", RunbookSHA256: "1", Outcome: "succeeded",
		// An older log: no plan, the expectations from step.ready.
		Steps: []audit.StepRecord{step("restore", 10*time.Minute, "8m"), step("check", 30*time.Second, "")}}}
	b := &pastRun{RunbookID: "rb", Rec: &audit.Record{Run: "b", RunbookSHA256: "2", Outcome: "succeeded",
		Plan:  []audit.PlanStep{{ID: "restore", Expect: "12m"}, {ID: "check"}, {ID: "notify", Expect: "1m"}},
		Steps: []audit.StepRecord{step("restore", 11*time.Minute, "12m"), step("check", 20*time.Second, "")}}}
	d := diffRuns(a, b)
	byID := map[string]stepDiff{}
	for _, s := range d.Steps {
		byID[s.ID] = s
	}
	r := byID["restore"]
	if r.Planned != "12m" || r.PlannedA != "8m" || r.A.VsPlanned != "+2m0s" || r.B.VsPlanned != "-1m0s" || r.Change != "" {
		t.Errorf("restore: %+v, A %+v, B %+v", r, r.A, r.B)
	}
	if c := byID["check"]; c.Planned != "" || c.A.VsPlanned != "" || c.Change != "faster" {
		t.Errorf("check, which has no expectation: %+v, A %+v", c, c.A)
	}
	var out strings.Builder
	printDiff(&out, d)
	for _, want := range []string{"PLANNED", "8m→12m", "done 10m0s (+2m0s)", "done 11m0s (-1m0s)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the text lacks %q:\n%s", want, out.String())
		}
	}
}
