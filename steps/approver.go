package steps

import (
	"context"
	"errors"
	"maps"
	"sync"

	"github.com/drpilot/drpilot/audit"
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
	// Approvals is how many distinct trusted keys must approve (the
	// step's approvals, at least 1), and Approvers, when set, the names
	// of the keys that may.
	Approvals int
	Approvers []string
	// Requires describes the step's preconditions, which held when the
	// gate was asked, for approvers who are not at the operator's screen.
	Requires []string
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
	// VerdictSetOutputs gives values for outputs a finished step did not
	// produce (its query matched nothing), on resume.
	VerdictSetOutputs Verdict = "set-outputs"
	// VerdictDeny is an approver's refusal of a gate that needed several
	// approvals: the step does not run, and the run stops there,
	// resumably, until a person decides what becomes of it.
	VerdictDeny Verdict = "deny"
)

// Decision is a verdict with who gave it and why.
type Decision struct {
	Verdict Verdict
	// Actor is who decided: an operator's name, "headless --yes".
	Actor  string
	Reason string
	// Outputs are, for a skip, values of the step's declared outputs that
	// the operator gives because they did the step by hand: the steps
	// after it use them.
	Outputs map[string]any
	// Approval is the signed statement behind the decision, when the gate
	// needed approvals from several keys (see Gate.Approvals).
	Approval *audit.ApprovalRecord
	// Others are the decisions of the other approvers of such a gate,
	// each logged as a decision of its own, before this one's effect.
	Others []Decision
}

// Approver answers the executor's questions.
type Approver interface {
	// Approve is asked before a gated step sends anything.
	Approve(ctx context.Context, g Gate) (Decision, error)
	// OnFailure is asked when a step with on_failure = ask has failed.
	OnFailure(ctx context.Context, f Failure) (Decision, error)
}

// ErrNobodyToAsk is an Approver's answer when no person is there to
// answer: the run stops resumably at that point, and says what it needs.
// A decision is never made up in a person's absence.
var ErrNobodyToAsk = errors.New("nobody to ask")

// ErrRefused is a gated step's end when an approver refused it (see
// VerdictDeny): like ErrNobodyToAsk, the run stops there, resumably.
var ErrRefused = errors.New("the step's approval was refused")

// HeadlessApprover answers without a person at the keyboard. With Yes it
// approves every gate, because the operator approved the runbook's gates
// in advance; without, a gate stops the run, resumably. A failure is never
// decided by Yes: the run stops there, resumably, and says which decision
// it needs (see WithDecisions for decisions given in advance).
type HeadlessApprover struct {
	Yes   bool
	Actor string
}

// Approve approves when Yes is set; otherwise nobody can.
func (a HeadlessApprover) Approve(_ context.Context, g Gate) (Decision, error) {
	if a.Yes {
		return Decision{Verdict: VerdictApprove, Actor: a.actor(), Reason: "--yes approves every gate"}, nil
	}
	return Decision{}, ErrNobodyToAsk
}

// OnFailure has nobody to ask.
func (a HeadlessApprover) OnFailure(context.Context, Failure) (Decision, error) {
	return Decision{}, ErrNobodyToAsk
}

// WithDecisions answers failures from decisions an operator gave in
// advance (drpilot resume --decide STEP=VERDICT), by step, each used once
// (a retry that fails again is asked about again), and asks next for the
// rest.
func WithDecisions(next Approver, by map[string]Decision) Approver {
	return &decided{Approver: next, by: maps.Clone(by)}
}

type decided struct {
	Approver
	mu sync.Mutex
	by map[string]Decision
}

func (d *decided) OnFailure(ctx context.Context, f Failure) (Decision, error) {
	d.mu.Lock()
	dec, ok := d.by[f.Step]
	delete(d.by, f.Step)
	d.mu.Unlock()
	if ok {
		return dec, nil
	}
	return d.Approver.OnFailure(ctx, f)
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
