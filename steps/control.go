package steps

import (
	"errors"
	"fmt"
	"strings"

	"github.com/drpilot/drpilot/audit"
)

// The operator steers a run from outside it: skip a step, abort the run,
// write a note. Each is a decision in the audit log before it takes
// effect, so that the record never misses why a run did what it did.

// errSkipped is the cause a running step is cancelled with when the
// operator skips it, with the outputs they gave for it.
type errSkipped struct {
	reason  string
	outputs map[string]any
}

func (e errSkipped) Error() string { return "skipped by the operator: " + e.reason }

// errAborted is the cause the run is cancelled with on abort.
type errAborted struct{ reason string }

func (e errAborted) Error() string { return "run aborted: " + e.reason }

// decisionData is the data of a decision event.
type decisionData struct {
	Decision string `json:"decision"`
	Reason   string `json:"reason,omitempty"`
	// Gate is what was approved: the step's gate (yes, type).
	Gate string `json:"gate,omitempty"`
	// Outputs are the values an operator gave for a skipped step.
	Outputs map[string]any `json:"outputs,omitempty"`
	// Approval is the signed statement of an approver of a gate that
	// needed several.
	Approval *audit.ApprovalRecord `json:"approval,omitempty"`
}

// Skip skips a step that has not finished: one not started yet is skipped
// when its turn comes, a running one is cancelled. A reason is required.
func (e *Executor) Skip(step, reason, actor string) error {
	return e.SkipWithOutputs(step, reason, actor, nil)
}

// SkipWithOutputs skips a step as Skip does, with values for its declared
// outputs: the operator did the step by hand and says what it produced,
// and the steps after it use these values. Each must be an output the
// step declares.
func (e *Executor) SkipWithOutputs(step, reason, actor string, outputs map[string]any) error {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return errors.New("say why the step is skipped: the reason goes into the audit log")
	}
	if err := e.checkOutputs(step, outputs); err != nil {
		return err
	}
	// The check, the decision and its effect happen under one lock, so
	// that the step cannot start or end between them: a skip in the log is
	// a skip that takes effect. The decision's fsync holds the lock briefly.
	e.mu.Lock()
	defer e.mu.Unlock()
	i := e.opts.Runbook.StepIndex(step)
	if i < 0 {
		return fmt.Errorf("no step %q in this runbook", step)
	}
	switch e.status[i] {
	case StatusPending, StatusRunning:
	default:
		return fmt.Errorf("step %s is already %s", step, e.status[i])
	}
	if _, err := e.audit(audit.Entry{Type: audit.TypeDecision, Step: step, Actor: actor,
		Data: decisionData{Decision: string(VerdictSkip), Reason: reason, Outputs: outputs}}); err != nil {
		return fmt.Errorf("audit log: %w; the step was not skipped", err)
	}
	skip := errSkipped{reason: reason, outputs: outputs}
	if cancel := e.running[step]; cancel != nil {
		cancel(skip)
	} else {
		e.skips[step] = skip
	}
	return nil
}

// checkOutputs refuses values for outputs a step does not declare: a
// later step reads only declared ones, and a typo would be lost.
func (e *Executor) checkOutputs(step string, outputs map[string]any) error {
	i := e.opts.Runbook.StepIndex(step)
	if i < 0 || len(outputs) == 0 {
		return nil
	}
	declared := map[string]bool{}
	var names []string
	for _, o := range e.steps[i].Outputs {
		declared[o.Name] = true
		names = append(names, o.Name)
	}
	for name := range outputs {
		if !declared[name] {
			if len(names) == 0 {
				return fmt.Errorf("step %s declares no outputs, so it has no output %q to give", step, name)
			}
			return fmt.Errorf("step %s has no output %q: it declares %s", step, name, strings.Join(names, ", "))
		}
	}
	return nil
}

// Abort stops the run: running steps are cancelled, nothing new starts,
// and the run ends as aborted. A reason is required.
func (e *Executor) Abort(reason, actor string) error {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return errors.New("say why the run is aborted: the reason goes into the audit log")
	}
	if _, err := e.audit(audit.Entry{Type: audit.TypeDecision, Actor: actor,
		Data: decisionData{Decision: string(VerdictAbort), Reason: reason}}); err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	e.abort(reason)
	return nil
}

// abort records the reason and cancels the run, once.
func (e *Executor) abort(reason string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.abortWhy != "" {
		return
	}
	e.abortWhy = reason
	if e.cancelRun != nil {
		e.cancelRun(errAborted{reason})
	}
}

// Note adds the operator's note to the log, at any time.
func (e *Executor) Note(step, text, actor string) error {
	text = strings.TrimSpace(text)
	if text == "" {
		return errors.New("the note is empty")
	}
	if _, err := e.audit(audit.Entry{Type: audit.TypeNote, Step: step, Actor: actor,
		Data: map[string]string{"text": text}}); err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	e.emit(Event{Type: EventNote, Step: step, Message: text})
	return nil
}
