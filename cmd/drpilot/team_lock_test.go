package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/sandbox"
	"github.com/drpilot/drpilot/team"
)

// teamSandbox serves a sandbox for a team test and points the AWS
// configuration at it; it returns the sandbox's address.
func teamSandbox(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(sandbox.New(sandbox.Options{TimeScale: 1000}))
	t.Cleanup(srv.Close)
	liveAgainst(t, srv.URL)
	return srv.URL
}

// operatorAlone takes the 2-of-3 approval out of the team runbook.
func operatorAlone(t *testing.T, file string) {
	t.Helper()
	src, _ := os.ReadFile(file)
	src = bytes.Replace(src, []byte("approvals = 2\napprovers = [\"alice\", \"bob\", \"carol\"]\n"), nil, 1)
	if bytes.Contains(src, []byte("approvals =")) {
		t.Fatal("the test's runbook still asks for approvals")
	}
	os.WriteFile(file, src, 0o644)
}

// TestTeamLockRegionOut: when the team Region cannot be reached, run
// refuses and says how to go on; --no-lock runs, and the log records the
// decision and why, and that no copy of it was made.
func TestTeamLockRegionOut(t *testing.T) {
	endpoint := teamSandbox(t)
	file, keys := teamBooks(t)
	// The team Region is not the recovery Region, and the step needs the
	// operator alone: --no-lock lets it run while the team Region is out.
	operatorAlone(t, file)
	src, _ := os.ReadFile(file)
	os.WriteFile(file, bytes.Replace(src, []byte("[runbook.team]\n"), []byte("[runbook.team]\nregion = \"us-west-2\"\n"), 1), 0o644)
	defer func(saved time.Duration) { lockPatience = saved }(lockPatience)
	lockPatience = 2 * time.Second
	if code, out, errOut := drpilot(t, "team", "init", file); code != 0 {
		t.Fatalf("team init: exit %d\n%s%s", code, out, errOut)
	}
	resp, err := http.Post(endpoint+"/_sandbox/faults", "application/json", strings.NewReader(`{"outage":{"region":"us-west-2"}}`))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("fault: %v %v", resp, err)
	}
	resp.Body.Close()
	code, _, errOut := drpilot(t, "run", file, "--headless", "--yes", "--key", keys["alice"], "--audit-dir", runDir(t))
	if code != exitBadInput || !strings.Contains(errOut, "lock table drpilot-runs in us-west-2") || !strings.Contains(errOut, "--no-lock") {
		t.Fatalf("run with the lock Region out: exit %d\n%s", code, errOut)
	}
	dir := runDir(t)
	code, out, errOut := drpilot(t, "run", file, "--headless", "--yes", "--no-lock", "--key", keys["alice"], "--audit-dir", dir)
	if code != 0 {
		t.Fatalf("run --no-lock: exit %d\n%s%s", code, out, errOut)
	}
	log, _ := os.ReadFile(filepath.Join(dir, "events.jsonl"))
	if !strings.Contains(errOut, "the audit log was NOT copied to s3://team-drill-audit/") {
		t.Errorf("the run did not say its log was not copied:\n%s", errOut)
	}
	for _, want := range []string{`"no_lock":"--no-lock: the run lock could not be taken`, `"decision":"no-lock"`} {
		if !bytes.Contains(log, []byte(want)) {
			t.Errorf("the log lacks %s:\n%s", want, log)
		}
	}
}

// TestTeamTakeOver: a lease its holder stopped renewing is refused
// without --take-over, taken with it (after the runbook's id is typed),
// and recorded in the new run's log and the lock table; a wrong id takes
// nothing.
func TestTeamTakeOver(t *testing.T) {
	teamSandbox(t)
	file, keys := teamBooks(t)
	operatorAlone(t, file)
	if code, out, errOut := drpilot(t, "team", "init", file); code != 0 {
		t.Fatalf("team init: exit %d\n%s%s", code, out, errOut)
	}
	store := teamStoreFor(t, file)
	store.SetClock(func() time.Time { return time.Now().Add(-time.Hour) })
	if _, err := store.Acquire(context.Background(), team.Lease{Runbook: "team-drill", Run: "crashed-run", Holder: "carol", Host: "carol-laptop"}); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := drpilot(t, "run", file, "--headless", "--yes", "--key", keys["alice"], "--audit-dir", runDir(t))
	if code != exitBadInput || !strings.Contains(errOut, "was being run by carol on carol-laptop") || !strings.Contains(errOut, "--take-over") {
		t.Fatalf("run on an expired lease: exit %d\n%s", code, errOut)
	}
	opts := runOptions{stdin: strings.NewReader("wrong-id\n"), stderr: &bytes.Buffer{}}
	held := &team.HeldError{Lease: team.Lease{Holder: "carol"}, Expired: true}
	if err := confirmTakeOver(opts, &runbooks.Runbook{ID: "team-drill"}, held); err == nil || !strings.Contains(err.Error(), "not the runbook's id") {
		t.Fatalf("a wrong id typed: %v", err)
	}
	opts.stdin = strings.NewReader("team-drill\n")
	if err := confirmTakeOver(opts, &runbooks.Runbook{ID: "team-drill"}, held); err != nil {
		t.Fatalf("the id typed: %v", err)
	}
	dir := runDir(t)
	code, out, errOut := drpilot(t, "run", file, "--headless", "--yes", "--take-over", "--key", keys["alice"], "--audit-dir", dir)
	if code != 0 {
		t.Fatalf("run --take-over: exit %d\n%s%s", code, out, errOut)
	}
	log, _ := os.ReadFile(filepath.Join(dir, "events.jsonl"))
	if !bytes.Contains(log, []byte(`"taken_over_from":"carol on carol-laptop (run crashed-run, fence 1)"`)) || !bytes.Contains(log, []byte(`"fence":2`)) {
		t.Errorf("the take-over is not in the log:\n%s", log)
	}
	store.SetClock(time.Now)
	l, _, err := store.Current(context.Background(), "team-drill")
	if err != nil || l.Fence != 2 || !strings.Contains(l.TakenOverFrom, "carol") || l.State != "released" {
		t.Errorf("the lock table after the run: %+v %v", l, err)
	}
}
