package steps

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/drpilot/drpilot/audit"
	"github.com/drpilot/drpilot/runbooks"
)

// runStep carries one step from ready to done, failed or skipped: resolve
// its templates, check its preconditions, pass its gate, run its action
// with retries and a timeout, capture its outputs, and apply on_failure.
func (e *Executor) runStep(ctx context.Context, i int) stepResult {
	ps := e.steps[i]
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	if reason, skip := e.startStep(ps.ID, cancel); skip {
		return e.skipped(i, reason)
	}
	defer e.endStep(ps.ID)
	e.record(audit.TypeStepReady, ps.ID, actorDrpilot, map[string]any{
		"action": ps.Action, "region": ps.Region, "phase": ps.Phase, "title": ps.Title, "mutating": ps.Mutating})
	e.emit(Event{Type: EventStepReady, Step: ps.ID, Message: ps.Title})

	// A resumed step whose call may or may not have been acted on starts
	// with reconciling it; when that cannot be done safely, the first
	// attempt is a failure, and on_failure (or the operator) decides.
	var unreconciled error
	if ops := e.opts.Unanswered[ps.ID]; len(ops) > 0 {
		unreconciled = e.reconcile(ps, ops)
	}
	approved := false
	for {
		err := unreconciled
		unreconciled = nil
		if err == nil {
			err = e.attemptStep(ctx, ps, &approved)
		}
		if err == nil {
			return stepResult{index: i, status: StatusDone}
		}
		if skip, ok := errors.AsType[errSkipped](context.Cause(ctx)); ok {
			return e.skipped(i, skip.reason)
		}
		if skip, ok := errors.AsType[errSkipped](err); ok {
			return e.skipped(i, skip.reason)
		}
		e.failed(ps, err)
		if e.aborted() {
			return stepResult{index: i, status: StatusFailed, stop: true}
		}
		verdict, reason := e.failurePolicy(ctx, ps, err)
		switch verdict {
		case VerdictRetry:
			continue
		case VerdictSkip:
			return e.skipped(i, reason)
		case VerdictContinue:
			// Only the runbook's own on_failure = continue accepts the
			// failure; an answer to "ask" lets the run go on, but the
			// failure still counts against its outcome.
			return stepResult{index: i, status: StatusFailed, accepted: ps.OnFailure == runbooks.OnFailureContinue}
		case VerdictAbort:
			e.abort(reason)
		}
		return stepResult{index: i, status: StatusFailed, stop: true}
	}
}

// attemptStep is one pass through a step, from its templates to its
// outputs. approved survives a retry the operator asked for: the gate is
// passed once per step.
func (e *Executor) attemptStep(ctx context.Context, ps *runbooks.PlannedStep, approved *bool) error {
	params, err := e.resolveParams(ps)
	if err != nil {
		return err
	}
	sr := &StepRun{exec: e, plan: ps, params: params, region: ps.Region}
	if conceal := concealers[ps.Action]; conceal != nil {
		conceal(sr)
	}
	if err := e.checkPreconditions(ctx, sr); err != nil {
		return err
	}
	if !*approved && gated(ps, e.opts.Mode) {
		if err := e.passGate(ctx, sr); err != nil {
			return err
		}
		*approved = true
	}
	out, err := e.runAction(ctx, sr)
	if err != nil {
		return err
	}
	return e.done(sr, out)
}

// startStep registers a starting step's cancel function, unless the
// operator asked to skip it before it started.
func (e *Executor) startStep(id string, cancel context.CancelCauseFunc) (string, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if reason, ok := e.skips[id]; ok {
		delete(e.skips, id)
		return reason, true
	}
	e.running[id] = cancel
	return "", false
}

func (e *Executor) endStep(id string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.running, id)
}

func (e *Executor) aborted() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.abortWhy != ""
}

// runAction runs the action under the step's timeout, retrying errors AWS
// marks as retryable as many times as the step's retries allow.
func (e *Executor) runAction(ctx context.Context, sr *StepRun) (map[string]any, error) {
	ps := sr.plan
	run, ok := e.runners[ps.Action]
	if !ok {
		return nil, fmt.Errorf("action %s cannot run: this drpilot has no code for it", ps.Action)
	}
	timeout := ps.Timeout.Duration
	if timeout <= 0 {
		timeout = runbooks.DefaultTimeout
	}
	for attempt := 1; ; attempt++ {
		e.setAttempt(ps.ID, attempt)
		e.emit(Event{Type: EventStepRunning, Step: ps.ID, Attempt: attempt, Message: ps.Title})
		actx, cancel := context.WithTimeoutCause(ctx, e.realTimeout(ps, timeout), errTimeout{timeout})
		sr.simulated = nil
		out, err := run(actx, sr)
		cause := context.Cause(actx)
		cancel()
		if err == nil {
			return out, nil
		}
		if t, ok := errors.AsType[errTimeout](cause); ok && ctx.Err() == nil {
			return nil, t.with(sr.lastState)
		}
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		if attempt > ps.Retries || !retryable(err) {
			return nil, err
		}
		e.emit(Event{Type: EventStepRetry, Step: ps.ID, Attempt: attempt, Error: err.Error(),
			Message: fmt.Sprintf("retrying after a retryable error (%d of %d)", attempt, ps.Retries)})
		if err := e.sleep(ctx, jitter(time.Duration(1<<min(attempt, 6))*time.Second)); err != nil {
			return nil, err
		}
	}
}

// humanActions wait for a person, whose minutes do not run faster in the
// sandbox: their timeout is not scaled.
var humanActions = map[string]bool{"manual": true}

// realTimeout is how long a step may take in real time: its timeout,
// scaled by the sandbox's time scale unless a person does the work.
func (e *Executor) realTimeout(ps *runbooks.PlannedStep, timeout time.Duration) time.Duration {
	if humanActions[ps.Action] {
		return timeout
	}
	return time.Duration(float64(timeout) / e.opts.TimeScale)
}

func (e *Executor) setAttempt(id string, n int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.attempts[id] = n
}

// errTimeout is the cause of a step's context when its timeout passes.
type errTimeout struct{ after time.Duration }

func (t errTimeout) Error() string {
	return fmt.Sprintf("timed out after %s (the step's timeout)", runbooks.FormatDuration(t.after))
}

// with adds the last state a wait observed, which is usually the answer
// to "why did it time out".
func (t errTimeout) with(state string) error {
	if state == "" {
		return fmt.Errorf("%v; raise timeout if the action needs longer", t)
	}
	return fmt.Errorf("%v; the last observed state was %q: check the resource, or raise timeout if it is only slow", t, state)
}

// failurePolicy applies on_failure to a failed step, asking the Approver
// when the runbook says ask.
func (e *Executor) failurePolicy(ctx context.Context, ps *runbooks.PlannedStep, err error) (Verdict, string) {
	switch ps.OnFailure {
	case runbooks.OnFailureContinue:
		return VerdictContinue, ""
	case runbooks.OnFailureAsk:
	default:
		return VerdictStop, ""
	}
	d, aerr := e.opts.Approver.OnFailure(ctx, Failure{Step: ps.ID, Title: ps.Title, Error: err.Error(), Attempt: e.attemptOf(ps.ID)})
	if aerr != nil {
		// The question was withdrawn: the operator skipped the step (the
		// skip is in the log already) or the run is ending.
		if skip, ok := errors.AsType[errSkipped](context.Cause(ctx)); ok {
			return VerdictSkip, skip.reason
		}
		return VerdictStop, ""
	}
	e.decision(ps.ID, d, "")
	return d.Verdict, d.Reason
}

// decision logs an Approver's answer.
func (e *Executor) decision(step string, d Decision, gate string) {
	e.record(audit.TypeDecision, step, d.Actor, decisionData{Decision: string(d.Verdict), Reason: d.Reason, Gate: gate})
}

// record appends an event whose failure to be written is reported as a
// note, not a crash: the step's own outcome is recorded separately.
func (e *Executor) record(typ, step, actor string, data any) {
	if _, err := e.audit(audit.Entry{Type: typ, Step: step, Actor: actor, Data: data}); err != nil {
		e.emit(Event{Type: EventNote, Step: step, Message: "audit log: " + err.Error()})
	}
}
