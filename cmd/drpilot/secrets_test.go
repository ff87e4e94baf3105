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

// TestResumeRefusesARedactedSensitiveVar: a run given a sensitive var with
// --var logs only its SHA-256; resume says so rather than going on with
// the runbook's own value.
func TestResumeRefusesARedactedSensitiveVar(t *testing.T) {
	t.Parallel()
	dir := runDir(t)
	code, out, errOut := drpilot(t, "run", "testdata/run/secret.toml", "--sandbox", "--scenario", "testdata/run/scenarios/secret.toml",
		"--headless", "--audit-dir", dir, "--var", "db_password=Override-Secret-Pw-456")
	if code != exitAborted {
		t.Fatalf("a run without --yes: exit %d, want it paused at the first gate\n%s%s", code, out, errOut)
	}
	code, out, errOut = drpilot(t, "resume", dir, "--headless", "--yes")
	if code != exitBadInput || !strings.Contains(errOut, "var db_password is sensitive") || strings.Contains(out+errOut, "Override-Secret-Pw-456") {
		t.Fatalf("resume: exit %d\n%s%s", code, out, errOut)
	}
}
