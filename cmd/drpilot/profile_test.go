package main

import (
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drpilot/drpilot/sandbox"
)

// TestProfile runs a dry run with --profile, whose profile in a temporary
// AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE points at a sandbox, as
// the AWS CLI would read them. Not parallel: it sets the environment.
func TestProfile(t *testing.T) {
	sc, err := sandbox.LoadScenario("testdata/run/scenarios/params.toml")
	if err != nil {
		t.Fatal(err)
	}
	sb, err := sandbox.NewFromScenario(sc, 0)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb)
	defer srv.Close()
	dir := t.TempDir()
	configFile, credsFile := filepath.Join(dir, "config"), filepath.Join(dir, "credentials")
	os.WriteFile(configFile, []byte(fmt.Sprintf("[profile dr-sandbox]\nregion = eu-west-2\nendpoint_url = %s\n", srv.URL)), 0o600)
	os.WriteFile(credsFile, []byte("[dr-sandbox]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = secret\n"), 0o600)
	for name, value := range map[string]string{
		"AWS_CONFIG_FILE": configFile, "AWS_SHARED_CREDENTIALS_FILE": credsFile, "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_PROFILE": "", "AWS_DEFAULT_PROFILE": "", "AWS_ENDPOINT_URL": "", "AWS_REGION": "", "AWS_DEFAULT_REGION": "",
		"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "",
		"DRPILOT_KEY": filepath.Join(dir, "no-key.pem"),
	} {
		t.Setenv(name, value)
	}

	code, out, errOut := drpilot(t, "run", paramsRunbook, "--dry-run", "--headless", "--profile", "dr-sandbox", "--audit-dir", runDir(t))
	if code != exitOK || !strings.Contains(out, "mode DRY-RUN · account 123456789012") {
		t.Fatalf("--profile dr-sandbox: exit %d\n%s%s", code, out, errOut)
	}
	calls := 0
	entries, _ := sb.Journal().Entries()
	for _, e := range entries {
		if e.Operation == "GetCallerIdentity" {
			calls++
		}
	}
	if calls == 0 {
		t.Error("the sandbox named by the profile was not asked who the caller is")
	}

	// A runbook for another account than the profile's says to choose
	// the profile.
	src, err := os.ReadFile(paramsRunbook)
	if err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other-account.toml")
	os.WriteFile(other, []byte(strings.Replace(string(src), `"123456789012"`, `"999999999999"`, 1)), 0o644)
	code, _, errOut = drpilot(t, "run", other, "--dry-run", "--headless", "--profile", "dr-sandbox", "--audit-dir", runDir(t))
	if want := "but your credentials are for account 123456789012 (arn:aws:iam::123456789012:user/drpilot-sandbox): choose that account's profile with --profile"; code != exitBadInput || !strings.Contains(errOut, want) {
		t.Errorf("another account: exit %d, want 2 and %q\n%s", code, want, errOut)
	}

	code, _, errOut = drpilot(t, "run", paramsRunbook, "--dry-run", "--headless", "--profile", "nope", "--audit-dir", runDir(t))
	want := fmt.Sprintf(`AWS profile "nope" (--profile) is in none of the files read: %s, %s`, configFile, credsFile)
	if code != exitBadInput || !strings.Contains(errOut, want) {
		t.Errorf("an unknown profile: exit %d, want 2 and %q\n%s", code, want, errOut)
	}
	code, _, errOut = drpilot(t, "resume", t.TempDir(), "--headless", "--profile", "nope")
	if code != exitBadInput || !strings.Contains(errOut, "holds no run's audit log") {
		t.Errorf("resume takes --profile: exit %d\n%s", code, errOut)
	}
	code, _, errOut = drpilot(t, "run", paramsRunbook, "--sandbox", "--headless", "--profile", "dr-sandbox")
	if code != exitBadInput || !strings.Contains(errOut, "--profile applies to live and --dry-run runs") {
		t.Errorf("--profile with --sandbox: exit %d\n%s", code, errOut)
	}
}
