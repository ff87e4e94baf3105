package steps

import (
	"context"
	"fmt"

	"github.com/drpilot/drpilot/audit"
	"github.com/drpilot/drpilot/runbooks"
)

// passGate asks the Approver about a gated step and logs the answer. It
// returns nil when the step may go on.
func (e *Executor) passGate(ctx context.Context, sr *StepRun) error {
	ps := sr.plan
	// The gate shows the requests the action will send: see requests.go.
	g, err := sr.gateFor(ctx, ps)
	if err != nil {
		return err
	}
	e.emit(Event{Type: EventAwaiting, Step: ps.ID, Message: "waiting for approval (confirm = " + ps.Gate + ")"})
	d, err := askWithin(e, func() (Decision, error) { return e.opts.Approver.Approve(ctx, g) })
	if err != nil {
		return fmt.Errorf("approval: %w", err)
	}
	e.decision(ps.ID, d, ps.Gate)
	switch d.Verdict {
	case VerdictApprove:
		return nil
	case VerdictSkip:
		e.withdraw(ctx, sr)
		return errSkipped{reason: d.Reason, outputs: d.Outputs}
	case VerdictAbort:
		e.withdraw(ctx, sr)
		e.abort(d.Reason)
		return errAborted{d.Reason}
	case VerdictDeny:
		e.withdraw(ctx, sr)
		e.emit(Event{Type: EventNote, Step: ps.ID, Message: fmt.Sprintf("refused by %s: %s; the run stops here, resumably", d.Actor, d.Reason)})
		return fmt.Errorf("%w by %s: %s", ErrRefused, d.Actor, d.Reason)
	}
	return fmt.Errorf("approval: unexpected answer %q", d.Verdict)
}

// withdraw undoes what the step's planner prepared for a gate that was
// not passed. It runs before an abort takes hold and whatever becomes of
// the step's context: what it sends is the approver's refusal carried
// out, and is logged like any other call.
func (e *Executor) withdraw(ctx context.Context, sr *StepRun) {
	if w := e.opts.Catalogue.entries[sr.plan.Action].withdraw; w != nil {
		w(context.WithoutCancel(ctx), sr)
	}
}

// stepDoneData is step.done's data.
type stepDoneData struct {
	Outputs    map[string]any `json:"outputs,omitempty"`
	Response   map[string]any `json:"response,omitempty"`
	RequestIDs []string       `json:"request_ids,omitempty"`
	Simulated  bool           `json:"simulated,omitempty"`
	Notes      []string       `json:"notes,omitempty"`
	Attempt    int            `json:"attempt"`
	// RecoveryPoint is the moment a restore brought data back to.
	RecoveryPoint *recoveryPoint `json:"recovery_point,omitempty"`
}

// done captures the step's outputs from its response, logs it, and
// checkpoints the log after a step that changed something.
func (e *Executor) done(sr *StepRun, resp map[string]any) error {
	ps := sr.plan
	outputs := map[string]any{}
	simulatedOutputs := false
	for _, o := range ps.Outputs {
		v, err := search(o.Query, resp)
		if err != nil {
			return fmt.Errorf("output %s: query %q: %w", o.Name, o.Query, err)
		}
		// In dry-run an output that matches nothing most likely reads
		// what a simulated change would have made: later steps get a
		// marker that says where it came from, not a failure.
		if v == nil && sr.DryRun() {
			v, simulatedOutputs = simulatedValue(ps.ID, o.Name), true
		}
		outputs[o.Name] = v
	}
	e.mu.Lock()
	e.outputs[ps.ID] = outputs
	if sr.Simulated() || simulatedOutputs {
		e.simulated[ps.ID] = true
	}
	e.mu.Unlock()
	data := stepDoneData{Outputs: outputs, Response: resp, RequestIDs: sr.requestIDs, Simulated: sr.Simulated(),
		Notes: sr.notes, Attempt: e.attemptOf(ps.ID), RecoveryPoint: sr.recovered}
	if _, err := e.audit(audit.Entry{Type: audit.TypeStepDone, Step: ps.ID, Actor: actorDrpilot, Data: data}); err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	if ps.Mutating {
		e.opts.Audit.CheckpointSoon()
	}
	msg := "done"
	if sr.Simulated() {
		msg = "done (dry-run: simulated)"
	}
	e.emit(Event{Type: EventStepDone, Step: ps.ID, Outputs: outputs, Simulated: sr.Simulated(), Message: msg})
	return nil
}

// simulatedValue stands in for an output dry-run could not know: a later
// step's input shows where it came from instead of a made-up value.
func simulatedValue(step, output string) string {
	return fmt.Sprintf("<simulated: steps.%s.%s>", step, output)
}

// failed logs one failure of a step.
func (e *Executor) failed(ps *runbooks.PlannedStep, err error) {
	e.mu.Lock()
	e.failedOnce[ps.Index] = true
	e.mu.Unlock()
	e.record(audit.TypeStepFailed, ps.ID, actorDrpilot, map[string]any{"error": err.Error(), "attempt": e.attemptOf(ps.ID)})
	e.emit(Event{Type: EventStepFailed, Step: ps.ID, Error: err.Error(), Attempt: e.attemptOf(ps.ID), Message: err.Error()})
}

// skipped logs a skipped step, with the outputs the operator gave for it,
// which the steps after it then use.
func (e *Executor) skipped(i int, skip errSkipped) stepResult {
	ps := e.steps[i]
	data := map[string]any{"reason": skip.reason}
	if len(skip.outputs) > 0 {
		data["outputs"] = skip.outputs
		e.mu.Lock()
		e.outputs[ps.ID] = skip.outputs
		e.mu.Unlock()
	}
	e.record(audit.TypeStepSkipped, ps.ID, actorDrpilot, data)
	e.emit(Event{Type: EventStepSkipped, Step: ps.ID, Outputs: skip.outputs, Message: skip.reason})
	return stepResult{index: i, status: StatusSkipped}
}
