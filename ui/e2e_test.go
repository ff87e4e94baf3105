package ui

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/drpilot/drpilot/audit"
	"github.com/drpilot/drpilot/steps"
)

// TestEndToEndStoreFailover runs the shipped store runbook in sandbox mode
// through the program, as an operator would: Enter on the start screen,
// then y at every gate and the step id at every typed one, until the
// finish screen; then q. The audit log must verify VALID, with every
// approval the operator's.
func TestEndToEndStoreFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a shipped runbook end to end")
	}
	var tm *teatest.TestModel
	bridge := NewBridge(nil)
	run := newShippedRun(t, "store-region-failover", "e2e", bridge, bridge)
	plan, sb, exec, dir := run.plan, run.sb, run.exec, run.dir
	model := New(Options{Plan: plan, Mode: steps.ModeSandbox, Account: sb.Account(), AuditDir: dir, Actor: "e2e-operator", Control: exec, Bridge: bridge,
		Run:       func() (*steps.RunSummary, error) { return exec.Run(context.Background()) },
		Readiness: func() []steps.Readiness { return exec.Readiness(context.Background()) }})
	tm = teatest.NewTestModel(t, model, teatest.WithInitialTermSize(120, 40))
	// The operator answers one question at a time, as a person does: a
	// gate reaches the screen, the operator presses its keys, and the next
	// gate is shown only once that one is answered.
	gates := make(chan gateMsg, 64)
	bridge.Attach(func(msg tea.Msg) {
		if g, ok := msg.(gateMsg); ok {
			gates <- g
			return
		}
		tm.Send(msg)
	})
	go func() {
		for g := range gates {
			answered := make(chan steps.Decision, 1)
			tm.Send(gateMsg{gate: g.gate, reply: answered})
			switch {
			case g.gate.Confirm == "type":
				tm.Type(g.gate.Step)
				tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
			default:
				for range g.gate.Checklist {
					tm.Send(tea.KeyPressMsg{Code: tea.KeySpace, Text: " "})
				}
				tm.Type("y")
			}
			g.reply <- <-answered
		}
	}()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("Readiness")) },
		teatest.WithDuration(10*time.Second))
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("SUCCEEDED")) },
		teatest.WithDuration(60*time.Second), teatest.WithCheckInterval(100*time.Millisecond))
	tm.Type("q")
	final := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(Model)
	if final.summary == nil || final.summary.Outcome != steps.OutcomeSucceeded || final.summary.Counts["done"] != len(plan.Steps) {
		t.Fatalf("summary %+v", final.summary)
	}
	rep, err := audit.Verify(dir, run.pub)
	if err != nil || rep.Verdict != audit.Valid {
		t.Fatalf("audit log: %v %+v", err, rep)
	}
	events, _ := os.ReadFile(filepath.Join(dir, audit.EventsFile))
	if !bytes.Contains(events, []byte(`"actor":"e2e-operator","data":{"decision":"approve","reason":"approved by typing the step id"`)) {
		t.Error("no typed approval by the operator in the log")
	}
}
