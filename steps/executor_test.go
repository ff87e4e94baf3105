package steps

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drpilot/drpilot/audit"
	"github.com/drpilot/drpilot/steps/awsclient"
)

// scriptedApprover answers gates and failures from a script and records
// what it was asked.
type scriptedApprover struct {
	mu       sync.Mutex
	gates    map[string]Decision // by step; missing means approve
	failures map[string][]Decision
	asked    []string
	seen     []Gate // every gate, as the Approver was shown it
}

func (a *scriptedApprover) Approve(_ context.Context, g Gate) (Decision, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.asked = append(a.asked, "gate:"+g.Step)
	a.seen = append(a.seen, g)
	if d, ok := a.gates[g.Step]; ok {
		return d, nil
	}
	return Decision{Verdict: VerdictApprove, Actor: "tester"}, nil
}

func (a *scriptedApprover) OnFailure(_ context.Context, f Failure) (Decision, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.asked = append(a.asked, "failure:"+f.Step)
	script := a.failures[f.Step]
	if len(script) == 0 {
		return Decision{Verdict: VerdictStop, Actor: "tester"}, nil
	}
	a.failures[f.Step] = script[1:]
	return script[0], nil
}

// waitRunbook builds a runbook of wait steps from "id:after1,after2" specs
// (no colon: after the previous step) with extra TOML per step.
func waitRunbook(specs []string, extra map[string]string) string {
	var b strings.Builder
	b.WriteString(`format = 1
[runbook]
id = "sched"
title = "Scheduler test"
rto = "1h"
[runbook.regions]
primary = "eu-west-1"
recovery = "eu-west-2"
`)
	for _, spec := range specs {
		id, after, hasAfter := strings.Cut(spec, ":")
		fmt.Fprintf(&b, "\n[[steps]]\nid = %q\nphase = \"switch\"\naction = \"wait\"\ndoc = \"x\"\n", id)
		if hasAfter {
			var quoted []string
			for _, a := range strings.Split(after, ",") {
				if a != "" {
					quoted = append(quoted, fmt.Sprintf("%q", a))
				}
			}
			fmt.Fprintf(&b, "after = [%s]\n", strings.Join(quoted, ", "))
		}
		b.WriteString(extra[id])
		b.WriteString("\n[steps.with]\nduration = \"1s\"\n")
	}
	return b.String()
}

// scripted returns runners where wait is replaced by fn.
func scripted(fn runFunc) map[string]runFunc {
	return map[string]runFunc{"wait": fn}
}

func TestSchedulerRespectsDependenciesAndParallelism(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var order []string
	var running, peak atomic.Int32
	fn := func(ctx context.Context, s *StepRun) (map[string]any, error) {
		n := running.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
		running.Add(-1)
		mu.Lock()
		order = append(order, s.ID())
		mu.Unlock()
		return map[string]any{"Id": s.ID()}, nil
	}
	src := waitRunbook([]string{"a:", "b:", "c:", "d:", "e:a,b,c,d"}, nil)
	tr := startRun(t, src, "", runOptions{runners: scripted(fn), parallel: 2})
	if tr.err != nil || tr.summary.Outcome != OutcomeSucceeded {
		t.Fatalf("run: %v %+v", tr.err, tr.summary)
	}
	if peak.Load() != 2 {
		t.Errorf("peak parallelism %d, want 2", peak.Load())
	}
	if order[len(order)-1] != "e" {
		t.Errorf("e ran before its dependencies: %v", order)
	}
	tr.verify()
}

func TestSchedulerFailurePolicies(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	failOn := func(ids ...string) map[string]runFunc {
		return scripted(func(_ context.Context, s *StepRun) (map[string]any, error) {
			if slices.Contains(ids, s.ID()) {
				return nil, boom
			}
			return map[string]any{}, nil
		})
	}
	t.Run("stop ends the run and later steps do not run", func(t *testing.T) {
		t.Parallel()
		src := waitRunbook([]string{"a", "b", "c"}, map[string]string{"b": "on_failure = \"stop\"\n"})
		tr := startRun(t, src, "", runOptions{runners: failOn("b")})
		if tr.summary.Outcome != OutcomeFailed || tr.status("c") != StatusNotRun || tr.status("a") != StatusDone {
			t.Fatalf("outcome %s, statuses %v", tr.summary.Outcome, tr.exec.Status())
		}
		tr.verify()
	})
	t.Run("continue records the failure and goes on", func(t *testing.T) {
		t.Parallel()
		src := waitRunbook([]string{"a", "b", "c"}, map[string]string{"b": "on_failure = \"continue\"\n"})
		tr := startRun(t, src, "", runOptions{runners: failOn("b")})
		// The runbook accepted b's failure in advance, so the run succeeds.
		if tr.status("b") != StatusFailed || tr.status("c") != StatusDone || tr.summary.Outcome != OutcomeSucceeded {
			t.Fatalf("outcome %s, statuses %v", tr.summary.Outcome, tr.exec.Status())
		}
	})
	t.Run("headless --yes never decides a failure: the run stops there, resumably", func(t *testing.T) {
		t.Parallel()
		src := waitRunbook([]string{"a", "b", "c"}, map[string]string{"b": "on_failure = \"ask\"\n"})
		tr := startRun(t, src, "", runOptions{runners: failOn("b"), approver: HeadlessApprover{Yes: true}})
		if tr.status("b") != StatusFailed || tr.status("c") != StatusNotRun || tr.summary.Outcome != OutcomeFailed || !tr.summary.Resumable {
			t.Fatalf("outcome %s, statuses %v", tr.summary.Outcome, tr.exec.Status())
		}
		if len(tr.summary.Needs) != 1 || tr.summary.Needs[0].Step != "b" || tr.summary.Needs[0].Kind != NeedDecision || tr.summary.Needs[0].Error != "boom" {
			t.Errorf("needs %+v, want a decision about b", tr.summary.Needs)
		}
		tr.verify()
	})
	t.Run("ask answered continue by a person lets the steps after it run", func(t *testing.T) {
		t.Parallel()
		src := waitRunbook([]string{"a", "b", "c"}, map[string]string{"b": "on_failure = \"ask\"\n"})
		ap := &scriptedApprover{failures: map[string][]Decision{"b": {{Verdict: VerdictContinue, Actor: "alice", Reason: "done by hand"}}}}
		tr := startRun(t, src, "", runOptions{runners: failOn("b"), approver: ap})
		if tr.status("b") != StatusFailed || tr.status("c") != StatusDone || tr.summary.Outcome != OutcomeSucceeded || tr.summary.Resumable {
			t.Fatalf("outcome %s, statuses %v", tr.summary.Outcome, tr.exec.Status())
		}
		tr.verify()
	})
	t.Run("ask: retry, then skip", func(t *testing.T) {
		t.Parallel()
		src := waitRunbook([]string{"a", "b"}, map[string]string{"a": "on_failure = \"ask\"\n"})
		ap := &scriptedApprover{failures: map[string][]Decision{"a": {
			{Verdict: VerdictRetry, Actor: "tester"},
			{Verdict: VerdictSkip, Actor: "tester", Reason: "done by hand"},
		}}}
		tr := startRun(t, src, "", runOptions{runners: failOn("a"), approver: ap})
		if got := len(tr.rec.of(EventStepFailed, "a")); got != 2 {
			t.Errorf("a failed %d times, want 2 (first try and the retry)", got)
		}
		if tr.status("a") != StatusSkipped || tr.status("b") != StatusDone || tr.summary.Outcome != OutcomeSucceeded {
			t.Fatalf("outcome %s, statuses %v", tr.summary.Outcome, tr.exec.Status())
		}
		tr.verify()
	})
}

func TestSchedulerRetriesRetryableErrorsOnly(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	throttled := &awsclient.CallError{Service: "rds", Operation: "X", Code: "Throttling", Retryable: true, Err: errors.New("slow down")}
	fn := func(_ context.Context, s *StepRun) (map[string]any, error) {
		if calls.Add(1) < 3 {
			return nil, throttled
		}
		return map[string]any{}, nil
	}
	src := waitRunbook([]string{"a"}, map[string]string{"a": "retries = 2\n"})
	tr := startRun(t, src, "", runOptions{runners: scripted(fn)})
	if tr.status("a") != StatusDone || calls.Load() != 3 || len(tr.rec.of(EventStepRetry, "a")) != 2 {
		t.Fatalf("status %s after %d calls", tr.status("a"), calls.Load())
	}
	calls.Store(0)
	src = waitRunbook([]string{"a"}, map[string]string{"a": "retries = 1\n"})
	tr = startRun(t, src, "", runOptions{runners: scripted(fn)})
	if tr.status("a") != StatusFailed || calls.Load() != 2 {
		t.Fatalf("with one retry: status %s after %d calls", tr.status("a"), calls.Load())
	}
}

func TestSchedulerTimeoutNamesTheLastState(t *testing.T) {
	t.Parallel()
	fn := func(ctx context.Context, s *StepRun) (map[string]any, error) {
		s.lastState = "creating"
		<-ctx.Done()
		return nil, ctx.Err()
	}
	src := waitRunbook([]string{"a"}, map[string]string{"a": "timeout = \"10m\"\n"})
	tr := startRun(t, src, "", runOptions{runners: scripted(fn)}) // time scale 600: 1 s real
	failed := tr.rec.of(EventStepFailed, "a")
	if len(failed) != 1 || !strings.Contains(failed[0].Error, "timed out after 10m") || !strings.Contains(failed[0].Error, `"creating"`) {
		t.Fatalf("failure: %+v", failed)
	}
}

func TestGatesSkipAbortAndNotes(t *testing.T) {
	t.Parallel()
	t.Run("headless without --yes pauses at the first gate, resumably", func(t *testing.T) {
		t.Parallel()
		src := waitRunbook([]string{"a", "b"}, map[string]string{"b": "confirm = \"yes\"\n"})
		tr := startRun(t, src, "", runOptions{runners: scripted(func(context.Context, *StepRun) (map[string]any, error) {
			return map[string]any{}, nil
		}), approver: HeadlessApprover{}})
		if tr.summary.Outcome != OutcomePaused || !tr.summary.Resumable || tr.status("a") != StatusDone || tr.status("b") == StatusDone {
			t.Fatalf("outcome %s, statuses %v", tr.summary.Outcome, tr.exec.Status())
		}
		if len(tr.summary.Needs) != 1 || tr.summary.Needs[0] != (Need{Step: "b", Kind: NeedApproval}) {
			t.Errorf("needs %+v, want b's approval", tr.summary.Needs)
		}
		tr.verify()
	})
	t.Run("abort of a running one, a note, and a skip of a step that never starts", func(t *testing.T) {
		t.Parallel()
		src := waitRunbook([]string{"a", "b", "c"}, nil)
		started := make(chan struct{})
		tr := prepareRun(t, src, "", runOptions{runners: scripted(func(ctx context.Context, s *StepRun) (map[string]any, error) {
			if s.ID() == "b" {
				close(started)
				<-ctx.Done()
				return nil, ctx.Err()
			}
			return map[string]any{}, nil
		})})
		if err := tr.exec.Skip("c", "", "op"); err == nil {
			t.Error("a skip without a reason was accepted")
		}
		if err := tr.exec.Skip("c", "not needed today", "op"); err != nil {
			t.Fatal(err)
		}
		go func() {
			<-started
			tr.exec.Note("b", "the DBA is on the bridge", "op")
			tr.exec.Abort("wrong Region", "op")
		}()
		sum, err := tr.exec.Run(context.Background())
		if err != nil || sum.Outcome != OutcomeAborted {
			t.Fatalf("run: %v %+v", err, sum)
		}
		// The skip is in the log: it takes effect, though c never started.
		if tr.status("c") != StatusSkipped || tr.status("b") != StatusFailed {
			t.Errorf("statuses %v", tr.exec.Status())
		}
		if len(tr.rec.of(EventNote, "b")) != 1 {
			t.Error("the note was not reported")
		}
		tr.verify()
	})
}

func TestSkipOfAPendingAndOfARunningStep(t *testing.T) {
	t.Parallel()
	src := waitRunbook([]string{"a", "b", "c"}, nil)
	started := make(chan struct{})
	tr := prepareRun(t, src, "", runOptions{runners: scripted(func(ctx context.Context, s *StepRun) (map[string]any, error) {
		if s.ID() == "a" {
			close(started)
			<-ctx.Done() // runs until skipped
			return nil, ctx.Err()
		}
		return map[string]any{}, nil
	})})
	if err := tr.exec.Skip("c", "done by hand before the run", "op"); err != nil {
		t.Fatal(err)
	}
	go func() {
		<-started
		if err := tr.exec.Skip("a", "stuck, finished in the console", "op"); err != nil {
			t.Error(err)
		}
	}()
	sum, err := tr.exec.Run(context.Background())
	if err != nil || sum.Outcome != OutcomeSucceeded {
		t.Fatalf("run: %v %+v", err, sum)
	}
	if tr.status("a") != StatusSkipped || tr.status("b") != StatusDone || tr.status("c") != StatusSkipped {
		t.Fatalf("statuses %v", tr.exec.Status())
	}
	skipped := tr.rec.of(EventStepSkipped, "")
	if len(skipped) != 2 || skipped[0].Message != "stuck, finished in the console" || skipped[1].Message != "done by hand before the run" {
		t.Errorf("skips %+v", skipped)
	}
	if err := tr.exec.Skip("b", "too late", "op"); err == nil {
		t.Error("a finished step was skipped")
	}
	tr.verify()
}

func TestReadinessEvaluatesWhatItCanBeforeTheRun(t *testing.T) {
	t.Parallel()
	src := `format = 1
[runbook]
id = "ready"
title = "Readiness"
[runbook.regions]
primary = "eu-west-1"
recovery = "eu-west-2"

[[steps]]
id = "read"
phase = "restore"
action = "aws.call"
doc = "x"
[steps.with]
call = "ssm:GetParameter"
input = { Name = "/shop/maintenance" }
[steps.outputs]
value = "Parameter.Value"
[[steps.require]]
call = "ssm:GetParameter"
input = { Name = "/shop/maintenance" }
query = "Parameter.Value"
equals = "off"

[[steps]]
id = "later"
phase = "restore"
action = "wait"
doc = "x"
[steps.with]
duration = "1s"
[[steps.require]]
call = "ssm:GetParameter"
input = { Name = "/shop/maintenance" }
query = "Parameter.Value"
equals = "${steps.read.value}"
`
	scenario := parameterScenario("/shop/maintenance", "on")
	tr := prepareRun(t, src, scenario, runOptions{})
	board := tr.exec.Readiness(context.Background())
	if len(board) != 2 {
		t.Fatalf("board %+v", board)
	}
	if b := board[0]; b.Step != "read" || b.Holds || b.Observed != "on" || b.Later {
		t.Errorf("first %+v: want evaluated now, observed on, not holding", b)
	}
	if b := board[1]; !b.Later || b.Holds {
		t.Errorf("second %+v: want left for the run", b)
	}
	if len(tr.mutatingRequests()) != 0 {
		t.Error("readiness sent a mutating request")
	}
}

// TestSecretsStayOutOfEvents sends a master password through aws.call:
// the events, which --json prints and the TUI shows, redact it as the log
// does, while AWS receives it.
func TestSecretsStayOutOfEvents(t *testing.T) {
	t.Parallel()
	const secret = "hunter2-master"
	src := `format = 1
[runbook]
id = "secret"
title = "Secret"
[runbook.regions]
primary = "eu-west-1"
recovery = "eu-west-2"

[[steps]]
id = "create-db"
phase = "restore"
action = "aws.call"
confirm = "none"
doc = "x"
[steps.with]
call = "rds:CreateDBInstance"
input = { DBInstanceIdentifier = "orders", Engine = "postgres", DBInstanceClass = "db.t3.micro", AllocatedStorage = 20, MasterUsername = "app", MasterUserPassword = "` + secret + `" }
`
	tr := startRun(t, src, "", runOptions{})
	if tr.summary.Outcome != OutcomeSucceeded {
		t.Fatalf("outcome %s: %v", tr.summary.Outcome, tr.rec.of(EventStepFailed, ""))
	}
	sent := tr.rec.of(EventCallSent, "create-db")
	if len(sent) != 1 || sent[0].Call.Input["MasterUserPassword"] != audit.Redacted || sent[0].Call.Input["MasterUsername"] != "app" {
		t.Fatalf("call.sent input %+v", sent)
	}
	for _, e := range tr.rec.all() {
		if strings.Contains(fmt.Sprintf("%+v %+v", e, e.Call), secret) {
			t.Errorf("a %s event shows the password", e.Type)
		}
	}
	log, _ := os.ReadFile(filepath.Join(tr.dir, audit.EventsFile))
	if strings.Contains(string(log), secret) || !strings.Contains(string(log), "_unredacted_sha256") {
		t.Error("the log shows the password, or lost the hash of what it was given")
	}
	tr.verify()
}

// TestTemplatesInAPreconditionQuery resolves a var inside the JMESPath
// query before it is evaluated.
func TestTemplatesInAPreconditionQuery(t *testing.T) {
	t.Parallel()
	src := `format = 1
[runbook]
id = "query"
title = "Query"
[runbook.regions]
primary = "eu-west-1"
recovery = "eu-west-2"
[vars]
flag = "/shop/maintenance"

[[steps]]
id = "check"
phase = "verify"
action = "wait"
doc = "x"
[steps.with]
duration = "1s"
[[steps.require]]
call = "ssm:GetParameter"
input = { Name = "${vars.flag}" }
query = "Parameter.Name == '${vars.flag}'"
equals = true
`
	scenario := parameterScenario("/shop/maintenance", "on")
	tr := startRun(t, src, scenario, runOptions{})
	pre := tr.rec.of(EventPrecondition, "check")
	if len(pre) != 1 || !pre[0].Precondition.Holds || pre[0].Precondition.Query != "Parameter.Name == '/shop/maintenance'" {
		t.Fatalf("precondition %+v", pre)
	}
}

// TestAPanickingActionFailsItsStep: a bug in an action's code fails the
// step and stops the run, and the log is still sealed.
func TestAPanickingActionFailsItsStep(t *testing.T) {
	t.Parallel()
	src := waitRunbook([]string{"a", "b"}, nil)
	tr := startRun(t, src, "", runOptions{runners: scripted(func(_ context.Context, s *StepRun) (map[string]any, error) {
		if s.ID() == "a" {
			panic("index out of range [3] with length 3") // as a bug in an action would
		}
		return map[string]any{}, nil
	})})
	failed := tr.rec.of(EventStepFailed, "a")
	if tr.err != nil || tr.summary.Outcome != OutcomeFailed || len(failed) != 1 || !strings.Contains(failed[0].Error, "internal error") {
		t.Fatalf("outcome %+v, failures %+v", tr.summary, failed)
	}
	if tr.status("b") != StatusNotRun {
		t.Errorf("the run went on after a panic: %v", tr.exec.Status())
	}
	tr.verify()
}

// TestSkipWhileAFailureQuestionIsOpen: the operator skips a failed step
// instead of answering its question; the step is skipped, not stopped.
func TestSkipWhileAFailureQuestionIsOpen(t *testing.T) {
	t.Parallel()
	src := waitRunbook([]string{"a", "b"}, map[string]string{"a": "on_failure = \"ask\"\n"})
	asked := make(chan struct{})
	tr := prepareRun(t, src, "", runOptions{
		runners: scripted(func(_ context.Context, s *StepRun) (map[string]any, error) {
			if s.ID() == "a" {
				return nil, errors.New("boom")
			}
			return map[string]any{}, nil
		}),
		approver: blockingApprover{asked: asked},
	})
	go func() {
		<-asked
		if err := tr.exec.Skip("a", "done by hand", "op"); err != nil {
			t.Error(err)
		}
	}()
	sum, err := tr.exec.Run(context.Background())
	if err != nil || sum.Outcome != OutcomeSucceeded || tr.status("a") != StatusSkipped || tr.status("b") != StatusDone {
		t.Fatalf("run: %v %+v %v", err, sum, tr.exec.Status())
	}
	tr.verify()
}

// blockingApprover approves gates and, asked about a failure, waits until
// the question is withdrawn.
type blockingApprover struct{ asked chan struct{} }

func (blockingApprover) Approve(context.Context, Gate) (Decision, error) {
	return Decision{Verdict: VerdictApprove, Actor: "tester"}, nil
}

func (a blockingApprover) OnFailure(ctx context.Context, _ Failure) (Decision, error) {
	close(a.asked)
	<-ctx.Done()
	return Decision{}, context.Cause(ctx)
}

// TestAResumedRunAnnouncesWhatWasDone: steps finished before the resume
// are reported at the start, with their outputs, and not run again.
func TestAResumedRunAnnouncesWhatWasDone(t *testing.T) {
	t.Parallel()
	ran := map[string]bool{}
	var mu sync.Mutex
	src := waitRunbook([]string{"a", "b", "c"}, nil)
	tr := startRun(t, src, "", runOptions{
		done: map[string]PriorStep{"a": {Status: StatusDone, Outputs: map[string]any{"x": "1"}}, "b": {Status: StatusSkipped}},
		runners: scripted(func(_ context.Context, s *StepRun) (map[string]any, error) {
			mu.Lock()
			ran[s.ID()] = true
			mu.Unlock()
			return map[string]any{}, nil
		}),
	})
	if ran["a"] || ran["b"] || !ran["c"] {
		t.Fatalf("ran %v", ran)
	}
	if d := tr.rec.of(EventStepDone, "a"); len(d) != 1 || d[0].Outputs["x"] != "1" {
		t.Errorf("a was not announced with its outputs: %+v", d)
	}
	if len(tr.rec.of(EventStepSkipped, "b")) != 1 {
		t.Error("b was not announced as skipped")
	}
}

// TestAPreconditionOutlastsThrottling: a precondition whose read is
// throttled beyond the SDK's own retries is read again after a pause, so
// that a busy API does not stop a run; an error that trying again cannot
// cure is the answer at once.
func TestAPreconditionOutlastsThrottling(t *testing.T) {
	t.Parallel()
	src := `format = 1
[runbook]
id = "busy"
title = "Busy"
[runbook.regions]
primary = "eu-west-1"
recovery = "eu-west-2"

[[steps]]
id = "check"
phase = "verify"
action = "wait"
doc = "x"
[steps.with]
duration = "1s"
[[steps.require]]
call = "ssm:GetParameter"
input = { Name = "/shop/maintenance" }
query = "Parameter.Value"
equals = "on"
`
	scenario := parameterScenario("/shop/maintenance", "on")
	// throttleFirst answers the first n GetParameter requests with SSM's
	// throttling error, as AWS does under a storm, then lets them through.
	throttleFirst := func(n int64, code string, status int) func(http.Handler) http.Handler {
		return func(next http.Handler) http.Handler {
			var seen atomic.Int64
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("X-Amz-Target") == "AmazonSSM.GetParameter" && seen.Add(1) <= n {
					w.Header().Set("Content-Type", "application/x-amz-json-1.1")
					w.WriteHeader(status)
					fmt.Fprintf(w, `{"__type":%q,"message":"Rate exceeded"}`, code)
					return
				}
				next.ServeHTTP(w, r)
			})
		}
	}
	// Two SDK attempts per read: three throttled answers outlast the
	// first read and one more.
	tr := startRun(t, src, scenario, runOptions{attempts: 2, wrap: throttleFirst(3, "ThrottlingException", 400)})
	if tr.summary.Outcome != OutcomeSucceeded {
		t.Fatalf("outcome %s: %v", tr.summary.Outcome, tr.rec.of(EventPrecondition, "check"))
	}
	tr = startRun(t, src, scenario, runOptions{attempts: 2, wrap: throttleFirst(3, "AccessDeniedException", 400)})
	pre := tr.rec.of(EventPrecondition, "check")
	if tr.summary.Outcome == OutcomeSucceeded || len(pre) != 1 || !strings.Contains(pre[0].Message, "AccessDenied") {
		t.Fatalf("access denied is an answer, not a reason to wait: outcome %s, %+v", tr.summary.Outcome, pre)
	}
}
