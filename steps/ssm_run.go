package steps

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// The AWS Systems Manager actions: an OpsCenter OpsItem that declares the
// event, and Parameter Store flags that applications read.

// opsItemRunStepKey is the OperationalData key that marks the OpsItem a
// step created with the run and step ids. CreateOpsItem takes no client
// token, so this is how a retried or resumed step finds its OpsItem.
const opsItemRunStepKey = "/drpilot/run-step"

// runOpsItemCreate looks for an OpsItem this step already created (its
// OperationalData carries the run and step ids) and returns it; otherwise
// it creates one, so marked. There is nothing to wait for: the OpsItem
// exists when CreateOpsItem returns. The response has OpsItemId and
// OpsItemArn.
func runOpsItemCreate(ctx context.Context, s *StepRun) (map[string]any, error) {
	found, err := opsItemFind(ctx, s, opsItemMark(s))
	if err != nil || found != nil {
		return found, err
	}
	r, _, err := s.plannedRequest(ctx)
	if err != nil {
		return nil, err
	}
	out, err := s.send(ctx, r)
	return out, callFailed(err, fmt.Sprintf("creating OpsItem %q in %s", s.String("title"), s.Region()), "")
}

// planOpsItemCreate is CreateOpsItem with the mark that finds the OpsItem
// again in its OperationalData.
func planOpsItemCreate(_ context.Context, s *StepRun) ([]request, error) {
	in := s.Input()
	// SearchableString is what makes the value usable in a
	// DescribeOpsItems filter.
	in["OperationalData"] = map[string]any{
		opsItemRunStepKey: map[string]any{"Value": opsItemMark(s), "Type": "SearchableString"},
	}
	// The id and ARN are OpsCenter's to choose: dry-run leaves them out,
	// so that outputs name this step instead of a made-up id.
	return []request{s.primaryRequest("ssm:CreateOpsItem", in, map[string]any{})}, nil
}

// opsItemMark is the value that marks the OpsItem of this run's step.
func opsItemMark(s *StepRun) string { return s.exec.opts.RunID + "/" + s.ID() }

// opsItemFind returns the OpsItem marked with this run and step, as
// CreateOpsItem would have answered, or nil when there is none.
func opsItemFind(ctx context.Context, s *StepRun, mark string) (map[string]any, error) {
	filter, err := json.Marshal(map[string]string{"key": opsItemRunStepKey, "value": mark})
	if err != nil {
		return nil, err
	}
	out, err := s.Read(ctx, "ssm:DescribeOpsItems", map[string]any{
		"OpsItemFilters": []any{map[string]any{"Key": "OperationalData", "Operator": "Equal", "Values": []any{string(filter)}}},
	})
	if err != nil {
		return nil, fmt.Errorf("looking for an OpsItem this step already created: %w", err)
	}
	items := memberMaps(out, "OpsItemSummaries")
	if len(items) == 0 {
		return nil, nil
	}
	id := memberString(items[0], "OpsItemId")
	// The summary has no ARN; GetOpsItem has it.
	item, err := s.Read(ctx, "ssm:GetOpsItem", map[string]any{"OpsItemId": id})
	if err != nil {
		return nil, fmt.Errorf("reading OpsItem %s, which this step already created: %w", id, err)
	}
	s.Note("OpsItem %s was already created by this step (%s = %s): not creating a second", id, opsItemRunStepKey, mark)
	return map[string]any{"OpsItemId": id, "OpsItemArn": memberString(memberMap(item, "OpsItem"), "OpsItemArn")}, nil
}

// runSSMPutParameter reads the parameter first and leaves it alone when it
// already holds the value (and type); otherwise it puts it and reads it
// back until Parameter Store returns the new value at the new version. The
// response is PutParameter's Version and Tier; a parameter left alone
// answers its current Version.
func runSSMPutParameter(ctx context.Context, s *StepRun) (map[string]any, error) {
	name, value, typ := s.String("name"), s.String("value"), s.String("type")
	cur, err := ssmGetParameter(ctx, s, name)
	if err != nil {
		return nil, err
	}
	if cur != nil {
		if ok, err := ssmCurrentWillDo(s, cur, value, typ); ok || err != nil {
			return map[string]any{"Version": cur["Version"]}, err
		}
	}
	next := int64(1)
	if v, ok := memberInt(cur, "Version"); ok {
		next = v + 1
	}
	simulated := map[string]any{"Version": next, "Tier": "Standard"}
	what := fmt.Sprintf("parameter %s in %s", name, s.Region())
	put, err := s.Mutate(ctx, "ssm:PutParameter", s.Input(), simulated)
	if err != nil {
		return nil, callFailed(err, what, "")
	}
	version, _ := memberInt(put, "Version")
	_, err = s.Wait(ctx, WaitSpec{
		Operation: "ssm:GetParameter", Input: map[string]any{"Name": name, "WithDecryption": true},
		Delays: pollDelays{time.Second, 5 * time.Second},
		Check: func(out map[string]any) (string, bool, error) {
			p := memberMap(out, "Parameter")
			v, _ := memberInt(p, "Version")
			state := fmt.Sprintf("version %d", v)
			if v > version {
				return state, true, fmt.Errorf("parameter %s is at version %d, past the version %d this step wrote: "+
					"something else changed it meanwhile; check its history before going on", name, v, version)
			}
			return state, v == version && memberString(p, "Value") == value, nil
		},
	})
	if err != nil {
		return nil, callFailed(err, what, "")
	}
	return put, nil
}

// ssmGetParameter reads a parameter, decrypted, or returns nil when it
// does not exist.
func ssmGetParameter(ctx context.Context, s *StepRun, name string) (map[string]any, error) {
	out, err := s.Read(ctx, "ssm:GetParameter", map[string]any{"Name": name, "WithDecryption": true})
	if awsErrorCode(err) == "ParameterNotFound" || notSent(err) {
		return nil, nil
	}
	if err != nil {
		return nil, callFailed(err, fmt.Sprintf("reading parameter %s in %s", name, s.Region()), "")
	}
	return memberMap(out, "Parameter"), nil
}

// ssmCurrentWillDo decides on an existing parameter: true when it already
// holds the value and type (nothing to do), and an error when it holds
// something else and the step may not overwrite it. A SecureString's value
// is never written into a note.
func ssmCurrentWillDo(s *StepRun, cur map[string]any, value, typ string) (bool, error) {
	name := memberString(cur, "Name")
	same := memberString(cur, "Value") == value
	if same && memberString(cur, "Type") == typ {
		if typ == "SecureString" {
			s.Note("parameter %s already holds the value (version %v): nothing to change", name, cur["Version"])
		} else {
			s.Note("parameter %s is already %q (version %v): nothing to change", name, value, cur["Version"])
		}
		return true, nil
	}
	if overwrite, _ := s.Bool("overwrite"); !overwrite {
		return false, fmt.Errorf("parameter %s exists with another value or type (version %v) and overwrite is false: "+
			"set overwrite = true to replace it, or change the runbook's value", name, cur["Version"])
	}
	return false, nil
}

// concealSecureString: a SecureString's value is a secret whatever the
// member is called.
func concealSecureString(s *StepRun) {
	if s.String("type") == "SecureString" {
		s.Conceal("Value")
	}
}

// concealAWSCallSecureString: the same call written with aws.call holds
// the same secret.
func concealAWSCallSecureString(s *StepRun) {
	service, op, _ := splitOperation(s.String("call"))
	if service == "ssm" && op == "PutParameter" && s.Input()["Type"] == "SecureString" {
		s.Conceal("Value")
	}
}
