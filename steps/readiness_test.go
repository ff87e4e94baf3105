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

// TestReadinessAfterChangesNearest: a precondition that does not hold is
// put down to the step likeliest to change it: the nearest earlier step
// that changes the resource it reads, even past nearer ones that change
// other resources of its service; else the nearest that changes its
// service at all — not a nearer step that only reads it or changes
// another service, nor a step it does not wait for.
func TestReadinessAfterChangesNearest(t *testing.T) {
	t.Parallel()
	src := `format = 1
[runbook]
id = "nearest"
title = "Nearest"
[runbook.regions]
primary = "eu-west-1"
recovery = "eu-west-2"

[[steps]]
id = "set-maintenance"
phase = "restore"
action = "aws.call"
confirm = "none"
doc = "x"
[steps.with]
call = "ssm:PutParameter"
input = { Name = "/shop/maintenance", Value = "off", Type = "String", Overwrite = true }

[[steps]]
id = "set-other"
phase = "restore"
action = "aws.call"
confirm = "none"
doc = "x"
after = ["set-maintenance"]
[steps.with]
call = "ssm:PutParameter"
input = { Name = "/shop/other", Value = "on", Type = "String", Overwrite = true }

[[steps]]
id = "read-other"
phase = "restore"
action = "aws.call"
doc = "x"
after = ["set-other"]
[steps.with]
call = "ssm:GetParameter"
input = { Name = "/shop/other" }

[[steps]]
id = "disable-rule"
phase = "restore"
action = "aws.call"
confirm = "none"
doc = "x"
after = ["read-other"]
[steps.with]
call = "events:DisableRule"
input = { Name = "shop-export" }

[[steps]]
id = "elsewhere"
phase = "restore"
action = "aws.call"
confirm = "none"
doc = "x"
[steps.with]
call = "ssm:PutParameter"
input = { Name = "/shop/gone", Value = "on", Type = "String", Overwrite = true }

[[steps]]
id = "check"
phase = "restore"
action = "wait"
doc = "x"
after = ["disable-rule"]
[steps.with]
duration = "1s"
[[steps.require]]
call = "ssm:GetParameter"
input = { Name = "/shop/maintenance" }
query = "Parameter.Value"
equals = "off"
[[steps.require]]
call = "ssm:GetParameter"
input = { Name = "/shop/gone" }
query = "Parameter.Value"
equals = "on"
[[steps.require]]
call = "events:DescribeRule"
input = { Name = "shop-export" }
query = "State"
equals = "DISABLED"
[[steps.require]]
call = "sns:GetTopicAttributes"
input = { TopicArn = "arn:aws:sns:eu-west-2:123456789012:shop" }
query = "Attributes.TopicArn"
equals = "x"
`
	tr := prepareRun(t, src, parameterScenario("/shop/maintenance", "on"), runOptions{mode: ModeDryRun})
	board, err := EvaluateReadiness(context.Background(), ReadinessOptions{Runbook: tr.exec.opts.Runbook, Plan: tr.exec.opts.Plan,
		Clients: tr.exec.opts.Clients, Now: tr.exec.opts.Now})
	if err != nil || len(board) != 4 {
		t.Fatalf("board %+v, %v", board, err)
	}
	for k, want := range []string{"set-maintenance", "set-other", "disable-rule", ""} {
		if got := board[k].AfterChanges; got != want || board[k].Holds {
			t.Errorf("precondition %d (%s): after changes of %q, want %q (holds %v)", k+1, board[k].Call, got, want, board[k].Holds)
		}
	}
}
