package steps

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/drpilot/drpilot/audit"
	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/sandbox"
	"github.com/drpilot/drpilot/steps/awsclient"
)

// recorder is an Observer that keeps every event, for assertions.
type recorder struct {
	mu     sync.Mutex
	events []Event
}

func (r *recorder) Event(e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

// all returns a copy of the events so far.
func (r *recorder) all() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.events...)
}

// of returns the events of one type, optionally of one step.
func (r *recorder) of(t EventType, step string) []Event {
	var out []Event
	for _, e := range r.all() {
		if e.Type == t && (step == "" || e.Step == step) {
			out = append(out, e)
		}
	}
	return out
}

// testRun is a runbook run against an in-process sandbox, as drpilot run
// --sandbox does it: the real SDK clients over HTTP.
type testRun struct {
	t        testing.TB
	sb       *sandbox.Sandbox
	endpoint string
	exec     *Executor
	rec      *recorder
	dir      string
	key      []byte
	summary  *RunSummary
	err      error
}

// runOptions vary a test run.
type runOptions struct {
	mode      Mode
	approver  Approver
	parallel  int
	timeScale float64 // the sandbox's; default 600
	runners   map[string]runFunc
	// setup runs against the sandbox before the run starts.
	setup func(sb *sandbox.Sandbox, endpoint string)
	// on runs against an earlier run's sandbox instead of a new one (the
	// scenario is then ignored): a second run of a runbook, or a resumed
	// one, since every test run has the same run id.
	on *testRun
	// done are steps a resumed run finished before.
	done map[string]PriorStep
	// unanswered are, per step, the mutating calls the run being resumed
	// logged sent and never answered; startedAt is when that run started.
	unanswered map[string][]string
	startedAt  time.Time
	// attempts is the SDK's attempts per call; 0 means the factory's
	// default, whose backoff in real time outlasts a scaled step timeout
	// when a Region is out.
	attempts int
	// wrap, when set, stands between the SDK and the sandbox: a fault
	// the sandbox cannot inject by itself, on exactly the requests a test
	// names.
	wrap func(http.Handler) http.Handler
}

// parseRunbook loads and plans a runbook from source, failing the test on
// any error.
func parseRunbook(t testing.TB, src string) (*runbooks.Runbook, *runbooks.RunPlan) {
	t.Helper()
	rb, diags := runbooks.Parse("test.toml", []byte(src))
	if diags.HasErrors() {
		t.Fatalf("runbook does not load:\n%v", diags)
	}
	plan, diags := runbooks.Plan(rb, Default())
	if diags.HasErrors() {
		t.Fatalf("runbook does not plan:\n%v", diags)
	}
	return rb, plan
}

// startRun serves a sandbox (from the scenario source, if any), builds the
// executor for the runbook source, and runs it to the end.
func startRun(t testing.TB, runbookSrc, scenarioSrc string, o runOptions) *testRun {
	t.Helper()
	tr := prepareRun(t, runbookSrc, scenarioSrc, o)
	tr.summary, tr.err = tr.exec.Run(context.Background())
	return tr
}

// prepareRun does what startRun does, except run.
func prepareRun(t testing.TB, runbookSrc, scenarioSrc string, o runOptions) *testRun {
	t.Helper()
	rb, plan := parseRunbook(t, runbookSrc)
	if o.timeScale == 0 {
		o.timeScale = 600
	}
	var sb *sandbox.Sandbox
	var endpoint string
	switch {
	case o.on != nil:
		sb, endpoint = o.on.sb, o.on.endpoint
	case scenarioSrc != "":
		sc, err := sandbox.ParseScenario("scenario.toml", []byte(scenarioSrc))
		if err != nil {
			t.Fatal(err)
		}
		if sb, err = sandbox.NewFromScenario(sc, o.timeScale); err != nil {
			t.Fatal(err)
		}
	default:
		sb = sandbox.New(sandbox.Options{TimeScale: o.timeScale})
	}
	if endpoint == "" {
		var h http.Handler = sb
		if o.wrap != nil {
			h = o.wrap(sb)
		}
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		endpoint = srv.URL
	}
	if o.setup != nil {
		o.setup(sb, endpoint)
	}
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion(rb.Regions.Recovery),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKIDSANDBOX", "sandbox-secret", "")),
		config.WithSharedConfigFiles([]string{}), config.WithSharedCredentialsFiles([]string{}),
		config.WithBaseEndpoint(endpoint))
	if err != nil {
		t.Fatal(err)
	}
	if o.mode == "" {
		o.mode = ModeSandbox
	}
	clients, err := awsclient.NewFactory(awsclient.Options{Config: cfg, DryRun: o.mode == ModeDryRun, ReadOnly: ReadOnly, MaxAttempts: o.attempts, TimeScale: sb.Clock().Scale()})
	if err != nil {
		t.Fatal(err)
	}
	key, err := audit.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "run")
	w, err := audit.Create(dir, audit.Options{RunID: "test-run", Key: key, Start: audit.RunInfo{Runbook: rb.ID, Mode: string(o.mode)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	if o.approver == nil {
		o.approver = HeadlessApprover{Yes: true}
	}
	rec := &recorder{}
	exec, err := New(Options{
		Runbook: rb, Plan: plan, Catalogue: Default(), Mode: o.mode, Clients: clients, Audit: w,
		Approver: o.approver, Observers: []Observer{rec}, Parallel: o.parallel, RunID: "test-run",
		TimeScale: sb.Clock().Scale(), Now: sb.Clock().Now, Done: o.done, Unanswered: o.unanswered, StartedAt: o.startedAt,
		RewriteURL: func(u string) string { return sandbox.WebURL(endpoint, u) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if o.runners != nil {
		exec.runners = o.runners
	}
	return &testRun{t: t, sb: sb, endpoint: endpoint, exec: exec, rec: rec, dir: dir, key: key}
}

// verify checks the run's audit log: VALID when the run is over, and
// when it paused resumably, whole and signed to its last line, which is
// run.paused.
func (tr *testRun) verify() {
	tr.t.Helper()
	pub := ed25519.PrivateKey(tr.key).Public().(ed25519.PublicKey)
	rep, err := audit.Verify(tr.dir, pub)
	if err != nil {
		tr.t.Fatal(err)
	}
	switch {
	case tr.summary != nil && tr.summary.Resumable:
		if rep.Verdict != audit.Incomplete || !rep.Paused || rep.Signed != rep.Lines {
			tr.t.Fatalf("a paused run's log: %s at seq %d (paused %v, %d of %d lines signed): %s",
				rep.Verdict, rep.Seq, rep.Paused, rep.Signed, rep.Lines, rep.Reason)
		}
	case rep.Verdict != audit.Valid:
		tr.t.Fatalf("audit log: %s at seq %d: %s", rep.Verdict, rep.Seq, rep.Reason)
	}
}

// mutatingRequests lists the mutating requests the sandbox received.
func (tr *testRun) mutatingRequests() []sandbox.Entry {
	entries, _ := tr.sb.Journal().Entries()
	var out []sandbox.Entry
	for _, e := range entries {
		if e.Mutating {
			out = append(out, e)
		}
	}
	return out
}

// status returns a step's final status.
func (tr *testRun) status(step string) string {
	i := tr.exec.opts.Runbook.StepIndex(step)
	return tr.exec.Status()[i]
}

// sandboxState reads GET /_sandbox/state: each service's resources by
// "service/region".
func sandboxState(t *testing.T, tr *testRun) map[string]any {
	t.Helper()
	resp, err := http.Get(tr.endpoint + "/_sandbox/state")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var state map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&state); err != nil {
		t.Fatal(err)
	}
	return state
}

// parameterScenario is a scenario with one SSM parameter in eu-west-2, the
// Region the tests' runbooks recover into: what most precondition tests
// read.
func parameterScenario(name, value string) string {
	return fmt.Sprintf("[[create]]\nservice = \"ssm\"\nregion = \"eu-west-2\"\noperation = \"PutParameter\"\ninput = { Name = %q, Value = %q, Type = \"String\" }\n", name, value)
}

// dryRunOutputs runs src in dry-run against scenario, checks that nothing
// mutating was sent and that step's change was simulated, and returns the
// step's outputs.
func dryRunOutputs(t *testing.T, src, scenario, step string) map[string]any {
	t.Helper()
	dry := startRun(t, src, scenario, runOptions{mode: ModeDryRun})
	if n := len(dry.mutatingRequests()); n != 0 {
		t.Errorf("dry-run sent %d mutating requests", n)
	}
	if done := dry.rec.of(EventStepDone, step); len(done) != 1 || !done[0].Simulated {
		t.Errorf("dry-run step %s: %+v, error %s", step, done, stepError(dry))
	}
	dry.verify()
	return stepOutputs(t, dry, step)
}

// rerunSendsNoMore runs src again on tr's sandbox, as a retried or
// resumed run does, and checks that step found its work done: no further
// operation request than tr's one, and a note saying so.
func rerunSendsNoMore(t *testing.T, tr *testRun, src, step, operation, note string) {
	t.Helper()
	again := startRun(t, src, "", runOptions{on: tr})
	stepOutputs(t, again, step)
	if n := countRequests(again, operation, ""); n != 1 || !hasNote(again, step, note) {
		t.Errorf("second run: %d %s requests in all, notes %v", n, operation, stepNotes(again, step))
	}
}
