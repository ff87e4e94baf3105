package ui

import (
	"regexp"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/drpilot/drpilot/steps"
)

// paneAsks is the step id the detail pane asks to be typed, or "".
func paneAsks(t *testing.T, m Model) string {
	t.Helper()
	found := regexp.MustCompile(`type its id \(([a-z0-9-]+)\)`).FindStringSubmatch(plain(m.stepDetail(100)))
	if found == nil {
		return ""
	}
	return found[1]
}

// TestTwoTypedGatesThePaneAndThePromptNameTheSameStep: with two typed
// gates waiting, the pane follows the run to the step first in the file
// (flag) while the prompt was opened for the gate that came first
// (settle). The pane must show the prompt's step, and typing the id the
// pane asks for approves it.
func TestTwoTypedGatesThePaneAndThePromptNameTheSameStep(t *testing.T) {
	m, _ := testModel(t)
	m = running(t, m)
	now := m.opts.Now()
	settle, flag := make(chan steps.Decision, 1), make(chan steps.Decision, 1)
	m = send(t, m, eventMsg(steps.Event{Type: steps.EventAwaiting, Step: "settle", Time: now}))
	m = send(t, m, gateMsg{gate: steps.Gate{Step: "settle", Confirm: "type"}, reply: settle})
	m = send(t, m, eventMsg(steps.Event{Type: steps.EventAwaiting, Step: "flag", Time: now}))
	m = send(t, m, gateMsg{gate: flagGate("type"), reply: flag})
	for _, e := range []steps.Event{
		{Type: steps.EventStepReady, Step: "declare", Time: now},
		{Type: steps.EventStepRunning, Step: "declare", Time: now, Attempt: 1},
	} {
		m = send(t, m, eventMsg(e))
	}
	asked := paneAsks(t, m)
	if m.prompt == nil || asked != m.prompt.step || m.selectedStep().plan.ID != asked {
		t.Fatalf("the pane asks for %q, the prompt for %q", asked, promptStep(m))
	}
	m = press(t, m, asked, "enter")
	first := map[string]chan steps.Decision{"settle": settle, "flag": flag}[asked]
	if len(first) != 1 {
		t.Fatalf("typing %s, which the pane asked for, did not approve it (flash %q)", asked, m.flash)
	}
	next := paneAsks(t, m)
	if next == "" || next == asked || m.prompt == nil || m.prompt.step != next {
		t.Fatalf("after %s: the pane asks for %q, the prompt for %q", asked, next, promptStep(m))
	}
	m = press(t, m, next, "enter")
	if len(settle) != 1 || len(flag) != 1 {
		t.Error("the second typed gate was not approved by its id")
	}
}

// TestInATypedGateEveryKeyIsText: a typed gate that arrives while the
// operator writes a note gets its prompt when the note is saved, so that
// typing its id ("settle": s is skip) does not skip it; and in the
// prompt, y, s, A, n, f, q, ? and space are all text.
func TestInATypedGateEveryKeyIsText(t *testing.T) {
	m, ctl := testModel(t)
	m = running(t, m)
	reply := make(chan steps.Decision, 1)
	m = press(t, m, "n", "DBA joined")
	m = send(t, m, gateMsg{gate: steps.Gate{Step: "settle", Confirm: "type"}, reply: reply})
	next, cmd := m.Update(tea.KeyPressMsg{Code: tea.KeyEnter})
	m = next.(Model)
	run(t, cmd)
	if !strings.Contains(strings.Join(ctl.calls, "\n"), "DBA joined") {
		t.Fatal("the note was not saved")
	}
	press(t, m, "settle", "enter")
	if d := <-reply; d.Verdict != steps.VerdictApprove {
		t.Fatalf("typing the step id answered %+v", d)
	}

	m, _ = testModel(t)
	m = running(t, m)
	m = send(t, m, gateMsg{gate: flagGate("type"), reply: make(chan steps.Decision, 1)})
	m = press(t, m, "ysAnfq? ")
	if m.prompt == nil || m.prompt.kind != promptTypeID || m.prompt.input.Value() != "ysAnfq? " || m.showHelp || !m.follow {
		t.Errorf("keys in a typed gate were taken as commands: prompt for %q, help %v, follow %v", promptStep(m), m.showHelp, m.follow)
	}
}

// TestLeavingATypedGateGivesTheKeysBack: Esc leaves the prompt, and the
// step's keys are commands again: s skips it, y types its id again.
func TestLeavingATypedGateGivesTheKeysBack(t *testing.T) {
	m, _ := testModel(t)
	m = running(t, m)
	reply := make(chan steps.Decision, 1)
	m = send(t, m, gateMsg{gate: flagGate("type"), reply: reply})
	m = press(t, m, "esc")
	if m.prompt != nil {
		t.Fatal("esc did not leave the prompt")
	}
	m = press(t, m, "y")
	if m.prompt == nil || m.prompt.input.Value() != "" {
		t.Fatalf("y did not open the prompt again: prompt for %q", promptStep(m))
	}
	// The skip asks for the step's output next; "-" gives none.
	m = press(t, m, "esc", "s", "done by hand", "enter", "-", "enter")
	if d := <-reply; d.Verdict != steps.VerdictSkip || d.Reason != "done by hand" {
		t.Errorf("decision %+v", d)
	}
}

// TestTheErrorLineClearsOnceTheGateIsApproved: a wrong id is refused on
// the footer's line, which clears when the right id approves the step.
func TestTheErrorLineClearsOnceTheGateIsApproved(t *testing.T) {
	m, _ := testModel(t)
	m = running(t, m)
	reply := make(chan steps.Decision, 1)
	m = send(t, m, gateMsg{gate: flagGate("type"), reply: reply})
	m = press(t, m, "flga", "enter")
	if !strings.Contains(plain(m.footer()), "not the step id") {
		t.Fatalf("a wrong id is not refused: %q", plain(m.footer()))
	}
	m = press(t, m, "flag", "enter")
	if len(reply) != 1 {
		t.Fatal("the right id did not approve")
	}
	if m.flash != "" || strings.Contains(plain(m.render()), "not the step id") {
		t.Errorf("the error line stays after the approval: %q", m.flash)
	}
}

// TestAFailureTakesTheSelectionUnlessTheOperatorTypes: a step that fails
// while others run is put on screen, and stays there while the others go
// on; not while the operator types.
func TestAFailureTakesTheSelectionUnlessTheOperatorTypes(t *testing.T) {
	m, _ := testModel(t)
	m = running(t, m)
	now := m.opts.Now()
	for _, e := range []steps.Event{
		{Type: steps.EventStepRunning, Step: "declare", Time: now, Attempt: 1},
		{Type: steps.EventStepRunning, Step: "settle", Time: now, Attempt: 1},
		{Type: steps.EventStepFailed, Step: "settle", Time: now, Error: "boom"},
		{Type: steps.EventWaitProgress, Step: "declare", Time: now, Wait: &steps.WaitProgress{State: "ticking", Polls: 2}},
	} {
		m = send(t, m, eventMsg(e))
	}
	if got := m.selectedStep().plan.ID; got != "settle" || !strings.Contains(plain(m.stepDetail(60)), "FAILED: boom") {
		t.Fatalf("the failed step is not on screen: %s", got)
	}
	m = press(t, m, "f")
	if m.selectedStep().plan.ID != "declare" {
		t.Error("f does not follow the run again")
	}

	m = press(t, m, "n", "look")
	m = send(t, m, eventMsg(steps.Event{Type: steps.EventStepFailed, Step: "flag", Time: now, Error: "boom"}))
	if got := m.selectedStep().plan.ID; got != "declare" || m.prompt == nil || m.prompt.input.Value() != "look" {
		t.Errorf("a failure moved the screen while the operator typed: %s, prompt for %q", got, promptStep(m))
	}
}

// TestKeysAnswerOnlyTheStepOnScreen: a gate of a step the operator does
// not look at is not approved by y; the footer says something waits, and
// f shows it.
func TestKeysAnswerOnlyTheStepOnScreen(t *testing.T) {
	m, _ := testModel(t)
	m = running(t, m)
	m = press(t, m, "up") // the operator looks at declare; the run is not followed
	reply := make(chan steps.Decision, 1)
	m = send(t, m, gateMsg{gate: steps.Gate{Step: "settle", Confirm: "yes"}, reply: reply})
	m = press(t, m, "y")
	if len(reply) != 0 {
		t.Fatal("y approved a step that is not on screen")
	}
	if !strings.Contains(plain(m.footer()), "show what waits for you (1)") {
		t.Errorf("the footer does not say a step waits: %q", plain(m.footer()))
	}
	press(t, m, "f", "y")
	if len(reply) != 1 {
		t.Error("f then y did not approve the waiting step")
	}
}

// TestATypedGateWithdrawnWhileTypingKeepsTheKeysText: when the step whose
// id is being typed ends (skipped, the run aborted), what the operator
// goes on typing must not turn into commands, y for another gate least of
// all.
func TestATypedGateWithdrawnWhileTypingKeepsTheKeysText(t *testing.T) {
	m, _ := testModel(t)
	m = running(t, m)
	flag, settle := make(chan steps.Decision, 1), make(chan steps.Decision, 1)
	m = send(t, m, gateMsg{gate: flagGate("type"), reply: flag})
	m = send(t, m, gateMsg{gate: steps.Gate{Step: "settle", Confirm: "yes"}, reply: settle})
	m = press(t, m, "fl")
	m = send(t, m, eventMsg(steps.Event{Type: steps.EventStepSkipped, Step: "flag", Time: m.opts.Now(), Message: "skipped"}))
	m = press(t, m, "ay sy")
	if len(flag) != 0 || len(settle) != 0 || m.prompt == nil || m.prompt.input.Value() != "flay sy" {
		t.Fatalf("keys typed after the gate ended were commands: prompt for %q", promptStep(m))
	}
	m = press(t, m, "enter")
	if m.prompt != nil || len(settle) != 0 {
		t.Error("enter does not just close the withdrawn prompt")
	}
}

// TestAGateThatNeedsSeveralApprovalsSaysSo: before the operator approves
// a step that needs the approvals of several keys, the pane says theirs
// counts once and who else may approve; once they have, the step shows
// who has approved and who is awaited.
func TestAGateThatNeedsSeveralApprovalsSaysSo(t *testing.T) {
	m, _ := testModel(t)
	m = running(t, m)
	now := m.opts.Now()
	reply := make(chan steps.Decision, 1)
	m = send(t, m, eventMsg(steps.Event{Type: steps.EventAwaiting, Step: "settle", Time: now}))
	m = send(t, m, gateMsg{gate: steps.Gate{Step: "settle", Confirm: "type", Approvals: 2, Approvers: []string{"alice", "bob", "carol"}}, reply: reply})
	if pane := plain(m.stepDetail(100)); !strings.Contains(pane, "needs 2 approvals, from alice, bob, carol: yours counts once") {
		t.Fatalf("the gate's pane:\n%s", pane)
	}
	m = press(t, m, "settle", "enter")
	if len(reply) != 1 {
		t.Fatalf("typing the step's id did not approve it (flash %q)", m.flash)
	}
	m = send(t, m, eventMsg(steps.Event{Type: steps.EventAwaiting, Step: "settle", Time: now,
		Message: "approvals 1 of 2: alice ✓; awaiting bob, carol"}))
	if pane := plain(m.stepDetail(100)); !strings.Contains(pane, "approvals 1 of 2: alice ✓; awaiting bob, carol") {
		t.Fatalf("the pane while the others are awaited:\n%s", pane)
	}
}
