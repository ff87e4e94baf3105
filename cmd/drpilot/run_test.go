package main

import (
	"bufio"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drpilot/drpilot/audit"
	"github.com/drpilot/drpilot/sandbox"
)

const paramsRunbook = "testdata/run/params.toml"

// runDir returns a fresh audit directory for a test run.
func runDir(t *testing.T) string {
	return filepath.Join(t.TempDir(), "run")
}

// verifyRun checks a run directory's log against the key it carries.
func verifyRun(t *testing.T, dir string) *audit.Report {
	t.Helper()
	pemData, err := os.ReadFile(filepath.Join(dir, audit.PubFile))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := audit.ParsePublicKey(pemData)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := audit.Verify(dir, ed25519.PublicKey(pub))
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestRunSandboxHeadlessSucceeds(t *testing.T) {
	t.Parallel()
	dir := runDir(t)
	code, out, errOut := drpilot(t, "run", paramsRunbook, "--sandbox", "--headless", "--yes", "--audit-dir", dir, "--key", filepath.Join(t.TempDir(), "none.pem"))
	if code != exitBadInput || !strings.Contains(errOut, "none.pem") {
		t.Fatalf("a --key that does not exist: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = drpilot(t, "run", paramsRunbook, "--sandbox", "--headless", "--yes", "--audit-dir", dir)
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"mode SANDBOX", "run directory " + dir, "SUCCEEDED", `outputs {"value":"on","version":2}`, "verify: drpilot audit verify " + dir} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if rep := verifyRun(t, dir); rep.Verdict != audit.Valid {
		t.Errorf("audit log: %s %s", rep.Verdict, rep.Reason)
	}
}

// TestRunHeadlessWithoutYesStopsAtTheFirstGate: a sandbox run that waits
// at a gate with nobody to approve pauses, resumably, and resumed with
// --yes it carries on against its sandbox, rebuilt from its recording: the
// flag is set once, on top of the scenario's version.
func TestRunHeadlessWithoutYesStopsAtTheFirstGate(t *testing.T) {
	t.Parallel()
	dir := runDir(t)
	code, out, errOut := drpilot(t, "run", paramsRunbook, "--sandbox", "--headless", "--audit-dir", dir)
	if code != exitAborted {
		t.Fatalf("exit %d, want %d\n%s%s", code, exitAborted, out, errOut)
	}
	if !strings.Contains(out, "PAUSED") || !strings.Contains(out, "needs approval: step set-flag") || strings.Contains(out, "ssm:PutParameter in eu-west-2: ok") {
		t.Errorf("the run went past the gate:\n%s", out)
	}
	if !strings.Contains(out, "resume: drpilot resume "+dir) {
		t.Errorf("the paused run does not say how to resume it:\n%s", out)
	}
	if rep := verifyRun(t, dir); rep.Verdict != audit.Incomplete || !rep.Paused {
		t.Errorf("audit log: %s %s, want INCOMPLETE and paused", rep.Verdict, rep.Reason)
	}
	code, out, errOut = drpilot(t, "resume", dir, "--headless", "--yes")
	if code != exitOK || !strings.Contains(out, "sandbox rebuilt from its recording") || !strings.Contains(out, `outputs {"value":"on","version":2}`) {
		t.Fatalf("resume: exit %d\n%s%s", code, out, errOut)
	}
	if rep := verifyRun(t, dir); rep.Verdict != audit.Valid {
		t.Errorf("audit log: %s %s", rep.Verdict, rep.Reason)
	}
}

func TestRunJSONEvents(t *testing.T) {
	t.Parallel()
	dir := runDir(t)
	code, out, errOut := drpilot(t, "run", paramsRunbook, "--sandbox", "--headless", "--yes", "--json", "--audit-dir", dir)
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	types := map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var ev map[string]any
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("not a JSON line: %q", sc.Text())
		}
		types[ev["type"].(string)]++
	}
	for _, want := range []string{"run.directory", "run.started", "step.ready", "precondition", "step.awaiting",
		"call.sent", "call.done", "step.done", "run.finished"} {
		if types[want] == 0 {
			t.Errorf("no %s event in %v", want, types)
		}
	}
}

func TestRunRefusals(t *testing.T) {
	t.Parallel()
	otherAccount := filepath.Join(t.TempDir(), "other.toml")
	os.WriteFile(otherAccount, []byte("account = \"999999999999\"\n"), 0o644)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"yes without headless", []string{paramsRunbook, "--sandbox", "--yes"}, "--yes and --json apply to --headless only"},
		{"dry-run and sandbox", []string{paramsRunbook, "--sandbox", "--dry-run", "--headless"}, "exclude each other"},
		{"wrong account", []string{paramsRunbook, "--sandbox", "--headless", "--scenario", otherAccount},
			"runbook params is for account 123456789012, but your credentials are for account 999999999999 (arn:aws:iam::999999999999:user/drpilot-sandbox): the sandbox answers for its scenario's account"},
		{"unknown var", []string{paramsRunbook, "--sandbox", "--headless", "--var", "nope=1"}, `no var "nope"`},
		{"parallel", []string{paramsRunbook, "--sandbox", "--headless", "--parallel", "0"}, "--parallel"},
	} {
		code, out, errOut := drpilot(t, append([]string{"run"}, append(tc.args, "--audit-dir", runDir(t))...)...)
		if code != exitBadInput || !strings.Contains(errOut, tc.want) {
			t.Errorf("%s: exit %d, want 2 and %q\n%s%s", tc.name, code, tc.want, out, errOut)
		}
	}
}

// TestRunLiveNeedsATrustedKey runs live against a sandbox through
// AWS_ENDPOINT_URL, as against any AWS-compatible endpoint.
func TestRunLiveNeedsATrustedKey(t *testing.T) {
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
	t.Setenv("AWS_ENDPOINT_URL", srv.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	keyDir := t.TempDir()
	t.Setenv("DRPILOT_KEY", filepath.Join(keyDir, "key.pem"))
	code, _, errOut := drpilot(t, "run", paramsRunbook, "--headless", "--yes", "--audit-dir", runDir(t))
	if code != exitBadInput || !strings.Contains(errOut, "drpilot keygen") {
		t.Fatalf("live without a key: exit %d\n%s", code, errOut)
	}
	if code, out, errOut := drpilot(t, "keygen", "--out", filepath.Join(keyDir, "key.pem")); code != 0 {
		t.Fatalf("keygen: %s%s", out, errOut)
	}
	code, _, errOut = drpilot(t, "run", paramsRunbook, "--headless", "--yes", "--audit-dir", runDir(t))
	if code != exitBadInput || !strings.Contains(errOut, "is not trusted") {
		t.Fatalf("live with an untrusted key: exit %d\n%s", code, errOut)
	}

	// Trusted: the key's public half is in keys/ next to the runbook.
	books := t.TempDir()
	src, _ := os.ReadFile(paramsRunbook)
	os.WriteFile(filepath.Join(books, "params.toml"), src, 0o644)
	os.Mkdir(filepath.Join(books, "keys"), 0o755)
	pub, _ := os.ReadFile(filepath.Join(keyDir, "key.pem.pub"))
	os.WriteFile(filepath.Join(books, "keys", "oncall.pub"), pub, 0o644)
	code, out, errOut := drpilot(t, "run", filepath.Join(books, "params.toml"), "--headless", "--yes", "--audit-dir", runDir(t))
	if code != exitOK || !strings.Contains(out, "mode LIVE") {
		t.Fatalf("live with a trusted key: exit %d\n%s%s", code, out, errOut)
	}
	// The printed commands check the log against the team's copy of the key.
	if want := " --pub " + filepath.Join(books, "keys", "oncall.pub") + " --format md -o "; !strings.Contains(out, want) {
		t.Errorf("the export hint lacks %q:\n%s", want, out)
	}
	entries, _ := sb.Journal().Entries()
	puts := 0
	for _, e := range entries {
		if e.Operation == "PutParameter" && e.Region == "eu-west-2" && e.Status == 200 {
			puts++
		}
	}
	if puts != 1 {
		t.Errorf("the sandbox saw %d PutParameter calls, want 1", puts)
	}
}

func TestAuditExportOfARun(t *testing.T) {
	t.Parallel()
	dir := runDir(t)
	code, out, errOut := drpilot(t, "run", paramsRunbook, "--sandbox", "--headless", "--yes", "--audit-dir", dir)
	if code != exitOK {
		t.Fatalf("run: exit %d\n%s%s", code, out, errOut)
	}
	pub := filepath.Join(dir, audit.PubFile)
	if !strings.Contains(out, "export: drpilot audit export "+dir+" --pub "+pub+" --format md -o ") {
		t.Errorf("the run does not print the export command:\n%s", out)
	}
	code, js, _ := drpilot(t, "audit", "export", dir, "--pub", pub, "--format", "json")
	var rec audit.Record
	if code != exitOK || json.Unmarshal([]byte(js), &rec) != nil || len(rec.Steps) != 3 || len(rec.Requests) != 1 || rec.Requests[0].RequestID == "" {
		t.Fatalf("json record: exit %d, %+v", code, rec)
	}
	code, md, errOut := drpilot(t, "audit", "export", dir, "--pub", pub)
	if code != exitOK {
		t.Fatalf("export: exit %d\n%s%s", code, md, errOut)
	}
	// The request id is the sandbox's, which starts with its clock: the
	// record must carry the one the JSON export read from the log.
	for _, want := range []string{"**Audit log: VALID**", "| outcome | **succeeded** |", "| RTO | **RTO achieved", "against 10m: met — simulated, on the sandbox's clock**",
		"| set-flag | freeze | aws.call | eu-west-2 | done |", "| headless --yes | approve |",
		"ssm:PutParameter | eu-west-2 | " + rec.Requests[0].RequestID} {
		if !strings.Contains(md, want) {
			t.Errorf("the markdown record lacks %q:\n%s", want, md)
		}
	}
	code, page, errOut := drpilot(t, "audit", "export", dir, "--format", "html")
	if code != exitFailed || !strings.Contains(page, "UNTRUSTED KEY") {
		t.Errorf("an export without the trusted key: exit %d, want 1 and the verdict in the page", code)
	}
	if want := "the log in " + dir + " is UNTRUSTED KEY, not VALID"; strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, want) || !strings.Contains(errOut, "give --pub "+pub) {
		t.Errorf("an export without the trusted key says on stderr %q, want one line with %q and what to do", errOut, want)
	}
	if code, _, errOut := drpilot(t, "audit", "export", dir, "--format", "pdf"); code != exitBadInput || !strings.Contains(errOut, "md, html or json") {
		t.Errorf("--format pdf: exit %d %s", code, errOut)
	}
}

func TestRunLogFile(t *testing.T) {
	t.Parallel()
	logPath := filepath.Join(t.TempDir(), "drpilot.log")
	code, out, errOut := drpilot(t, "run", paramsRunbook, "--sandbox", "--headless", "--yes", "--audit-dir", runDir(t), "--log-file", logPath)
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	data, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	var first map[string]any
	if len(lines) < 5 || json.Unmarshal([]byte(lines[0]), &first) != nil || first["type"] == nil {
		t.Fatalf("the log file is not JSON lines of events:\n%s", data)
	}
	if code, _, errOut := drpilot(t, "run", paramsRunbook, "--sandbox", "--headless", "--log-file", "/nonexistent/dir/x.log"); code != exitBadInput || !strings.Contains(errOut, "--log-file") {
		t.Errorf("an unwritable --log-file: exit %d %s", code, errOut)
	}
}

func TestResumeRefusals(t *testing.T) {
	t.Parallel()
	code, _, errOut := drpilot(t, "resume", t.TempDir(), "--headless")
	if code != exitBadInput || !strings.Contains(errOut, "holds no run's audit log") {
		t.Errorf("resume of an empty directory: exit %d %s", code, errOut)
	}
	// A finished run has nothing to resume.
	dir := runDir(t)
	if code, out, errOut := drpilot(t, "run", paramsRunbook, "--sandbox", "--headless", "--yes", "--audit-dir", dir); code != exitOK {
		t.Fatalf("run: %d %s%s", code, out, errOut)
	}
	code, _, errOut = drpilot(t, "resume", dir, "--headless")
	if code != exitBadInput || !strings.Contains(errOut, "nothing to resume") {
		t.Errorf("resume of a sealed run: exit %d %s", code, errOut)
	}
}

func TestVarsComeBackFromTheLogWithTheirTypes(t *testing.T) {
	t.Parallel()
	var logged map[string]any
	dec := json.NewDecoder(strings.NewReader(`{"big": 12345678901234567, "ratio": 2.5, "regions": ["eu-west-1", "eu-west-2"], "ports": [80, 443], "on": true}`))
	dec.UseNumber()
	if err := dec.Decode(&logged); err != nil {
		t.Fatal(err)
	}
	olds := map[string]any{"big": int64(1), "ratio": 1.0, "regions": []any{"x"}, "ports": []any{int64(1)}, "on": false}
	want := map[string]any{"big": int64(12345678901234567), "ratio": 2.5, "regions": []any{"eu-west-1", "eu-west-2"},
		"ports": []any{int64(80), int64(443)}, "on": true}
	for name, v := range logged {
		got, err := varFromLog(v, olds[name])
		if err != nil || fmt.Sprintf("%#v", got) != fmt.Sprintf("%#v", want[name]) {
			t.Errorf("%s: got %#v (%v), want %#v", name, got, err, want[name])
		}
	}
}
