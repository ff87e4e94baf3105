package steps

import (
	"encoding/json"
	"fmt"

	"github.com/drpilot/drpilot/audit"
	"github.com/drpilot/drpilot/runbooks"
)

// Prior is what an interrupted run's audit log says about its steps, which
// is all resume trusts: the log was written before anything it records
// was allowed to happen.
type Prior struct {
	// Done are the steps that finished (done or skipped): they are not run
	// again, and their outputs feed later steps' templates.
	Done map[string]PriorStep
	// Unanswered lists, per step that did not finish, the mutating calls
	// logged as sent without a logged response: the crash came between
	// the two, and AWS may or may not have acted.
	Unanswered map[string][]string
}

// Replay reads an interrupted run's events into a Prior. A step that
// failed is run again on resume; only done and skipped steps count as
// finished.
func Replay(events []audit.Event) (*Prior, error) {
	p := &Prior{Done: map[string]PriorStep{}, Unanswered: map[string][]string{}}
	pending := map[string]awsRequestData{} // call id → request
	for _, ev := range events {
		switch ev.Type {
		case audit.TypeAWSRequest:
			var req awsRequestData
			if err := json.Unmarshal(ev.Data, &req); err != nil {
				return nil, fmt.Errorf("seq %d: %w", ev.Seq, err)
			}
			if !req.DryRun {
				pending[req.Call] = req
			}
		case audit.TypeAWSResponse:
			var resp awsResponseData
			if err := json.Unmarshal(ev.Data, &resp); err != nil {
				return nil, fmt.Errorf("seq %d: %w", ev.Seq, err)
			}
			delete(pending, resp.Call)
		case audit.TypeStepDone:
			var d stepDoneData
			if err := json.Unmarshal(ev.Data, &d); err != nil {
				return nil, fmt.Errorf("seq %d: %w", ev.Seq, err)
			}
			p.Done[ev.Step] = PriorStep{Status: StatusDone, Outputs: d.Outputs}
		case audit.TypeStepSkipped:
			p.Done[ev.Step] = PriorStep{Status: StatusSkipped}
		}
	}
	for _, req := range pending {
		step := stepOfCall(req.Call)
		if _, finished := p.Done[step]; !finished {
			p.Unanswered[step] = append(p.Unanswered[step], req.Operation)
		}
	}
	return p, nil
}

// stepOfCall is the step of a call id, <step>/<n>.
func stepOfCall(id string) string {
	for i := len(id) - 1; i >= 0; i-- {
		if id[i] == '/' {
			return id[:i]
		}
	}
	return id
}

// reconcile decides how a step with unanswered calls may go on. A
// catalogue action reads the resource's state before it sends anything
// (its check-before-act, or its client token makes AWS answer with the
// first attempt's result), so it runs again and finds out. aws.call has no
// such rule: sending a mutating operation again might do it twice, so the
// step fails and the operator decides.
func (e *Executor) reconcile(ps *runbooks.PlannedStep, ops []string) error {
	if ps.Action == "aws.call" {
		return fmt.Errorf("%s was sent before drpilot stopped and its answer was never logged; aws.call cannot tell whether it took effect: check the resource, then skip the step with a reason or run it again", ops[0])
	}
	msg := fmt.Sprintf("resume: %v was sent before drpilot stopped, without a logged answer; %s reads the resource's state before sending anything again", ops, ps.Action)
	e.record(audit.TypeNote, ps.ID, actorDrpilot, map[string]any{"reconcile": ops, "text": msg})
	e.emit(Event{Type: EventNote, Step: ps.ID, Message: msg})
	return nil
}
