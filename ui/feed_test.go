package ui

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/sandbox"
	"github.com/drpilot/drpilot/steps"
)

// delivered flattens what a feed sent: the events of each eventsMsg, and
// each other message as an event naming its type in Message.
func delivered(msgs []tea.Msg) []steps.Event {
	var out []steps.Event
	for _, msg := range msgs {
		switch msg := msg.(type) {
		case eventsMsg:
			out = append(out, msg...)
		case gateMsg:
			out = append(out, steps.Event{Step: msg.gate.Step, Message: "gate"})
		case failureMsg:
			out = append(out, steps.Event{Step: msg.failure.Step, Message: "failure"})
		default:
			out = append(out, steps.Event{Message: fmt.Sprintf("%T", msg)})
		}
	}
	return out
}

// recording is a send that keeps what it was given.
func recording(into *[]tea.Msg) func(tea.Msg) {
	return func(msg tea.Msg) { *into = append(*into, msg) }
}

// TestTheFeedNeverBlocksTheProducer stalls the consumer inside its first
// send; the producer then pushes 10,000 events, a gate and the run's end,
// and each push returns. (Were one to wait for the consumer, the test
// would never get past the pushes.) Released, the consumer gets every
// message, in order, the gate after the events before it.
func TestTheFeedNeverBlocksTheProducer(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	var got []tea.Msg
	first := true
	f := newFeed(func(msg tea.Msg) {
		if first {
			first = false
			close(entered)
			<-release // a consumer that does not read
		}
		got = append(got, msg)
	}, frameInterval)
	want := []steps.Event{{Type: steps.EventRunStarted}}
	f.push(eventMsg(want[0]))
	<-entered // the consumer is stuck in its send from now on
	for i := 0; i < 10000; i++ {
		e := steps.Event{Type: steps.EventStepReady, Step: fmt.Sprintf("s%d", i%100), Message: fmt.Sprint(i)}
		f.push(eventMsg(e))
		want = append(want, e)
	}
	f.push(gateMsg{gate: steps.Gate{Step: "s1"}, reply: make(chan steps.Decision, 1)})
	want = append(want, steps.Event{Step: "s1", Message: "gate"})
	f.push(eventMsg(steps.Event{Type: steps.EventRunFinished}))
	want = append(want, steps.Event{Type: steps.EventRunFinished})
	close(release)
	f.flush()
	if d := delivered(got); !slices.EqualFunc(d, want, sameEvent) {
		t.Fatalf("delivered %d messages, want %d in order; first difference at %d", len(d), len(want), firstDiff(d, want))
	}
	if len(got) > 4 {
		t.Errorf("%d deliveries for what piled up while the consumer was stalled: want the events in one message each side of the gate", len(got))
	}
}

func sameEvent(a, b steps.Event) bool {
	return a.Type == b.Type && a.Step == b.Step && a.Message == b.Message &&
		(a.Wait == nil) == (b.Wait == nil) && (a.Wait == nil || a.Wait.Polls == b.Wait.Polls)
}

func firstDiff(a, b []steps.Event) int {
	for i := range min(len(a), len(b)) {
		if !sameEvent(a[i], b[i]) {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestTheFeedCoalescesOnlyPollsTheLogLeavesOut pushes a wait's polls while
// nothing consumes: a poll the log leaves out gives way to the same step's
// next such poll, and nothing else is merged or moved. A gate is a
// barrier. The run state built from what is delivered is the state built
// from every event: the same statuses, waits and log.
func TestTheFeedCoalescesOnlyPollsTheLogLeavesOut(t *testing.T) {
	poll := func(step string, n int) steps.Event {
		return steps.Event{Type: steps.EventWaitProgress, Step: step, Message: fmt.Sprint("poll ", n), Wait: &steps.WaitProgress{State: "creating", Polls: n}}
	}
	var all []steps.Event
	f := newFeed(nil, 0) // not attached: everything waits, as for a stalled program
	push := func(e steps.Event) { all = append(all, e); f.push(eventMsg(e)) }
	push(steps.Event{Type: steps.EventStepRunning, Step: "s0"})
	for n := 1; n <= 12; n++ {
		push(poll("s0", n))
		if n == 7 {
			push(steps.Event{Type: steps.EventStepRunning, Step: "s1"})
			push(poll("s1", 2))
		}
	}
	f.push(gateMsg{gate: steps.Gate{Step: "s1"}, reply: make(chan steps.Decision, 1)})
	push(poll("s0", 13))
	push(poll("s0", 14))
	push(steps.Event{Type: steps.EventStepDone, Step: "s0"})
	var got []tea.Msg
	f.attach(recording(&got))
	f.flush()
	var msgs []string
	for _, e := range delivered(got) {
		msgs = append(msgs, e.Step+":"+cmpOr(e.Message, string(e.Type)))
	}
	want := "s0:step.running s0:poll 1 s0:poll 4 s0:poll 5 s0:poll 9 s1:step.running s1:poll 2 s0:poll 10 s0:poll 12 s1:gate s0:poll 14 s0:step.done"
	if strings.Join(msgs, " ") != want {
		t.Fatalf("delivered\n%s\nwant\n%s", strings.Join(msgs, " "), want)
	}
	plan := twoStepPlan(t)
	direct, fed := newRunState(plan), newRunState(plan)
	for _, e := range all {
		direct.apply(e)
	}
	for _, e := range delivered(got) {
		if e.Message != "gate" {
			fed.apply(e)
		}
	}
	for _, id := range []string{"s0", "s1"} {
		d, f := direct.step(id), fed.step(id)
		if d.status != f.status || d.wait.Polls != f.wait.Polls {
			t.Errorf("%s: delivered %s at poll %d, all events %s at poll %d", id, f.status, f.wait.Polls, d.status, d.wait.Polls)
		}
	}
	if !slices.Equal(logTexts(direct), logTexts(fed)) {
		t.Errorf("log from what was delivered\n%q\nfrom every event\n%q", logTexts(fed), logTexts(direct))
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func logTexts(s *runState) []string {
	var out []string
	for _, l := range s.log {
		out = append(out, l.step+" "+l.text)
	}
	return out
}

// twoStepPlan is a plan of two wait steps, s0 and s1.
func twoStepPlan(t *testing.T) *runbooks.RunPlan {
	t.Helper()
	rb, diags := runbooks.Parse("two.toml", []byte(waitStepsRunbook(2, "", "1m")))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	plan, diags := runbooks.Plan(rb, steps.Default())
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return plan
}

// waitStepsRunbook is a runbook of n wait steps one after another, each
// with extra TOML, waiting d.
func waitStepsRunbook(n int, extra, d string) string {
	var src strings.Builder
	src.WriteString("format = 1\n[runbook]\nid = \"bench\"\ntitle = \"Bench\"\nrto = \"4h\"\n[runbook.regions]\nprimary = \"eu-west-1\"\nrecovery = \"eu-west-2\"\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&src, "\n[[steps]]\nid = \"s%d\"\nphase = \"restore\"\naction = \"wait\"\ndoc = \"Step %d.\"\n%s[steps.with]\nduration = %q\n", i, i, extra, d)
	}
	return src.String()
}

// waitStepsRun is the run of n quick wait steps against an empty sandbox,
// with the executor's events going to observers.
func waitStepsRun(t testing.TB, n int, runID string, approver steps.Approver, observers ...steps.Observer) *shippedRun {
	t.Helper()
	rb, diags := runbooks.Parse("many.toml", []byte(waitStepsRunbook(n, "", "1ns")))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	plan, diags := runbooks.Plan(rb, steps.Default())
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return newSandboxRun(t, rb, plan, sandbox.New(sandbox.Options{TimeScale: shippedTimeScale}), runID, approver, observers...)
}

// atFinish is a model that counts the steps done when the finish screen
// comes: what it would show of them.
type atFinish struct {
	Model
	done *int
}

func (m atFinish) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	next, cmd := m.Model.Update(msg)
	m.Model = next.(Model)
	if _, ok := msg.(finishedMsg); ok {
		*m.done, _, _, _ = m.run.counts()
	}
	return m, cmd
}

// TestABurstOfStepsEndsWithEveryStepsFinalStatus runs 1,000 quick steps in
// the program, and holds every delivery of their events until the run has
// returned: the finish screen must still come after them all, with every
// step done.
func TestABurstOfStepsEndsWithEveryStepsFinalStatus(t *testing.T) {
	if testing.Short() {
		t.Skip("runs 1,000 steps")
	}
	const n = 1000
	bridge := NewBridge(nil)
	run := waitStepsRun(t, n, "burst", bridge, bridge)
	returned := make(chan struct{})
	model := New(Options{Plan: run.plan, Mode: steps.ModeSandbox, AuditDir: run.dir, Control: run.exec, Bridge: bridge,
		Run: func() (*steps.RunSummary, error) {
			defer close(returned)
			return run.exec.Run(context.Background())
		}})
	doneAtFinish := -1
	tm := teatest.NewTestModel(t, atFinish{Model: model, done: &doneAtFinish}, teatest.WithInitialTermSize(120, 40))
	bridge.Attach(func(msg tea.Msg) { <-returned; tm.Send(msg) })
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("Readiness")) },
		teatest.WithDuration(10*time.Second))
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("SUCCEEDED")) },
		teatest.WithDuration(60*time.Second), teatest.WithCheckInterval(50*time.Millisecond))
	tm.Type("q")
	final := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(atFinish)
	if final.summary == nil || final.summary.Counts["done"] != n {
		t.Fatalf("summary %+v", final.summary)
	}
	if doneAtFinish != n {
		t.Errorf("the finish screen came with %d steps done of %d: before the run's last events", doneAtFinish, n)
	}
	for _, st := range final.run.steps {
		if st.status != stDone {
			t.Fatalf("%s shows %s at the end; the run did it", st.plan.ID, st.status)
		}
	}
}

// TestAGateIsAnsweredThroughTheBridge: a question asked behind a thousand
// events is delivered after them, and its answer reaches the executor.
func TestAGateIsAnsweredThroughTheBridge(t *testing.T) {
	bridge := NewBridge(nil)
	got := make(chan tea.Msg, 16)
	bridge.Attach(func(msg tea.Msg) { got <- msg })
	for i := 0; i < 1000; i++ {
		bridge.Event(steps.Event{Type: steps.EventStepReady, Step: "a"})
	}
	answered := make(chan steps.Decision, 1)
	go func() {
		d, _ := bridge.Approve(context.Background(), steps.Gate{Step: "a"})
		answered <- d
	}()
	events := 0
	for {
		switch msg := (<-got).(type) {
		case eventsMsg:
			events += len(msg)
			continue
		case gateMsg:
			if events != 1000 {
				t.Fatalf("the gate came after %d of the 1,000 events before it", events)
			}
			msg.reply <- steps.Decision{Verdict: steps.VerdictApprove}
		}
		break
	}
	if d := <-answered; d.Verdict != steps.VerdictApprove {
		t.Fatalf("decision %+v", d)
	}
}

// The event log gives a step's title once, on its ready line: its running
// line says it runs, and which attempt, as the text output does.
func TestLogNamesAStepOnce(t *testing.T) {
	s := newRunState(twoStepPlan(t))
	now := time.Now()
	for _, e := range []steps.Event{
		{Type: steps.EventStepReady, Step: "s0", Time: now, Message: "Wait a minute"},
		{Type: steps.EventStepRunning, Step: "s0", Time: now, Attempt: 1, Message: "Wait a minute"},
		{Type: steps.EventStepRunning, Step: "s0", Time: now, Attempt: 2, Message: "Wait a minute"},
	} {
		s.apply(e)
	}
	want := []string{"s0 Wait a minute", "s0 running", "s0 running (attempt 2)"}
	if got := logTexts(s); !slices.Equal(got, want) {
		t.Errorf("log = %q, want %q", got, want)
	}
}
