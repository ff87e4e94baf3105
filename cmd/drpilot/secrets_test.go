package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drpilot/drpilot/audit"
)

// TestSecretsStayOutOfEverything runs a runbook that writes SecureString
// parameters, one from a sensitive var given with --var, in the sandbox,
// headless with --json, and looks for the secrets in what it printed, in
// the audit log and in every export of the record: none may be there.
func TestSecretsStayOutOfEverything(t *testing.T) {
	t.Parallel()
	const override, literal, awsCall = "Override-Secret-Pw-456", "lit-SecureString-Value-77", "awscall-SecureString-Value-88"
	dir := runDir(t)
	code, out, errOut := drpilot(t, "run", "testdata/run/secret.toml", "--sandbox", "--scenario", "testdata/run/scenarios/secret.toml",
		"--headless", "--yes", "--json", "--audit-dir", dir, "--var", "db_password="+override)
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if rep := verifyRun(t, dir); rep.Verdict != audit.Valid {
		t.Fatalf("audit log: %s %s", rep.Verdict, rep.Reason)
	}
	logged, err := os.ReadFile(filepath.Join(dir, audit.EventsFile))
	if err != nil {
		t.Fatal(err)
	}
	where := map[string]string{"stdout": out, "stderr": errOut, "the audit log": string(logged)}
	pub := filepath.Join(dir, audit.PubFile)
	for _, format := range []string{"json", "md", "html"} {
		code, rec, errOut := drpilot(t, "audit", "export", dir, "--pub", pub, "--format", format)
		if code != exitOK {
			t.Fatalf("export --format %s: exit %d\n%s", format, code, errOut)
		}
		where["the "+format+" export"] = rec
	}
	for name, text := range where {
		for _, secret := range []string{override, literal, awsCall, "runbook-Default-Pw-123"} {
			if strings.Contains(text, secret) {
				t.Errorf("%s shows the secret %q:\n%s", name, secret, excerpt(text, secret))
			}
		}
	}
	secretsInDir(t, dir, override, literal, awsCall, "runbook-Default-Pw-123")
	// The log keeps a proof of what it was given.
	if !strings.Contains(string(logged), "_unredacted_sha256") || !strings.Contains(string(logged), audit.Redacted) {
		t.Errorf("the log does not mark what it redacted")
	}
}

// excerpt is the text around the first occurrence of s.
func excerpt(text, s string) string {
	i := strings.Index(text, s)
	return text[max(0, i-300):min(len(text), i+len(s)+100)]
}

// secretsInDir fails the test for every file under dir that holds one of
// the secrets, whatever the file: the log, its checkpoints, the sandbox's
// recording and its scenario copy, and any file added later.
func secretsInDir(t *testing.T, dir string, secrets ...string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, secret := range secrets {
			if strings.Contains(string(data), secret) {
				t.Errorf("%s holds the secret %q:\n%s", path, secret, excerpt(string(data), secret))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestSandboxResumeWithASensitiveVar: a sandbox run given a sensitive var
// with --var writes it as a SecureString and inside a plain parameter,
// then pauses at a gate. Resume refuses to go on without the value, with
// a wrong one, and with a --var the log does not keep redacted; given the
// value again, it rebuilds the sandbox from the recording and the gated
// step's precondition reads the SecureString back, with decryption, as
// the value given. No file of the run directory ever holds the secret.
func TestSandboxResumeWithASensitiveVar(t *testing.T) {
	t.Parallel()
	const secret, wrong = "Override-Secret-Pw-456", "Wrong-Secret-Pw-789"
	dir := runDir(t)
	code, out, errOut := drpilot(t, "run", "testdata/run/secret-resume.toml", "--sandbox", "--scenario", "testdata/run/scenarios/secret.toml",
		"--headless", "--audit-dir", dir, "--var", "db_password="+secret, "--var", "app=shop")
	if code != exitAborted {
		t.Fatalf("a run without --yes: exit %d, want it paused at mark-checked's gate\n%s%s", code, out, errOut)
	}
	secretsInDir(t, dir, secret)
	for _, tc := range []struct {
		vars []string
		want string
	}{
		{nil, "passing --var db_password=... to resume"},
		{[]string{"db_password=" + wrong}, "does not match what the run was given"},
		{[]string{"db_password=" + secret, "app=other"}, "the log holds the value the run was given for var app"},
		{[]string{"db_password=" + secret, "nosuch=1"}, "the run was not given var nosuch"},
	} {
		args := []string{"resume", dir, "--headless", "--yes"}
		for _, kv := range tc.vars {
			args = append(args, "--var", kv)
		}
		code, out, errOut := drpilot(t, args...)
		if code != exitBadInput || !strings.Contains(errOut, tc.want) || strings.Contains(out+errOut, wrong) || strings.Contains(out+errOut, secret) {
			t.Errorf("resume %v: exit %d, want %d saying %q\n%s%s", tc.vars, code, exitBadInput, tc.want, out, errOut)
		}
	}
	code, out, errOut = drpilot(t, "resume", dir, "--headless", "--yes", "--var", "db_password="+secret)
	if code != exitOK || !strings.Contains(out, "SUCCEEDED") {
		t.Fatalf("resume with the value given again: exit %d\n%s%s", code, out, errOut)
	}
	if rep := verifyRun(t, dir); rep.Verdict != audit.Valid {
		t.Fatalf("audit log: %s %s", rep.Verdict, rep.Reason)
	}
	done := map[string]bool{}
	for _, ev := range readLog(t, dir) {
		if ev.Type == audit.TypeStepDone {
			done[ev.Step] = true
		}
	}
	if !done["mark-checked"] {
		t.Errorf("mark-checked, whose precondition reads the SecureString back, did not run: %v", done)
	}
	secretsInDir(t, dir, secret, wrong, "runbook-Default-Pw-123")
	recording, err := os.ReadFile(filepath.Join(dir, sandboxRecordingDir, "requests.jsonl"))
	if err != nil || strings.Count(string(recording), `"sealed":`) < 2 {
		t.Errorf("the recording should seal the two writes of the secret (%v):\n%s", err, recording)
	}
}
