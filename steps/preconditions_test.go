package steps

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/drpilot/drpilot/sandbox"
)

// uncheckedRunbook has one step whose precondition reads an SSM parameter;
// RETRIES is the step's retries.
const uncheckedRunbook = `format = 1
[runbook]
id = "unchecked"
title = "Unchecked"
[runbook.regions]
primary = "eu-west-1"
recovery = "eu-west-2"

[[steps]]
id = "check"
phase = "verify"
action = "wait"
doc = "x"
retries = RETRIES
[steps.with]
duration = "1s"
[[steps.require]]
call = "ssm:GetParameter"
input = { Name = "/shop/maintenance" }
query = "Parameter.Value"
equals = "on"
`

var uncheckedScenario = parameterScenario("/shop/maintenance", "on")

// failFirstReads answers the first n GetParameter requests with a 500.
func failFirstReads(n int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		var seen atomic.Int64
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("X-Amz-Target") == "AmazonSSM.GetParameter" && seen.Add(1) <= n {
				w.Header().Set("Content-Type", "application/x-amz-json-1.1")
				w.WriteHeader(http.StatusInternalServerError)
				fmt.Fprint(w, `{"__type":"InternalServerError","message":"We encountered an internal error"}`)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// assertUnchecked fails the test unless the step failed because its
// precondition could not be checked, never because it did not hold.
func assertUnchecked(t *testing.T, tr *testRun, evaluations int) {
	t.Helper()
	if tr.summary.Outcome == OutcomeSucceeded {
		t.Fatalf("outcome %s: a precondition nobody could read let the step run", tr.summary.Outcome)
	}
	failed := tr.rec.of(EventStepFailed, "check")
	if len(failed) != 1 || !strings.Contains(failed[0].Error, "could not be checked") || strings.Contains(failed[0].Error, "does not hold") {
		t.Fatalf("the step's failure does not say the check could not be made: %+v", failed)
	}
	pre := tr.rec.of(EventPrecondition, "check")
	if len(pre) != evaluations {
		t.Fatalf("%d precondition evaluations, want %d (once, then once per retry)", len(pre), evaluations)
	}
	for _, p := range pre {
		if !p.Precondition.Unchecked || p.Precondition.Holds || !strings.Contains(p.Message, "could not be checked") {
			t.Errorf("a failed read reported as a result: %+v", p.Precondition)
		}
	}
	if got := len(tr.rec.of(EventStepRetry, "check")); got != evaluations-1 {
		t.Errorf("%d retries announced, want %d", got, evaluations-1)
	}
}

// TestAThrottledPreconditionIsUncheckedNotFalse: SSM throttled on every
// call, a precondition's read fails past the SDK's retries and its own
// re-reads; the step fails saying the check could not be made, after
// trying the board again as many times as its retries allow.
func TestAThrottledPreconditionIsUncheckedNotFalse(t *testing.T) {
	t.Parallel()
	src := strings.Replace(uncheckedRunbook, "RETRIES", "2", 1)
	tr := startRun(t, src, uncheckedScenario, runOptions{attempts: 2, setup: func(_ *sandbox.Sandbox, endpoint string) {
		resp, err := http.Post(endpoint+"/_sandbox/faults", "application/json",
			strings.NewReader(`{"throttle": {"service": "ssm", "rate": 1}}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("the throttle fault: %s", resp.Status)
		}
	}})
	assertUnchecked(t, tr, 3)
	tr.verify()
}

// TestAPrecondition5xxIsRetriedUnderTheStepsRetries: reads that fail with
// a 500 make the precondition unchecked, and the step's retries read it
// again until it can be checked, and then it holds.
func TestAPrecondition5xxIsRetriedUnderTheStepsRetries(t *testing.T) {
	t.Parallel()
	// Two SDK attempts a read and preconditionReads reads an evaluation:
	// 2*preconditionReads failures outlast the first evaluation, two more
	// are absorbed by the second one's first read.
	failures := int64(2*preconditionReads + 2)
	tr := startRun(t, strings.Replace(uncheckedRunbook, "RETRIES", "0", 1), uncheckedScenario,
		runOptions{attempts: 2, wrap: failFirstReads(failures)})
	assertUnchecked(t, tr, 1)

	tr = startRun(t, strings.Replace(uncheckedRunbook, "RETRIES", "1", 1), uncheckedScenario,
		runOptions{attempts: 2, wrap: failFirstReads(failures)})
	if tr.summary.Outcome != OutcomeSucceeded {
		t.Fatalf("outcome %s after a retry that could read: %+v", tr.summary.Outcome, tr.rec.of(EventPrecondition, "check"))
	}
	pre := tr.rec.of(EventPrecondition, "check")
	if len(pre) != 2 || !pre[0].Precondition.Unchecked || !pre[1].Precondition.Holds {
		t.Fatalf("want an unchecked evaluation, then one that holds: %+v", pre)
	}
	tr.verify()
}
