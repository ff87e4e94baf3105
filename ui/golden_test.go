package ui

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/drpilot/drpilot/steps"
)

// updating reports whether -update was given: the flag is the one that
// x/exp/golden (through teatest) registers, so that both share it.
func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// golden compares a view, styles stripped, with testdata/<name>.golden.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if updating() {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./ui -run Golden -update to write it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden view:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// scenes are the moments the goldens show, each built from messages as
// the program would receive them.
var scenes = map[string]func(t *testing.T, m Model) Model{
	"start": func(t *testing.T, m Model) Model {
		m.opts.LastRun = "since the last rehearsal: 2026-11-20 09:12 UTC, SANDBOX, succeeded, RTO 7m46s; the runbook changed since (its SHA-256 differs)"
		return send(t, m, readinessMsg{
			{Step: "flag", PreconditionResult: steps.PreconditionResult{Call: "ssm:GetParameter", Observed: "off", Holds: true}},
		})
	},
	"parallel": func(t *testing.T, m Model) Model {
		m = running(t, m)
		at := m.opts.Now().Add(-40 * time.Second)
		for _, e := range []steps.Event{
			{Type: steps.EventStepReady, Step: "declare", Time: at},
			{Type: steps.EventStepDone, Step: "declare", Time: at.Add(10 * time.Second)},
			{Type: steps.EventStepReady, Step: "flag", Time: at.Add(10 * time.Second)},
			{Type: steps.EventStepRunning, Step: "flag", Attempt: 1, Time: at.Add(11 * time.Second)},
			{Type: steps.EventStepReady, Step: "settle", Time: at.Add(10 * time.Second)},
			{Type: steps.EventStepRunning, Step: "settle", Attempt: 1, Time: at.Add(11 * time.Second)},
			{Type: steps.EventWaitProgress, Step: "settle", Time: at.Add(20 * time.Second), Wait: &steps.WaitProgress{State: "40s left", Elapsed: 9 * time.Second, Expect: time.Minute}},
		} {
			m = send(t, m, eventMsg(e))
		}
		return m
	},
	"typed-confirmation": func(t *testing.T, m Model) Model {
		m = running(t, m)
		m = send(t, m, eventMsg(steps.Event{Type: steps.EventStepReady, Step: "flag", Time: m.opts.Now()}))
		m = send(t, m, gateMsg{gate: flagGate("type"), reply: make(chan steps.Decision, 1)})
		return press(t, m, "fla")
	},
	"failed": func(t *testing.T, m Model) Model {
		m = running(t, m)
		now := m.opts.Now()
		m = send(t, m, eventMsg(steps.Event{Type: steps.EventStepReady, Step: "flag", Time: now}))
		m = send(t, m, eventMsg(steps.Event{Type: steps.EventStepFailed, Step: "flag", Time: now, Error: "ssm:PutParameter in eu-west-2: AccessDeniedException: not authorized (request id r-1)"}))
		return send(t, m, failureMsg{failure: steps.Failure{Step: "flag", Error: "ssm:PutParameter in eu-west-2: AccessDeniedException: not authorized (request id r-1)"}, reply: make(chan steps.Decision, 1)})
	},
	"finish": func(t *testing.T, m Model) Model {
		m = running(t, m)
		return send(t, m, finishedMsg{summary: &steps.RunSummary{ID: "ui-test-20261121T030000Z-ab12", Outcome: steps.OutcomeSucceeded,
			Mode: "sandbox", AuditDir: "/runs/r1", Elapsed: 12 * time.Minute, Counts: map[string]int{"done": 3},
			RTO: "RTO achieved 12m against 30m: met — simulated, on the sandbox's clock"}})
	},
}

// flagGate is the flag step's gate as the executor asks it: with the
// request the step will send, resolved.
func flagGate(confirm string) steps.Gate {
	return steps.Gate{Step: "flag", Confirm: confirm, Calls: []steps.CallInfo{{Operation: "ssm:PutParameter", Region: "eu-west-2", Mutating: true,
		Input: map[string]any{"Name": "/shop/maintenance", "Value": "on", "Type": "String", "Overwrite": true}}}}
}

func TestGoldenViews(t *testing.T) {
	for name, scene := range scenes {
		for _, size := range [][2]int{{80, 24}, {120, 40}} {
			m, _ := testModel(t)
			m = send(t, m, tea.WindowSizeMsg{Width: size[0], Height: size[1]})
			m = scene(t, m)
			golden(t, name+"-"+itoa(size[0])+"x"+itoa(size[1]), plain(m.render()))
		}
	}
}

func itoa(n int) string {
	b := []byte{}
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}
