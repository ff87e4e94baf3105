package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/drpilot/drpilot/audit"
	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/steps"
	"github.com/drpilot/drpilot/steps/awsclient"
	"github.com/drpilot/drpilot/team"
)

// TestTeamRunSurvivesTheLaptop: the runner is killed with SIGKILL while
// its 2-of-3 gate waits for bob; on "another machine" (another state
// directory) the run is resumed from the copy of its log in the audit
// bucket, takes its lock back at once (the process that held it is gone),
// asks again, gets bob's approval and finishes; the parameter was put
// once, and the copy in S3 verifies VALID with both approvals listed.
func TestTeamRunSurvivesTheLaptop(t *testing.T) {
	teamEndpoints(t, func(t *testing.T, endpoint string) {
		liveAgainst(t, endpoint)
		file, keys := teamBooks(t)
		if code, out, errOut := drpilot(t, "team", "init", file); code != 0 {
			t.Fatalf("team init: exit %d\n%s%s", code, out, errOut)
		}
		store := teamStoreFor(t, file)
		laptop := runDir(t)
		cmd := exec.Command(drpilotBinary(t), "run", file, "--headless", "--yes", "--key", keys["alice"], "--audit-dir", laptop)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		run := waitForGate(t, store, laptop, "freeze", cmd, &out)
		waitForCopy(t, store, laptop, run)
		cmd.Process.Kill()
		cmd.Wait()

		t.Setenv("XDG_STATE_HOME", t.TempDir()) // another machine
		url := store.LogURL("team-drill", run)
		resumed := exec.Command(drpilotBinary(t), "resume", url, "--runbook", file, "--headless", "--yes", "--key", keys["alice"])
		var rout bytes.Buffer
		resumed.Stdout, resumed.Stderr = &rout, &rout
		if err := resumed.Start(); err != nil {
			t.Fatal(err)
		}
		// Bob approves the resumed run's asking: the gate the killed run
		// published is answered by nobody now.
		waitForAsking(t, store, run, 2, resumed, &rout)
		approveWhenAsked(t, file, keys["bob"], resumed, &rout)
		ended := make(chan error, 1)
		go func() { ended <- resumed.Wait() }()
		select {
		case err := <-ended:
			if err != nil {
				t.Fatalf("resume: %v\n%s", err, rout.String())
			}
		case <-time.After(90 * time.Second):
			resumed.Process.Kill()
			t.Fatalf("the resumed run did not end after bob's approval:\n%s", rout.String())
		}
		if v := parameterVersion(t, "/shop/maintenance"); v != 1 {
			t.Errorf("the parameter is at version %d: it was put more than once", v)
		}
		code, vout, verr := drpilot(t, "audit", "verify", url, "--pub", filepath.Join(filepath.Dir(file), "keys", "alice.pub"), "--region", "eu-west-2")
		if code != 0 || !strings.Contains(vout, "VALID") || !strings.Contains(vout, "bob") || !strings.Contains(vout, "alice") {
			t.Fatalf("verify of the copy: exit %d\n%s%s", code, vout, verr)
		}
	})
}

// teamStoreFor opens the runbook's lock table and bucket as the test's
// own client.
func teamStoreFor(t *testing.T, file string) *team.Store {
	t.Helper()
	_, plan, err := loadAndPlan(file, os.Stderr, func(*runbooks.Runbook) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := teamConfig(plan)
	awsCfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	f, err := awsclient.NewFactory(awsclient.Options{Config: awsCfg, ReadOnly: steps.ReadOnly})
	if err != nil {
		t.Fatal(err)
	}
	s, err := team.Open(f, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// waitForGate waits until the run in dir has published its gate at step,
// and returns the run's id.
func waitForGate(t *testing.T, store *team.Store, dir, step string, cmd *exec.Cmd, out *bytes.Buffer) string {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		if data, err := os.ReadFile(filepath.Join(dir, audit.EventsFile)); err == nil && len(data) > 0 {
			var first struct{ Run string }
			if json.Unmarshal(data[:bytes.IndexByte(data, '\n')+1], &first) == nil {
				if _, open, err := store.Gate(context.Background(), first.Run, step); err == nil && open {
					return first.Run
				}
			}
		}
		if cmd.ProcessState != nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	cmd.Process.Kill()
	t.Fatalf("the run never waited at %s for approvals:\n%s", step, out.String())
	return ""
}

// waitForCopy waits until the audit bucket holds every line of the log
// in dir: what the laptop had is what survives it.
func waitForCopy(t *testing.T, store *team.Store, dir, run string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		local, _ := os.ReadFile(filepath.Join(dir, audit.EventsFile))
		copied, _, err := store.Lines(context.Background(), team.LogPrefix("team-drill", run), 0)
		if err == nil && len(local) > 0 && bytes.Equal(copied, local) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("the audit bucket never caught up with the log")
}

// waitForAsking waits until the run holding the lock with the given
// fencing token has published its gate at freeze.
func waitForAsking(t *testing.T, store *team.Store, run string, fence int64, cmd *exec.Cmd, out *bytes.Buffer) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		g, open, err := store.Gate(context.Background(), run, "freeze")
		if err == nil && open && g.Fence == fence {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	cmd.Process.Kill()
	t.Fatalf("the resumed run never asked again:\n%s", out.String())
}

// approveWhenAsked approves as bob once the resumed run asks.
func approveWhenAsked(t *testing.T, file, bobKey string, cmd *exec.Cmd, out *bytes.Buffer) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		code, _, errOut := drpilot(t, "approve", file, "freeze", "--key", bobKey, "--yes")
		if code == 0 {
			return
		}
		if !strings.Contains(errOut, "not waiting") && !strings.Contains(errOut, "decided already") {
			cmd.Process.Kill()
			t.Fatalf("approve: exit %d\n%s\nthe run:\n%s", code, errOut, out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	cmd.Process.Kill()
	t.Fatalf("the resumed run never asked for bob's approval:\n%s", out.String())
}

// parameterVersion reads an SSM parameter's version in the recovery Region.
func parameterVersion(t *testing.T, name string) int64 {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion("eu-west-2"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := ssm.NewFromConfig(cfg).GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String(name)})
	if err != nil {
		t.Fatalf("GetParameter %s: %v", name, err)
	}
	return p.Parameter.Version
}
