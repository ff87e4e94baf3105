package ui

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/drpilot/drpilot/audit"
	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/sandbox"
	"github.com/drpilot/drpilot/steps"
	"github.com/drpilot/drpilot/steps/awsclient"
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
	rb, diags := runbooks.Load(filepath.Join("..", "runbooks", "store-region-failover.toml"))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	plan, diags := runbooks.Plan(rb, steps.Default())
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	sc, err := sandbox.LoadScenario(filepath.Join("..", "runbooks", "scenarios", "store-region-failover.toml"))
	if err != nil {
		t.Fatal(err)
	}
	sb, err := sandbox.NewFromScenario(sc, 600)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb)
	defer srv.Close()
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion(rb.Regions.Recovery),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKIDSANDBOX", "secret", "")),
		config.WithSharedConfigFiles([]string{}), config.WithSharedCredentialsFiles([]string{}), config.WithBaseEndpoint(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	clients, _ := awsclient.NewFactory(awsclient.Options{Config: cfg, ReadOnly: steps.ReadOnly, TimeScale: 600})
	key, _ := audit.GenerateKey()
	dir := filepath.Join(t.TempDir(), "run")
	log, err := audit.Create(dir, audit.Options{RunID: "e2e", Key: key, Start: audit.RunInfo{Mode: "sandbox"}})
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()

	var tm *teatest.TestModel
	bridge := NewBridge(nil)
	exec, err := steps.New(steps.Options{Runbook: rb, Plan: plan, Catalogue: steps.Default(), Mode: steps.ModeSandbox,
		Clients: clients, Audit: log, Approver: bridge, Observers: []steps.Observer{bridge}, RunID: "e2e",
		TimeScale: 600, Now: sb.Clock().Now, RewriteURL: func(u string) string { return sandbox.WebURL(srv.URL, u) }})
	if err != nil {
		t.Fatal(err)
	}
	model := New(Options{Plan: plan, Mode: steps.ModeSandbox, Account: sb.Account(), AuditDir: dir, Actor: "e2e-operator", Control: exec,
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
	if final.summary == nil || final.summary.Outcome != steps.OutcomeSucceeded || final.summary.Counts["done"] != len(rb.Steps) {
		t.Fatalf("summary %+v", final.summary)
	}
	rep, err := audit.Verify(dir, key.Public().(ed25519.PublicKey))
	if err != nil || rep.Verdict != audit.Valid {
		t.Fatalf("audit log: %v %+v", err, rep)
	}
	events, _ := os.ReadFile(filepath.Join(dir, audit.EventsFile))
	if !bytes.Contains(events, []byte(`"actor":"e2e-operator","data":{"decision":"approve","reason":"approved by typing the step id"`)) {
		t.Error("no typed approval by the operator in the log")
	}
}
