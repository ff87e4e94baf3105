package steps

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/drpilot/drpilot/audit"
	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/steps/awsclient"
)

// Mode is how a run reaches AWS (docs/architecture.md, Modes).
type Mode string

// The three modes.
const (
	ModeLive    Mode = "live"
	ModeDryRun  Mode = "dry-run"
	ModeSandbox Mode = "sandbox"
)

// DefaultParallel is how many independent steps run at once unless the
// operator says otherwise.
const DefaultParallel = 8

// Options are what an Executor needs. Runbook, Plan, Catalogue, Clients,
// Audit and Approver are required.
type Options struct {
	Runbook   *runbooks.Runbook
	Plan      *runbooks.RunPlan
	Catalogue *Catalogue
	Mode      Mode
	// Clients builds the AWS clients; in dry-run it must be a dry-run
	// factory, so that the guard stands behind the executor's own rule.
	Clients  *awsclient.Factory
	Audit    *audit.Writer
	Approver Approver
	// Observers receive every event.
	Observers []Observer
	// Parallel bounds the steps running at once; 0 means DefaultParallel.
	Parallel int
	RunID    string
	// StartedAt is ${run.started_at}; zero means when Run is called.
	StartedAt time.Time
	// TimeScale divides every pause (polls, wait steps, retry backoff): the
	// sandbox's time scale, so that its simulated clock and the executor's
	// patience agree. 0 means 1.
	TimeScale float64
	// HTTPClient sends http.probe requests and webhooks; nil means a
	// client with a 30-second timeout.
	HTTPClient *http.Client
	// RewriteURL, when set, maps a URL the runbook names to the one to
	// request: the sandbox serves the simulated internet under its own
	// address. The audit log records both.
	RewriteURL func(url string) string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// AWSNow is the clock AWS's timestamps are compared with (within
	// tests, recovery point ages): the sandbox's simulated clock in sandbox
	// mode. nil means Now.
	AWSNow func() time.Time
	// Done lists steps a previous run finished (resume): they are not run
	// again, and their outputs are known.
	Done map[string]PriorStep
	// Unanswered are the resumed run's mutating calls sent without a
	// logged answer, by step (see Prior).
	Unanswered map[string][]string
}

// PriorStep is the outcome of a step in a run being resumed.
type PriorStep struct {
	Status  string // done or skipped
	Outputs map[string]any
}

// Step statuses, as the executor tracks them and events report them.
const (
	StatusPending = "pending"
	StatusRunning = "running"
	StatusDone    = "done"
	StatusFailed  = "failed"
	StatusSkipped = "skipped"
	StatusNotRun  = "not-run"
)

// Executor runs one runbook once. It is safe to call Skip, Abort and Note
// from other goroutines while Run runs.
type Executor struct {
	opts  Options
	graph *runbooks.Graph
	steps []*runbooks.PlannedStep // by file index

	mu        sync.Mutex
	status    []string
	outputs   map[string]map[string]any
	simulated map[string]bool   // steps whose outputs are dry-run guesses
	skips     map[string]string // skip requests for steps not yet started: id → reason
	running   map[string]context.CancelCauseFunc
	attempts  map[string]int
	stopping  bool // a failure stopped the run: start nothing new
	// unaccepted counts failed steps whose failure the runbook did not
	// accept with on_failure = continue: any makes the run fail.
	unaccepted int
	abortWhy   string
	cancelRun  context.CancelCauseFunc

	pollCount atomic.Int64
	// runners is the action code; tests of the scheduler replace it.
	runners map[string]runFunc
}

// New checks the options and prepares a run.
func New(opts Options) (*Executor, error) {
	if opts.Runbook == nil || opts.Plan == nil || opts.Catalogue == nil || opts.Clients == nil ||
		opts.Audit == nil || opts.Approver == nil {
		return nil, errors.New("steps.New: Runbook, Plan, Catalogue, Clients, Audit and Approver are required")
	}
	if opts.Mode == ModeDryRun && !opts.Clients.DryRun() {
		return nil, errors.New("steps.New: dry-run needs a dry-run client factory")
	}
	if opts.Parallel <= 0 {
		opts.Parallel = DefaultParallel
	}
	if opts.TimeScale <= 0 {
		opts.TimeScale = 1
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.AWSNow == nil {
		opts.AWSNow = opts.Now
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if opts.StartedAt.IsZero() {
		opts.StartedAt = opts.Now()
	}
	n := len(opts.Runbook.Steps)
	if len(opts.Plan.Steps) != n {
		return nil, errors.New("steps.New: the plan is not the runbook's")
	}
	e := &Executor{
		opts: opts, graph: runbooks.BuildGraph(opts.Runbook), steps: make([]*runbooks.PlannedStep, n),
		status: make([]string, n), outputs: map[string]map[string]any{}, simulated: map[string]bool{},
		skips: map[string]string{}, running: map[string]context.CancelCauseFunc{}, attempts: map[string]int{},
		runners: runners,
	}
	for i := range opts.Plan.Steps {
		e.steps[opts.Plan.Steps[i].Index] = &opts.Plan.Steps[i]
	}
	for i, ps := range e.steps {
		e.status[i] = StatusPending
		if prior, ok := opts.Done[ps.ID]; ok {
			e.status[i] = prior.Status
			e.outputs[ps.ID] = prior.Outputs
		}
	}
	return e, nil
}

// stepResult is what a step's goroutine reports to the scheduler.
type stepResult struct {
	index  int
	status string
	// stop is set when the run must start no further steps.
	stop bool
	// accepted marks a failure the runbook accepts (on_failure = continue).
	accepted bool
}

// Run runs the runbook to the end, an abort, or a failure that stops it,
// and seals the audit log. The returned summary's Outcome says which; the
// error is for what prevented the run from being carried out or recorded.
func (e *Executor) Run(ctx context.Context) (*RunSummary, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	e.mu.Lock()
	e.cancelRun = cancel
	e.mu.Unlock()
	start := e.now()
	e.emit(Event{Type: EventRunStarted, Run: e.summary(""), Message: "run " + e.opts.RunID + " started"})
	e.announcePrior()

	results := make(chan stepResult)
	inFlight := 0
	for {
		for _, i := range e.ready(inFlight) {
			inFlight++
			go func() { results <- e.runStepSafely(ctx, i) }()
		}
		if inFlight == 0 {
			break
		}
		r := <-results
		inFlight--
		e.settle(r)
	}
	return e.finish(ctx, start)
}

// runStepSafely runs a step, turning a panic in an action's code into a
// failure of that step that stops the run: the log is still sealed, the
// terminal restored, and the operator told, instead of drpilot dying in
// the middle of a recovery.
func (e *Executor) runStepSafely(ctx context.Context, i int) (r stepResult) {
	defer func() {
		if p := recover(); p != nil {
			ps := e.steps[i]
			e.failed(ps, fmt.Errorf("internal error in action %s: %v; this is a drpilot bug: report it with the run directory, and finish the step by hand", ps.Action, p))
			r = stepResult{index: i, status: StatusFailed, stop: true}
		}
	}()
	return e.runStep(ctx, i)
}

// announcePrior reports the steps a resumed run finished before, so that
// observers (the TUI, the printers) show them as they are, not pending.
func (e *Executor) announcePrior() {
	for _, ps := range e.steps {
		prior, ok := e.opts.Done[ps.ID]
		if !ok {
			continue
		}
		ev := Event{Type: EventStepDone, Step: ps.ID, Outputs: prior.Outputs, Message: "done before the run was resumed"}
		if prior.Status == StatusSkipped {
			ev = Event{Type: EventStepSkipped, Step: ps.ID, Message: "skipped before the run was resumed"}
		}
		e.emit(ev)
	}
}

// ready marks and returns the steps that may start now: pending, with
// every dependency finished, within the parallel budget, while the run is
// neither stopping nor aborted. Steps start in topological order, which
// follows the file.
func (e *Executor) ready(inFlight int) []int {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.stopping || e.abortWhy != "" {
		return nil
	}
	var out []int
	for _, i := range e.graph.Order {
		if inFlight+len(out) >= e.opts.Parallel {
			break
		}
		if e.status[i] != StatusPending || !e.depsFinished(i) {
			continue
		}
		e.status[i] = StatusRunning
		out = append(out, i)
	}
	return out
}

// depsFinished reports whether every step i waits for is done, skipped, or
// failed and let the run continue. Called with e.mu held.
func (e *Executor) depsFinished(i int) bool {
	for _, d := range e.graph.Deps[i] {
		switch e.status[d] {
		case StatusDone, StatusSkipped, StatusFailed:
		default:
			return false
		}
	}
	return true
}

// settle records a finished step.
func (e *Executor) settle(r stepResult) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.status[r.index] = r.status
	if r.stop {
		e.stopping = true
	}
	if r.status == StatusFailed && !r.accepted {
		e.unaccepted++
	}
}

// finish marks what never ran, seals the log and reports the outcome.
func (e *Executor) finish(ctx context.Context, start time.Time) (*RunSummary, error) {
	e.mu.Lock()
	counts := map[string]int{}
	for i, st := range e.status {
		if st == StatusPending {
			e.status[i] = StatusNotRun
			st = StatusNotRun
		}
		counts[st]++
	}
	outcome := OutcomeSucceeded
	switch {
	case e.abortWhy != "":
		outcome = OutcomeAborted
	case e.stopping || e.unaccepted > 0 || counts[StatusNotRun] > 0:
		// A step that failed with on_failure = continue does not fail the
		// run: the runbook's author accepted that failure in advance.
		outcome = OutcomeFailed
	}
	abortWhy := e.abortWhy
	e.mu.Unlock()
	if outcome == OutcomeSucceeded && ctx.Err() != nil {
		outcome = OutcomeAborted
	}
	sum := e.summary(outcome)
	sum.Counts = counts
	sum.Elapsed = e.now().Sub(start)
	err := e.opts.Audit.Seal(actorDrpilot, runEndData{Outcome: outcome, Counts: counts,
		Elapsed: runbooks.FormatDuration(sum.Elapsed.Round(time.Second)), AbortReason: abortWhy,
		APIPolls: e.pollCount.Load()})
	msg := fmt.Sprintf("run %s %s in %s", e.opts.RunID, outcome, runbooks.FormatDuration(sum.Elapsed.Round(time.Second)))
	e.emit(Event{Type: EventRunFinished, Run: sum, Message: msg})
	if err != nil {
		return sum, fmt.Errorf("seal the audit log: %w", err)
	}
	return sum, nil
}

// runEndData is run.end's data.
type runEndData struct {
	Outcome     string         `json:"outcome"`
	Counts      map[string]int `json:"counts"`
	Elapsed     string         `json:"elapsed"`
	AbortReason string         `json:"abort_reason,omitempty"`
	APIPolls    int64          `json:"api_polls"`
}

// summary describes the run for run.started and run.finished.
func (e *Executor) summary(outcome string) *RunSummary {
	rb := e.opts.Runbook
	return &RunSummary{
		ID: e.opts.RunID, Runbook: rb.ID, Mode: string(e.opts.Mode), Account: rb.Account,
		Regions:  map[string]string{"primary": rb.Regions.Primary, "recovery": rb.Regions.Recovery},
		AuditDir: e.opts.Audit.Dir(), Outcome: outcome,
	}
}

// Status returns every step's status, by file index.
func (e *Executor) Status() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.status...)
}

// PollCount is how many API calls the run's waits have made.
func (e *Executor) PollCount() int64 { return e.pollCount.Load() }

func (e *Executor) countPolls(n int) { e.pollCount.Add(int64(n)) }

func (e *Executor) now() time.Time { return e.opts.Now() }

func (e *Executor) awsNow() time.Time { return e.opts.AWSNow() }

// emit sends an event to every observer.
func (e *Executor) emit(ev Event) {
	if ev.Time.IsZero() {
		ev.Time = e.now()
	}
	for _, o := range e.opts.Observers {
		o.Event(ev)
	}
}

// audit appends to the run's log.
func (e *Executor) audit(entry audit.Entry) (int64, error) {
	return e.opts.Audit.Append(entry)
}

// sleep pauses for d scaled by the time scale, or until ctx is done.
func (e *Executor) sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(time.Duration(float64(d) / e.opts.TimeScale))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

func (e *Executor) attemptOf(step string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.attempts[step]
}
