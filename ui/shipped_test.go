package ui

import (
	"context"
	"crypto/ed25519"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/drpilot/drpilot/audit"
	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/sandbox"
	"github.com/drpilot/drpilot/steps"
	"github.com/drpilot/drpilot/steps/awsclient"
)

// shippedTimeScale is the sandbox's time scale for the UI's runs of the
// shipped runbooks.
const shippedTimeScale = 600

// shippedRun is an executor on a shipped runbook against its scenario in a
// sandbox served over HTTP, as drpilot run --sandbox builds one: the real
// SDK clients, the sandbox's clock, an audit log in a temporary directory.
type shippedRun struct {
	plan *runbooks.RunPlan
	sb   *sandbox.Sandbox
	exec *steps.Executor
	dir  string // the run directory
	pub  ed25519.PublicKey
}

// newShippedRun builds the run of shipped runbook id; approver answers its
// questions and observers see its events. The sandbox and the log close
// when the test ends.
func newShippedRun(t *testing.T, id, runID string, approver steps.Approver, observers ...steps.Observer) *shippedRun {
	t.Helper()
	rb, diags := runbooks.Load(filepath.Join("..", "runbooks", id+".toml"))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	plan, diags := runbooks.Plan(rb, steps.Default())
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	sc, err := sandbox.LoadScenario(filepath.Join("..", "runbooks", "scenarios", id+".toml"))
	if err != nil {
		t.Fatal(err)
	}
	sb, err := sandbox.NewFromScenario(sc, shippedTimeScale)
	if err != nil {
		t.Fatal(err)
	}
	return newSandboxRun(t, rb, plan, sb, runID, approver, observers...)
}

// newSandboxRun builds the run of a runbook against sandbox sb, as
// newShippedRun does.
func newSandboxRun(t testing.TB, rb *runbooks.Runbook, plan *runbooks.RunPlan, sb *sandbox.Sandbox, runID string, approver steps.Approver, observers ...steps.Observer) *shippedRun {
	t.Helper()
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion(rb.Regions.Recovery),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKIDSANDBOX", "secret", "")),
		config.WithSharedConfigFiles([]string{}), config.WithSharedCredentialsFiles([]string{}), config.WithBaseEndpoint(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	clients, err := awsclient.NewFactory(awsclient.Options{Config: cfg, ReadOnly: steps.ReadOnly, TimeScale: shippedTimeScale})
	if err != nil {
		t.Fatal(err)
	}
	key, _ := audit.GenerateKey()
	dir := filepath.Join(t.TempDir(), "run")
	log, err := audit.Create(dir, audit.Options{RunID: runID, Key: key, Start: audit.RunInfo{Mode: "sandbox"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { log.Close() })
	exec, err := steps.New(steps.Options{Runbook: rb, Plan: plan, Catalogue: steps.Default(), Mode: steps.ModeSandbox,
		Clients: clients, Audit: log, Approver: approver, Observers: observers, RunID: runID,
		TimeScale: shippedTimeScale, Now: sb.Clock().Now, RewriteURL: func(u string) string { return sandbox.WebURL(srv.URL, u) }})
	if err != nil {
		t.Fatal(err)
	}
	return &shippedRun{plan: plan, sb: sb, exec: exec, dir: dir, pub: key.Public().(ed25519.PublicKey)}
}
