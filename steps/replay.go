package steps

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

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
	// Failed are the steps whose last word in the log is a failure, by
	// step: the run stopped on them.
	Failed map[string]PriorFailure
	// Answered are, per step that did not finish, the mutating calls AWS
	// answered with success: the step's effect happened, and resume gives
	// the step the logged answer instead of sending the call again.
	Answered map[string][]AnsweredCall
}

// AnsweredCall is a mutating call the log shows answered with success.
type AnsweredCall struct {
	Operation string
	Region    string
	// Input is the input as logged, in canonical JSON.
	Input     string
	Output    map[string]any
	RequestID string
}

// PriorFailure is a step's failure in the run being resumed.
type PriorFailure struct {
	Error string
	// Continued is set when a person decided to continue after it: the
	// failure is allowed, and the steps after it may run.
	Continued bool
}

// Replay reads an interrupted run's events into a Prior. Done and skipped
// steps are finished; a failed step is finished only if its failure was
// allowed (see Executor's Options.Failed); a step a person decided to retry,
// or one that was running, runs again.
func Replay(events []audit.Event) (*Prior, error) {
	p := &Prior{Done: map[string]PriorStep{}, Unanswered: map[string][]string{}, Failed: map[string]PriorFailure{},
		Answered: map[string][]AnsweredCall{}}
	pending := map[string]awsRequestData{} // call id → request
	for _, ev := range events {
		switch ev.Type {
		case audit.TypeStepFailed:
			var f struct {
				Error string `json:"error"`
			}
			if err := json.Unmarshal(ev.Data, &f); err != nil {
				return nil, fmt.Errorf("seq %d: %w", ev.Seq, err)
			}
			p.Failed[ev.Step] = PriorFailure{Error: f.Error}
		case audit.TypeDecision:
			var d decisionData
			if err := json.Unmarshal(ev.Data, &d); err != nil {
				return nil, fmt.Errorf("seq %d: %w", ev.Seq, err)
			}
			if prior, ok := p.Done[ev.Step]; ok && d.Outputs != nil {
				p.Done[ev.Step] = prior.Given(d.Outputs)
			}
			if f, ok := p.Failed[ev.Step]; ok {
				switch Verdict(d.Decision) {
				case VerdictContinue:
					f.Continued = true
					p.Failed[ev.Step] = f
				case VerdictRetry:
					delete(p.Failed, ev.Step)
				}
			}
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
			if req, ok := pending[resp.Call]; ok && resp.Error == "" {
				step := stepOfCall(resp.Call)
				p.Answered[step] = append(p.Answered[step], AnsweredCall{Operation: req.Operation, Region: req.Region,
					Input: canonicalJSON(req.Input), Output: resp.Output, RequestID: resp.RequestID})
			}
			delete(pending, resp.Call)
		case audit.TypeStepDone:
			var d stepDoneData
			if err := json.Unmarshal(ev.Data, &d); err != nil {
				return nil, fmt.Errorf("seq %d: %w", ev.Seq, err)
			}
			p.Done[ev.Step] = PriorStep{Status: StatusDone, Outputs: d.Outputs}
			delete(p.Failed, ev.Step)
		case audit.TypeStepSkipped:
			var d struct {
				Outputs map[string]any `json:"outputs"`
			}
			if err := json.Unmarshal(ev.Data, &d); err != nil {
				return nil, fmt.Errorf("seq %d: %w", ev.Seq, err)
			}
			_, failedBefore := p.Failed[ev.Step]
			p.Done[ev.Step] = PriorStep{Status: StatusSkipped, Outputs: d.Outputs, FailedBefore: failedBefore}
			delete(p.Failed, ev.Step)
		}
	}
	for _, req := range pending {
		step := stepOfCall(req.Call)
		if _, finished := p.Done[step]; !finished {
			p.Unanswered[step] = append(p.Unanswered[step], req.Operation)
		}
	}
	for step := range p.Done {
		delete(p.Answered, step)
	}
	return p, nil
}

// canonicalJSON writes a value as JSON with its object keys sorted, so
// that a call's input as logged and as about to be sent compare equal
// when they are.
func canonicalJSON(v any) string {
	b, _ := json.Marshal(v)
	var generic any
	if json.Unmarshal(b, &generic) != nil {
		return string(b)
	}
	b, _ = json.Marshal(generic)
	return string(b)
}

// sentBefore reports, once per step, whether the run being resumed sent a
// mutating call of the step, answered or not, other than those its action
// only prepares its change with (a CloudFormation change set, created
// before the gate): those change nothing the preconditions look at.
func (e *Executor) sentBefore(step string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.preconditionsSkipped[step] {
		return false
	}
	var prepares []string
	if i := e.opts.Runbook.StepIndex(step); i >= 0 {
		prepares = e.opts.Catalogue.entries[e.steps[i].Action].prepares
	}
	sent := slices.ContainsFunc(e.opts.Answered[step], func(c AnsweredCall) bool { return !slices.Contains(prepares, c.Operation) }) ||
		slices.ContainsFunc(e.opts.Unanswered[step], func(op string) bool { return !slices.Contains(prepares, op) })
	if sent {
		e.preconditionsSkipped[step] = true
	}
	return sent
}

// reconcileSlack is how much earlier than the run's start a resource may
// say it was created and still be taken for one of the run's: AWS's clock
// and this machine's can disagree by a little.
const reconcileSlack = 5 * time.Minute

// mayHaveSent reports whether an earlier attempt of the step may have had
// AWS act on operation without drpilot learning the outcome: the run being
// resumed logged it sent and never answered, or an earlier attempt of this
// run failed after sending it. An action that has no client token AWS is
// sure to honour then looks for what that attempt made before it sends
// again; a call the log shows answered is reused, not sent (takeAnswered).
func (s *StepRun) mayHaveSent(operation string) bool {
	return !s.DryRun() && (slices.Contains(s.exec.opts.Unanswered[s.plan.ID], operation) || s.attempt() > 1)
}

// takeAnswered returns, and uses up, the logged answer to a step's
// mutating call with this operation, Region and input, if the run being
// resumed had one.
func (e *Executor) takeAnswered(step, operation, region string, loggedInput map[string]any) (AnsweredCall, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	calls := e.answered[step]
	if len(calls) == 0 {
		return AnsweredCall{}, false
	}
	// The log holds the input with the run's secrets redacted: compare
	// like with like.
	input := canonicalJSON(audit.RedactSecrets(loggedInput, e.secrets))
	same := -1
	for k, c := range calls {
		if c.Operation != operation || c.Region != region {
			continue
		}
		if c.Input == input {
			same = k
			break
		}
		// A plan that reads live state can differ on resume (a newer
		// recovery point, a health check's next version): one answered
		// call of the operation is still the one the step made.
		if same == -1 {
			same = k
		} else {
			same = -2
		}
	}
	if same < 0 {
		return AnsweredCall{}, false
	}
	c := calls[same]
	e.answered[step] = append(calls[:same:same], calls[same+1:]...)
	return c, true
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
	switch ps.Action {
	case "aws.call":
		return fmt.Errorf("%s was sent before drpilot stopped and its answer was never logged; aws.call cannot tell whether it took effect: check the resource, then skip the step with a reason or run it again", ops[0])
	case "notify":
		// Nothing in AWS says whether a message was delivered, and a
		// message sent twice is one the on-call's contacts act on twice:
		// a person decides. The deliveries answered before are not sent
		// again either way.
		return fmt.Errorf("%v was sent before drpilot stopped and its answer was never logged: the message may have been delivered; retry sends the deliveries not answered again, continue leaves them as they are", ops)
	}
	msg := fmt.Sprintf("resume: %v was sent before drpilot stopped, without a logged answer; %s reads the resource's state before sending anything again", ops, ps.Action)
	e.record(audit.TypeNote, ps.ID, actorDrpilot, map[string]any{"reconcile": ops, "text": msg})
	e.emit(Event{Type: EventNote, Step: ps.ID, Message: msg})
	return nil
}

// Given is a finished step with the outputs an operator gave on resume: a
// skipped step's, or the ones a done step did not produce (an output the
// step produced is never replaced: it is what AWS answered).
func (p PriorStep) Given(outputs map[string]any) PriorStep {
	if p.Status == StatusSkipped {
		p.Outputs = outputs
		return p
	}
	merged := maps.Clone(p.Outputs)
	if merged == nil {
		merged = map[string]any{}
	}
	for name, v := range outputs {
		if merged[name] == nil {
			merged[name] = v
		}
	}
	p.Outputs = merged
	return p
}
