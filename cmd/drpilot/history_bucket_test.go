package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drpilot/drpilot/sandbox"
	"github.com/drpilot/drpilot/team"
)

// teamParams copies params.toml and its scenario into a directory of
// their own, with a [runbook.team] whose audit bucket is bucket.
func teamParams(t *testing.T, bucket string) string {
	t.Helper()
	books := t.TempDir()
	os.Mkdir(filepath.Join(books, "scenarios"), 0o755)
	src, _ := os.ReadFile(paramsRunbook)
	scenario, _ := os.ReadFile("testdata/run/scenarios/params.toml")
	teamTable := "\n[runbook.team]\nlock_table = \"drpilot-runs\"\naudit_bucket = \"" + bucket + "\"\nretention = \"1d\"\n"
	file := filepath.Join(books, "params.toml")
	os.WriteFile(file, append(src, teamTable...), 0o644)
	os.WriteFile(filepath.Join(books, "scenarios", "params.toml"), scenario, 0o644)
	return file
}

// copyToBucket uploads a run's log to the audit bucket, as a team run's
// log is copied while it runs, and returns the run id.
func copyToBucket(t *testing.T, dir, bucket string) string {
	t.Helper()
	ctx := context.Background()
	store, err := openStore(ctx, "", team.Config{AuditBucket: bucket, Region: "eu-west-2", Retention: 24 * time.Hour}, 0)
	if err != nil {
		t.Fatal(err)
	}
	rep := verifyRun(t, dir)
	u, err := store.NewUploader(ctx, dir, team.LogPrefix("params", rep.Run))
	if err != nil {
		t.Fatal(err)
	}
	if err := u.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	return rep.Run
}

// TestHistoryReadsTheAuditBucket: history FILE adds the copies in the
// bucket the runbook's [runbook.team] names, and --bucket any bucket's;
// a run kept here and copied is listed once, and says so; a bucket that
// cannot be reached is a warning, and this machine's runs are listed.
func TestHistoryReadsTheAuditBucket(t *testing.T) {
	srv := httptest.NewServer(sandbox.New(sandbox.Options{TimeScale: 1000}))
	t.Cleanup(srv.Close)
	liveAgainst(t, srv.URL)
	runs := filepath.Join(os.Getenv("XDG_STATE_HOME"), "drpilot", "runs")
	const bucket = "params-audit"
	book := teamParams(t, bucket)
	if code, out, errOut := drpilot(t, "team", "init", book); code != exitOK {
		t.Fatalf("team init: exit %d\n%s%s", code, out, errOut)
	}
	rehearsal := func(dir string) string {
		if code, out, errOut := drpilot(t, "run", book, "--sandbox", "--headless", "--yes", "--audit-dir", dir); code != exitOK {
			t.Fatalf("run: exit %d\n%s%s", code, out, errOut)
		}
		return dir
	}
	here := verifyRun(t, rehearsal(filepath.Join(runs, "a"))).Run
	both := copyToBucket(t, rehearsal(filepath.Join(runs, "b")), bucket)
	away := copyToBucket(t, rehearsal(filepath.Join(t.TempDir(), "c")), bucket) // another machine's

	want := map[string]string{here: "here", both: "both", away: "s3"}
	for _, args := range [][]string{{"history", book, "--json"}, {"history", "--bucket", "s3://" + bucket, "--region", "eu-west-2", "--json"}} {
		code, out, errOut := drpilot(t, args...)
		var rows []historyRow
		if code != exitOK || json.Unmarshal([]byte(out), &rows) != nil || len(rows) != 3 {
			t.Fatalf("%v: exit %d, want the 3 runs once each\n%s%s", args, code, out, errOut)
		}
		for _, r := range rows {
			if r.From != want[r.Run] || (r.From != "here") != (r.Copy == "s3://"+bucket+"/"+team.LogPrefix("params", r.Run)) ||
				r.Verdict != "VALID (own key)" || r.Outcome != "succeeded" {
				t.Errorf("%v: row %+v, want from %s", args, r, want[r.Run])
			}
		}
	}
	// --runbook reads only that runbook's copies: another's is not listed.
	code, out, errOut := drpilot(t, "history", "--bucket", "s3://"+bucket, "--region", "eu-west-2", "--runbook", "other", "--json")
	if code != exitOK || strings.TrimSpace(out) != "[]" || errOut != "" {
		t.Errorf("history --runbook other: exit %d, want no runs\n%s%s", code, out, errOut)
	}
	code, out, _ = drpilot(t, "history", book)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != exitOK || len(lines) != 4 || !strings.HasSuffix(lines[0], "FROM") || !strings.HasSuffix(lines[1], " s3") {
		t.Errorf("history FILE: exit %d, want a FROM column, the copy only in the bucket newest\n%s", code, out)
	}
	for _, l := range lines {
		if len([]rune(l)) > historyWidth {
			t.Errorf("a line of %d columns: %q", len([]rune(l)), l)
		}
	}

	code, out, errOut = drpilot(t, "history", "--bucket", "s3://no-such-audit", "--region", "eu-west-2")
	if code != exitOK || strings.Count(strings.TrimSpace(out), "\n") != 2 ||
		!strings.Contains(errOut, "cannot read the audit bucket s3://no-such-audit/drpilot/ (--bucket): s3://no-such-audit/drpilot/: the bucket no-such-audit does not exist") {
		t.Errorf("history with a bucket that does not exist: exit %d, want the 2 runs here and a warning\n%s%s", code, out, errOut)
	}

	l, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := "http://" + l.Addr().String()
	l.Close()
	t.Setenv("AWS_ENDPOINT_URL", closed)
	code, out, errOut = drpilot(t, "history", book)
	if code != exitOK || strings.Count(strings.TrimSpace(out), "\n") != 2 ||
		!strings.Contains(errOut, "cannot read the audit bucket s3://"+bucket+"/drpilot/params/ ("+book+"'s [runbook.team]): cannot reach "+closed) ||
		!strings.Contains(errOut, "listing the runs here only") {
		t.Errorf("history with the bucket unreachable: exit %d, want the 2 runs here and a warning\n%s%s", code, out, errOut)
	}
	if code, _, errOut := drpilot(t, "history", "--bucket", bucket); code != exitBadInput || !strings.Contains(errOut, "not an s3://BUCKET[/PREFIX] address") {
		t.Errorf("history --bucket without s3://: exit %d\n%s", code, errOut)
	}
}
