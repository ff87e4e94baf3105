package steps

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestSecretsAreNeverShown runs, in the sandbox over HTTP, a SecureString
// put-parameter, a plain parameter and a notify step whose values
// templates build from a sensitive var: AWS receives the values, and
// neither the gates the approver saw, nor the events, nor the audit log
// show them.
func TestSecretsAreNeverShown(t *testing.T) {
	t.Parallel()
	const pw, literal = "Sensitive-Pw-31", "Secure-Literal-42"
	src := stepRunbook(`[vars]
pw = "` + pw + `"
` + notifyContacts + `
[[steps]]
id = "secure"
phase = "freeze"
action = "ssm.put-parameter"
doc = "x"
[steps.with]
name = "/shop/key"
value = "` + literal + `"
type = "SecureString"

[[steps]]
id = "dsn"
phase = "freeze"
action = "aws.call"
doc = "x"
after = ["secure"]
[steps.with]
call = "ssm:PutParameter"
input = { Name = "/shop/dsn", Value = "postgres://app:${vars.pw}@db", Type = "String" }

[[steps]]
id     = "tell"
phase  = "notify"
action = "notify"
doc    = "x"
after = ["dsn"]
[steps.with]
to      = ["commander"]
subject = "Password ${vars.pw}"
message = "The password is now ${vars.pw}."
`)
	src = strings.Replace(src, `rto = "1h"`, "rto = \"1h\"\nsensitive_vars = [\"pw\"]", 1)
	approver := &scriptedApprover{}
	tr := startRun(t, src, notifyScenario, runOptions{approver: approver})
	succeeded(t, tr)
	state, _ := json.Marshal(sandboxState(t, tr))
	// The sandbox's state shows no SecureString's value either.
	if !strings.Contains(string(state), "postgres://app:"+pw+"@db") || !strings.Contains(string(state), `"type":"SecureString"`) {
		t.Fatalf("AWS did not receive the values as written: %s", state)
	}
	gates, _ := json.Marshal(approver.seen)
	events, _ := json.Marshal(tr.rec.all())
	var logged []string
	for _, line := range auditEvents(t, tr) {
		b, _ := json.Marshal(line)
		logged = append(logged, string(b))
	}
	for name, text := range map[string]string{"the gates": string(gates), "the events": string(events), "the audit log": strings.Join(logged, "\n")} {
		for _, secret := range []string{pw, literal} {
			if i := strings.Index(text, secret); i >= 0 {
				t.Errorf("%s show the secret %q: …%s…", name, secret, text[max(0, i-200):min(len(text), i+50)])
			}
		}
	}
	if !strings.Contains(string(gates), "postgres://app:[redacted]@db") || !strings.Contains(string(gates), "The password is now [redacted].") {
		t.Errorf("the gates do not show where the secret goes: %s", gates)
	}
}

// TestCredentialKeysKeepReferences writes, in a dry run, a DynamoDB item
// whose attribute named secret holds a Secrets Manager ARN and whose
// attribute named password holds a password: the dry run's events and the
// audit log show the ARN, which says which secret the item points at, and
// not the password, whose attribute keeps its type.
func TestCredentialKeysKeepReferences(t *testing.T) {
	t.Parallel()
	const arn, pw = "arn:aws:secretsmanager:eu-west-2:123456789012:secret:prod/payments-db-AbCdEf", "Hunter2-Plain-77"
	src := stepRunbook(`
[[steps]]
id = "put"
phase = "freeze"
action = "aws.call"
doc = "x"
[steps.with]
call = "dynamodb:PutItem"
input = { TableName = "config", Item = { id = { S = "payments" }, meta = { M = { secret = { S = "` + arn + `" }, password = { S = "` + pw + `" } } } } }
`)
	tr := startRun(t, src, "", runOptions{mode: ModeDryRun})
	succeeded(t, tr)
	events, _ := json.Marshal(tr.rec.of(EventCallDone, "put"))
	logged := strings.Join(auditEvents(t, tr), "\n")
	for name, text := range map[string]string{"the events": string(events), "the audit log": logged} {
		if !strings.Contains(text, arn) || strings.Contains(text, pw) || !strings.Contains(text, `"password":{"S":"[redacted]"}`) {
			t.Errorf("%s: %s", name, text)
		}
	}
	if !strings.Contains(logged, `"_redacted":["input.Item.meta.M.password.S"]`) {
		t.Errorf("the log's redacted paths: %s", logged)
	}
}
