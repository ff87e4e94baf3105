package ui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/drpilot/drpilot/steps"
)

// watchModel is testModel as drpilot watch makes it: read-only, with an
// Answer that records what the watcher answered.
func watchModel(t *testing.T) (Model, *[]string) {
	t.Helper()
	m, _ := testModel(t)
	var answers []string
	m.opts.Watch = &Watch{Answer: func(step string, approve bool, reason string) error {
		answers = append(answers, step+" "+map[bool]string{true: "approve", false: "deny"}[approve]+" "+reason)
		return nil
	}}
	m = New(m.opts)
	m = send(t, m, tea.WindowSizeMsg{Width: 120, Height: 40})
	now := m.opts.Now()
	for _, e := range []steps.Event{
		{Type: steps.EventRunStarted, Time: now.Add(-90 * time.Second)},
		{Type: steps.EventStepReady, Step: "declare", Time: now.Add(-80 * time.Second)},
		{Type: steps.EventStepDone, Step: "declare", Time: now.Add(-70 * time.Second)},
		{Type: steps.EventStepReady, Step: "flag", Time: now.Add(-60 * time.Second)},
	} {
		m = send(t, m, eventMsg(e))
	}
	m = send(t, m, WatchStatus{
		Header: "WATCHING run r1 — held by alice on alice-laptop (fence 3, renewed 4s ago)",
		Lag:    "log copy: last line 2s ago",
		Steps: map[string]WatchStep{"flag": {Approvals: "approvals: 1 of 2 — alice ✓; awaiting bob, kenji",
			Gate: []string{"ssm:PutParameter in eu-west-2 {\"Name\":\"/shop/maintenance\",\"Value\":\"on\"}"}}},
	})
	return m, &answers
}

func TestWatchIsReadOnly(t *testing.T) {
	m, answers := watchModel(t)
	if m.screen != screenRun {
		t.Fatal("a watch opens on the run screen")
	}
	screen := plain(m.render())
	for _, want := range []string{"WATCHING run r1 — held by alice", "log copy: last line 2s ago", "RTO 1m30s / 30m",
		"? flag", "approvals: 1 of 2 — alice ✓; awaiting bob, kenji", "/shop/maintenance", "a approve", "q stop watching"} {
		if !strings.Contains(screen, want) {
			t.Errorf("watch screen lacks %q:\n%s", want, screen)
		}
	}
	for _, k := range []string{"s", "A", "n", "y", "r", "c"} {
		next, cmd := m.Update(tea.KeyPressMsg{Code: rune(k[0]), Text: k})
		m = next.(Model)
		if cmd != nil || m.prompt != nil || !strings.Contains(m.flash, "read-only: this is a watch") {
			t.Errorf("%s in a watch: prompt %v, flash %q", k, m.prompt, m.flash)
		}
	}
	golden(t, "watch-120x40", plain(m.render()))
	if _, cmd := m.Update(tea.KeyPressMsg{Code: 'q', Text: "q"}); cmd == nil || cmd() != tea.Quit() {
		t.Error("q does not leave the watch")
	}
	if len(*answers) != 0 {
		t.Errorf("answers %v", *answers)
	}
}

func TestWatchApprovesAndDenies(t *testing.T) {
	m, answers := watchModel(t)
	m = press(t, m, "a", "fla", "enter")
	if len(*answers) != 0 || !strings.Contains(m.flash, "not the step id") {
		t.Fatalf("a wrong step id approved: %v %q", *answers, m.flash)
	}
	m = press(t, m, "esc")
	m = press(t, m, "a", "flag")
	next, cmd := m.Update(tea.KeyPressMsg{Code: tea.KeyEnter})
	m = send(t, next.(Model), cmd())
	if strings.Join(*answers, "|") != "flag approve " || !strings.Contains(m.flash, "you approved flag") {
		t.Fatalf("approval: %v %q", *answers, m.flash)
	}
	m = press(t, m, "d", "wrong cluster")
	next, cmd = m.Update(tea.KeyPressMsg{Code: tea.KeyEnter})
	m = send(t, next.(Model), cmd())
	if (*answers)[1] != "flag deny wrong cluster" {
		t.Fatalf("denial: %v", *answers)
	}
	// A step that does not wait, or one the watcher may not answer.
	m = press(t, m, "up", "a")
	if m.prompt != nil || !strings.Contains(m.flash, "does not wait for approvals") {
		t.Errorf("a on a finished step: %q", m.flash)
	}
	m = send(t, m, WatchStatus{Steps: map[string]WatchStep{"flag": {CannotApprove: "your key is not among the team's keys"}}})
	m = press(t, m, "down", "a")
	if m.prompt != nil || m.flash != "your key is not among the team's keys" {
		t.Errorf("an untrusted watcher: %q", m.flash)
	}
}

func TestWatchShowsTheEnd(t *testing.T) {
	m, _ := watchModel(t)
	m = send(t, m, eventMsg(steps.Event{Type: steps.EventRunFinished, Time: m.opts.Now(), Run: &steps.RunSummary{Outcome: steps.OutcomePaused, Resumable: true}}))
	if s := plain(m.render()); !strings.Contains(s, "the run is PAUSED (resumable)") || m.screen != screenRun {
		t.Errorf("the end of a watched run:\n%s", s)
	}
}
