package steps

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/drpilot/drpilot/audit"
)

// failingRunners fails the named steps and lets the rest succeed, each
// returning its id as an output-able response.
func failingRunners(ids ...string) map[string]runFunc {
	return scripted(func(_ context.Context, s *StepRun) (map[string]any, error) {
		if slices.Contains(ids, s.ID()) {
			return nil, errors.New("boom")
		}
		return map[string]any{"Id": s.ID()}, nil
	})
}

// TestFailureRulesOfTheGraph runs the dependency cases docs/executor.md
// draws: a step after a failure runs only when that failure was allowed.
func TestFailureRulesOfTheGraph(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		specs    []string
		extra    map[string]string
		fail     []string
		approver Approver
		want     map[string]string
		outcome  string
		resume   bool
		blocked  map[string]string
		parallel int
	}{{
		name:  "a chain after a failure the runbook stops on",
		specs: []string{"a", "b", "c"}, fail: []string{"a"},
		extra: map[string]string{"a": "on_failure = \"stop\"\n"},
		want:  map[string]string{"a": StatusFailed, "b": StatusNotRun, "c": StatusNotRun}, outcome: OutcomeFailed, resume: true,
		blocked: map[string]string{"b": "after a, which failed without allowance", "c": "after a, which failed without allowance"},
	}, {
		name:  "a chain after a failure the runbook allows",
		specs: []string{"a", "b"}, fail: []string{"a"},
		extra: map[string]string{"a": "on_failure = \"continue\"\n"},
		want:  map[string]string{"a": StatusFailed, "b": StatusDone}, outcome: OutcomeSucceeded,
	}, {
		name:  "a diamond: one branch allowed, the other asked with nobody to ask",
		specs: []string{"a:", "b:a", "c:a", "d:b,c"}, fail: []string{"b", "c"},
		extra:    map[string]string{"b": "on_failure = \"continue\"\n", "c": "on_failure = \"ask\"\n"},
		approver: HeadlessApprover{Yes: true},
		want:     map[string]string{"a": StatusDone, "b": StatusFailed, "c": StatusFailed, "d": StatusNotRun}, outcome: OutcomeFailed, resume: true,
		blocked: map[string]string{"d": "after c, which failed without allowance"},
	}, {
		name:  "a diamond: both failures decided by a person",
		specs: []string{"a:", "b:a", "c:a", "d:b,c"}, fail: []string{"b", "c"},
		extra: map[string]string{"b": "on_failure = \"ask\"\n", "c": "on_failure = \"ask\"\n"},
		approver: &scriptedApprover{failures: map[string][]Decision{
			"b": {{Verdict: VerdictContinue, Actor: "alice", Reason: "checked by hand"}},
			"c": {{Verdict: VerdictSkip, Actor: "alice", Reason: "done in the console"}},
		}},
		want: map[string]string{"a": StatusDone, "b": StatusFailed, "c": StatusSkipped, "d": StatusDone}, outcome: OutcomeSucceeded,
	}, {
		name:  "nobody to ask: what runs beside the failure finishes, nothing more starts",
		specs: []string{"a:", "x:", "b:a"}, fail: []string{"a"}, parallel: 2,
		extra: map[string]string{"a": "on_failure = \"ask\"\n"}, approver: HeadlessApprover{Yes: true},
		want: map[string]string{"a": StatusFailed, "x": StatusDone, "b": StatusNotRun}, outcome: OutcomeFailed, resume: true,
		blocked: map[string]string{"b": "after a, which failed without allowance"},
	}, {
		name:  "a verification that fails is never a recovery, even when allowed",
		specs: []string{"a", "check"}, fail: []string{"check"},
		extra: map[string]string{"check": "phase = \"verify\"\non_failure = \"continue\"\n"},
		want:  map[string]string{"a": StatusDone, "check": StatusFailed}, outcome: OutcomeFailed,
	}, {
		name:  "a verification that failed and was skipped did not verify",
		specs: []string{"a", "check"}, fail: []string{"check"},
		extra: map[string]string{"check": "phase = \"verify\"\non_failure = \"ask\"\n"},
		approver: &scriptedApprover{failures: map[string][]Decision{
			"check": {{Verdict: VerdictSkip, Actor: "alice", Reason: "looked fine to me"}}}},
		want: map[string]string{"a": StatusDone, "check": StatusSkipped}, outcome: OutcomeFailed,
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			src := waitRunbook(c.specs, c.extra)
			src = strings.ReplaceAll(src, "id = \"check\"\nphase = \"switch\"\n", "id = \"check\"\n")
			if c.parallel == 0 {
				c.parallel = 1
			}
			tr := startRun(t, src, "", runOptions{runners: failingRunners(c.fail...), approver: c.approver, parallel: c.parallel})
			for id, want := range c.want {
				if got := tr.status(id); got != want {
					t.Errorf("step %s is %s, want %s", id, got, want)
				}
			}
			if tr.summary.Outcome != c.outcome || tr.summary.Resumable != c.resume {
				t.Errorf("outcome %s (resumable %v), want %s (resumable %v): %s", tr.summary.Outcome, tr.summary.Resumable, c.outcome, c.resume, tr.summary.Reason)
			}
			for _, b := range tr.summary.Blocked {
				if want, ok := c.blocked[b.Step]; ok && b.Because != want {
					t.Errorf("step %s did not run because %q, want %q", b.Step, b.Because, want)
				}
			}
			tr.verify()
		})
	}
}

// TestASkippedStepsOutputsFeedTheStepsAfterIt: the operator did a step by
// hand and gives its output; the step after it runs with that value, and
// the decision carries it into the log.
func TestASkippedStepsOutputsFeedTheStepsAfterIt(t *testing.T) {
	t.Parallel()
	src := `format = 1
[runbook]
id = "by-hand"
title = "By hand"
[runbook.regions]
primary = "eu-west-1"
recovery = "eu-west-2"

[[steps]]
id = "restore"
phase = "restore"
action = "wait"
doc = "x"
on_failure = "ask"
[steps.with]
duration = "1s"
[steps.outputs]
endpoint = "Id"

[[steps]]
id = "use"
phase = "switch"
action = "wait"
doc = "x"
[steps.with]
duration = "${steps.restore.endpoint}"
`
	var got string
	runners := scripted(func(_ context.Context, s *StepRun) (map[string]any, error) {
		if s.ID() == "restore" {
			return nil, errors.New("boom")
		}
		got = s.String("duration")
		return map[string]any{}, nil
	})
	ap := &scriptedApprover{failures: map[string][]Decision{"restore": {{Verdict: VerdictSkip, Actor: "alice",
		Reason: "restored in the console", Outputs: map[string]any{"endpoint": "2s"}}}}}
	tr := startRun(t, src, "", runOptions{runners: runners, approver: ap})
	if tr.summary.Outcome != OutcomeSucceeded || got != "2s" {
		t.Fatalf("outcome %s, use ran with %q: %v", tr.summary.Outcome, got, tr.exec.Status())
	}
	events := readLog(t, tr.dir)
	p, err := Replay(events)
	if err != nil || p.Done["restore"].Outputs["endpoint"] != "2s" {
		t.Errorf("the log does not carry the operator's output: %+v %v", p.Done["restore"], err)
	}
	if err := tr.exec.SkipWithOutputs("use", "x", "alice", map[string]any{"nope": 1}); err == nil || !strings.Contains(err.Error(), "no outputs") {
		t.Errorf("an output the step does not declare: %v", err)
	}
}

// TestInterruptStopsAtASafePointAndResumes: an interruption leaves the
// running step to run again, the log resumable, and the resumed run ends
// the work without doing twice what was done.
func TestInterruptStopsAtASafePointAndResumes(t *testing.T) {
	t.Parallel()
	src := waitRunbook([]string{"a", "b", "c"}, nil)
	inB := make(chan struct{})
	var ran []string
	runners := scripted(func(ctx context.Context, s *StepRun) (map[string]any, error) {
		ran = append(ran, s.ID())
		if s.ID() == "b" && len(ran) == 2 {
			close(inB)
			<-ctx.Done()
			return nil, context.Cause(ctx)
		}
		return map[string]any{}, nil
	})
	tr := prepareRun(t, src, "", runOptions{runners: runners})
	go func() { <-inB; tr.exec.Interrupt("SIGTERM") }()
	tr.summary, tr.err = tr.exec.Run(context.Background())
	if tr.summary.Outcome != OutcomePaused || !tr.summary.Resumable || tr.status("b") != StatusInterrupted || tr.status("c") != StatusNotRun {
		t.Fatalf("outcome %s (%s), statuses %v", tr.summary.Outcome, tr.summary.Reason, tr.exec.Status())
	}
	if len(tr.rec.of(EventStepFailed, "")) != 0 {
		t.Error("an interruption is not a failure")
	}
	tr.verify()

	prior, err := Replay(readLog(t, tr.dir))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := prior.Done["b"]; ok || prior.Done["a"].Status != StatusDone || len(prior.Failed) != 0 {
		t.Fatalf("replay: %+v", prior)
	}
	resumed := prepareRun(t, src, "", runOptions{runners: runners, done: prior.Done})
	resumed.summary, resumed.err = resumed.exec.Run(context.Background())
	if resumed.summary.Outcome != OutcomeSucceeded || !slices.Equal(ran, []string{"a", "b", "b", "c"}) {
		t.Fatalf("resumed: %s, ran %v", resumed.summary.Outcome, ran)
	}
}

// TestAResumedFailureIsDecidedBeforeAnythingIsSent: the run stopped on a
// failure; resuming it asks about that failure first, and without an
// answer stops again at the same place, sending nothing.
func TestAResumedFailureIsDecidedBeforeAnythingIsSent(t *testing.T) {
	t.Parallel()
	src := waitRunbook([]string{"a", "b"}, map[string]string{"a": "on_failure = \"stop\"\n"})
	calls := map[string]int{}
	runners := scripted(func(_ context.Context, s *StepRun) (map[string]any, error) {
		calls[s.ID()]++
		return map[string]any{}, nil
	})
	failed := map[string]PriorFailure{"a": {Error: "boom"}}
	tr := prepareRun(t, src, "", runOptions{runners: runners, approver: HeadlessApprover{Yes: true}})
	tr.exec = mustExecutor(t, tr, failed, HeadlessApprover{Yes: true})
	tr.summary, tr.err = tr.exec.Run(context.Background())
	if calls["a"] != 0 || tr.summary.Outcome != OutcomeFailed || len(tr.summary.Needs) != 1 || tr.summary.Needs[0].Step != "a" {
		t.Fatalf("without a decision: %d calls, outcome %s, needs %+v", calls["a"], tr.summary.Outcome, tr.summary.Needs)
	}
	decide := WithDecisions(HeadlessApprover{Yes: true}, map[string]Decision{"a": {Verdict: VerdictRetry, Actor: "alice"}})
	tr2 := prepareRun(t, src, "", runOptions{runners: runners})
	tr2.exec = mustExecutor(t, tr2, failed, decide)
	tr2.summary, _ = tr2.exec.Run(context.Background())
	if calls["a"] != 1 || calls["b"] != 1 || tr2.summary.Outcome != OutcomeSucceeded {
		t.Fatalf("with retry decided: calls %v, outcome %s", calls, tr2.summary.Outcome)
	}
	var decided bool
	for _, ev := range readLog(t, tr2.dir) {
		decided = decided || (ev.Type == audit.TypeDecision && ev.Step == "a" && ev.Actor == "alice" && strings.Contains(string(ev.Data), `"retry"`))
	}
	if !decided {
		t.Error("the operator's decision is not in the log")
	}
}

// mustExecutor rebuilds a test run's executor as a resumed one with
// failures to decide and an approver.
func mustExecutor(t *testing.T, tr *testRun, failed map[string]PriorFailure, ap Approver) *Executor {
	t.Helper()
	opts := tr.exec.opts
	opts.Failed, opts.Approver = failed, ap
	e, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	e.runners = tr.exec.runners
	return e
}

// readLog parses a run's events.jsonl.
func readLog(t *testing.T, dir string) []audit.Event {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, audit.EventsFile))
	if err != nil {
		t.Fatal(err)
	}
	var out []audit.Event
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var ev audit.Event
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatal(err)
		}
		out = append(out, ev)
	}
	return out
}

// paceApprover records, when it is asked, what the executor last told
// Pace: a question to a person must find the run at people's pace.
type paceApprover struct {
	last *atomic.Bool
	seen []bool
}

func (a *paceApprover) Approve(context.Context, Gate) (Decision, error) {
	a.seen = append(a.seen, a.last.Load())
	return Decision{Verdict: VerdictApprove, Actor: "alice"}, nil
}

func (a *paceApprover) OnFailure(context.Context, Failure) (Decision, error) {
	return Decision{}, ErrNobodyToAsk
}

// TestTheRunPacesTheClockForPeople: while the only running step waits for
// a person, the executor says so (the sandbox then runs its clock at real
// speed); while a step works, it says the run is working.
func TestTheRunPacesTheClockForPeople(t *testing.T) {
	t.Parallel()
	src := waitRunbook([]string{"a", "b"}, map[string]string{"b": "confirm = \"yes\"\n"})
	var last atomic.Bool
	var duringWork []bool
	ap := &paceApprover{last: &last}
	runners := scripted(func(context.Context, *StepRun) (map[string]any, error) {
		duringWork = append(duringWork, last.Load())
		return map[string]any{}, nil
	})
	tr := prepareRun(t, src, "", runOptions{runners: runners, approver: ap})
	tr.exec.opts.Pace = func(peopleOnly bool) { last.Store(peopleOnly) }
	tr.summary, tr.err = tr.exec.Run(context.Background())
	if tr.summary.Outcome != OutcomeSucceeded {
		t.Fatal(tr.summary.Reason)
	}
	if !slices.Equal(ap.seen, []bool{true}) || !slices.Equal(duringWork, []bool{false, false}) || !last.Load() {
		t.Errorf("pace at the gate %v, during work %v, at the end %v", ap.seen, duringWork, last.Load())
	}
}

// TestADryRunFailsOnPreconditionsThatDoNotHoldNow: a precondition that
// does not hold after a change the dry run only simulated is expected; one
// that does not hold before any change is what a live run would stop on,
// and the rehearsal fails.
func TestADryRunFailsOnPreconditionsThatDoNotHoldNow(t *testing.T) {
	t.Parallel()
	src := `format = 1
[runbook]
id = "rehearsal"
title = "Rehearsal"
[runbook.regions]
primary = "eu-west-1"
recovery = "eu-west-2"

[[steps]]
id = "flip"
phase = "freeze"
action = "ssm.put-parameter"
doc = "x"
[steps.with]
name = "/shop/maintenance"
value = "on"
[[steps.require]]
call = "ssm:GetParameter"
input = { Name = "/shop/maintenance" }
query = "Parameter.Value"
exists = true

[[steps]]
id = "after-flip"
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
	scenario := parameterScenario("/shop/maintenance", "off")
	tr := startRun(t, src, scenario, runOptions{mode: ModeDryRun})
	if tr.summary.Outcome != OutcomeSucceeded {
		t.Fatalf("a precondition that only the simulated change would make hold failed the rehearsal: %s", tr.summary.Reason)
	}
	independent := strings.Replace(src, "id = \"after-flip\"\n", "id = \"after-flip\"\nafter = []\n", 1)
	tr = startRun(t, independent, scenario, runOptions{mode: ModeDryRun})
	if tr.summary.Outcome != OutcomeFailed || tr.summary.Resumable || !strings.Contains(tr.summary.Reason, "a live run would stop there") {
		t.Fatalf("a precondition that does not hold now: outcome %s (resumable %v): %s", tr.summary.Outcome, tr.summary.Resumable, tr.summary.Reason)
	}
	tr.verify()
}

// TestASkipOfAStepThatCannotStartTakesEffect: a skip asked for a step that
// a failure before it holds is carried out when the run stops, so that the
// log's decision and the step's status agree, and resume finds it skipped.
func TestASkipOfAStepThatCannotStartTakesEffect(t *testing.T) {
	t.Parallel()
	src := waitRunbook([]string{"a", "b", "c"}, map[string]string{"a": "on_failure = \"ask\"\n"})
	tr := prepareRun(t, src, "", runOptions{runners: failingRunners("a"), approver: HeadlessApprover{Yes: true}})
	if err := tr.exec.Skip("b", "done by hand", "alice"); err != nil {
		t.Fatal(err)
	}
	tr.summary, tr.err = tr.exec.Run(context.Background())
	if tr.status("b") != StatusSkipped || tr.status("c") != StatusNotRun || !tr.summary.Resumable {
		t.Fatalf("statuses %v, outcome %s", tr.exec.Status(), tr.summary.Outcome)
	}
	prior, err := Replay(readLog(t, tr.dir))
	if err != nil || prior.Done["b"].Status != StatusSkipped {
		t.Errorf("resume would not find b skipped: %+v %v", prior.Done, err)
	}
	tr.verify()
}

// TestAResumedStepWhoseChangeWasSentChecksItsEffect: interrupted after its
// change was answered, a step is resumed without its preconditions (which
// the change itself made false) and without sending the change again: the
// logged answer is used, and the action checks the effect.
func TestAResumedStepWhoseChangeWasSentChecksItsEffect(t *testing.T) {
	t.Parallel()
	src := `format = 1
[runbook]
id = "flip"
title = "Flip"
[runbook.regions]
primary = "eu-west-1"
recovery = "eu-west-2"

[[steps]]
id = "flip"
phase = "freeze"
action = "ssm.put-parameter"
confirm = "none"
doc = "x"
[steps.with]
name = "/shop/flag"
value = "on"
[[steps.require]]
call = "ssm:GetParameter"
input = { Name = "/shop/flag" }
query = "Parameter.Value"
equals = "off"
`
	scenario := parameterScenario("/shop/flag", "off")
	tr := prepareRun(t, src, scenario, runOptions{})
	tr.exec.opts.Observers = append(tr.exec.opts.Observers, ObserverFunc(func(ev Event) {
		if ev.Type == EventCallDone && ev.Call != nil && ev.Call.Operation == "ssm:PutParameter" && ev.Call.RequestID != "" {
			go tr.exec.Interrupt("test: right after the answer")
		}
	}))
	tr.summary, tr.err = tr.exec.Run(context.Background())
	if tr.status("flip") != StatusInterrupted {
		t.Skipf("the step finished before the interruption landed: %v", tr.exec.Status())
	}
	prior, err := Replay(readLog(t, tr.dir))
	if err != nil || len(prior.Answered["flip"]) != 1 {
		t.Fatalf("replay: %+v %v", prior, err)
	}
	resumed := prepareRun(t, src, "", runOptions{on: tr})
	opts := resumed.exec.opts
	opts.Done, opts.Answered = prior.Done, prior.Answered
	if resumed.exec, err = New(opts); err != nil {
		t.Fatal(err)
	}
	resumed.summary, resumed.err = resumed.exec.Run(context.Background())
	if resumed.summary.Outcome != OutcomeSucceeded {
		t.Fatalf("resumed: %s (%s)", resumed.summary.Outcome, resumed.summary.Reason)
	}
	if pre := resumed.rec.of(EventPrecondition, "flip"); len(pre) != 0 {
		t.Errorf("the precondition was evaluated again: %+v", pre)
	}
	puts := 0
	for _, e := range tr.mutatingRequests() {
		if e.Operation == "PutParameter" && e.Status < 300 {
			puts++
		}
	}
	if puts != 1 { // a scenario's own resources are not in the journal
		t.Errorf("%d PutParameter requests answered, want the step's one", puts)
	}
}
