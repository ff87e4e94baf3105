package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/drpilot/drpilot/audit"
	"github.com/drpilot/drpilot/sandbox"
)

// The kill loop kills drpilot with SIGKILL at many points of every
// shipped runbook's --sandbox run — a mutating request in flight, the
// moment after its answer (the step then waits), and between two
// lines — resumes each run, and counts what the sandbox applied against
// what the log answered. It takes minutes, so make kill-loop runs it
// (DRPILOT_KILL_LOOP=1) and make test does not.

// killPoint is where in the log the run is killed.
type killPoint struct {
	name string
	at   func(lines []string) bool
}

// nthLast is a point: the nth line of a type is the log's last line.
func nthLast(typ string, n int) killPoint {
	return killPoint{name: fmt.Sprintf("%s %d last", typ, n), at: func(lines []string) bool {
		seen := 0
		for _, l := range lines {
			if strings.Contains(l, `"type":"`+typ+`"`) {
				seen++
			}
		}
		return seen == n && strings.Contains(lines[len(lines)-1], `"type":"`+typ+`"`)
	}}
}

func TestKillLoopOverShippedRunbooks(t *testing.T) {
	if os.Getenv("DRPILOT_KILL_LOOP") == "" {
		t.Skip("the kill loop takes minutes: make kill-loop runs it with DRPILOT_KILL_LOOP=1")
	}
	points := []killPoint{
		nthLast(audit.TypeAWSRequest, 2), nthLast(audit.TypeAWSRequest, 4), nthLast(audit.TypeAWSRequest, 7),
		nthLast(audit.TypeAWSResponse, 1), nthLast(audit.TypeAWSResponse, 3),
	}
	for _, n := range []int{25, 40, 60} {
		points = append(points, killPoint{name: fmt.Sprintf("after line %d", n), at: func(l []string) bool { return len(l) >= n }})
	}
	var kills, resumed, extraApplied, duplicateNotices atomic.Int64
	t.Cleanup(func() {
		t.Logf("kill loop: %d kills, %d resumed to success, %d requests applied beyond the log's answers (each left unanswered by its kill), %d duplicate notifications",
			kills.Load(), resumed.Load(), extraApplied.Load(), duplicateNotices.Load())
	})
	for _, id := range []string{"store-region-failover", "ecommerce-pilot-light", "backup-restore-rapid-recovery", "ecs-fargate-failover"} {
		for _, p := range points {
			t.Run(id+" "+p.name, func(t *testing.T) {
				p2 := startSandboxProcess(t, filepath.Join("..", "..", "runbooks", id+".toml"))
				// Every call takes a little real time, so that the kill
				// can land while a request is in flight, on any machine.
				p2.fault(t, `{"latency": {"ms": 60}}`)
				if !p2.killAt(t, p.at) {
					t.Skip("the run ended before this point")
				}
				kills.Add(1)
				if out := resumeDeciding(t, p2.dir); !strings.Contains(out, "SUCCEEDED") {
					t.Fatalf("the resumed run did not succeed:\n%s", out)
				}
				resumed.Add(1)
				rep, err := audit.Verify(p2.dir, nil)
				if err != nil || rep.Verdict != audit.UntrustedKey {
					// A throwaway key: sealed and whole, checked against its own key.
					t.Fatalf("audit log: %v %+v", err, rep)
				}
				extra, notices := appliedBeyondAnswers(t, p2.dir)
				extraApplied.Add(int64(extra))
				duplicateNotices.Add(int64(notices))
				if notices > 0 {
					t.Errorf("%d notification(s) sent twice", notices)
				}
			})
		}
	}
}

// resumeDeciding resumes a run to the end. A notification the kill left
// unanswered stops the resume for a decision (it may have been delivered):
// the loop answers continue, since the sandbox did deliver it, as an
// operator would after checking.
func resumeDeciding(t *testing.T, dir string) string {
	t.Helper()
	cmd := exec.Command(drpilotBinary(t), "resume", dir, "--headless", "--yes")
	cmd.Env = sandboxProcessEnv(t)
	out, _ := cmd.CombinedOutput()
	for _, line := range strings.Split(string(out), "\n") {
		step, ok := strings.CutPrefix(strings.TrimSpace(line), "needs a decision: step ")
		if !ok || !strings.Contains(line, "may have been delivered") {
			continue
		}
		step = strings.Fields(step)[0]
		cmd := exec.Command(drpilotBinary(t), "resume", dir, "--headless", "--yes", "--decide", step+"=continue",
			"--reason", "the kill loop: the sandbox shows the message delivered")
		cmd.Env = sandboxProcessEnv(t)
		out, _ = cmd.CombinedOutput()
		break
	}
	return string(out)
}

// killAt sends SIGKILL as soon as the log satisfies at, and reports
// whether the run was still going.
func (p *sandboxProcess) killAt(t *testing.T, at func([]string) bool) bool {
	t.Helper()
	for {
		select {
		case <-p.exited:
			return false
		default:
		}
		data, _ := os.ReadFile(filepath.Join(p.dir, audit.EventsFile))
		if len(data) > 0 && at(strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")) {
			p.cmd.Process.Signal(syscall.SIGKILL)
			<-p.exited
			return true
		}
		pollPause()
	}
}

// appliedBeyondAnswers counts the requests the sandbox applied that the
// log does not show answered (a kill left them unanswered; each must be at
// most one per unanswered call), and the notifications applied more often
// than the log sent them.
func appliedBeyondAnswers(t *testing.T, dir string) (extra, duplicateNotices int) {
	t.Helper()
	rec, err := sandbox.ReadRecording(filepath.Join(dir, sandboxRecordingDir))
	if err != nil {
		t.Fatal(err)
	}
	events := readLog(t, dir)
	answered := map[string]bool{}
	// Calls left unanswered by a kill, counted where the log resumes: the
	// resumed run numbers its calls afresh.
	unanswered, leftByKills := map[string]bool{}, 0
	for _, ev := range events {
		switch ev.Type {
		case audit.TypeRunResumed:
			leftByKills += len(unanswered)
			unanswered = map[string]bool{}
		case audit.TypeAWSRequest:
			unanswered[ev.Data.Call] = true
		case audit.TypeAWSResponse:
			delete(unanswered, ev.Data.Call)
			if ev.Data.RequestID != "" && ev.Data.Error == "" {
				answered[ev.Data.RequestID] = true
			}
		}
	}
	notices := map[string]int{} // each notification's operation and input
	for _, r := range rec.Records {
		if r.Kind != sandbox.KindRequest {
			continue
		}
		switch op := r.Service + ":" + r.Operation; op {
		case "sns:Publish", "ses:SendEmail", "ssm-contacts:StartEngagement":
			notices[op+" "+string(r.Input)]++
		}
		if !answered[r.RequestID] {
			extra++
			t.Logf("applied, not answered in the log: %s:%s %s %s", r.Service, r.Operation, r.RequestID, r.Input)
		}
	}
	if extra > leftByKills {
		t.Errorf("the sandbox applied %d requests the log does not answer, and the kills left %d unanswered", extra, leftByKills)
	}
	// The same message to the same place twice is a duplicate; one that a
	// kill left unanswered and nobody sent again is not.
	for key, n := range notices {
		if n > 1 {
			duplicateNotices += n - 1
			t.Logf("sent %d times: %s", n, key)
		}
	}
	return extra, duplicateNotices
}
