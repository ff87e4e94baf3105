package steps

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// A stack's deployment, watched: DescribeStacks says whether it is over,
// DescribeStackEvents what it is doing, each new event reported as wait
// progress ("Queue AWS::SQS::Queue CREATE_COMPLETE"), so that the on-call
// sees the resources come up, or which one failed and why.

// stackWatch follows the events of one stack's current deployment.
type stackWatch struct {
	s           *StepRun
	stack, name string
	seen        map[string]bool
	// failed is the first event of a resource that failed, if any.
	failed map[string]any
}

// waitStack polls the stack until its deployment is over, and answers with
// the stack: its StackId, StackName, StackStatus, ChangeSetId and its
// Outputs as a table. A deployment of the step's change set that rolled
// back or failed fails the step with the first failing resource.
func waitStack(ctx context.Context, s *StepRun, stack, name string) (map[string]any, error) {
	w := &stackWatch{s: s, stack: stack, name: name, seen: map[string]bool{}}
	out, err := s.Wait(ctx, WaitSpec{
		Operation: "cloudformation:DescribeStacks", Input: map[string]any{"StackName": stack},
		Delays: stackCompleteDelays,
		Check: func(out map[string]any) (string, bool, error) {
			st := respFirst(out, "Stacks")
			status := respString(st, "StackStatus")
			w.report(ctx)
			switch {
			case stackBusy(status) || status == "REVIEW_IN_PROGRESS":
				return status, false, nil
			case changeSetNameOf(respString(st, "ChangeSetId")) != name:
				// Nothing of this step's was executed (its change set had
				// no changes): the stack is as it was, whatever that is.
				return status, true, nil
			case stackDeployed(status):
				return status, true, nil
			}
			return status, true, w.failure(status)
		},
	})
	if err != nil {
		return nil, err
	}
	st := respFirst(out, "Stacks")
	outputs := map[string]any{}
	for _, item := range respList(st, "Outputs") {
		o := respMap(item)
		outputs[respString(o, "OutputKey")] = respString(o, "OutputValue")
	}
	return map[string]any{
		"StackId": respString(st, "StackId"), "StackName": respString(st, "StackName"), "StackStatus": respString(st, "StackStatus"),
		"ChangeSetId": respString(st, "ChangeSetId"), "Outputs": outputs,
	}, nil
}

// report reads the stack's events and reports those of its current
// deployment not reported yet, oldest first. Events are progress: a read
// that fails leaves them for the next poll.
func (w *stackWatch) report(ctx context.Context) {
	out, err := w.s.Read(ctx, "cloudformation:DescribeStackEvents", map[string]any{"StackName": w.stack})
	if err != nil {
		return
	}
	// Newest first: the current deployment's events go back to the
	// stack's own CREATE_IN_PROGRESS or UPDATE_IN_PROGRESS.
	var current []map[string]any
	for _, item := range respList(out, "StackEvents") {
		e := respMap(item)
		current = append(current, e)
		status := respString(e, "ResourceStatus")
		if respString(e, "LogicalResourceId") == w.stack && (status == "CREATE_IN_PROGRESS" || status == "UPDATE_IN_PROGRESS" || status == "IMPORT_IN_PROGRESS") {
			break
		}
	}
	slices.Reverse(current)
	for _, e := range current {
		id := respString(e, "EventId")
		if w.seen[id] {
			continue
		}
		w.seen[id] = true
		status, logical := respString(e, "ResourceStatus"), respString(e, "LogicalResourceId")
		if w.failed == nil && logical != w.stack && strings.HasSuffix(status, "_FAILED") {
			w.failed = e
		}
		line := logical + " " + respString(e, "ResourceType") + " " + status
		if reason := respString(e, "ResourceStatusReason"); reason != "" {
			line += ": " + reason
		}
		// Polls 0: an event is news, not a repeated poll, and the printers,
		// which show only some polls of a long wait, show every one.
		w.s.exec.emit(Event{Type: EventWaitProgress, Step: w.s.plan.ID, Message: line,
			Wait: &WaitProgress{Operation: "cloudformation:DescribeStackEvents", State: line,
				Elapsed: w.s.exec.now().Sub(w.s.started), Expect: w.s.plan.Expect.Duration}})
	}
}

// failure is the error of a deployment of the step's change set that
// ended in status: the first resource that failed, and what the stack
// is now.
func (w *stackWatch) failure(status string) error {
	after := "the stack is back as it was before the step: fix the cause, then retry the step"
	if status == "ROLLBACK_COMPLETE" || status == "ROLLBACK_FAILED" {
		after = fmt.Sprintf("a stack whose creation failed cannot be updated: delete it (aws cloudformation delete-stack --stack-name %s --region %s) before retrying the step",
			w.stack, w.s.Region())
	} else if !strings.Contains(status, "ROLLBACK") || strings.HasSuffix(status, "_FAILED") {
		after = "the stack needs a person: see its events in the CloudFormation console"
	}
	if w.failed == nil {
		return fmt.Errorf("stack %s ended %s after change set %s; no resource event says why (aws cloudformation describe-stack-events --stack-name %s); %s",
			w.stack, status, w.name, w.stack, after)
	}
	e := w.failed
	return fmt.Errorf("stack %s ended %s after change set %s: %s (%s) %s: %s; %s", w.stack, status, w.name,
		respString(e, "LogicalResourceId"), respString(e, "ResourceType"), respString(e, "ResourceStatus"), respString(e, "ResourceStatusReason"), after)
}
