package steps

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

const ssmScenario = `
[[create]]
service   = "ssm"
region    = "eu-west-2"
operation = "PutParameter"
input     = { Name = "/store/read-only", Value = "false", Type = "String" }
`

// putParameterRunbook sets a parameter; extra is more TOML for its with
// table.
func putParameterRunbook(name, value, extra string) string {
	return stepRunbook(fmt.Sprintf(`
[[steps]]
id = "freeze-writes"
phase = "freeze"
action = "ssm.put-parameter"
doc = "Read-only mode."
[steps.with]
name = %q
value = %q
%s
[steps.outputs]
version = "Version"
tier = "Tier"
`, name, value, extra))
}

// parameterState is a parameter as /_sandbox/state shows it.
func parameterState(t *testing.T, tr *testRun, name string) map[string]any {
	t.Helper()
	p, _ := dig(sandboxState(t, tr), "ssm/eu-west-2", "parameters", name).(map[string]any)
	return p
}

func TestSSMPutParameter(t *testing.T) {
	t.Parallel()
	src := putParameterRunbook("/store/read-only", "true", "")
	tr := startRun(t, src, ssmScenario, runOptions{})
	succeeded(t, tr)
	out := doneEvent(t, tr, "freeze-writes").Outputs
	if out["version"] != float64(2) || out["tier"] != "Standard" {
		t.Errorf("outputs %v, want version 2 and tier Standard", out)
	}
	if p := parameterState(t, tr, "/store/read-only"); p["value"] != "true" || p["version"] != float64(2) {
		t.Errorf("the sandbox shows %v, want value true at version 2", p)
	}

	again := againSendsNothing(t, tr, src, "freeze-writes", "PutParameter")
	if !strings.Contains(notes(again, "freeze-writes"), `already "true"`) {
		t.Errorf("second run's notes %q do not say the value was already set", notes(again, "freeze-writes"))
	}
	if got := doneEvent(t, again, "freeze-writes").Outputs["version"]; got != float64(2) {
		t.Errorf("second run's version output %v, want the current 2", got)
	}
}

func TestSSMPutParameterCreates(t *testing.T) {
	t.Parallel()
	tr := startRun(t, putParameterRunbook("/store/maintenance", "on", `type = "StringList"`), ssmScenario, runOptions{})
	succeeded(t, tr)
	if got := doneEvent(t, tr, "freeze-writes").Outputs["version"]; got != float64(1) {
		t.Errorf("version output %v, want 1 for a new parameter", got)
	}
	if p := parameterState(t, tr, "/store/maintenance"); p["value"] != "on" || p["type"] != "StringList" {
		t.Errorf("the sandbox shows %v, want a StringList holding on", p)
	}
}

// A SecureString's value is sent, but it is in neither the audit log nor
// the events nor the notes.
func TestSSMPutParameterSecureStringStaysSecret(t *testing.T) {
	t.Parallel()
	const secret = "hunter2-db-creds"
	src := putParameterRunbook("/store/db/password-rotation-key", secret, `type = "SecureString"`)
	approver := &scriptedApprover{}
	tr := startRun(t, src, ssmScenario, runOptions{approver: approver})
	succeeded(t, tr)
	if len(approver.seen) == 0 {
		t.Fatal("the step was not gated: the test cannot see what a gate shows")
	}
	if shown := fmt.Sprintf("%+v", approver.seen); strings.Contains(shown, secret) {
		t.Errorf("the approval gate shows the SecureString's value: %s", shown)
	}
	again := againSendsNothing(t, tr, src, "freeze-writes", "PutParameter")
	for i, run := range []*testRun{tr, again} {
		if strings.Contains(auditText(t, run), secret) {
			t.Errorf("run %d: the audit log holds the SecureString's value", i+1)
		}
		for _, e := range run.rec.all() {
			if strings.Contains(fmt.Sprintf("%+v %+v", e, e.Call), secret) {
				t.Errorf("run %d: a %s event shows the SecureString's value", i+1, e.Type)
			}
		}
	}
	if !strings.Contains(auditText(t, tr), `"Value":"[redacted]"`) {
		t.Error("the audit log does not show the concealed Value as redacted")
	}
}

func TestSSMPutParameterDryRun(t *testing.T) {
	t.Parallel()
	tr := startRun(t, putParameterRunbook("/store/read-only", "true", ""), ssmScenario, runOptions{mode: ModeDryRun})
	done := dryRunSentNothing(t, tr, "freeze-writes")
	if v := done.Outputs["version"]; v != int64(2) {
		t.Errorf("dry-run version output %v (%T), want the simulated next version 2", v, v)
	}
	if p := parameterState(t, tr, "/store/read-only"); p["value"] != "false" {
		t.Errorf("after a dry run the sandbox shows %v, want the value unchanged", p)
	}
}

func TestSSMPutParameterFailures(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, param, extra string
		wants              []string
	}{
		{"overwrite false and another value", "/store/read-only", "overwrite = false",
			[]string{"parameter /store/read-only exists", "overwrite is false", "overwrite = true"}},
		{"a reserved name", "/aws/read-only", "",
			[]string{"parameter /aws/read-only in eu-west-2", "ValidationException"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tr := startRun(t, putParameterRunbook(tc.param, "true", tc.extra), ssmScenario, runOptions{})
			failedWith(t, tr, "freeze-writes", tc.wants...)
			if tc.extra != "" && len(tr.mutatingRequests()) != 0 {
				t.Errorf("%d mutating requests, want none", len(tr.mutatingRequests()))
			}
		})
	}
}

// opsItemRunbook opens an OpsItem.
func opsItemRunbook() string {
	return stepRunbook(`
[[steps]]
id = "open-opsitem"
phase = "declare"
action = "opsitem.create"
doc = "Record the event."
[steps.with]
title = "Region failover: action-test"
description = "Failing over to eu-west-2."
priority = 1
severity = "1"
category = "Recovery"
[steps.outputs]
opsitem = "OpsItemId"
arn = "OpsItemArn"
`)
}

var opsItemIDRE = regexp.MustCompile(`^oi-[0-9a-f]{12}$`)

func TestOpsItemCreate(t *testing.T) {
	t.Parallel()
	tr := startRun(t, opsItemRunbook(), "", runOptions{})
	succeeded(t, tr)
	out := doneEvent(t, tr, "open-opsitem").Outputs
	id, _ := out["opsitem"].(string)
	if !opsItemIDRE.MatchString(id) || out["arn"] != "arn:aws:ssm:eu-west-2:123456789012:opsitem/"+id {
		t.Fatalf("outputs %v, want an OpsItem id and its ARN", out)
	}
	items, _ := dig(sandboxState(t, tr), "ssm/eu-west-2", "ops_items").(map[string]any)
	if len(items) != 1 || dig(items, id, "title") != "Region failover: action-test" || dig(items, id, "source") != "drpilot" {
		t.Errorf("the sandbox shows OpsItems %v, want %s titled as the step, source drpilot", items, id)
	}

	// A resumed run of the step (same run id) finds the OpsItem by its
	// /drpilot/run-step mark and does not create a second.
	again := againSendsNothing(t, tr, opsItemRunbook(), "open-opsitem", "CreateOpsItem")
	if got := doneEvent(t, again, "open-opsitem").Outputs; got["opsitem"] != id || got["arn"] != out["arn"] {
		t.Errorf("second run's outputs %v, want the first OpsItem %v", got, out)
	}
	if !strings.Contains(notes(again, "open-opsitem"), "already created by this step") {
		t.Errorf("second run's notes %q do not say the OpsItem existed", notes(again, "open-opsitem"))
	}
}

func TestOpsItemCreateDryRun(t *testing.T) {
	t.Parallel()
	tr := startRun(t, opsItemRunbook(), "", runOptions{mode: ModeDryRun})
	done := dryRunSentNothing(t, tr, "open-opsitem")
	if got := done.Outputs["opsitem"]; got != "<simulated: steps.open-opsitem.opsitem>" {
		t.Errorf("dry-run opsitem output %v, want the simulated marker", got)
	}
}

// OpsCenter refuses an empty title; the error names the OpsItem and keeps
// AWS's reason.
func TestOpsItemCreateRefused(t *testing.T) {
	t.Parallel()
	src := strings.Replace(opsItemRunbook(), `title = "Region failover: action-test"`, `title = ""`, 1)
	tr := startRun(t, src, "", runOptions{})
	failedWith(t, tr, "open-opsitem", `creating OpsItem "" in eu-west-2`, "ValidationException")
}
