package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/drpilot/drpilot/audit"
	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/sandbox"
	"github.com/drpilot/drpilot/steps"
)

// The kill loop kills drpilot with SIGKILL at many points of every
// shipped runbook's --sandbox run — a mutating request in flight, one the
// sandbox applied whose answer it holds, the moment after an answer,
// during the wait that follows it, and between two lines — resumes each
// run, and counts what the sandbox applied against what the log answered:
// every resume must succeed, with no mutating request and no notification
// applied twice. It takes minutes, so make kill-loop runs it
// (DRPILOT_KILL_LOOP=1) and make test does not.

// minKills is the least number of kills the loop must make (issue 11 §3).
const minKills = 25

// killPoint is where the run is killed. A point with an operation applies
// only to the runbooks whose steps send it; fault is given to the run's
// sandbox as it starts, if any.
type killPoint struct {
	name, operation, fault string
	at                     func(v runView) bool
}

// runView is what a point sees of the running process.
type runView struct {
	// lines are the log's lines so far.
	lines []string
	// journal reads the sandbox's journal (GET /_sandbox/journal): every
	// request answered, reads too.
	journal func() []sandbox.Entry
	// recording reads the sandbox's recording so far: every change it
	// made, written before its answer.
	recording func() string
}

// nthInFlight is a point: the log's nth aws.request is logged and its
// answer is not. (That it is the log's last line would be too narrow:
// parallel steps write lines meanwhile.)
func nthInFlight(n int) killPoint {
	return killPoint{name: fmt.Sprintf("aws.request %d in flight", n), at: func(v runView) bool {
		call, seen := "", 0
		for _, ev := range parseLines(v.lines) {
			switch {
			case ev.Type == audit.TypeAWSRequest:
				if seen++; seen == n {
					call = ev.Data.Call
				}
			case ev.Type == audit.TypeAWSResponse && call != "" && ev.Data.Call == call:
				return false
			}
		}
		return call != ""
	}}
}

// nthAnswered is a point: the log's nth aws.response is logged and its
// step has not ended: the step goes on from the answer (its wait, or its
// next request).
func nthAnswered(n int) killPoint {
	return killPoint{name: fmt.Sprintf("aws.response %d logged", n), at: func(v runView) bool {
		events := parseLines(v.lines)
		seen := 0
		for _, ev := range events {
			if ev.Type == audit.TypeAWSResponse {
				if seen++; seen == n {
					return !stepEnded(events, ev.Step)
				}
			}
		}
		return false
	}}
}

// lineCount is a point: the log has n lines (afterLine's, as a killPoint).
func lineCount(n int) killPoint {
	return killPoint{name: fmt.Sprintf("after line %d", n), at: func(v runView) bool { return afterLine(n)(v.lines) }}
}

// requestOf is a point: the aws.request of the operation is logged and
// its answer is not: the request is in flight, and may or may not have
// reached the sandbox.
func requestOf(operation string) killPoint {
	return killPoint{name: "aws.request of " + operation + " in flight", operation: operation, at: func(v runView) bool {
		return unansweredCall(parseLines(v.lines), operation) != ""
	}}
}

// appliedUnanswered is a point: the sandbox has made the operation's
// change (its recording, synced before the answer, has it) and the log has
// no answer. A fault holds the service's answers so that the kill lands
// there: resume must find what the request made, not send it again.
func appliedUnanswered(operation string) killPoint {
	service, op, _ := strings.Cut(operation, ":")
	return killPoint{name: "aws.request of " + operation + " applied, unanswered", operation: operation,
		fault: fmt.Sprintf(`{"latency": {"service": %q, "ms": 300, "answer": true}}`, service),
		at: func(v runView) bool {
			events := parseLines(v.lines)
			if unansweredCall(events, operation) == "" {
				return false
			}
			// More of its changes made than answers logged: one in flight
			// has taken effect.
			sent, answered := map[string]bool{}, 0
			for _, ev := range events {
				if ev.Type == audit.TypeAWSRequest && ev.Data.Operation == operation {
					sent[ev.Data.Call] = true
				} else if ev.Type == audit.TypeAWSResponse && sent[ev.Data.Call] {
					answered++
				}
			}
			return strings.Count(v.recording(), `"operation":"`+op+`"`) > answered
		},
	}
}

// unansweredCall is the call id of the operation's request the log shows
// sent and not answered, or "".
func unansweredCall(events []logEvent, operation string) string {
	pending := map[string]bool{}
	for _, ev := range events {
		switch {
		case ev.Type == audit.TypeAWSRequest && ev.Data.Operation == operation:
			pending[ev.Data.Call] = true
		case ev.Type == audit.TypeAWSResponse:
			delete(pending, ev.Data.Call)
		}
	}
	for call := range pending {
		return call
	}
	return ""
}

// responseOf is a point: the operation's answer is logged and its step
// has not ended: the step has started its wait, on the answer.
func responseOf(operation string) killPoint {
	return killPoint{name: "aws.response of " + operation, operation: operation, at: func(v runView) bool {
		events := parseLines(v.lines)
		call, step, _ := answeredCall(events, operation)
		return call != "" && !stepEnded(events, step)
	}}
}

// stepEnded reports whether the log shows the step done or failed.
func stepEnded(events []logEvent, step string) bool {
	for _, ev := range events {
		if ev.Step == step && (ev.Type == audit.TypeStepDone || ev.Type == audit.TypeStepFailed) {
			return true
		}
	}
	return false
}

// duringWait is a point: the operation was answered, its step has not
// ended, and the sandbox's journal shows the step polled at least twice
// since: the kill lands in the wait, whatever else the log says.
func duringWait(operation string) killPoint {
	service, _, _ := strings.Cut(operation, ":")
	return killPoint{name: "during the wait after " + operation, operation: operation, at: func(v runView) bool {
		events := parseLines(v.lines)
		call, step, requestID := answeredCall(events, operation)
		if call == "" {
			return false
		}
		if stepEnded(events, step) {
			return false
		}
		polls, after := 0, false
		for _, e := range v.journal() {
			if e.RequestID == requestID {
				after = true
			} else if after && e.Service == service && !e.Mutating && e.Status == 200 {
				polls++
			}
		}
		return polls >= 2
	}}
}

// answeredCall finds the first call of an operation the log shows answered
// with success: its call id, step and request id, or "".
func answeredCall(events []logEvent, operation string) (call, step, requestID string) {
	sent := map[string]bool{}
	for _, ev := range events {
		switch {
		case ev.Type == audit.TypeAWSRequest && ev.Data.Operation == operation:
			sent[ev.Data.Call] = true
		case ev.Type == audit.TypeAWSResponse && sent[ev.Data.Call] && ev.Data.Error == "":
			return ev.Data.Call, ev.Step, ev.Data.RequestID
		}
	}
	return "", "", ""
}

// parseLines reads log lines; a torn last line (the log is being written)
// is left out.
func parseLines(lines []string) []logEvent {
	var events []logEvent
	for _, l := range lines {
		var ev logEvent
		if json.Unmarshal([]byte(l), &ev) == nil {
			events = append(events, ev)
		}
	}
	return events
}

// killPoints are the loop's points: generic ones, which every runbook
// reaches at a different step, and ones at the operations whose resume is
// hardest — the actions that open an incident or start a restore job,
// whose request a kill can leave applied and unanswered, and the long
// waits of restores, promotions, failovers and DNS changes.
func killPoints() []killPoint {
	points := []killPoint{
		nthInFlight(1), nthInFlight(2), nthInFlight(4), nthInFlight(7), nthAnswered(1), nthAnswered(3),
		lineCount(25), lineCount(40), lineCount(60),
	}
	for _, op := range []string{"ssm-incidents:StartIncident", "backup:StartRestoreJob"} {
		points = append(points, requestOf(op), appliedUnanswered(op), responseOf(op))
	}
	for _, op := range []string{"backup:StartRestoreJob", "rds:FailoverGlobalCluster", "rds:PromoteReadReplica",
		"dynamodb:RestoreTableToPointInTime", "arc-region-switch:StartPlanExecution", "route53:ChangeResourceRecordSets"} {
		points = append(points, duringWait(op))
	}
	return points
}

func TestKillLoopOverShippedRunbooks(t *testing.T) {
	if os.Getenv("DRPILOT_KILL_LOOP") == "" {
		t.Skip("the kill loop takes minutes: make kill-loop runs it with DRPILOT_KILL_LOOP=1")
	}
	var kills, resumed, duplicates, duplicateNotices, unansweredApplied atomic.Int64
	t.Cleanup(func() {
		t.Logf("kill loop: %d kills, %d resumes succeeded, %d duplicate mutating requests, %d duplicate notifications (%d requests applied that a kill left unanswered in the log)",
			kills.Load(), resumed.Load(), duplicates.Load(), duplicateNotices.Load(), unansweredApplied.Load())
		if kills.Load() < minKills {
			t.Errorf("%d kills, want at least %d", kills.Load(), minKills)
		}
	})
	for _, id := range []string{"store-region-failover", "ecommerce-pilot-light", "backup-restore-rapid-recovery", "ecs-fargate-failover"} {
		runbook := filepath.Join("..", "..", "runbooks", id+".toml")
		for _, p := range killPoints() {
			if p.operation != "" && !sendsOperation(t, runbook, p.operation) {
				continue
			}
			t.Run(id+" "+p.name, func(t *testing.T) {
				p2 := startSandboxProcess(t, runbook)
				// Every call takes a little real time, so that the kill
				// can land while a request is in flight, on any machine.
				p2.fault(t, `{"latency": {"ms": 60}}`)
				if p.fault != "" {
					p2.fault(t, p.fault)
				}
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
				c := countApplied(t, p2.dir)
				unansweredApplied.Add(int64(c.unanswered))
				duplicates.Add(int64(c.duplicates))
				duplicateNotices.Add(int64(c.duplicateNotices))
				if c.duplicates > 0 || c.duplicateNotices > 0 {
					t.Errorf("%d mutating request(s) and %d notification(s) applied twice", c.duplicates, c.duplicateNotices)
				}
			})
		}
	}
}

// sendsOperation reports whether a runbook's plan sends an operation.
func sendsOperation(t *testing.T, runbook, operation string) bool {
	t.Helper()
	rb, diags := runbooks.Load(runbook)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	plan, diags := runbooks.Plan(rb, steps.Default())
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	for _, s := range plan.Steps {
		for _, c := range s.Calls {
			if c.Operation == operation && c.Mutating {
				return true
			}
		}
	}
	return false
}

// resumeDeciding resumes a run to the end. A notification the kill left
// unanswered stops the resume for a decision (it may have been delivered):
// the loop answers continue, since the sandbox did deliver it, as an
// operator would after checking. A kill between a decision and its
// signature leaves the decision unsigned: the loop made it (--yes), so it
// adopts it.
func resumeDeciding(t *testing.T, dir string) string {
	t.Helper()
	cmd := exec.Command(drpilotBinary(t), "resume", dir, "--headless", "--yes", "--adopt-unsigned")
	cmd.Env = sandboxProcessEnv(t)
	out, _ := cmd.CombinedOutput()
	for _, line := range strings.Split(string(out), "\n") {
		step, ok := strings.CutPrefix(strings.TrimSpace(line), "needs a decision: step ")
		if !ok || !strings.Contains(line, "may have been delivered") {
			continue
		}
		step = strings.Fields(step)[0]
		cmd := exec.Command(drpilotBinary(t), "resume", dir, "--headless", "--yes", "--adopt-unsigned", "--decide", step+"=continue",
			"--reason", "the kill loop: the sandbox shows the message delivered")
		cmd.Env = sandboxProcessEnv(t)
		out, _ = cmd.CombinedOutput()
		break
	}
	return string(out)
}

// killAt sends SIGKILL as soon as the run satisfies at, and reports
// whether the run was still going.
func (p *sandboxProcess) killAt(t *testing.T, at func(runView) bool) bool {
	t.Helper()
	recording := func() string {
		data, _ := os.ReadFile(filepath.Join(p.dir, sandboxRecordingDir, sandbox.RecordingFile))
		return string(data)
	}
	for {
		select {
		case <-p.exited:
			return false
		default:
		}
		data, _ := os.ReadFile(filepath.Join(p.dir, audit.EventsFile))
		if len(data) > 0 && at(runView{lines: strings.Split(strings.TrimSuffix(string(data), "\n"), "\n"), journal: p.journal, recording: recording}) {
			p.cmd.Process.Signal(syscall.SIGKILL)
			<-p.exited
			return true
		}
		pollPause()
	}
}

// journal reads the run's sandbox's journal (GET /_sandbox/journal): every
// request, reads too. A run that has just ended answers nothing.
func (p *sandboxProcess) journal() []sandbox.Entry {
	resp, err := http.Get(p.endpoint + "/_sandbox/journal")
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	var j struct {
		Entries []sandbox.Entry `json:"entries"`
	}
	if json.NewDecoder(resp.Body).Decode(&j) != nil {
		return nil
	}
	return j.Entries
}

// appliedCounts is what the sandbox applied over a killed and resumed run.
type appliedCounts struct {
	// unanswered are requests applied whose answer the log does not have:
	// each was left unanswered by a kill.
	unanswered int
	// duplicates are mutating requests applied more than once with the
	// same input (a request sent again with the same idempotency token is
	// one); duplicateNotices are messages applied more than once to the
	// same place, SNS, SES, Incident Manager's contacts or a webhook.
	duplicates, duplicateNotices int
}

// notifications are the operations that deliver a message to people.
var notifications = map[string]bool{"sns:Publish": true, "ses:SendEmail": true, "ssm-contacts:StartEngagement": true}

// countApplied reads the run's sandbox recording against its log.
func countApplied(t *testing.T, dir string) appliedCounts {
	t.Helper()
	rec, err := sandbox.ReadRecording(filepath.Join(dir, sandboxRecordingDir))
	if err != nil {
		t.Fatal(err)
	}
	answered := map[string]bool{}
	// Calls left unanswered by a kill, counted where the log resumes: the
	// resumed run numbers its calls afresh.
	unanswered, leftByKills := map[string]bool{}, 0
	for _, ev := range readLog(t, dir) {
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
	var c appliedCounts
	seen := map[string]int{} // each change's operation and input
	for _, r := range rec.Records {
		key := ""
		switch r.Kind {
		case sandbox.KindRequest:
			key = r.Service + ":" + r.Operation + " " + string(r.Input)
			if !answered[r.RequestID] {
				c.unanswered++
				t.Logf("applied, not answered in the log: %s:%s %s %s", r.Service, r.Operation, r.RequestID, r.Input)
			}
		case sandbox.KindDelivery:
			key = "webhook " + r.Delivery.Method + " " + r.Delivery.Host + r.Delivery.Path + " " + r.Delivery.Body
		default:
			continue
		}
		if seen[key]++; seen[key] == 1 {
			continue
		}
		t.Logf("applied %d times: %s", seen[key], key)
		if op, _, _ := strings.Cut(key, " "); notifications[op] || r.Kind == sandbox.KindDelivery {
			c.duplicateNotices++
		} else {
			c.duplicates++
		}
	}
	if c.unanswered > leftByKills {
		t.Errorf("the sandbox applied %d requests the log does not answer, and the kills left %d unanswered", c.unanswered, leftByKills)
	}
	return c
}
