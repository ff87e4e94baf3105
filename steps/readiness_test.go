package steps

import (
	"context"
	"strings"
	"testing"
)

// TestEvaluateReadinessAlone evaluates a board with no run's executor: a
// precondition on a parameter that is gone is Missing, one after a step
// that changes the same service is marked AfterChanges, a within test is
// Freshness; and a factory that could send changes is refused.
func TestEvaluateReadinessAlone(t *testing.T) {
	t.Parallel()
	src := `format = 1
[runbook]
id = "alone"
title = "Alone"
[runbook.regions]
primary = "eu-west-1"
recovery = "eu-west-2"

[[steps]]
id = "fresh"
phase = "restore"
action = "wait"
doc = "x"
[steps.with]
duration = "1s"
[[steps.require]]
call = "ssm:GetParameter"
input = { Name = "/shop/maintenance" }
query = "Parameter.LastModifiedDate"
within = "2d"

[[steps.require]]
call = "ssm:GetParameter"
input = { Name = "/shop/gone" }
query = "Parameter.Value"
equals = "on"

[[steps.require]]
call = "ssm:GetParameter"
input = { Name = "/shop/maintenance" }
query = "Parameter.Value"
equals = "off"

[[steps.require]]
call = "ssm:GetParameter"
input = { Name = "/shop/maintenance" }
query = "Parameter.Value"
equals = "on"

[[steps]]
id = "set"
phase = "restore"
action = "aws.call"
confirm = "none"
doc = "x"
after = ["fresh"]
[steps.with]
call = "ssm:PutParameter"
input = { Name = "/shop/maintenance", Value = "off", Type = "String", Overwrite = true }

[[steps]]
id = "after-set"
phase = "restore"
action = "wait"
doc = "x"
after = ["set"]
[steps.with]
duration = "1s"
[[steps.require]]
call = "ssm:GetParameter"
input = { Name = "/shop/maintenance" }
query = "Parameter.Value"
equals = "off"
`
	tr := prepareRun(t, src, parameterScenario("/shop/maintenance", "on"), runOptions{mode: ModeDryRun})
	opts := ReadinessOptions{Runbook: tr.exec.opts.Runbook, Plan: tr.exec.opts.Plan, Clients: tr.exec.opts.Clients, Now: tr.exec.opts.Now}
	board, err := EvaluateReadiness(context.Background(), opts)
	if err != nil || len(board) != 5 {
		t.Fatalf("board %+v, %v", board, err)
	}
	if b := board[0]; !b.Holds || !b.Freshness {
		t.Errorf("within: %+v, want holding and freshness", b)
	}
	if b := board[1]; b.Holds || !b.Unchecked || !b.Missing {
		t.Errorf("gone: %+v, want missing", b)
	}
	if b := board[2]; b.Holds || b.Missing || b.AfterChanges != "" {
		t.Errorf("off before any change: %+v, want a plain no", b)
	}
	if b := board[3]; !b.Holds || !strings.Contains(b.Sentence(), "holds") {
		t.Errorf("on: %+v, %q", b, b.Sentence())
	}
	if b := board[4]; b.Holds || b.AfterChanges != "set" {
		t.Errorf("after set: %+v, want AfterChanges set", b)
	}
	if len(tr.mutatingRequests()) != 0 {
		t.Error("readiness sent a mutating request")
	}
	live := prepareRun(t, src, parameterScenario("/shop/maintenance", "on"), runOptions{})
	opts.Clients = live.exec.opts.Clients
	if _, err := EvaluateReadiness(context.Background(), opts); err == nil || !strings.Contains(err.Error(), "dry-run") {
		t.Errorf("a live factory: %v", err)
	}
}
