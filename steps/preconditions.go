package steps

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/drpilot/drpilot/audit"
	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/steps/awsclient"
)

// checkPreconditions evaluates every require of the step, just before it
// would start, reporting each result; the first that does not hold fails
// the step with what was observed and why the runbook asks for it. All are
// evaluated, so the operator sees the whole board at once. A read that
// failed with an error AWS marks retryable is tried again, the whole board
// with it, as many times as the step's retries allow, as its action would
// be: a precondition that could not be checked is never taken as false.
func (e *Executor) checkPreconditions(ctx context.Context, sr *StepRun) error {
	ps := sr.plan
	for attempt := 1; ; attempt++ {
		err := e.checkPreconditionsOnce(ctx, sr)
		if err == nil || attempt > ps.Retries || !retryable(err) || ctx.Err() != nil {
			return err
		}
		e.emit(Event{Type: EventStepRetry, Step: ps.ID, Attempt: attempt, Error: err.Error(),
			Message: fmt.Sprintf("checking the preconditions again after a retryable error (%d of %d)", attempt, ps.Retries)})
		if serr := e.sleep(ctx, jitter(time.Duration(1<<min(attempt, 6))*time.Second)); serr != nil {
			return err
		}
	}
}

// PreconditionUncheckedError is a step's failure when a precondition could
// not be checked because its read failed: distinct from one that does not
// hold, since nothing was observed. It unwraps to the read's error, so
// that a retryable one is retried under the step's retries.
type PreconditionUncheckedError struct {
	Lines []string // one sentence per precondition that could not be checked
	Err   error    // the first read's error
}

func (e *PreconditionUncheckedError) Error() string {
	return strings.Join(e.Lines, "; ") + "; the step did not start: check the access and health of the service, then retry the step"
}

func (e *PreconditionUncheckedError) Unwrap() error { return e.Err }

// checkPreconditionsOnce evaluates the step's preconditions once.
func (e *Executor) checkPreconditionsOnce(ctx context.Context, sr *StepRun) error {
	ps := sr.plan
	step := &e.opts.Runbook.Steps[ps.Index]
	var failures []string
	var unchecked *PreconditionUncheckedError
	notSent := 0
	for k, req := range step.Require {
		res, readErr := e.evaluate(ctx, ps, k, req)
		e.record(audit.TypePrecondition, ps.ID, actorDrpilot, res)
		e.emit(Event{Type: EventPrecondition, Step: ps.ID, Precondition: &res, Message: preconditionLine(res)})
		switch {
		case res.NotSent:
			notSent++
		case res.Unchecked:
			if unchecked == nil {
				unchecked = &PreconditionUncheckedError{Err: readErr}
			}
			unchecked.Lines = append(unchecked.Lines, preconditionLine(res))
		case !res.Holds:
			failures = append(failures, preconditionLine(res))
		}
	}
	if unchecked != nil && e.opts.Mode == ModeDryRun && e.afterSimulated(ps.Index) && !retryable(unchecked) {
		// What a simulated change would have created cannot be read yet:
		// the rehearsal says so and goes on, as it does for a test.
		sr.Note("dry-run: %d precondition(s) could not be checked now, after changes that were only simulated: %s", len(unchecked.Lines), unchecked.Err)
		unchecked = nil
	}
	if notSent > 0 {
		// Only a dry run makes markers: what the precondition reads is
		// what a simulated change would make, and the rehearsal goes on.
		sr.Note("dry-run: %d precondition(s) not checked: their reads would name what an earlier simulated change makes, and were not sent", notSent)
	}
	switch {
	case unchecked != nil:
		return unchecked
	case len(failures) == 0:
	case e.opts.Mode == ModeDryRun && e.afterSimulated(ps.Index):
		// A rehearsal goes on: the changes before this step were only
		// simulated, so its preconditions often cannot hold yet, and the
		// point of a dry run is to show every request of the runbook.
		sr.Note("dry-run: %d precondition(s) do not hold now, after changes that were only simulated; a live run would stop here unless those changes make them hold", len(failures))
	case e.opts.Mode == ModeDryRun:
		// Nothing simulated comes before this step: what it found is the
		// world as a live run would find it, and the rehearsal fails.
		e.mu.Lock()
		e.unmetInDryRun += len(failures)
		e.mu.Unlock()
		sr.Note("dry-run: %d precondition(s) do not hold, and no simulated change comes before this step: a live run would stop here", len(failures))
	default:
		return errors.New(strings.Join(failures, "; "))
	}
	return nil
}

// afterSimulated reports whether step i comes after a step whose change a
// dry-run only simulated.
func (e *Executor) afterSimulated(i int) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for id := range e.simulated {
		if j := e.opts.Runbook.StepIndex(id); j >= 0 && e.graph.DependsOn(i, j) {
			return true
		}
	}
	return false
}

// evaluate runs one precondition's call and tests. A read that failed
// is returned with the result, which is marked Unchecked.
func (e *Executor) evaluate(ctx context.Context, ps *runbooks.PlannedStep, k int, req runbooks.Require) (PreconditionResult, error) {
	planned := ps.Requires[k]
	res := PreconditionResult{Index: k, Call: req.Call, Region: planned.Region, Query: req.Query, Tests: planned.Tests, Why: req.Why}
	var missing []string
	input, err := runbooks.Resolve(req.Input, e.lookup(func(ref runbooks.Ref, why string) {
		missing = append(missing, ref.Text+" "+why)
	}))
	if err == nil && len(missing) > 0 {
		err = errors.New(strings.Join(missing, "; "))
	}
	if err != nil {
		res.Failure = err.Error()
		return res, nil
	}
	service, op, _ := splitOperation(req.Call)
	in, _ := input.(map[string]any)
	resp, err := e.read(ctx, service, planned.Region, op, in)
	if _, ok := errors.AsType[*SimulatedInputError](err); ok {
		res.Failure, res.Unchecked, res.NotSent = err.Error(), true, true
		return res, nil
	}
	if err != nil {
		res.Failure = err.Error()
		var ce *awsclient.CallError
		if errors.As(err, &ce) {
			res.RequestID = ce.RequestID
		}
		res.Unchecked = true
		return res, err
	}
	res.RequestID = resp.RequestID
	var observed any = resp.Output
	if req.Query != "" {
		// A query may hold templates too: ${vars...}, or an earlier step's
		// output, known only now.
		query, qerr := runbooks.Resolve(req.Query, e.lookup(func(ref runbooks.Ref, why string) {
			missing = append(missing, ref.Text+" "+why)
		}))
		q, _ := query.(string)
		switch {
		case qerr != nil || len(missing) > 0:
			res.Failure = fmt.Sprintf("query %q: cannot resolve %s", req.Query, strings.Join(missing, "; "))
			return res, nil
		case q != req.Query:
			res.Query = q
		}
		if observed, err = search(q, resp.Output); err != nil {
			res.Failure = fmt.Sprintf("query %q: %v", q, err)
			return res, nil
		}
	}
	res.Observed = observed
	for i, c := range req.Conditions {
		tv, _ := runbooks.Resolve(c.Value, e.lookup(func(runbooks.Ref, string) {}))
		ok, err := testCondition(c.Op, observed, tv, e.now())
		if err != nil || !ok {
			res.Failure = "wanted " + planned.Tests[i]
			if err != nil {
				res.Failure += ": " + err.Error()
			}
			return res, nil
		}
	}
	res.Holds = true
	return res, nil
}

// preconditionReads is how many times a precondition's read is sent
// before an answer AWS marks retryable (throttling, a 5xx) is taken as
// the answer: the SDK has already retried each of them, but a throttling
// storm outlasts its backoff, and a precondition that "does not hold"
// because AWS was busy would stop a run for nothing.
const preconditionReads = 4

// read sends a precondition's read-only call, again after a pause when
// AWS answers with an error that trying again may cure.
func (e *Executor) read(ctx context.Context, service, region, op string, in map[string]any) (*awsclient.Response, error) {
	for n := 1; ; n++ {
		resp, err := e.sendRead(ctx, service, region, op, in)
		if err == nil || n == preconditionReads || !retryable(err) {
			return resp, err
		}
		if serr := e.sleep(ctx, jitter(time.Duration(n)*2*time.Second)); serr != nil {
			return nil, err
		}
	}
}

// preconditionLine is one precondition's result as a sentence.
func preconditionLine(r PreconditionResult) string {
	head := fmt.Sprintf("precondition %d (%s in %s)", r.Index+1, r.Call, r.Region)
	if r.Holds {
		return fmt.Sprintf("%s holds: observed %s", head, formatObserved(r.Observed))
	}
	if r.NotSent {
		return fmt.Sprintf("%s was not checked: %s", head, r.Failure)
	}
	if r.Unchecked {
		return fmt.Sprintf("%s could not be checked: its read failed: %s", head, r.Failure)
	}
	line := fmt.Sprintf("%s does not hold: observed %s, %s", head, formatObserved(r.Observed), r.Failure)
	if r.Why != "" {
		line += " (" + r.Why + ")"
	}
	return line
}
