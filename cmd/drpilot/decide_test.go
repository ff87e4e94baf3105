package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drpilot/drpilot/audit"
	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/steps"
)

// TestResumeDecidesAndAbortEnds runs a live run whose step fails and asks,
// headless: the run stops, resumably, saying what it needs. Resume refuses
// answers that answer nothing, then takes the operator's skip with the
// output they got by hand, and the step after it runs with that value. A
// second run is ended for good with drpilot abort.
func TestResumeDecidesAndAbortEnds(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs drpilot processes")
	}
	t.Parallel()
	f := newCrashFixture(t)
	src, _ := os.ReadFile("testdata/run/decide.toml")
	f.runbook = filepath.Join(filepath.Dir(f.runbook), "decide.toml")
	os.WriteFile(f.runbook, src, 0o644)
	run := func(args ...string) (int, string) {
		cmd := exec.Command(drpilotBinary(t), args...)
		cmd.Env = f.env
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		return code, string(out)
	}
	code, out := run("run", f.runbook, "--headless", "--yes", "--audit-dir", f.dir)
	if code != exitFailed || !strings.Contains(out, "needs a decision: step open-gate failed") || !strings.Contains(out, "resume: drpilot resume "+f.dir) {
		t.Fatalf("run: exit %d\n%s", code, out)
	}
	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{"--decide", "open-gate=skip"}, "say why with --reason"},
		{[]string{"--decide", "open-gat=retry"}, `did you mean "open-gate"`},
		{[]string{"--decide", "record-gate=retry"}, "has not failed"},
		{[]string{"--decide", "open-gate=maybe"}, "retry, skip or continue"},
		{[]string{"--decide", "open-gate=skip", "--reason", "x", "--set", "open-gate.nope=1"}, "has no output \"nope\""},
	} {
		code, out := run(append([]string{"resume", f.dir, "--headless", "--yes"}, bad.args...)...)
		if code != exitBadInput || !strings.Contains(out, bad.want) {
			t.Errorf("resume %v: exit %d, want 2 saying %q:\n%s", bad.args, code, bad.want, out)
		}
	}
	code, out = run("resume", f.dir, "--headless", "--yes", "--decide", "open-gate=skip", "--reason", "opened in the console",
		"--set", "open-gate.version=7")
	if code != exitOK || !strings.Contains(out, "SUCCEEDED") {
		t.Fatalf("resume with a decision: exit %d\n%s", code, out)
	}
	rep, err := audit.Verify(f.dir, f.pub)
	if err != nil || rep.Verdict != audit.Valid {
		t.Fatalf("audit log: %v %+v", err, rep)
	}
	data, _ := os.ReadFile(filepath.Join(f.dir, audit.EventsFile))
	for _, want := range []string{`"decision":"skip"`, `"reason":"opened in the console"`, `"outputs":{"version":"7"}`, `"Value":"7"`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("the log lacks %s", want)
		}
	}

	f.dir = filepath.Join(t.TempDir(), "second")
	if code, out := run("run", f.runbook, "--headless", "--yes", "--audit-dir", f.dir); code != exitFailed {
		t.Fatalf("second run: exit %d\n%s", code, out)
	}
	if code, out := run("abort", f.dir); code != exitBadInput || !strings.Contains(out, "--reason") {
		t.Errorf("abort without a reason: exit %d\n%s", code, out)
	}
	code, out = run("abort", f.dir, "--reason", "the primary is back")
	if code != exitOK || !strings.Contains(out, "ABORTED") {
		t.Fatalf("abort: exit %d\n%s", code, out)
	}
	rep, _ = audit.Verify(f.dir, f.pub)
	if rep == nil || rep.Verdict != audit.Valid {
		t.Errorf("an aborted run's log: %+v", rep)
	}
	if code, out := run("resume", f.dir, "--headless"); code != exitBadInput || !strings.Contains(out, "sealed") {
		t.Errorf("resume of an aborted run: exit %d\n%s", code, out)
	}
}

// TestADecisionMustAnswerAQuestion: a failure the runbook or a person
// allowed already has nothing to decide; --decide says so instead of being
// dropped without a trace.
func TestADecisionMustAnswerAQuestion(t *testing.T) {
	t.Parallel()
	src, _ := os.ReadFile("testdata/run/decide.toml")
	text := strings.Replace(string(src), `on_failure = "ask"`, `on_failure = "continue"`, 1)
	rb, diags := runbooks.Parse("decide.toml", []byte(text))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	prior := &steps.Prior{Done: map[string]steps.PriorStep{}, Failed: map[string]steps.PriorFailure{"open-gate": {Error: "boom"}}}
	_, err := parseDecisions(decideOptions{decide: []string{"open-gate=retry"}}, rb, prior, "alice")
	if err == nil || !strings.Contains(err.Error(), "allowed already") {
		t.Errorf("a decision about an allowed failure: %v", err)
	}
}

// TestResumeGivesAnOutputADoneStepDidNotProduce: a done step's output whose
// query matched nothing stops the step that needs it; resume takes the
// value from the operator, with a reason, for that output only — never in
// place of a value the step produced — and the step after it runs with it.
func TestResumeGivesAnOutputADoneStepDidNotProduce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs drpilot processes")
	}
	t.Parallel()
	f := newCrashFixture(t)
	src, _ := os.ReadFile("testdata/run/missing-output.toml")
	f.runbook = filepath.Join(filepath.Dir(f.runbook), "missing-output.toml")
	os.WriteFile(f.runbook, src, 0o644)
	run := func(args ...string) (int, string) {
		cmd := exec.Command(drpilotBinary(t), args...)
		cmd.Env = f.env
		out, _ := cmd.CombinedOutput()
		return cmd.ProcessState.ExitCode(), string(out)
	}
	code, out := run("run", f.runbook, "--headless", "--yes", "--audit-dir", f.dir)
	if code != exitFailed || !strings.Contains(out, "${steps.read-flag.selector} has no value") {
		t.Fatalf("run: exit %d\n%s", code, out)
	}
	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{"--set", "read-flag.selector=v1", "--decide", "record-selector=retry"}, "say where the value comes from with --reason"},
		{[]string{"--set", "read-flag.name=/other", "--reason", "x", "--decide", "record-selector=retry"}, "never replaces what a step produced"},
	} {
		if code, out := run(append([]string{"resume", f.dir, "--headless", "--yes"}, bad.args...)...); code != exitBadInput || !strings.Contains(out, bad.want) {
			t.Errorf("resume %v: exit %d, want 2 saying %q:\n%s", bad.args, code, bad.want, out)
		}
	}
	code, out = run("resume", f.dir, "--headless", "--yes", "--set", "read-flag.selector=v1",
		"--reason", "read from the console", "--decide", "record-selector=retry")
	if code != exitOK || !strings.Contains(out, "SUCCEEDED") {
		t.Fatalf("resume: exit %d\n%s", code, out)
	}
	log, _ := os.ReadFile(filepath.Join(f.dir, audit.EventsFile))
	if !strings.Contains(string(log), `"decision":"set-outputs"`) || !strings.Contains(string(log), `"Value":"v1"`) {
		t.Errorf("the log lacks the operator's value or its use:\n%s", log)
	}
	if rep, _ := audit.Verify(f.dir, f.pub); rep.Verdict != audit.Valid {
		t.Errorf("audit log: %s %s", rep.Verdict, rep.Reason)
	}
}
