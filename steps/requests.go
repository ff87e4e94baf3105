package steps

import (
	"context"
	"fmt"
	"strings"

	"github.com/drpilot/drpilot/audit"
	"github.com/drpilot/drpilot/runbooks"
)

// What the approver sees is what will be sent. A gate shows the mutating
// requests its step is about to send, resolved: the input each call will
// carry, to whom and by which channel a message goes, in the words it will
// have. The requests are planned once per attempt of a step, by the same
// code whether a gate shows them or not, and an action that plans its own
// sends exactly what it planned: there is no second computation of the
// input that could drift from what was approved.
//
// Most actions send one request, their primary call with the step's Input;
// they need no planner. An action whose request carries more than its
// parameters (an idempotency token, a recovery point it looks up, one
// message per recipient and channel) has one in its Action.

// request is one mutating request a step will send.
type request struct {
	// CallInfo is the call as it will be sent: Operation, Region, Input
	// (in full: the gate conceals what it must when it shows it) and
	// Delivery. An Error says the request cannot be sent, and why; the
	// action reports it as that request's failure instead of sending it.
	CallInfo
	// simulated is dry-run's answer in its place.
	simulated map[string]any
}

// requestPlanner plans an action's mutating requests for one attempt of a
// step, in the order it sends them. It may read (a read-only call is no
// change), and it may note what it found, such as the age of the recovery
// point it chose: the notes are the approver's to read too.
type requestPlanner func(ctx context.Context, s *StepRun) ([]request, error)

// plannedRequests returns the step's requests, planning them on first use
// in this attempt: the gate shows them, then the action sends them, and
// the action's own retries within the attempt send them again unchanged.
func (s *StepRun) plannedRequests(ctx context.Context) ([]request, error) {
	if s.planned {
		return s.requests, nil
	}
	// An action without a planner sends its primary call with the step's
	// Input.
	plan := s.exec.opts.Catalogue.entries[s.plan.Action].plan
	if plan == nil {
		plan = primaryRequests
	}
	reqs, err := plan(ctx, s)
	if err != nil {
		return nil, err
	}
	s.requests, s.planned = reqs, true
	return reqs, nil
}

// primaryRequests is the default plan: each mutating call the plan lists
// as the step's action, with the step's Input, which the action sends as
// it is (aws.call's is the input table itself).
func primaryRequests(_ context.Context, s *StepRun) ([]request, error) {
	var out []request
	for _, c := range s.plan.Calls {
		if c.Mutating && c.Purpose == "action" {
			out = append(out, request{CallInfo: CallInfo{Operation: c.Operation, Region: c.Region, Mutating: true, Input: s.Input()}})
		}
	}
	return out, nil
}

// send sends a planned request to AWS, as Mutate does.
func (s *StepRun) send(ctx context.Context, r request) (map[string]any, error) {
	return s.mutate(ctx, r.CallInfo, r.simulated)
}

// gateCalls are the planned requests as a gate shows them: concealed and
// redacted as the audit log and the events show them, nothing else left
// out. Every call is a copy (redaction copies the input), so the
// approver's screen cannot reach into what is sent.
func (s *StepRun) gateCalls(reqs []request) []CallInfo {
	out := make([]CallInfo, 0, len(reqs))
	for _, r := range reqs {
		c := r.CallInfo
		c.Mutating = true
		c.Input = s.shown(sentInput(r.Operation, r.Input))
		if r.Delivery != nil {
			// A message a template built may hold a sensitive var.
			d, secrets := *r.Delivery, s.exec.secretList()
			d.Address = audit.ScrubText(d.Address, secrets)
			d.Subject = audit.ScrubText(d.Subject, secrets)
			d.Message = audit.ScrubText(d.Message, secrets)
			c.Delivery = &d
		}
		out = append(out, c)
	}
	return out
}

// gateFor is the question a gated step asks, with its planned requests.
func (s *StepRun) gateFor(ctx context.Context, ps *runbooks.PlannedStep) (Gate, error) {
	reqs, err := s.plannedRequests(ctx)
	if err != nil {
		return Gate{}, err
	}
	return Gate{Step: ps.ID, Title: ps.Title, Confirm: ps.Gate, Calls: s.gateCalls(reqs), Doc: ps.Doc,
		Approvals: ps.Approvals, Approvers: ps.Approvers, Requires: requiresText(ps)}, nil
}

// requiresText describes a step's preconditions in a line each, for
// approvers who read the gate away from the operator's screen.
func requiresText(ps *runbooks.PlannedStep) []string {
	var out []string
	for _, r := range ps.Requires {
		line := fmt.Sprintf("%s in %s", r.Call, r.Region)
		if r.Query != "" {
			line += ": " + r.Query
		}
		if len(r.Tests) > 0 {
			line += " " + strings.Join(r.Tests, ", ")
		}
		out = append(out, line)
	}
	return out
}

// primaryRequest is one request of operation, to the Region the step's
// calls to its service go to, for an action's planner.
func (s *StepRun) primaryRequest(operation string, input, simulated map[string]any) request {
	return request{CallInfo: CallInfo{Operation: operation, Region: s.callRegion(operation), Mutating: true, Input: input},
		simulated: simulated}
}

// plannedRequest returns the one request an action that sends at most one
// planned, and whether it planned one.
func (s *StepRun) plannedRequest(ctx context.Context) (request, bool, error) {
	reqs, err := s.plannedRequests(ctx)
	switch {
	case err != nil:
		return request{}, false, err
	case len(reqs) > 1:
		return request{}, false, fmt.Errorf("internal error: %s planned %d requests where it sends one", s.plan.Action, len(reqs))
	case len(reqs) == 0:
		return request{}, false, nil
	}
	return reqs[0], true, nil
}
