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
// operator skips it.
type errSkipped struct{ reason string }

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
}

// Skip skips a step that has not finished: one not started yet is skipped
// when its turn comes, a running one is cancelled. A reason is required.
func (e *Executor) Skip(step, reason, actor string) error {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return errors.New("say why the step is skipped: the reason goes into the audit log")
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
		Data: decisionData{Decision: string(VerdictSkip), Reason: reason}}); err != nil {
		return fmt.Errorf("audit log: %w; the step was not skipped", err)
	}
	if cancel := e.running[step]; cancel != nil {
		cancel(errSkipped{reason})
	} else {
		e.skips[step] = reason
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
