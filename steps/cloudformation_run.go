package steps

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/drpilot/drpilot/audit"
)

// cloudformation.deploy-stack: a change set, its resource changes at the
// gate, its execution once approved, and the deployment's events as it
// goes.
//
// Creating a change set changes no resource, but it is a mutating call:
// dry-run does not send it, so a dry run shows the CreateChangeSet request
// and not the changes. A live run creates the change set before the gate
// and waits until CloudFormation has computed it, because an approver of
// a stack deployment needs to see what it will add, modify, replace and
// remove, and only CloudFormation can say. The gate shows that
// CreateChangeSet as sent already, with its request id, and the
// ExecuteChangeSet that approval sends, with the change set's resource
// changes. An approver who skips the step or aborts the run has the change
// set deleted (withdrawCFNChangeSet). A run that stops at the gate keeps
// it: the change set's name is the same on resume, which finds and reuses
// it.

const (
	// maxChangeSetPages bounds the reading of a change set's changes, 100
	// a page: CloudFormation allows 500 resources in a stack.
	maxChangeSetPages = 10
)

// cfnNoChanges are the words with which CloudFormation fails a change set
// that changes nothing.
var cfnNoChanges = []string{"didn't contain changes", "No updates are to be performed"}

// cfnChangeSetName is the step's change set name: change_set_name, or
// drpilot-<run id>-<step id> with what a change set name may not hold
// replaced by hyphens.
func cfnChangeSetName(s *StepRun) string {
	if n := s.String("change_set_name"); n != "" {
		return n
	}
	b := []byte("drpilot-" + s.exec.opts.RunID + "-" + s.plan.ID)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			b[i] = '-'
		}
	}
	return string(b[:min(len(b), 128)])
}

// changeSetNameOf is the name in a change set's ARN
// (arn:aws:cloudformation:<region>:<account>:changeSet/<name>/<id>).
func changeSetNameOf(id string) string {
	_, rest, _ := strings.Cut(id, ":changeSet/")
	name, _, _ := strings.Cut(rest, "/")
	return name
}

// stackBusy reports a status in which the stack is being changed.
func stackBusy(status string) bool {
	return strings.HasSuffix(status, "_IN_PROGRESS") && status != "REVIEW_IN_PROGRESS"
}

// stackDeployed reports a status in which a deployment succeeded.
func stackDeployed(status string) bool {
	return status == "CREATE_COMPLETE" || status == "UPDATE_COMPLETE" || status == "IMPORT_COMPLETE"
}

// planCFNDeployStack decides, from the stack and the step's change set as
// they are, what the step does: only wait (its change set was executed
// already), nothing (the change set has no changes), or execute a change
// set that it reuses or (in a live run) creates and describes here, before
// the gate.
func planCFNDeployStack(ctx context.Context, s *StepRun) ([]request, error) {
	stack, name := s.String("stack_name"), cfnChangeSetName(s)
	st, err := describeStack(ctx, s, stack)
	if err != nil {
		return nil, err
	}
	if done, err := cfnExecutedAlready(s, st, name); done || err != nil {
		return nil, err
	}
	cs, err := existingChangeSet(ctx, s, st, stack, name)
	if err != nil {
		return nil, err
	}
	var reqs []request
	ref := map[string]any{"ChangeSetName": name, "StackName": stack}
	if cs != nil && changeSetReusable(cs) {
		s.Note("change set %s of stack %s exists already (an earlier attempt of this step created it): it is reused, not created again", name, stack)
	} else {
		if cs != nil {
			s.Note("change set %s of stack %s is %s/%s from an earlier attempt: it is deleted and created again",
				name, stack, respString(cs, "Status"), respString(cs, "ExecutionStatus"))
			reqs = append(reqs, s.primaryRequest("cloudformation:DeleteChangeSet", ref, map[string]any{}))
		}
		in := s.Input()
		in["ChangeSetName"], in["ChangeSetType"] = name, "UPDATE"
		if st == nil || respString(st, "StackStatus") == "REVIEW_IN_PROGRESS" {
			in["ChangeSetType"] = "CREATE"
		}
		in["Description"] = fmt.Sprintf("drpilot run %s, step %s", s.exec.opts.RunID, s.plan.ID)
		reqs = append(reqs, s.primaryRequest("cloudformation:CreateChangeSet", in, map[string]any{"StackId": stack}))
		if s.DryRun() {
			s.Note("dry-run: change set %s is not created (CreateChangeSet is a mutating call), so the resource changes it would make are not known: a live run shows them at the gate", name)
			return append(reqs, s.primaryRequest("cloudformation:ExecuteChangeSet", ref, simulatedStack(stack, name, in["ChangeSetType"]))), nil
		}
		if reqs, err = sendBeforeGate(ctx, s, reqs); err != nil {
			return nil, err
		}
	}
	changes, err := computedChanges(ctx, s, stack, name)
	if err != nil || changes == nil {
		return reqs, err
	}
	// The audit log keeps what was approved with the step's notes.
	summary := make([]string, len(changes))
	for i, c := range changes {
		summary[i] = fmt.Sprintf("%s %s (%s)", c.Action, c.LogicalResourceID, c.ResourceType)
		if c.Replacement == "True" || c.Replacement == "Conditional" {
			summary[i] += " replacement " + c.Replacement
		}
	}
	s.Note("change set %s of stack %s: %d resource changes: %s", name, stack, len(changes), strings.Join(summary, ", "))
	exec := s.primaryRequest("cloudformation:ExecuteChangeSet", ref, simulatedStack(stack, name, "UPDATE"))
	exec.Changes = changes
	return append(reqs, exec), nil
}

// sendBeforeGate sends the requests that prepare the change set (delete a
// stale one, create it) and returns them with their request ids: the gate
// shows them as sent.
func sendBeforeGate(ctx context.Context, s *StepRun, reqs []request) ([]request, error) {
	for i, r := range reqs {
		if _, err := s.send(ctx, r); err != nil {
			return nil, fmt.Errorf("%s for stack %s: %w", r.Operation, s.String("stack_name"), err)
		}
		reqs[i].RequestID = s.requestIDs[len(s.requestIDs)-1]
	}
	return reqs, nil
}

// describeStack reads a stack; nil when it does not exist.
func describeStack(ctx context.Context, s *StepRun, stack string) (map[string]any, error) {
	out, err := s.Read(ctx, "cloudformation:DescribeStacks", map[string]any{"StackName": stack})
	if errorCode(err) == "ValidationError" && strings.Contains(err.Error(), "does not exist") || notSent(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("describe stack %s: %w", stack, err)
	}
	return respFirst(out, "Stacks"), nil
}

// cfnExecutedAlready reports whether the step's change set was executed
// by an earlier attempt and is deploying or deployed (the step then only
// waits), and refuses a stack that another operation is changing or that
// CloudFormation cannot update.
func cfnExecutedAlready(s *StepRun, st map[string]any, name string) (bool, error) {
	if st == nil {
		return false, nil
	}
	stack, status := respString(st, "StackName"), respString(st, "StackStatus")
	ours := changeSetNameOf(respString(st, "ChangeSetId")) == name
	switch {
	case ours && stackBusy(status):
		s.Note("stack %s is %s from change set %s, which an earlier attempt of this step executed: it is already deploying, nothing is sent; waiting", stack, status, name)
		return true, nil
	case ours && stackDeployed(status):
		s.Note("stack %s is %s from change set %s, which an earlier attempt of this step executed: it is already deployed, nothing to change", stack, status, name)
		return true, nil
	case stackBusy(status):
		return false, fmt.Errorf("stack %s is %s, from an operation other than this step's change set %s: wait until it ends "+
			"(aws cloudformation describe-stacks --stack-name %s --region %s), then retry the step", stack, status, name, stack, s.Region())
	case status == "ROLLBACK_COMPLETE" || status == "ROLLBACK_FAILED" || status == "CREATE_FAILED" || status == "DELETE_FAILED":
		return false, fmt.Errorf("stack %s is %s: its creation failed and CloudFormation cannot update it; delete it "+
			"(aws cloudformation delete-stack --stack-name %s --region %s), then retry the step, which creates it again", stack, status, stack, s.Region())
	}
	return false, nil
}

// existingChangeSet reads the step's change set; nil when there is none.
func existingChangeSet(ctx context.Context, s *StepRun, st map[string]any, stack, name string) (map[string]any, error) {
	if st == nil {
		return nil, nil // a change set belongs to a stack
	}
	out, err := s.Read(ctx, "cloudformation:DescribeChangeSet", map[string]any{"ChangeSetName": name, "StackName": stack})
	if c := errorCode(err); c == "ChangeSetNotFound" || c == "ChangeSetNotFoundException" || notSent(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("look for change set %s of stack %s: %w", name, stack, err)
	}
	return out, nil
}

// changeSetReusable reports a change set being computed or ready to be
// executed: what an earlier attempt that stopped at the gate left.
func changeSetReusable(cs map[string]any) bool {
	status, execution := respString(cs, "Status"), respString(cs, "ExecutionStatus")
	return (status == "CREATE_PENDING" || status == "CREATE_IN_PROGRESS" || status == "CREATE_COMPLETE") &&
		(execution == "AVAILABLE" || execution == "UNAVAILABLE")
}

// computedChanges waits until the change set is computed and returns its
// resource changes; nil, with a note, when it contains no changes.
func computedChanges(ctx context.Context, s *StepRun, stack, name string) ([]ResourceChange, error) {
	ref := map[string]any{"ChangeSetName": name, "StackName": stack}
	cs, err := s.Wait(ctx, WaitSpec{
		Operation: "cloudformation:DescribeChangeSet", Input: ref,
		Delays: changeSetCreatedDelays,
		Check: func(out map[string]any) (string, bool, error) {
			status := respString(out, "Status")
			return "change set " + status, status == "CREATE_COMPLETE" || status == "FAILED", nil
		},
	})
	if err != nil {
		return nil, fmt.Errorf("wait for change set %s of stack %s: %w", name, stack, err)
	}
	if respString(cs, "Status") == "FAILED" {
		reason := respString(cs, "StatusReason")
		for _, words := range cfnNoChanges {
			if strings.Contains(reason, words) {
				s.Note("change set %s contains no changes (%q): stack %s already matches the template and parameters, nothing to change", name, reason, stack)
				return nil, nil
			}
		}
		return nil, fmt.Errorf("change set %s of stack %s failed: %s", name, stack, reason)
	}
	changes := []ResourceChange{}
	for page := 0; page < maxChangeSetPages; page++ {
		for _, item := range respList(cs, "Changes") {
			rc := respMap(respMap(item)["ResourceChange"])
			changes = append(changes, ResourceChange{Action: respString(rc, "Action"), LogicalResourceID: respString(rc, "LogicalResourceId"),
				ResourceType: respString(rc, "ResourceType"), Replacement: respString(rc, "Replacement")})
		}
		next := respString(cs, "NextToken")
		if next == "" {
			break
		}
		if cs, err = s.Read(ctx, "cloudformation:DescribeChangeSet", map[string]any{"ChangeSetName": name, "StackName": stack, "NextToken": next}); err != nil {
			return nil, fmt.Errorf("read the changes of change set %s: %w", name, err)
		}
	}
	return changes, nil
}

// simulatedStack is dry-run's answer in place of the deployment: the
// stack as it would be, its outputs unknown.
func simulatedStack(stack, name string, typ any) map[string]any {
	status := "UPDATE_COMPLETE"
	if typ == "CREATE" {
		status = "CREATE_COMPLETE"
	}
	return map[string]any{"StackName": stack, "StackStatus": status, "ChangeSetId": name, "Outputs": map[string]any{}}
}

// runCFNDeployStack sends what the plan left to send (in a live run, the
// ExecuteChangeSet that the gate's approval allows; in a dry run, every
// request, simulated) and waits for the stack.
func runCFNDeployStack(ctx context.Context, s *StepRun) (map[string]any, error) {
	reqs, err := s.plannedRequests(ctx)
	if err != nil {
		return nil, err
	}
	stack, name := s.String("stack_name"), cfnChangeSetName(s)
	for _, r := range reqs {
		if r.RequestID != "" {
			continue // sent before the gate
		}
		if r.Operation == "cloudformation:ExecuteChangeSet" {
			if again, err := executedBefore(ctx, s, stack, name); err != nil || again {
				if err != nil {
					return nil, err
				}
				continue
			}
		}
		if _, err := s.send(ctx, r); err != nil {
			return nil, fmt.Errorf("%s %s for stack %s: %w", r.Operation, name, stack, err)
		}
	}
	if s.Simulated() {
		return s.simulated, nil
	}
	return waitStack(ctx, s, stack, name)
}

// executedBefore reports whether an earlier attempt that may have sent
// ExecuteChangeSet did: the stack then names the step's change set.
func executedBefore(ctx context.Context, s *StepRun, stack, name string) (bool, error) {
	if !s.mayHaveSent("cloudformation:ExecuteChangeSet") {
		return false, nil
	}
	st, err := describeStack(ctx, s, stack)
	if err != nil || st == nil || changeSetNameOf(respString(st, "ChangeSetId")) != name {
		return false, err
	}
	s.Note("change set %s was executed by an earlier attempt of this step (stack %s is %s): ExecuteChangeSet is not sent again",
		name, stack, respString(st, "StackStatus"))
	return true, nil
}

// withdrawCFNChangeSet deletes the change set a live run created or
// reused for a gate that was not passed: the approver refused what it
// would deploy, and a change set left behind is one somebody may execute
// later by mistake.
func withdrawCFNChangeSet(ctx context.Context, s *StepRun) {
	i := slices.IndexFunc(s.requests, func(r request) bool {
		return r.Operation == "cloudformation:ExecuteChangeSet" && r.RequestID == ""
	})
	if i < 0 || s.DryRun() {
		return
	}
	ref := s.requests[i].Input
	if _, err := s.Mutate(ctx, "cloudformation:DeleteChangeSet", ref, map[string]any{}); err != nil {
		s.Note("the gate was not passed, and change set %s of stack %s could not be deleted (%v): it changes nothing unless executed; "+
			"delete it with aws cloudformation delete-change-set", ref["ChangeSetName"], ref["StackName"], err)
		return
	}
	s.Note("the gate was not passed: change set %s of stack %s was deleted without being executed; nothing was deployed "+
		"(a stack the change set was to create stays in REVIEW_IN_PROGRESS, with no resources)", ref["ChangeSetName"], ref["StackName"])
}

// concealCFNParameters keeps the values of template parameters named like
// credentials (DBPassword, ApiKey) out of the log and off the screens, as
// the log keeps any member so named: in CreateChangeSet's input they are
// the ParameterValue of a list entry, which a rule by member name does not
// reach.
func concealCFNParameters(s *StepRun) {
	params, _ := s.Params()["parameters"].(map[string]any)
	for name, v := range params {
		shown, _ := audit.Redact(map[string]any{name: v}).(map[string]any)
		if text, ok := v.(string); ok && shown[name] == audit.Redacted {
			s.exec.addSecrets(text)
		}
	}
}
