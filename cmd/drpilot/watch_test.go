package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/drpilot/drpilot/audit"
	"github.com/drpilot/drpilot/steps/awsclient"
	"github.com/drpilot/drpilot/team"
)

// sandboxRun runs the params runbook headless in the sandbox and returns
// its run directory: a real log to watch.
func sandboxRun(t *testing.T, yes bool) string {
	t.Helper()
	dir := runDir(t)
	args := []string{"run", paramsRunbook, "--sandbox", "--headless", "--audit-dir", dir}
	if yes {
		args = append(args, "--yes")
	}
	if code, out, errOut := drpilot(t, args...); code != exitOK && code != exitAborted {
		t.Fatalf("the run to watch: exit %d\n%s%s", code, out, errOut)
	}
	return dir
}

// writeSlowly copies a log line by line into dir, each line in two writes
// with a pause between, as a run writes it while it runs.
func writeSlowly(t *testing.T, from, dir string, done chan<- error) {
	src, err := os.ReadFile(filepath.Join(from, audit.EventsFile))
	if err == nil {
		err = os.MkdirAll(dir, 0o700)
	}
	if err != nil {
		done <- err
		return
	}
	f, err := os.Create(filepath.Join(dir, audit.EventsFile))
	if err != nil {
		done <- err
		return
	}
	defer f.Close()
	for line := range bytes.Lines(src) {
		half := len(line) / 2
		for _, part := range [][]byte{line[:half], line[half:]} {
			if _, err := f.Write(part); err != nil {
				done <- err
				return
			}
			time.Sleep(15 * time.Millisecond)
		}
	}
	done <- nil
}

// TestWatchFollowsARunBeingWritten: a headless watch of a run directory
// whose log is still being written prints each event once, in order,
// never a half-written line, and exits 0 with the run's success; the
// runbook is found from the path the run logged.
func TestWatchFollowsARunBeingWritten(t *testing.T) {
	t.Parallel()
	done := sandboxRun(t, true)
	live := filepath.Join(t.TempDir(), "live")
	if err := os.Mkdir(live, 0o700); err != nil {
		t.Fatal(err)
	}
	written := make(chan error, 1)
	go writeSlowly(t, done, live, written)
	code, out, errOut := drpilot(t, "watch", live, "--headless")
	if err := <-written; err != nil {
		t.Fatal(err)
	}
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"drpilot watch params-", "Flip the maintenance flag", "mode SANDBOX", "following local directory " + live,
		"set-flag                     ready: Turn maintenance mode on", "sent ssm:PutParameter in eu-west-2",
		"ssm:PutParameter in eu-west-2: ok (request id", "SUCCEEDED in"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Count(out, "set-flag                     ready:") != 1 || strings.Index(out, "ready: Turn") > strings.Index(out, "SUCCEEDED") {
		t.Errorf("events repeated or out of order:\n%s", out)
	}
}

// TestWatchAPausedRun: a run that paused at a gate ends the watch with
// exit 1, saying it can be resumed; --once prints a log and exits.
func TestWatchAPausedRun(t *testing.T) {
	t.Parallel()
	dir := sandboxRun(t, false)
	code, out, _ := drpilot(t, "watch", dir, "--headless", "--runbook", paramsRunbook)
	if code != exitFailed || !strings.Contains(out, "PAUSED") || !strings.Contains(out, "it can be resumed") {
		t.Errorf("a paused run: exit %d\n%s", code, out)
	}
	if code, out, _ := drpilot(t, "watch", dir, "--once"); code != exitFailed || !strings.Contains(out, "needs approval: step set-flag") {
		t.Errorf("--once: exit %d\n%s", code, out)
	}
}

func TestWatchRefusals(t *testing.T) {
	t.Parallel()
	empty := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"watch", filepath.Join(empty, "nothing")}, "is neither a run directory, a runbook nor an s3:// address"},
		{[]string{"watch", "s3://bucket-only"}, "is not an s3://BUCKET/PREFIX/ address"},
		{[]string{"watch", paramsRunbook}, "has no [runbook.team]"},
		{[]string{"watch", empty, "--once"}, "holds no log yet"},
		{[]string{"watch"}, "usage: drpilot watch"},
	} {
		code, out, errOut := drpilot(t, c.args...)
		if code != exitBadInput || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, want 2 and %q\n%s%s", c.args, code, c.want, out, errOut)
		}
	}
	// A log whose runbook is nowhere to be found.
	dir := sandboxRun(t, true)
	moved := filepath.Join(t.TempDir(), "elsewhere")
	os.Rename(dir, moved)
	code, out, errOut := drpilot(t, "watch", moved, "--once", "--runbook", filepath.Join(empty, "missing.toml"))
	if code != exitBadInput {
		t.Errorf("a --runbook that does not exist: exit %d\n%s%s", code, out, errOut)
	}
}

// TestWatchAnS3Copy: a run's log, copied to an audit bucket by the
// uploader a run uses, is watched from its s3:// address, against
// moto_server, an AWS emulator drpilot's authors did not write.
func TestWatchAnS3Copy(t *testing.T) {
	endpoint := startMoto(t)
	t.Setenv("AWS_ENDPOINT_URL", endpoint)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDWATCH")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "watch-secret")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg := team.Config{Region: "us-west-2", LockTable: "watch-runs", AuditBucket: fmt.Sprintf("watch-audit-%d", time.Now().UnixNano()), Retention: 24 * time.Hour}
	awsCfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(cfg.Region))
	if err != nil {
		t.Fatal(err)
	}
	clients, _ := awsclient.NewFactory(awsclient.Options{Config: awsCfg})
	store, err := team.Open(clients, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Init(ctx); err != nil {
		t.Fatal(err)
	}
	dir := sandboxRun(t, true)
	prefix := team.LogPrefix("params", filepath.Base(dir))
	up, err := store.NewUploader(ctx, dir, prefix)
	if err != nil {
		t.Fatal(err)
	}
	if err := up.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	url := "s3://" + cfg.AuditBucket + "/" + prefix
	code, out, errOut := drpilot(t, "watch", url, "--headless", "--region", cfg.Region)
	if code != exitOK || !strings.Contains(out, "following copy "+url) || !strings.Contains(out, "SUCCEEDED") ||
		!strings.Contains(out, "ssm:PutParameter in eu-west-2: ok") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
}
