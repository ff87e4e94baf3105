package runbooks_test

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/steps"
)

// TestSensitiveVars: [runbook] sensitive_vars names vars whose values are
// secrets; check refuses, at the name's line and column, one that names
// no var or a var that is not text, and Secrets lists the values.
func TestSensitiveVars(t *testing.T) {
	t.Parallel()
	base, err := os.ReadFile("testdata/valid/minimal.toml")
	if err != nil {
		t.Fatal(err)
	}
	with := func(list string) string {
		src := strings.Replace(string(base), `rto = "30m"`, `rto = "30m"`+"\nsensitive_vars = "+list, 1)
		return strings.Replace(src, `replica = "orders-db-replica"`, "replica = \"orders-db-replica\"\nport = 5432", 1)
	}
	rb, diags := runbooks.Parse("s.toml", []byte(with(`["replica"]`)))
	if rb == nil || diags.HasErrors() {
		t.Fatalf("does not load: %v", diags)
	}
	if d := runbooks.Validate(rb, steps.Default()); d.HasErrors() {
		t.Fatalf("a sensitive string var is refused:\n%v", d)
	}
	if got := rb.Secrets(); !slices.Equal(got, []string{"orders-db-replica"}) || !rb.IsSensitiveVar("replica") {
		t.Errorf("Secrets() = %q", got)
	}
	rb, _ = runbooks.Parse("s.toml", []byte(with(`["replica", "replca", "port"]`)))
	var lines []string
	for _, d := range runbooks.Validate(rb, steps.Default()) {
		lines = append(lines, d.String())
	}
	got := strings.Join(lines, "\n")
	for _, want := range []string{
		`s.toml:8:30: runbook.sensitive_vars[1]: unknown var "replca" in sensitive_vars (did you mean "replica"?)`,
		`s.toml:8:40: runbook.sensitive_vars[2]: var "port" is`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("check lacks %q:\n%s", want, got)
		}
	}
}

// TestThePlanHidesSecrets: `drpilot plan` (text and JSON) shows neither a
// SecureString's value nor a sensitive var's, while the step's parameters,
// which the executor sends, keep them.
func TestThePlanHidesSecrets(t *testing.T) {
	t.Parallel()
	src := `format = 1
[runbook]
id = "plan-secrets"
title = "Plan secrets"
rto = "1h"
sensitive_vars = ["pw"]
[runbook.regions]
primary = "eu-west-1"
recovery = "eu-west-2"
[vars]
pw = "Sensitive-Pw-55"

[[steps]]
id = "store"
phase = "freeze"
action = "ssm.put-parameter"
doc = "x"
[steps.with]
name = "/shop/key"
value = "Literal-Secure-66"
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
	rb, diags := runbooks.Parse("p.toml", []byte(src))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	plan, diags := runbooks.Plan(rb, steps.Default())
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var text strings.Builder
	if err := plan.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	js, _ := json.Marshal(plan)
	for name, out := range map[string]string{"text": text.String(), "JSON": string(js)} {
		for _, secret := range []string{"Sensitive-Pw-55", "Literal-Secure-66"} {
			if strings.Contains(out, secret) {
				t.Errorf("the %s plan shows the secret %q:\n%s", name, secret, out)
			}
		}
		if !strings.Contains(out, "postgres://app:[redacted]@db") {
			t.Errorf("the %s plan does not show the redacted DSN:\n%s", name, out)
		}
	}
	params, _ := json.Marshal([]any{plan.Steps[0].Params, plan.Steps[1].Params})
	if !strings.Contains(string(params), "Literal-Secure-66") || !strings.Contains(string(params), "postgres://app:Sensitive-Pw-55@db") {
		t.Errorf("the parameters the executor sends lost their values: %s", params)
	}
}
