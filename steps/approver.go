package steps

import (
	"context"

	"github.com/drpilot/drpilot/runbooks"
)

// The executor never decides on its own what only a person may decide: to
// run a gated step, and what to do after a failure the runbook says to ask
// about. It asks an Approver, which the TUI implements with keys and the
// headless mode with its flags. The Approver blocks until it has an answer
// or ctx is done; every answer goes into the audit log as a decision.

// Gate is a question about a gated step, asked after its preconditions
// hold and before anything is sent.
type Gate struct {
	Step  string
	Title string
	// Confirm is the runbook's gate: yes, or type (the operator types the
	// step id); "checklist" for a manual step, whose Checklist the
	// operator ticks item by item.
	Confirm   string
	Checklist []string
	// Doc is the step's procedure text, for a manual step.
	Doc string
	// Calls are the mutating requests the step will send, resolved.
	Calls []CallInfo
}

// Failure is a question about a step that failed with on_failure = ask.
type Failure struct {
	Step    string
	Title   string
	Error   string
	Attempt int
}

// Verdict is the Approver's answer.
type Verdict string

// Answers to a Gate: approve, skip (with a reason) or abort the run.
// Answers to a Failure: retry, skip, continue (record the failure and go
// on), stop (run no further steps) or abort.
const (
	VerdictApprove  Verdict = "approve"
	VerdictSkip     Verdict = "skip"
	VerdictAbort    Verdict = "abort"
	VerdictRetry    Verdict = "retry"
	VerdictContinue Verdict = "continue"
	VerdictStop     Verdict = "stop"
)

// Decision is a verdict with who gave it and why.
type Decision struct {
	Verdict Verdict
	// Actor is who decided: an operator's name, "headless --yes".
	Actor  string
	Reason string
}

// Approver answers the executor's questions.
type Approver interface {
	// Approve is asked before a gated step sends anything.
	Approve(ctx context.Context, g Gate) (Decision, error)
	// OnFailure is asked when a step with on_failure = ask has failed.
	OnFailure(ctx context.Context, f Failure) (Decision, error)
}

// HeadlessApprover answers without a person: with Yes it approves every
// gate; without, it aborts at the first one, so that an unattended run
// never changes anything nobody approved. A failure the runbook says to
// ask about is answered "continue" with Yes (the operator said yes to the
// runbook in advance, and a runbook's docs tell the operator when to go
// on), and stops the run without it.
type HeadlessApprover struct {
	Yes   bool
	Actor string
}

// Approve approves when Yes is set, else aborts the run.
func (a HeadlessApprover) Approve(_ context.Context, g Gate) (Decision, error) {
	if a.Yes {
		return Decision{Verdict: VerdictApprove, Actor: a.actor(), Reason: "--yes approves every gate"}, nil
	}
	return Decision{Verdict: VerdictAbort, Actor: a.actor(),
		Reason: "step " + g.Step + " needs approval; run with --yes to approve gates without a terminal"}, nil
}

// OnFailure continues with Yes, and stops the run without it.
func (a HeadlessApprover) OnFailure(_ context.Context, f Failure) (Decision, error) {
	if a.Yes {
		return Decision{Verdict: VerdictContinue, Actor: a.actor(),
			Reason: "on_failure = ask, answered continue by --yes"}, nil
	}
	return Decision{Verdict: VerdictStop, Actor: a.actor(),
		Reason: "on_failure = ask and nobody to ask in headless mode without --yes"}, nil
}

func (a HeadlessApprover) actor() string {
	if a.Actor != "" {
		return a.Actor
	}
	if a.Yes {
		return "headless --yes"
	}
	return "headless"
}

// gated reports whether a planned step must be approved before it runs:
// its gate is not none, and the mode sends mutating calls.
func gated(ps *runbooks.PlannedStep, mode Mode) bool {
	return ps.Gate != runbooks.ConfirmNone && ps.Gate != "" && mode != ModeDryRun
}
