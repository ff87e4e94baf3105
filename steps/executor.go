package steps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
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
	// Now is the mode's clock, the one clock of the run: step deadlines,
	// waits, the RTO, and what AWS's timestamps are compared with (within
	// tests, recovery point ages) all read it. In sandbox mode it is the
	// sandbox's simulated clock. nil means time.Now.
	Now func() time.Time
	// Done lists steps a previous run finished (resume): they are not run
	// again, and their outputs are known.
	Done map[string]PriorStep
	// Unanswered are the resumed run's mutating calls sent without a
	// logged answer, by step (see Prior).
	Unanswered map[string][]string
	// Answered are the resumed run's mutating calls that AWS answered with
	// success, by step (see Prior): not sent again.
	Answered map[string][]AnsweredCall
	// Failed are the resumed run's failed steps (see Prior). One whose
	// failure was allowed (by on_failure = continue, or a person's
	// decision) stays failed and lets the steps after it run; on any other
	// the run stopped, and a person decides what becomes of it before
	// anything is sent again.
	Failed map[string]PriorFailure
	// Pace, when set, is told whether the run is waiting only for people
	// (true) or doing work of its own (false): the sandbox runs its clock
	// at real speed while people read and decide, so that a scaled clock
	// does not age recovery points while someone types.
	Pace func(peopleOnly bool)
	// Fence is the run lock's fencing token in a team run, written into
	// every aws.request; 0 when the run holds no lock.
	Fence int64
}

// PriorStep is the outcome of a step in a run being resumed.
type PriorStep struct {
	// Status is done, skipped, or failed for a failure that was allowed
	// (on_failure = continue, or a person's decision).
	Status  string
	Outputs map[string]any
	// FailedBefore is set when the step failed before it was skipped.
	FailedBefore bool
}

// Step statuses, as the executor tracks them and events report them.
const (
	StatusPending = "pending"
	StatusRunning = "running"
	StatusDone    = "done"
	StatusFailed  = "failed"
	StatusSkipped = "skipped"
	StatusNotRun  = "not-run"
	// StatusInterrupted is a step that was running when the run was
	// interrupted: it runs again when the run is resumed.
	StatusInterrupted = "interrupted"
)

// Executor runs one runbook once. It is safe to call Skip, Abort and Note
// from other goroutines while Run runs.
type Executor struct {
	opts  Options
	graph *runbooks.Graph
	steps []*runbooks.PlannedStep // by file index

	mu sync.Mutex
	// secrets are texts never shown: see secrets.go.
	secrets   []string
	status    []string
	outputs   map[string]map[string]any
	simulated map[string]bool       // steps whose outputs are dry-run guesses
	skips     map[string]errSkipped // skip requests for steps not yet started, by id
	running   map[string]context.CancelCauseFunc
	attempts  map[string]int
	stopping  bool // a failure stopped the run: start nothing new
	stopWhy   string
	// allowed marks, by file index, a failed step whose failure the
	// runbook (on_failure = continue) or a person allowed: the steps after
	// it may run. A skip is always a person's decision, and allowed.
	allowed []bool
	// failedOnce marks, by file index, a step that failed at least once in
	// this run (or before it was resumed), whatever became of it: a
	// verification that failed and was then skipped did not verify.
	failedOnce []bool
	// needs are what the run waits for from a person (a decision after a
	// failure, an approval) when nobody could be asked.
	needs []Need
	// priorFailed are a resumed run's failures to decide: error by step.
	priorFailed map[string]string
	// answered are a resumed run's answered calls not used yet, by step.
	answered map[string][]AnsweredCall
	// preconditionsSkipped marks the resumed steps whose preconditions
	// were not evaluated again, once: a retry after that evaluates them.
	preconditionsSkipped map[string]bool
	// unmetInDryRun counts dry-run preconditions that did not hold and
	// that no simulated change could explain: a live run would stop there.
	unmetInDryRun int
	abortWhy      string
	interrupted   string
	cancelRun     context.CancelCauseFunc
	// waitingForPeople counts running steps that wait for a person.
	waitingForPeople int
	paceMu           sync.Mutex

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
	return newExecutor(opts)
}

// newExecutor makes the executor from options already checked: New's for a run,
// EvaluateReadiness's for the readiness board alone, which logs nothing
// and asks nobody.
func newExecutor(opts Options) (*Executor, error) {
	if opts.Parallel <= 0 {
		opts.Parallel = DefaultParallel
	}
	if opts.TimeScale <= 0 {
		opts.TimeScale = 1
	}
	if opts.Now == nil {
		opts.Now = time.Now
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
		skips: map[string]errSkipped{}, running: map[string]context.CancelCauseFunc{}, attempts: map[string]int{},
		allowed: make([]bool, n), failedOnce: make([]bool, n), priorFailed: map[string]string{}, runners: opts.Catalogue.runners(),
		answered: maps.Clone(opts.Answered), preconditionsSkipped: map[string]bool{},
	}
	for i := range opts.Plan.Steps {
		e.steps[opts.Plan.Steps[i].Index] = &opts.Plan.Steps[i]
	}
	e.addSecrets(opts.Runbook.Secrets()...)
	for i, ps := range e.steps {
		e.status[i] = StatusPending
		if prior, ok := opts.Done[ps.ID]; ok {
			e.status[i] = prior.Status
			e.allowed[i], e.failedOnce[i] = true, prior.FailedBefore
			if prior.Outputs != nil {
				e.outputs[ps.ID] = prior.Outputs
			}
		}
		if f, ok := opts.Failed[ps.ID]; ok {
			e.failedOnce[i] = true
			if f.Continued || ps.OnFailure == runbooks.OnFailureContinue {
				e.status[i], e.allowed[i] = StatusFailed, true
			} else {
				e.priorFailed[ps.ID] = f.Error
			}
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
	// allowed marks a failure the runbook or a person allowed: the steps
	// after it may run.
	allowed bool
	// need is what a person must decide before the step can go on.
	need *Need
}

// Run runs the runbook until nothing more can run: to the end, an abort,
// an interruption, or a failure that holds the rest. It seals the audit log
// when the run is over, and leaves it resumable (run.paused) when something
// is left to do. The returned summary's Outcome and Resumable say which;
// the error is for what prevented the run from being carried out or
// recorded.
func (e *Executor) Run(ctx context.Context) (*RunSummary, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	e.mu.Lock()
	e.cancelRun = cancel
	e.mu.Unlock()
	e.repace()
	// Once the run ends, people read its results at their own speed.
	defer e.repace()
	// The run started when it first started: a resumed run's screen counts
	// the RTO from then, as its summary does, not from the resume.
	e.emit(Event{Type: EventRunStarted, Run: e.summary(""), Message: "run " + e.opts.RunID + " started", Time: e.opts.StartedAt})
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
	return e.finish()
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
	for i, ps := range e.steps {
		prior := e.opts.Done[ps.ID]
		switch e.status[i] {
		case StatusDone:
			e.emit(Event{Type: EventStepDone, Step: ps.ID, Outputs: prior.Outputs, Message: "done before the run was resumed"})
		case StatusSkipped:
			e.emit(Event{Type: EventStepSkipped, Step: ps.ID, Outputs: prior.Outputs, Message: "skipped before the run was resumed"})
		case StatusFailed:
			f := e.opts.Failed[ps.ID]
			e.emit(Event{Type: EventStepFailed, Step: ps.ID, Error: f.Error,
				Message: "failed before the run was resumed, and allowed to: the steps after it run"})
		}
	}
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

// emit sends an event to every observer, with the run's secrets
// redacted.
func (e *Executor) emit(ev Event) {
	if ev.Time.IsZero() {
		ev.Time = e.now()
	}
	ev = e.scrubEvent(ev)
	for _, o := range e.opts.Observers {
		o.Event(ev)
	}
}

// audit appends to the run's log. In sandbox mode each event carries
// "sim", the sandbox's clock when it was logged: the line's ts is real
// time, which a scaled clock outruns, and the record measures a sandbox
// run's steps on the clock its RTO is measured on (docs/audit-format.md).
func (e *Executor) audit(entry audit.Entry) (int64, error) {
	if e.opts.Mode == ModeSandbox {
		entry.Data = withSim(entry.Data, e.now())
	}
	return e.opts.Audit.Append(entry)
}

// simStamp writes a moment of the sandbox's clock as events carry it.
func simStamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// withSim adds "sim" as the last member of data's JSON object, keeping
// the members before it as json.Marshal writes them. Data that is not an
// object is left for the writer to refuse.
func withSim(data any, now time.Time) any {
	if data == nil {
		data = struct{}{}
	}
	raw, err := json.Marshal(data)
	if err != nil || len(raw) < 2 || raw[0] != '{' {
		return data
	}
	member, _ := json.Marshal(simStamp(now))
	out := append([]byte{}, raw[:len(raw)-1]...)
	if len(raw) > 2 {
		out = append(out, ',')
	}
	out = append(out, `"sim":`...)
	out = append(append(out, member...), '}')
	return json.RawMessage(out)
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
