package steps

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The helpers below are shared by the tests of the catalogue's actions.

// stepRunbook wraps [[steps]] tables in a runbook whose steps run in
// eu-west-2, the recovery Region (eu-west-1 is the primary).
func stepRunbook(steps string) string {
	return `format = 1
[runbook]
id = "action-test"
title = "Action test"
rto = "1h"
[runbook.regions]
primary = "eu-west-1"
recovery = "eu-west-2"
` + steps
}

// succeeded fails the test unless the run succeeded, showing why a step
// failed.
func succeeded(t *testing.T, tr *testRun) {
	t.Helper()
	if tr.err != nil || tr.summary == nil || tr.summary.Outcome != OutcomeSucceeded {
		var why []string
		for _, e := range tr.rec.of(EventStepFailed, "") {
			why = append(why, e.Step+": "+e.Error)
		}
		t.Fatalf("run did not succeed: %v, statuses %v\n%s", tr.err, tr.exec.Status(), strings.Join(why, "\n"))
	}
	tr.verify()
}

// doneEvent returns a step's step.done event.
func doneEvent(t *testing.T, tr *testRun, step string) Event {
	t.Helper()
	done := tr.rec.of(EventStepDone, step)
	if len(done) != 1 {
		t.Fatalf("step %s: %d step.done events, want 1 (statuses %v)", step, len(done), tr.exec.Status())
	}
	return done[0]
}

// failedWith fails the test unless the step failed, and the run with it,
// with an error containing every one of wants.
func failedWith(t *testing.T, tr *testRun, step string, wants ...string) {
	t.Helper()
	if tr.status(step) != StatusFailed || tr.summary.Outcome != OutcomeFailed {
		t.Fatalf("step %s is %s, run %s; want both failed", step, tr.status(step), tr.summary.Outcome)
	}
	failed := tr.rec.of(EventStepFailed, step)
	msg := failed[len(failed)-1].Error
	t.Logf("step %s failed: %s", step, msg)
	for _, want := range wants {
		if !strings.Contains(msg, want) {
			t.Errorf("step %s failed with %q; want it to mention %q", step, msg, want)
		}
	}
	tr.verify()
}

// notes returns the text of a step's notes, joined.
func notes(tr *testRun, step string) string {
	var out []string
	for _, e := range tr.rec.of(EventNote, step) {
		out = append(out, e.Message)
	}
	return strings.Join(out, "\n")
}

// sent counts the requests for operation the sandbox has answered so far,
// over every run against it.
func sent(tr *testRun, operation string) int {
	entries, _ := tr.sb.Journal().Entries()
	n := 0
	for _, e := range entries {
		if e.Operation == operation {
			n++
		}
	}
	return n
}

// againSendsNothing runs src a second time against tr's sandbox, with the
// same run id, as a resumed run would, and checks that it succeeded
// without sending operation again and noted why. It returns the second
// run.
func againSendsNothing(t *testing.T, tr *testRun, src, step, operation string) *testRun {
	t.Helper()
	before := sent(tr, operation)
	again := startRun(t, src, "", runOptions{on: tr})
	succeeded(t, again)
	if n := sent(tr, operation) - before; n != 0 {
		t.Errorf("the second run sent %s %d times, want 0", operation, n)
	}
	if notes(again, step) == "" {
		t.Errorf("the second run did not note why it sent no %s", operation)
	}
	return again
}

// dryRunSentNothing checks a dry run: the step done and simulated, and no
// mutating request reached the sandbox.
func dryRunSentNothing(t *testing.T, tr *testRun, step string) Event {
	t.Helper()
	succeeded(t, tr)
	if m := tr.mutatingRequests(); len(m) != 0 {
		t.Errorf("dry run sent %d mutating requests, first %s:%s", len(m), m[0].Service, m[0].Operation)
	}
	done := doneEvent(t, tr, step)
	if !done.Simulated {
		t.Errorf("step %s: step.done is not marked simulated", step)
	}
	return done
}

// dig follows keys through nested JSON objects; nil when one is missing.
func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// auditText returns every file of the run's audit log, concatenated.
func auditText(t *testing.T, tr *testRun) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(tr.dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		b.Write(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

const eventsScenario = `
[[create]]
service   = "events"
region    = "eu-west-2"
operation = "PutRule"
input     = { Name = "inventory-nightly-sync", ScheduleExpression = "cron(0 2 * * ? *)", State = "ENABLED" }

[[create]]
service   = "events"
region    = "eu-west-2"
operation = "PutRule"
input     = { Name = "price-push", ScheduleExpression = "rate(15 minutes)", State = "DISABLED" }
`

// eventsRunbook disables one rule and reads its State.
func eventsRunbook(rule string) string {
	return stepRunbook(`
[[steps]]
id = "stop-sync"
phase = "freeze"
action = "events.disable-rule"
doc = "Stop the sync."
[steps.with]
name = "` + rule + `"
[steps.outputs]
state = "State"
arn = "Arn"
`)
}

func TestEventsDisableRule(t *testing.T) {
	t.Parallel()
	tr := startRun(t, eventsRunbook("inventory-nightly-sync"), eventsScenario, runOptions{})
	succeeded(t, tr)
	out := doneEvent(t, tr, "stop-sync").Outputs
	if out["state"] != "DISABLED" || !strings.HasSuffix(out["arn"].(string), ":rule/inventory-nightly-sync") {
		t.Errorf("outputs %v, want state DISABLED and the rule's ARN", out)
	}
	if st := dig(sandboxState(t, tr), "events/eu-west-2", "rules", "inventory-nightly-sync", "state"); st != "DISABLED" {
		t.Errorf("the sandbox shows the rule %v, want DISABLED", st)
	}
	if n := sent(tr, "DisableRule"); n != 1 {
		t.Errorf("DisableRule sent %d times, want 1", n)
	}

	// A second run of the step, as a resumed run would make it, finds the
	// rule DISABLED and sends nothing.
	again := againSendsNothing(t, tr, eventsRunbook("inventory-nightly-sync"), "stop-sync", "DisableRule")
	if !strings.Contains(notes(again, "stop-sync"), "already DISABLED") {
		t.Errorf("second run's notes %q do not say the rule was already DISABLED", notes(again, "stop-sync"))
	}
	if got := doneEvent(t, again, "stop-sync").Outputs["state"]; got != "DISABLED" {
		t.Errorf("second run's state output %v, want DISABLED", got)
	}
}

func TestEventsDisableRuleAlreadyDisabled(t *testing.T) {
	t.Parallel()
	tr := startRun(t, eventsRunbook("price-push"), eventsScenario, runOptions{})
	succeeded(t, tr)
	if n := len(tr.mutatingRequests()); n != 0 {
		t.Errorf("%d mutating requests for a rule already DISABLED, want 0", n)
	}
}

func TestEventsDisableRuleDryRun(t *testing.T) {
	t.Parallel()
	tr := startRun(t, eventsRunbook("inventory-nightly-sync"), eventsScenario, runOptions{mode: ModeDryRun})
	done := dryRunSentNothing(t, tr, "stop-sync")
	if done.Outputs["state"] != "DISABLED" {
		t.Errorf("dry-run state output %v, want the simulated DISABLED", done.Outputs["state"])
	}
	if st := dig(sandboxState(t, tr), "events/eu-west-2", "rules", "inventory-nightly-sync", "state"); st != "ENABLED" {
		t.Errorf("after a dry run the rule is %v, want ENABLED", st)
	}
}

func TestEventsDisableRuleMissing(t *testing.T) {
	t.Parallel()
	tr := startRun(t, eventsRunbook("no-such-rule"), eventsScenario, runOptions{})
	failedWith(t, tr, "stop-sync", "EventBridge rule no-such-rule", "not found", "ResourceNotFoundException")
}
