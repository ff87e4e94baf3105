package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/drpilot/drpilot/audit"
)

// rehearse runs params.toml in the sandbox into runs/name, with the
// scenario given (or the runbook's own), and fails the test unless it
// exits with want.
func rehearse(t *testing.T, runs, name, scenario string, want int, extra ...string) string {
	t.Helper()
	dir := filepath.Join(runs, name)
	args := append([]string{"run", paramsRunbook, "--sandbox", "--headless", "--audit-dir", dir}, extra...)
	if scenario != "" {
		args = append(args, "--scenario", scenario)
	}
	if code, out, errOut := drpilot(t, args...); code != want {
		t.Fatalf("run %s: exit %d, want %d\n%s%s", name, code, want, out, errOut)
	}
	return dir
}

// TestHistoryAndDiffOfTwoRehearsals: two rehearsals of the same runbook,
// the second against a sandbox whose SSM answers slowly (minutes on the
// sandbox's clock): history lists both, newest first, and audit diff marks
// the slowed steps slower. Nothing here depends on how fast the machine
// is: the fault adds 15 simulated minutes a call, and a step of this
// runbook takes seconds without it.
func TestHistoryAndDiffOfTwoRehearsals(t *testing.T) {
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	runs := filepath.Join(state, "drpilot", "runs")
	first := rehearse(t, runs, "params-20261101T090000Z-aaaa", "", exitOK, "--yes")
	second := rehearse(t, runs, "params-20261102T090000Z-bbbb", "testdata/run/scenarios/params-slow.toml", exitOK, "--yes")
	paused := rehearse(t, t.TempDir(), "paused", "", exitAborted) // no --yes: it waits at the first gate
	os.MkdirAll(filepath.Join(runs, "not-a-run"), 0o755)

	code, out, errOut := drpilot(t, "history", "--dir", filepath.Dir(paused))
	if code != exitOK {
		t.Fatalf("history: exit %d\n%s%s", code, out, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "STARTED (UTC)") {
		t.Fatalf("history lists %d lines, want a header and 3 runs:\n%s", len(lines), out)
	}
	for _, l := range lines {
		if n := len([]rune(l)); n > historyWidth {
			t.Errorf("a line of %d columns: %q", n, l)
		}
	}
	// Newest first: the paused run started last.
	for i, want := range []string{"paused", "succeeded", "succeeded"} {
		if f := strings.Fields(lines[i+1]); len(f) < 7 || f[2] != "params" || f[3] != "SANDBOX" || f[5] != want {
			t.Errorf("line %d: %q, want runbook params, SANDBOX, %s", i+1, lines[i+1], want)
		}
	}
	if !strings.Contains(lines[1], "INCOMPLETE") || !strings.Contains(lines[3], "VALID own") {
		t.Errorf("verdicts: want the paused run INCOMPLETE and the others VALID (own key):\n%s", out)
	}
	if !strings.Contains(errOut, "skipping "+filepath.Join(runs, "not-a-run")) {
		t.Errorf("a directory that is not a run is not warned about on stderr: %q", errOut)
	}

	var rows []historyRow
	code, out, _ = drpilot(t, "history", "--runbook", "params", "--json")
	if code != exitOK || json.Unmarshal([]byte(out), &rows) != nil || len(rows) != 2 || rows[0].Dir != second || rows[1].Dir != first {
		t.Fatalf("history --json: exit %d, want the two rehearsals under the state directory, newest first:\n%s", code, out)
	}
	if r := rows[1]; r.RTO.Met == nil || !*r.RTO.Met || r.Operator == "" || !r.Sealed || !r.OwnKey || r.Outcome != "succeeded" {
		t.Errorf("the first rehearsal's row: %+v", r)
	}
	if r := rows[0]; r.RTO.Met == nil || *r.RTO.Met {
		t.Errorf("the slowed rehearsal met its 10m RTO: %+v", r.RTO)
	}

	// The slowed rehearsal on the sandbox's clock, which each event
	// records: set-flag's SSM calls took 15 simulated minutes each,
	// though 1.5s of real time, and the record's span is the RTO's.
	slow, err := loadRun(second, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rec := slow.Rec; rec.Clock != "sandbox" || rec.Pace != 1 || formatSpanForTest(rec.Ended.Sub(rec.Started)) != rec.RTO.Achieved {
		t.Errorf("the slowed rehearsal's record: clock %s, pace %g, span %s, RTO %s", rec.Clock, rec.Pace, rec.Ended.Sub(rec.Started), rec.RTO.Achieved)
	}
	for _, s := range slow.Rec.Steps {
		if d := slow.stepDuration(s); s.ID == "set-flag" && d < 15*time.Minute {
			t.Errorf("set-flag took %s on the sandbox's clock, want at least the fault's 15m", d)
		}
	}
	log, _ := os.ReadFile(filepath.Join(second, audit.EventsFile))
	for _, line := range strings.Split(strings.TrimSpace(string(log)), "\n") {
		if !strings.Contains(line, `"type":"run.start"`) && !strings.Contains(line, `"sim":"`) {
			t.Errorf("an event of a sandbox run without the sandbox's clock: %s", line)
		}
	}

	var d runDiff
	code, out, errOut = drpilot(t, "audit", "diff", first, second, "--json")
	if code != exitOK || json.Unmarshal([]byte(out), &d) != nil {
		t.Fatalf("audit diff --json: exit %d\n%s%s", code, out, errOut)
	}
	changes := map[string]string{}
	for _, s := range d.Steps {
		changes[s.ID] = s.Change
		// Every step of params.toml has an expectation (the catalogue's
		// for aws.call, the wait's own duration), logged in run.start's
		// plan, and each run's duration is set against it.
		if s.Planned == "" || s.A == nil || s.A.VsPlanned == "" || s.B == nil || s.B.VsPlanned == "" {
			t.Errorf("step %s: planned %q, against it %+v and %+v", s.ID, s.Planned, s.A, s.B)
		}
	}
	if changes["set-flag"] != "slower" || changes["read-flag"] != "slower" || d.RunbookChanged || len(d.Added)+len(d.Removed) != 0 {
		t.Errorf("diff: %+v", d)
	}
	code, out, _ = drpilot(t, "audit", "diff", first, second)
	if code != exitOK || !strings.Contains(out, "runbook unchanged") || !hasLine(out, "set-flag", "slower") ||
		!strings.Contains(out, "PLANNED") || !strings.Contains(out, "\nsettle     2s ") {
		t.Errorf("audit diff: exit %d\n%s", code, out)
	}

	// The paused run never got past the first gate: its steps did not end.
	code, out, _ = drpilot(t, "audit", "diff", first, paused)
	if code != exitOK || !strings.Contains(out, "step set-flag: done in A, started and not ended in B") || !hasLine(out, "read-flag", "not run in B") {
		t.Errorf("audit diff against the paused run: exit %d\n%s", code, out)
	}
}

// formatSpanForTest writes a duration as the record does.
func formatSpanForTest(d time.Duration) string { return d.Round(time.Second).String() }

func hasLine(out string, words ...string) bool {
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) > 0 && f[0] == words[0] && strings.HasSuffix(l, words[len(words)-1]) {
			return true
		}
	}
	return false
}

func TestAuditDiffRefusals(t *testing.T) {
	t.Parallel()
	run := rehearse(t, t.TempDir(), "r", "", exitOK, "--yes")
	for _, args := range [][]string{
		{"audit", "diff", run},
		{"audit", "diff", run, t.TempDir()},
		{"audit", "diff", filepath.Join(t.TempDir(), "nothing"), run},
	} {
		if code, _, errOut := drpilot(t, args...); code != exitBadInput || errOut == "" {
			t.Errorf("%v: exit %d, want 2 and why: %q", args, code, errOut)
		}
	}
	if code, _, _ := drpilot(t, "history", "--dir", filepath.Join(t.TempDir(), "nothing")); code != exitBadInput {
		t.Errorf("history --dir that does not exist: exit %d, want 2", code)
	}
}

// TestAuditDiffRunbookChanged: the same runbook id from a file that has
// changed since: diff says so, and cannot say which steps changed.
func TestAuditDiffRunbookChanged(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(paramsRunbook)
	if err != nil {
		t.Fatal(err)
	}
	edited := filepath.Join(t.TempDir(), "params.toml")
	os.WriteFile(edited, append(data, []byte("\n# edited after the first rehearsal\n")...), 0o644)
	runs := t.TempDir()
	first := rehearse(t, runs, "a", "", exitOK, "--yes")
	second := filepath.Join(runs, "b")
	if code, out, errOut := drpilot(t, "run", edited, "--sandbox", "--headless", "--yes", "--audit-dir", second,
		"--scenario", "testdata/run/scenarios/params.toml"); code != exitOK {
		t.Fatalf("run of the edited runbook: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ := drpilot(t, "audit", "diff", first, second)
	if code != exitOK || !strings.Contains(out, "runbook changed: the runbook file's SHA-256 differs") {
		t.Errorf("audit diff: exit %d\n%s", code, out)
	}
}

// TestLastRehearsalLine: the start screen's line names the newest
// finished run of the runbook, and says when the runbook changed since.
func TestLastRehearsalLine(t *testing.T) {
	t.Parallel()
	runs := t.TempDir()
	if got := lastRehearsal([]string{runs}, "params", "", "x"); got != "no earlier run of this runbook here" {
		t.Errorf("no runs: %q", got)
	}
	rehearse(t, runs, "params-20261101T090000Z-aaaa", "", exitOK, "--yes")
	var rows []historyRow
	_, out, _ := drpilot(t, "history", "--dir", runs, "--json")
	if json.Unmarshal([]byte(out), &rows) != nil || len(rows) == 0 {
		t.Fatalf("history --json:\n%s", out)
	}
	// history also lists the state directory's runs, which are this
	// machine's, not the test's.
	rows = slices.DeleteFunc(rows, func(r historyRow) bool { return r.Runbook != "params" })
	if len(rows) != 1 {
		t.Fatalf("history --json lists %d runs of params, want 1:\n%s", len(rows), out)
	}
	sha := rows[0].SHA256
	got := lastRehearsal([]string{runs}, "params", "params-now", sha)
	for _, want := range []string{"since the last rehearsal: ", " UTC, SANDBOX, succeeded, RTO ", "(target 10m)", "the runbook is unchanged since"} {
		if !strings.Contains(got, want) {
			t.Errorf("line %q lacks %q", got, want)
		}
	}
	if got := lastRehearsal([]string{runs}, "params", "params-now", "other"); !strings.HasSuffix(got, "the runbook changed since (its SHA-256 differs)") {
		t.Errorf("a changed runbook: %q", got)
	}
	// A resumed run's own log, paused or not, is not its last rehearsal.
	if got := lastRehearsal([]string{runs}, "params", rows[0].Run, sha); got != "no earlier run of this runbook here" {
		t.Errorf("the run itself: %q", got)
	}
	if got := lastRehearsal([]string{runs}, "store-region-failover", "", sha); got != "no earlier run of this runbook here" {
		t.Errorf("another runbook's runs: %q", got)
	}
}
