package steps

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// secretsServer answers Secrets Manager's JSON protocol for the few
// operations the secret test calls, in front of the sandbox, with values
// the test knows (a generated password included, which the sandbox would
// make at random); every other request goes on to the sandbox. The
// requests come from the real SDK client, through the factory.
type secretsServer struct {
	mu    sync.Mutex
	calls []string // X-Amz-Target of each Secrets Manager request
}

const (
	dbSecretPassword = "Db-Pass-7731"
	dbSecret         = `{"username":"app","password":"` + dbSecretPassword + `","host":"db.internal"}`
	binarySecret     = "binary-secret-4410"
	randomPassword   = "Rand0m-Pw-9183"
)

func (ss *secretsServer) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		target := r.Header.Get("X-Amz-Target")
		op, ok := strings.CutPrefix(target, "secretsmanager.")
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		ss.mu.Lock()
		ss.calls = append(ss.calls, target)
		ss.mu.Unlock()
		var in map[string]any
		body, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(body, &in)
		value := func(id string) map[string]any {
			v := map[string]any{"ARN": "arn:aws:secretsmanager:eu-west-2:123456789012:secret:" + id, "Name": id, "VersionId": "v1"}
			if id == "prod/cert" {
				v["SecretBinary"] = base64.StdEncoding.EncodeToString([]byte(binarySecret))
			} else {
				v["SecretString"] = dbSecret
			}
			return v
		}
		var out map[string]any
		switch op {
		case "GetSecretValue":
			id, _ := in["SecretId"].(string)
			out = value(id)
		case "BatchGetSecretValue":
			var values []any
			ids, _ := in["SecretIdList"].([]any)
			for _, id := range ids {
				s, _ := id.(string)
				values = append(values, value(s))
			}
			out = map[string]any{"SecretValues": values, "Errors": []any{}}
		case "GetRandomPassword":
			out = map[string]any{"RandomPassword": randomPassword}
		default:
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"__type":"InvalidRequestException","message":"not served here"}`))
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_ = json.NewEncoder(w).Encode(out)
	})
}

// TestSecretsManagerValuesAreNeverShown fetches secrets with aws.call
// through the real SDK client: a JSON secret, a binary one, a batch and a
// generated password, copies them into step outputs and into a later
// call's input, and checks that the secrets reached AWS but that neither
// the events, nor the gates, nor the audit log show them, the password
// taken alone out of the JSON secret included.
func TestSecretsManagerValuesAreNeverShown(t *testing.T) {
	t.Parallel()
	ss := &secretsServer{}
	src := stepRunbook(`
[[steps]]
id = "db"
phase = "freeze"
action = "aws.call"
doc = "x"
[steps.with]
call = "secretsmanager:GetSecretValue"
input = { SecretId = "prod/db" }
[steps.outputs]
secret = "SecretString"

[[steps]]
id = "cert"
phase = "freeze"
action = "aws.call"
doc = "x"
[steps.with]
call = "secretsmanager:GetSecretValue"
input = { SecretId = "prod/cert" }
[steps.outputs]
blob = "SecretBinary"

[[steps]]
id = "batch"
phase = "freeze"
action = "aws.call"
doc = "x"
[steps.with]
call = "secretsmanager:BatchGetSecretValue"
input = { SecretIdList = ["prod/db", "prod/cert"] }
[steps.outputs]
first = "SecretValues[0].SecretString"

[[steps]]
id = "pw"
phase = "freeze"
action = "aws.call"
doc = "x"
[steps.with]
call = "secretsmanager:GetRandomPassword"
input = { PasswordLength = 14 }
[steps.outputs]
password = "RandomPassword"

[[steps]]
id = "store"
phase = "freeze"
action = "aws.call"
doc = "x"
after = ["db", "cert", "batch", "pw"]
[steps.with]
call = "ssm:PutParameter"
input = { Name = "/shop/copy", Value = "${steps.db.secret} ${steps.pw.password} ${steps.cert.blob}", Type = "String" }
`)
	approver := &scriptedApprover{}
	tr := startRun(t, src, "", runOptions{approver: approver, wrap: ss.wrap})
	succeeded(t, tr)
	if len(ss.calls) != 4 {
		t.Fatalf("Secrets Manager received %v, want four requests", ss.calls)
	}
	state, _ := json.Marshal(sandboxState(t, tr))
	blob := base64.StdEncoding.EncodeToString([]byte(binarySecret))
	if !strings.Contains(string(state), randomPassword) || !strings.Contains(string(state), blob) {
		t.Fatalf("the secrets did not reach AWS through the outputs: %s", state)
	}
	gates, _ := json.Marshal(approver.seen)
	events, _ := json.Marshal(tr.rec.all())
	logged := strings.Join(auditEvents(t, tr), "\n")
	quoted, _ := json.Marshal(dbSecret)
	secrets := []string{dbSecret, string(quoted[1 : len(quoted)-1]), dbSecretPassword, blob, randomPassword}
	for name, text := range map[string]string{"the gates": string(gates), "the events": string(events), "the audit log": logged} {
		for _, secret := range secrets {
			if i := strings.Index(text, secret); i >= 0 {
				t.Errorf("%s show the secret %q: …%s…", name, secret, text[max(0, i-200):min(len(text), i+50)])
			}
		}
	}
	if !strings.Contains(logged, "secretsmanager:GetSecretValue") || !strings.Contains(logged, `"[redacted]"`) {
		t.Errorf("the audit log does not show the redacted responses")
	}
}

// TestSecretsManagerDryRunFetchesNoSecret: in dry-run, reading a secret
// is refused like any other mutating call, so no secret is ever decrypted.
func TestSecretsManagerDryRunFetchesNoSecret(t *testing.T) {
	t.Parallel()
	src := stepRunbook(`
[[steps]]
id = "db"
phase = "freeze"
action = "aws.call"
doc = "x"
[steps.with]
call = "secretsmanager:GetSecretValue"
input = { SecretId = "prod/db" }
`)
	tr := startRun(t, src, "", runOptions{mode: ModeDryRun, approver: &scriptedApprover{}})
	succeeded(t, tr)
	journal, _ := tr.sb.Journal().Entries()
	for _, e := range journal {
		if e.Service == "secretsmanager" {
			t.Errorf("dry-run sent secretsmanager:%s", e.Operation)
		}
	}
}
