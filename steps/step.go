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
	switch skip, why := e.startStep(ps.ID, cancel); why {
	case startSkipped:
		return e.skipped(i, skip)
	case startInterrupted:
		return stepResult{index: i, status: StatusPending}
	}
	defer e.endStep(ps.ID)
	// after and expect let the post-incident record draw the critical
	// path and the time a step lost from the log alone.
	ready := map[string]any{"action": ps.Action, "region": ps.Region, "phase": ps.Phase, "title": ps.Title,
		"mutating": ps.Mutating, "after": append([]string{}, ps.After...)}
	if ps.Expect.Duration > 0 {
		ready["expect"] = ps.Expect.String()
	}
	e.record(audit.TypeStepReady, ps.ID, actorDrpilot, ready)
	e.emit(Event{Type: EventStepReady, Step: ps.ID, Message: ps.Title})

	// A resumed step starts with what the run stopped on: a failure a
	// person must decide about before anything is sent again, or a call
	// that may or may not have been acted on, which is reconciled.
	logged, err := e.resumedFailure(ps)
	// A failure the run stopped on is asked about whatever on_failure
	// says: resuming says "go on", not what to do about it. A call that
	// cannot be reconciled is a new failure, and on_failure decides.
	resumed := logged
	approved := false
	for {
		if err == nil {
			err = e.attemptStep(ctx, ps, &approved)
		}
		if err == nil {
			return stepResult{index: i, status: StatusDone}
		}
		if r, over := e.stoppedBy(ctx, i, err); over {
			return r
		}
		if !logged {
			e.failed(ps, err)
		}
		if e.aborted() {
			return stepResult{index: i, status: StatusFailed, stop: true}
		}
		d := e.failurePolicy(ctx, ps, err, resumed)
		switch d.Verdict {
		case VerdictRetry:
			logged, resumed, err = false, false, nil
			continue
		case VerdictSkip:
			return e.skipped(i, errSkipped{reason: d.Reason, outputs: d.Outputs})
		case VerdictContinue:
			// The runbook's on_failure = continue, or a person's recorded
			// decision: the steps after this one may run.
			return stepResult{index: i, status: StatusFailed, allowed: true}
		case VerdictAbort:
			e.abort(d.Reason)
		case verdictNobody:
			return stepResult{index: i, status: StatusFailed, stop: true,
				need: &Need{Step: ps.ID, Kind: NeedDecision, Error: err.Error()}}
		case verdictWithdrawn:
			if _, ok := context.Cause(ctx).(errInterrupted); ok {
				return e.interruptedStep(i)
			}
		}
		return stepResult{index: i, status: StatusFailed, stop: true}
	}
}

// resumedFailure is the failure a resumed step starts with, and whether it
// is in the log already: the failure the run stopped on (logged), or a
// call without a logged answer that cannot be reconciled (not yet logged).
func (e *Executor) resumedFailure(ps *runbooks.PlannedStep) (logged bool, err error) {
	if msg, ok := e.priorFailed[ps.ID]; ok {
		return true, errors.New(msg)
	}
	if ops := e.opts.Unanswered[ps.ID]; len(ops) > 0 {
		return false, e.reconcile(ps, ops)
	}
	return false, nil
}

// stoppedBy reports the result of a step whose attempt ended because the
// run stopped it rather than because it failed: an interruption (it runs
// again on resume), a skip, or a gate nobody could approve.
func (e *Executor) stoppedBy(ctx context.Context, i int, err error) (stepResult, bool) {
	switch cause := context.Cause(ctx).(type) {
	case errInterrupted:
		return e.interruptedStep(i), true
	case errSkipped:
		return e.skipped(i, cause), true
	}
	if skip, ok := errors.AsType[errSkipped](err); ok {
		return e.skipped(i, skip), true
	}
	if errors.Is(err, ErrNobodyToAsk) || errors.Is(err, ErrRefused) {
		return stepResult{index: i, status: StatusPending, stop: true,
			need: &Need{Step: e.steps[i].ID, Kind: NeedApproval}}, true
	}
	return stepResult{}, false
}

// attemptStep is one pass through a step, from its templates to its
// outputs. approved survives a retry the operator asked for: the gate is
// passed once per step.
func (e *Executor) attemptStep(ctx context.Context, ps *runbooks.PlannedStep, approved *bool) error {
	params, err := e.resolveParams(ps)
	if err != nil {
		return err
	}
	sr := &StepRun{exec: e, plan: ps, params: params, region: ps.Region, started: e.now()}
	if conceal := e.opts.Catalogue.entries[ps.Action].conceal; conceal != nil {
		conceal(sr)
	}
	if e.sentBefore(ps.ID) {
		// The run being resumed already sent this step's change: its
		// preconditions described the world before it, and may no longer
		// hold because the change worked (a replica that was the secondary
		// is now the writer). The action checks the effect instead.
		msg := "resume: this step's change was sent before the run stopped, so its preconditions are not evaluated again; the action checks its effect"
		e.record(audit.TypeNote, ps.ID, actorDrpilot, map[string]any{"text": msg})
		e.emit(Event{Type: EventNote, Step: ps.ID, Message: msg})
	} else if err := e.checkPreconditions(ctx, sr); err != nil {
		return err
	}
	if !*approved && gated(ps, e.opts.Mode) {
		if err := e.passGate(ctx, sr); err != nil {
			return err
		}
		*approved = true
	}
	out, err := e.runAction(ctx, sr)
	if sim, ok := errors.AsType[*SimulatedInputError](err); ok && sr.DryRun() {
		out, err = sr.notSentInDryRun(sim), nil
	}
	if err != nil {
		return err
	}
	return e.done(sr, out)
}

// How a step's start went.
const (
	started = iota
	startSkipped
	startInterrupted
)

// startStep registers a starting step's cancel function, unless the
// operator asked to skip it before it started, or the run was interrupted
// in the moment between its being scheduled and its start.
func (e *Executor) startStep(id string, cancel context.CancelCauseFunc) (errSkipped, int) {
	defer e.repace()
	e.mu.Lock()
	defer e.mu.Unlock()
	if skip, ok := e.skips[id]; ok {
		delete(e.skips, id)
		return skip, startSkipped
	}
	if e.interrupted != "" {
		return errSkipped{}, startInterrupted
	}
	e.running[id] = cancel
	return errSkipped{}, started
}

func (e *Executor) endStep(id string) {
	defer e.repace()
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
		sr.deadline = e.clockDeadline(ps, timeout)
		out, err := run(actx, sr)
		cause := context.Cause(actx)
		cancel()
		if err == nil {
			return out, nil
		}
		if ctx.Err() == nil {
			if t, ok := errors.AsType[errTimeout](cause); ok {
				return nil, t.with(sr.lastState)
			}
			if t, ok := errors.AsType[errTimeout](err); ok {
				return nil, t.with(sr.lastState)
			}
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

// A step's timeout is kept on the mode's clock: in the sandbox, the
// simulated one, so that a step with timeout = "10m" gives up after ten
// simulated minutes, as the runbook's author meant. Its waits and pauses
// check that deadline (clockDeadline, StepRun.Sleep). The real-time
// deadline of the step's context (realTimeout) only guards against a
// request that never returns, and is never shorter than minCallTime: a
// busy machine must not turn a scaled deadline into a failed request.

// realTimeout is how long a step may take in real time.
func (e *Executor) realTimeout(ps *runbooks.PlannedStep, timeout time.Duration) time.Duration {
	if humanActions[ps.Action] {
		return timeout
	}
	return max(time.Duration(float64(timeout)/e.opts.TimeScale), min(timeout, minCallTime))
}

// clockDeadline is when a step times out on the mode's clock; zero for a
// step a person does, whose timeout is real time.
func (e *Executor) clockDeadline(ps *runbooks.PlannedStep, timeout time.Duration) time.Time {
	if humanActions[ps.Action] {
		return time.Time{}
	}
	return e.now().Add(timeout)
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

// Answers to a failure that no person gave, which never leave the log
// looking as if someone had decided.
const (
	// verdictNobody: the run stops there, resumably, until a person
	// decides.
	verdictNobody Verdict = "nobody-to-ask"
	// verdictWithdrawn: the question was withdrawn (the run is being
	// interrupted or aborted, or the step skipped).
	verdictWithdrawn Verdict = "withdrawn"
)

// failurePolicy applies on_failure to a failed step, asking the Approver
// when the runbook says ask, and always for a failure a resumed run
// stopped on: resuming says "go on", not what to do about the failure.
func (e *Executor) failurePolicy(ctx context.Context, ps *runbooks.PlannedStep, err error, resumed bool) Decision {
	switch {
	case resumed:
	case ps.OnFailure == runbooks.OnFailureContinue:
		return Decision{Verdict: VerdictContinue}
	case ps.OnFailure == runbooks.OnFailureAsk:
	default:
		return Decision{Verdict: VerdictStop}
	}
	d, aerr := askWithin(e, func() (Decision, error) {
		return e.opts.Approver.OnFailure(ctx, Failure{Step: ps.ID, Title: ps.Title, Error: err.Error(), Attempt: e.attemptOf(ps.ID)})
	})
	switch {
	case errors.Is(aerr, ErrNobodyToAsk):
		return Decision{Verdict: verdictNobody}
	case aerr != nil:
		// The question was withdrawn: the operator skipped the step (the
		// skip is in the log already), or the run is being interrupted or
		// aborted.
		if skip, ok := errors.AsType[errSkipped](context.Cause(ctx)); ok {
			return Decision{Verdict: VerdictSkip, Reason: skip.reason, Outputs: skip.outputs}
		}
		return Decision{Verdict: verdictWithdrawn}
	}
	if d.Verdict == VerdictSkip {
		if oerr := e.checkOutputs(ps.ID, d.Outputs); oerr != nil {
			// The values cannot be used; the skip stands without them.
			e.emit(Event{Type: EventNote, Step: ps.ID, Message: oerr.Error()})
			d.Outputs = nil
		}
	}
	e.decision(ps.ID, d, "")
	return d
}

// decision logs an Approver's answer.
func (e *Executor) decision(step string, d Decision, gate string) {
	for _, o := range d.Others {
		e.record(audit.TypeDecision, step, o.Actor, decisionData{Decision: string(o.Verdict), Reason: o.Reason, Gate: gate, Approval: o.Approval})
	}
	e.record(audit.TypeDecision, step, d.Actor, decisionData{Decision: string(d.Verdict), Reason: d.Reason, Gate: gate, Outputs: d.Outputs, Approval: d.Approval})
}

// record appends an event whose failure to be written is reported as a
// note, not a crash: the step's own outcome is recorded separately.
func (e *Executor) record(typ, step, actor string, data any) {
	if _, err := e.audit(audit.Entry{Type: typ, Step: step, Actor: actor, Data: data}); err != nil {
		e.emit(Event{Type: EventNote, Step: step, Message: "audit log: " + err.Error()})
	}
}
