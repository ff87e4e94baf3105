package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWriterRedactsSecretTexts: a text given as a secret (a sensitive
// var's value) is redacted wherever it appears, inside a longer string
// too, from run.start on, and the event keeps the SHA-256 of its data as
// given; one added later (a SecureString's value) is redacted from then.
func TestWriterRedactsSecretTexts(t *testing.T) {
	t.Parallel()
	dir, key := t.TempDir(), testKey(t)
	w, err := Create(dir, Options{RunID: "run-s", Key: key, Secrets: []string{"Pw-From-Var-1"},
		Start: RunInfo{Runbook: "r.toml", Vars: map[string]any{"db_password": "Pw-From-Var-1"}}})
	if err != nil {
		t.Fatal(err)
	}
	w.AddSecrets("SecureString-Value-2", "")
	data := map[string]any{"input": map[string]any{
		"Name": "/shop/dsn", "Value": "postgres://app:Pw-From-Var-1@db", "Other": []any{"x SecureString-Value-2 y"},
	}}
	if _, err := w.Append(Entry{Type: TypeAWSRequest, Data: data}); err != nil {
		t.Fatal(err)
	}
	if err := w.Seal("", nil); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, EventsFile))
	lines := strings.Split(string(raw), "\n")
	for _, secret := range []string{"Pw-From-Var-1", "SecureString-Value-2"} {
		if strings.Contains(string(raw), secret) {
			t.Errorf("the log contains the secret %q", secret)
		}
	}
	var start, req struct {
		Data struct {
			Vars     map[string]string `json:"vars"`
			Input    map[string]any    `json:"input"`
			Redacted []string          `json:"_redacted"`
			Sum      string            `json:"_unredacted_sha256"`
		} `json:"data"`
	}
	if json.Unmarshal([]byte(lines[0]), &start) != nil || json.Unmarshal([]byte(lines[1]), &req) != nil {
		t.Fatal("lines are not JSON")
	}
	if start.Data.Vars["db_password"] != Redacted || len(start.Data.Redacted) != 1 || start.Data.Sum == "" {
		t.Errorf("run.start: vars %v, redacted %v", start.Data.Vars, start.Data.Redacted)
	}
	if req.Data.Input["Value"] != "postgres://app:"+Redacted+"@db" || req.Data.Input["Name"] != "/shop/dsn" {
		t.Errorf("aws.request input %v", req.Data.Input)
	}
	if want := "input.Other[0],input.Value"; strings.Join(req.Data.Redacted, ",") != want {
		t.Errorf("redacted %v, want %s", req.Data.Redacted, want)
	}
	orig, _ := json.Marshal(data)
	if sum := sha256.Sum256(orig); req.Data.Sum != hex.EncodeToString(sum[:]) {
		t.Errorf("_unredacted_sha256 is not the SHA-256 of the data as given")
	}
}

// TestRedactionProvesRunStart: run.start's data, rebuilt from the log
// with the redacted value given again, proves it; with another value, it
// does not. This is what resume checks a sensitive var given again with.
func TestRedactionProvesRunStart(t *testing.T) {
	t.Parallel()
	dir, key := t.TempDir(), testKey(t)
	start := RunInfo{Runbook: "r.toml", Mode: "sandbox", Vars: map[string]any{"db_password": "Pw-From-Var-1", "min": int64(4)}}
	w, err := Create(dir, Options{RunID: "run-p", Key: key, Secrets: []string{"Pw-From-Var-1"}, Start: start})
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	r, err := Reopen(dir, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Writer.Close()
	red, err := RedactionOf(r.Events[0].Data)
	if err != nil || strings.Join(red.Paths, ",") != "vars.db_password" {
		t.Fatalf("run.start's redaction: %+v %v", red, err)
	}
	for value, want := range map[string]bool{"Pw-From-Var-1": true, "Pw-From-Var-2": false} {
		rebuilt := r.Start
		rebuilt.Vars = map[string]any{"db_password": value, "min": r.Start.Vars["min"]}
		if ok, err := red.Given(rebuilt); ok != want || err != nil {
			t.Errorf("rebuilt with %s: proves %v (%v), want %v", value, ok, err, want)
		}
	}
}

// TestRedactKeepsARNsUnderCredentialKeys: under a key that names a
// credential every scalar is redacted, at any depth, except an ARN, which
// names where a secret is kept; a secret text is scrubbed even from an
// ARN.
func TestRedactKeepsARNsUnderCredentialKeys(t *testing.T) {
	t.Parallel()
	const arn = "arn:aws:secretsmanager:eu-west-2:123456789012:secret:prod/db-AbCdEf"
	in := map[string]any{
		"db_secret":     arn,
		"client_secret": "s3cr3t-value",
		"secret":        "arn:aws:not an arn",
		"MasterUserSecret": map[string]any{"SecretArn": arn, "SecretStatus": "active",
			"Retention": 7.0, "Missing": nil},
		"password": map[string]any{"S": "hunter2"},
		"token":    "arn:aws:ssm:eu-west-2:123456789012:parameter/Pw-in-arn",
	}
	out, paths := redact(in, nil, []string{"Pw-in-arn"})
	got, _ := json.Marshal(out)
	want := `{"MasterUserSecret":{"Missing":null,"Retention":"[redacted]","SecretArn":"` + arn + `","SecretStatus":"[redacted]"},` +
		`"client_secret":"[redacted]","db_secret":"` + arn + `",` +
		`"password":{"S":"[redacted]"},"secret":"[redacted]","token":"arn:aws:ssm:eu-west-2:123456789012:parameter/[redacted]"}`
	if string(got) != want {
		t.Errorf("redacted\n%s\nwant\n%s", got, want)
	}
	if strings.Join(paths, ",") != "MasterUserSecret.Retention,MasterUserSecret.SecretStatus,client_secret,password.S,secret,token" {
		t.Errorf("paths %v", paths)
	}
}
