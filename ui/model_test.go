package ui

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/steps"
)

const testRunbook = `format = 1
[runbook]
id = "ui-test"
title = "UI test runbook"
description = "Flip a flag, then wait."
rto = "30m"
[runbook.regions]
primary = "eu-west-1"
recovery = "eu-west-2"

[[steps]]
id = "declare"
phase = "declare"
action = "manual"
doc = "Declare it."
checklist = ["Commander named", "Bridge open"]

[[steps]]
id = "flag"
phase = "freeze"
action = "ssm.put-parameter"
confirm = "type"
doc = "Sets the flag."
[steps.with]
name = "/shop/maintenance"
value = "on"
[[steps.require]]
call = "ssm:GetParameter"
input = { Name = "/shop/maintenance" }
query = "Parameter.Value"
equals = "off"
[steps.outputs]
version = "Version"

[[steps]]
id = "settle"
phase = "verify"
action = "wait"
doc = "Let it settle."
[steps.with]
duration = "1m"
`

// fakeControl records what the operator asked of the executor.
type fakeControl struct {
	mu    sync.Mutex
	calls []string
}

func (c *fakeControl) SkipWithOutputs(step, reason, actor string, outputs map[string]any) error {
	if len(outputs) > 0 {
		return c.add(fmt.Sprintf("skip %s: %s %v", step, reason, outputs))
	}
	return c.add("skip " + step + ": " + reason)
}
func (c *fakeControl) Abort(reason, actor string) error { return c.add("abort: " + reason) }
func (c *fakeControl) Interrupt(reason string)          { c.add("interrupt: " + reason) }
func (c *fakeControl) Note(step, text, actor string) error {
	return c.add("note " + step + ": " + text)
}
func (c *fakeControl) add(s string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, s)
	return nil
}

// testModel is a model on the test runbook at 100x30, on the run screen.
func testModel(t *testing.T) (Model, *fakeControl) {
	t.Helper()
	rb, diags := runbooks.Parse("ui-test.toml", []byte(testRunbook))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	plan, diags := runbooks.Plan(rb, steps.Default())
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	ctl := &fakeControl{}
	clock := time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC)
	m := New(Options{Plan: plan, Mode: steps.ModeSandbox, Account: "123456789012", AuditDir: "/runs/r1", Actor: "kenji",
		Finish: func(sum *steps.RunSummary) []string {
			return []string{fmt.Sprintf("run %s %s", sum.ID, strings.ToUpper(sum.Outcome)), sum.RTO,
				"verify: drpilot audit verify /runs/r1 --pub k.pub", "export: drpilot audit export /runs/r1 --format md"}
		},
		Control: ctl, Run: func() (*steps.RunSummary, error) { return nil, nil }, Now: func() time.Time { return clock }})
	m = send(t, m, tea.WindowSizeMsg{Width: 100, Height: 30})
	return m, ctl
}

// send applies one message and returns the model.
func send(t *testing.T, m Model, msg tea.Msg) Model {
	t.Helper()
	next, _ := m.Update(msg)
	return next.(Model)
}

// press types keys: named keys ("enter", "esc") or text.
func press(t *testing.T, m Model, keys ...string) Model {
	t.Helper()
	for _, k := range keys {
		switch k {
		case "enter":
			m = send(t, m, tea.KeyPressMsg{Code: tea.KeyEnter})
		case "esc":
			m = send(t, m, tea.KeyPressMsg{Code: tea.KeyEscape})
		case "up":
			m = send(t, m, tea.KeyPressMsg{Code: tea.KeyUp})
		case "down":
			m = send(t, m, tea.KeyPressMsg{Code: tea.KeyDown})
		default:
			for _, r := range k {
				m = send(t, m, tea.KeyPressMsg{Code: r, Text: string(r)})
			}
		}
	}
	return m
}

// running puts the model on the run screen with the run started.
func running(t *testing.T, m Model) Model {
	t.Helper()
	next, cmd := m.Update(tea.KeyPressMsg{Code: tea.KeyEnter})
	if cmd == nil {
		t.Fatal("enter on the start screen started nothing")
	}
	m = next.(Model)
	return send(t, m, eventMsg(steps.Event{Type: steps.EventRunStarted, Time: m.opts.Now()}))
}

func TestStartScreenShowsModeTargetsAndReadiness(t *testing.T) {
	m, _ := testModel(t)
	m = send(t, m, readinessMsg{{Step: "flag", PreconditionResult: steps.PreconditionResult{Call: "ssm:GetParameter", Observed: "on", Failure: `wanted equals "off"`}}})
	screen := plain(m.render())
	for _, want := range []string{"SANDBOX", "UI test runbook", "account 123456789012", "eu-west-1 → recovery eu-west-2",
		"RTO 30m", "declare", "✗ flag", `observed "on"`, "enter start the run"} {
		if !strings.Contains(screen, want) {
			t.Errorf("start screen lacks %q:\n%s", want, screen)
		}
	}
	if m.screen != screenStart {
		t.Fatal("the run started on its own")
	}
}

// TestTheLastRunIsReadAfterTheFirstFrame: reading earlier runs' logs can
// take long, so the first frame says it is reading them, and the line
// comes with a command's message.
func TestTheLastRunIsReadAfterTheFirstFrame(t *testing.T) {
	m, _ := testModel(t)
	reads := 0
	m.opts.ReadLastRun = func() string { reads++; return "since the last rehearsal: 2026-11-20 09:12 UTC, SANDBOX, succeeded" }
	if screen := plain(m.render()); !strings.Contains(screen, "reading the earlier runs here…") || reads != 0 {
		t.Fatalf("first frame (%d reads):\n%s", reads, screen)
	}
	var got tea.Msg
	for _, cmd := range m.Init()().(tea.BatchMsg) {
		if msg, ok := cmd().(lastRunMsg); ok {
			got = msg
		}
	}
	if got == nil || reads != 1 {
		t.Fatalf("Init's commands read the last run %d times and sent %v", reads, got)
	}
	screen := plain(send(t, m, got).render())
	if !strings.Contains(screen, "since the last rehearsal: 2026-11-20 09:12 UTC, SANDBOX, succeeded") || strings.Contains(screen, "reading the earlier") {
		t.Fatalf("start screen once read:\n%s", screen)
	}
}

func TestEventsMoveStatusesAndTheSelectionFollows(t *testing.T) {
	m, _ := testModel(t)
	m = running(t, m)
	now := m.opts.Now()
	for _, e := range []steps.Event{
		{Type: steps.EventStepReady, Step: "declare", Time: now},
		{Type: steps.EventStepRunning, Step: "declare", Attempt: 1, Time: now},
		{Type: steps.EventStepDone, Step: "declare", Time: now},
		{Type: steps.EventStepReady, Step: "flag", Time: now},
		{Type: steps.EventPrecondition, Step: "flag", Time: now, Precondition: &steps.PreconditionResult{Call: "ssm:GetParameter", Observed: "off", Holds: true}},
		{Type: steps.EventStepRunning, Step: "flag", Attempt: 1, Time: now},
		{Type: steps.EventCallSent, Step: "flag", Time: now, Call: &steps.CallInfo{ID: "flag/1", Operation: "ssm:PutParameter", Region: "eu-west-2", Mutating: true}},
		{Type: steps.EventCallDone, Step: "flag", Time: now, Call: &steps.CallInfo{ID: "flag/1", Operation: "ssm:PutParameter", Region: "eu-west-2", RequestID: "req-1"}},
		{Type: steps.EventWaitProgress, Step: "flag", Time: now, Wait: &steps.WaitProgress{State: "version 1", Polls: 1}},
		{Type: steps.EventStepRetry, Step: "flag", Time: now, Error: "Throttling"},
		{Type: steps.EventNote, Step: "flag", Time: now, Message: "already on"},
	} {
		m = send(t, m, eventMsg(e))
	}
	if got := m.run.step("declare").status; got != stDone {
		t.Errorf("declare is %s", got)
	}
	if m.selectedStep().plan.ID != "flag" {
		t.Errorf("the selection did not follow to the running step: %s", m.selectedStep().plan.ID)
	}
	detail := plain(m.stepDetail(60))
	for _, want := range []string{"request id req-1", `observed "off"`, "waiting: version 1 · poll 1"} {
		if !strings.Contains(detail, want) {
			t.Errorf("detail lacks %q:\n%s", want, detail)
		}
	}
	// Moving by hand stops following; f follows again.
	m = press(t, m, "up")
	m = send(t, m, eventMsg(steps.Event{Type: steps.EventStepReady, Step: "settle", Time: now}))
	if m.selectedStep().plan.ID != "declare" || m.follow {
		t.Errorf("selection %s follow %v after moving by hand", m.selectedStep().plan.ID, m.follow)
	}
	m = press(t, m, "f")
	if !m.follow || m.selectedStep().plan.ID == "declare" {
		t.Error("f did not follow again")
	}
	m = send(t, m, eventMsg(steps.Event{Type: steps.EventStepFailed, Step: "settle", Time: now, Error: "boom"}))
	m = send(t, m, eventMsg(steps.Event{Type: steps.EventStepSkipped, Step: "flag", Time: now, Message: "by hand"}))
	if m.run.step("settle").status != stFailed || m.run.step("flag").status != stSkipped {
		t.Error("failed and skipped did not land")
	}
}

func TestGates(t *testing.T) {
	t.Run("y approves a yes gate", func(t *testing.T) {
		m, _ := testModel(t)
		m = running(t, m)
		reply := make(chan steps.Decision, 1)
		m = send(t, m, gateMsg{gate: steps.Gate{Step: "declare", Confirm: "checklist", Checklist: []string{"Commander named", "Bridge open"}}, reply: reply})
		if !strings.Contains(plain(m.render()), "[ ] Commander named") {
			t.Error("the checklist is not shown")
		}
		m = press(t, m, " ", "y")
		if len(reply) != 0 || !strings.Contains(m.flash, "1 of 2") {
			t.Fatalf("y approved a checklist with an item left (flash %q)", m.flash)
		}
		m = press(t, m, " ")
		if !strings.Contains(plain(m.render()), "[x] Bridge open") {
			t.Error("the ticks are not shown")
		}
		press(t, m, "y")
		if d := <-reply; d.Verdict != steps.VerdictApprove || d.Actor != "kenji" || !strings.Contains(d.Reason, "Bridge open") {
			t.Errorf("decision %+v", d)
		}
	})
	t.Run("a typed gate needs the step id", func(t *testing.T) {
		m, _ := testModel(t)
		m = running(t, m)
		reply := make(chan steps.Decision, 1)
		m = send(t, m, gateMsg{gate: steps.Gate{Step: "flag", Confirm: "type"}, reply: reply})
		if m.prompt == nil || m.prompt.kind != promptTypeID {
			t.Fatal("a typed gate opens its prompt")
		}
		m = press(t, m, "y", "enter") // a stray y is text here, not an approval
		if len(reply) != 0 || !strings.Contains(m.flash, "not the step id") {
			t.Fatalf("a wrong id was accepted (flash %q)", m.flash)
		}
		m = press(t, m, "flag", "enter")
		if d := <-reply; d.Verdict != steps.VerdictApprove {
			t.Errorf("decision %+v", d)
		}
	})
	t.Run("s skips a gated step with a reason", func(t *testing.T) {
		m, _ := testModel(t)
		m = running(t, m)
		reply := make(chan steps.Decision, 1)
		m = send(t, m, gateMsg{gate: steps.Gate{Step: "settle", Confirm: "yes"}, reply: reply})
		m = press(t, m, "s", "enter")
		if len(reply) != 0 {
			t.Fatal("a skip without a reason was accepted")
		}
		press(t, m, "done by hand", "enter")
		if d := <-reply; d.Verdict != steps.VerdictSkip || d.Reason != "done by hand" {
			t.Errorf("decision %+v", d)
		}
	})
}

func TestParallelGatesAreAnsweredOneByOne(t *testing.T) {
	m, _ := testModel(t)
	m = running(t, m)
	first, second := make(chan steps.Decision, 1), make(chan steps.Decision, 1)
	m = send(t, m, gateMsg{gate: steps.Gate{Step: "declare", Confirm: "yes"}, reply: first})
	m = send(t, m, gateMsg{gate: steps.Gate{Step: "settle", Confirm: "yes"}, reply: second})
	if m.run.step("settle").status != stAwaiting {
		t.Error("a step waiting at its gate does not show as awaiting")
	}
	m = press(t, m, "y")
	if len(first) != 1 || len(second) != 0 {
		t.Fatalf("y answered %d and %d", len(first), len(second))
	}
	m = press(t, m, "y")
	if len(second) != 1 {
		t.Fatal("the second gate was lost")
	}
}

func TestFailureChoices(t *testing.T) {
	for key, want := range map[string]steps.Verdict{"r": steps.VerdictRetry, "c": steps.VerdictContinue} {
		m, _ := testModel(t)
		m = running(t, m)
		reply := make(chan steps.Decision, 1)
		m = send(t, m, failureMsg{failure: steps.Failure{Step: "flag", Error: "AccessDenied"}, reply: reply})
		if !strings.Contains(plain(m.render()), "r retries, c continues") {
			t.Errorf("the choices are not shown:\n%s", plain(m.render()))
		}
		m = press(t, m, "y") // not a choice here: nothing happens
		if len(reply) != 0 {
			t.Fatal("y answered a failure")
		}
		press(t, m, key)
		if d := <-reply; d.Verdict != want {
			t.Errorf("%s: decision %+v", key, d)
		}
	}
}

// TestASkipAsksForTheStepsOutputs: the operator who did a step by hand
// gives the values of its declared outputs, one prompt each, or "-" for
// none; the skip carries them to the executor.
func TestASkipAsksForTheStepsOutputs(t *testing.T) {
	m, ctl := testModel(t)
	m = running(t, m)
	m = press(t, m, "down", "s", "done in the console", "enter")
	if m.prompt == nil || m.prompt.kind != promptOutput || !strings.Contains(m.prompt.label, "output version") {
		t.Fatalf("the skip does not ask for the output: %+v", m.prompt)
	}
	m = press(t, m, "7")
	next, cmd := m.Update(tea.KeyPressMsg{Code: tea.KeyEnter})
	run(t, cmd)
	if got := strings.Join(ctl.calls, "\n"); !strings.Contains(got, "skip flag: done in the console map[version:7]") {
		t.Errorf("controller calls: %s", got)
	}
	m = press(t, next.(Model), "s", "again", "enter", "-")
	_, cmd = m.Update(tea.KeyPressMsg{Code: tea.KeyEnter})
	run(t, cmd)
	if got := ctl.calls[len(ctl.calls)-1]; got != "skip flag: again" {
		t.Errorf("- gives no value: %s", got)
	}
}

func TestSkipNoteAndAbortGoThroughTheController(t *testing.T) {
	m, ctl := testModel(t)
	m = running(t, m)
	m = press(t, m, "down", "down", "s", "not needed", "enter")
	m = press(t, m, "n", "DBA on the bridge")
	next, cmd := m.Update(tea.KeyPressMsg{Code: tea.KeyEnter})
	m = next.(Model)
	run(t, cmd)
	m = press(t, m, "A", "esc")
	if m.prompt != nil {
		t.Fatal("esc did not cancel the abort")
	}
	m = press(t, m, "A", "wrong runbook")
	next, cmd = m.Update(tea.KeyPressMsg{Code: tea.KeyEnter})
	run(t, cmd)
	_ = next
	got := strings.Join(ctl.calls, "\n")
	for _, want := range []string{"note settle: DBA on the bridge", "abort: wrong runbook"} {
		if !strings.Contains(got, want) {
			t.Errorf("controller calls lack %q:\n%s", want, got)
		}
	}
}

// plain is rendered text without its styles.
func plain(s string) string { return ansi.Strip(s) }

// run executes a command and the ones it batches, as the program would.
func run(t *testing.T, cmd tea.Cmd) {
	t.Helper()
	if cmd == nil {
		t.Fatal("no command")
	}
	if batch, ok := cmd().(tea.BatchMsg); ok {
		for _, c := range batch {
			if c != nil {
				c()
			}
		}
	}
}

func TestTooSmallAndFinish(t *testing.T) {
	m, _ := testModel(t)
	m = send(t, m, tea.WindowSizeMsg{Width: 60, Height: 20})
	if !strings.Contains(plain(m.render()), "at least 80x24") {
		t.Errorf("a small terminal: %q", plain(m.render()))
	}
	m = send(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})
	m = running(t, m)
	m.opts.Verify = func() string { return "VALID: 42 events" }
	next, cmd := m.Update(finishedMsg{summary: &steps.RunSummary{ID: "r1", Outcome: steps.OutcomeSucceeded, Mode: "sandbox",
		AuditDir: "/runs/r1", Elapsed: 12 * time.Minute, Counts: map[string]int{"done": 3}, RTO: "RTO achieved 12m against 30m: met"}})
	m = next.(Model)
	if !strings.Contains(plain(m.render()), "audit log: verifying") || cmd == nil {
		t.Fatal("the finish screen does not verify the log")
	}
	m = send(t, m, cmd())
	screen := plain(m.render())
	for _, want := range []string{"run r1 SUCCEEDED", "RTO achieved 12m against 30m: met", "audit log: VALID: 42 events", "drpilot audit verify /runs/r1", "drpilot audit export /runs/r1"} {
		if !strings.Contains(screen, want) {
			t.Errorf("finish screen lacks %q:\n%s", want, screen)
		}
	}
	if _, cmd := m.Update(tea.KeyPressMsg{Code: 'q', Text: "q"}); cmd == nil {
		t.Error("q does not quit the finish screen")
	}
}

func TestReflowJoinsParagraphLinesAndKeepsLists(t *testing.T) {
	got := reflow("Makes **this** the writer\nof the `global` database.\n\n- first item\n- second item\n\nLast.")
	want := "Makes **this** the writer of the `global` database.\n\n- first item\n- second item\n\nLast."
	if got != want {
		t.Errorf("reflow:\n%q\nwant\n%q", got, want)
	}
	m, _ := testModel(t)
	if md := plain(m.markdown("# Why\nMakes **this** the `global` writer.")); md != "Why\nMakes this the global writer." {
		t.Errorf("markdown rendered as %q", md)
	}
}

func TestRemainingKeysAndEvents(t *testing.T) {
	m, ctl := testModel(t)
	if _, cmd := m.Update(tea.KeyPressMsg{Code: 'q', Text: "q"}); cmd == nil {
		t.Error("q does not quit the start screen")
	}
	m = running(t, m)
	now := m.opts.Now()
	m = send(t, m, eventMsg(steps.Event{Type: steps.EventStepReady, Step: "flag", Time: now}))
	m = send(t, m, eventMsg(steps.Event{Type: steps.EventAwaiting, Step: "flag", Time: now}))
	if m.run.step("flag").status != stAwaiting {
		t.Error("step.awaiting does not show")
	}
	for i := 0; i < 30; i++ {
		m = send(t, m, eventMsg(steps.Event{Type: steps.EventNote, Step: "flag", Time: now, Message: fmt.Sprintf("note %d", i)}))
	}
	m = press(t, m, "?")
	if !m.showHelp || !strings.Contains(plain(m.render()), "tick a checklist item") {
		t.Error("? does not show every key")
	}
	m = press(t, m, "?")
	m = send(t, m, tea.KeyPressMsg{Code: tea.KeyPgUp})
	if m.logScroll == 0 || strings.Contains(m.eventLog(m.logHeight()), "note 29") {
		t.Error("pgup does not scroll the log back")
	}
	m = send(t, m, tea.KeyPressMsg{Code: tea.KeyPgDown})
	if m.logScroll != 0 {
		t.Error("pgdown does not scroll the log forward")
	}
	next, cmd := m.Update(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
	m = next.(Model)
	if m.prompt != nil || cmd == nil {
		t.Fatal("ctrl+c asks something: it stops the run, resumably, at once")
	}
	run(t, cmd)
	if got := strings.Join(ctl.calls, "\n"); !strings.Contains(got, "interrupt: ctrl+c in the terminal UI (kenji)") {
		t.Errorf("ctrl+c does not interrupt the run: %s", got)
	}
	// Whatever is being typed: a prompt does not swallow ctrl+c.
	m = press(t, m, "A", "half a reas")
	next, cmd = m.Update(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
	m = next.(Model)
	if m.prompt != nil || cmd == nil {
		t.Fatal("ctrl+c in a prompt did not stop the run")
	}
	run(t, cmd)
	if n := strings.Count(strings.Join(ctl.calls, "\n"), "interrupt:"); n != 2 {
		t.Errorf("%d interrupts, want 2", n)
	}
	m = send(t, m, eventMsg(steps.Event{Type: steps.EventRunFinished, Time: now, Run: &steps.RunSummary{ID: "r1", Outcome: steps.OutcomeAborted}}))
	if m.run.summary == nil || m.run.summary.Outcome != steps.OutcomeAborted {
		t.Error("run.finished is not kept")
	}
}

func TestAQuestionTheExecutorWithdrewIsDropped(t *testing.T) {
	m, _ := testModel(t)
	m = running(t, m)
	stale, live := make(chan steps.Decision, 1), make(chan steps.Decision, 1)
	m = send(t, m, gateMsg{gate: steps.Gate{Step: "declare", Confirm: "checklist", Checklist: []string{"a"}}, reply: stale})
	// The manual step timed out: its gate is gone; then a failure of it is
	// asked about.
	m = send(t, m, eventMsg(steps.Event{Type: steps.EventStepFailed, Step: "declare", Time: m.opts.Now(), Error: "timed out"}))
	m = send(t, m, failureMsg{failure: steps.Failure{Step: "declare", Error: "timed out"}, reply: live})
	press(t, m, "r")
	if len(stale) != 0 || len(live) != 1 {
		t.Fatalf("r answered the withdrawn gate (%d) instead of the failure (%d)", len(stale), len(live))
	}
}

func TestIncompleteEventsDoNotPanic(t *testing.T) {
	m, _ := testModel(t)
	m = running(t, m)
	for _, typ := range []steps.EventType{steps.EventStepReady, steps.EventPrecondition, steps.EventAwaiting, steps.EventStepRunning,
		steps.EventCallSent, steps.EventCallDone, steps.EventWaitProgress, steps.EventStepRetry, steps.EventStepDone,
		steps.EventStepFailed, steps.EventStepSkipped, steps.EventNote, steps.EventRunFinished} {
		for _, step := range []string{"", "flag", "no-such-step"} {
			m = send(t, m, eventMsg(steps.Event{Type: typ, Step: step}))
		}
	}
	_ = m.render()
}

// TestTheScreenReadsTheRunsClock: a tick moves the screen's clock to the
// run's (the sandbox's, running ahead of the wall clock), not to the
// tick's wall time, so that the RTO clock never goes negative.
func TestTheScreenReadsTheRunsClock(t *testing.T) {
	m, _ := testModel(t)
	simulated := time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)
	m.opts.Now = func() time.Time { return simulated }
	m = running(t, m)
	m = send(t, m, tickMsg(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
	if !m.now.Equal(simulated) {
		t.Errorf("after a tick the screen's clock is %s, want the run's %s", m.now, simulated)
	}
}
