package ui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/steps"
)

// TestTheDetailPaneHidesSecrets: the CHANGES a step's detail pane lists
// from the plan show neither a SecureString's value nor a sensitive var's,
// wherever a template put it.
func TestTheDetailPaneHidesSecrets(t *testing.T) {
	src := `format = 1
[runbook]
id = "ui-secrets"
title = "UI secrets"
rto = "1h"
sensitive_vars = ["pw"]
[runbook.regions]
primary = "eu-west-1"
recovery = "eu-west-2"
[vars]
pw = "Sensitive-Pw-77"

[[steps]]
id = "store"
phase = "freeze"
action = "ssm.put-parameter"
doc = "x"
[steps.with]
name = "/shop/key"
value = "Literal-Secure-88"
type = "SecureString"

[[steps]]
id = "dsn"
phase = "freeze"
action = "aws.call"
doc = "x"
after = ["store"]
[steps.with]
call = "ssm:PutParameter"
input = { Name = "/shop/dsn", Value = "postgres://app:${vars.pw}@db", Type = "String" }
`
	rb, diags := runbooks.Parse("ui-secrets.toml", []byte(src))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	plan, diags := runbooks.Plan(rb, steps.Default())
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	clock := time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC)
	m := New(Options{Plan: plan, Mode: steps.ModeSandbox, Account: "123456789012", AuditDir: "/runs/r1", Actor: "kenji",
		Control: &fakeControl{}, Run: func() (*steps.RunSummary, error) { return nil, nil }, Now: func() time.Time { return clock }})
	m = send(t, m, tea.WindowSizeMsg{Width: 160, Height: 40})
	m = running(t, m)
	var panes []string
	for range plan.Steps {
		panes = append(panes, plain(m.stepDetail(150)))
		m = send(t, m, tea.KeyPressMsg{Code: tea.KeyDown})
	}
	all := strings.Join(panes, "\n")
	for _, secret := range []string{"Sensitive-Pw-77", "Literal-Secure-88"} {
		if strings.Contains(all, secret) {
			t.Errorf("the detail pane shows the secret %q:\n%s", secret, all)
		}
	}
	if !strings.Contains(all, "postgres://app:[redacted]@db") || !strings.Contains(all, `"Value":"[redacted]"`) {
		t.Errorf("the detail pane does not show the calls, redacted:\n%s", all)
	}
}
