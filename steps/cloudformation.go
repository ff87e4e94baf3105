package steps

import (
	"fmt"
	"slices"

	"github.com/drpilot/drpilot/runbooks"
)

// cloudformationActions are the AWS CloudFormation actions (IAM prefix
// cloudformation).
func cloudformationActions() []Action {
	return []Action{
		cfnDeployStack().runs(runCFNDeployStack).plans(planCFNDeployStack).withdraws(withdrawCFNChangeSet).
			conceals(concealCFNParameters).preparesWith("cloudformation:CreateChangeSet", "cloudformation:DeleteChangeSet"),
	}
}

// cfnDeployStack deploys a stack from a template through a change set:
// the backup-and-restore strategy rebuilds infrastructure in the recovery
// Region from its templates.
func cfnDeployStack() Action {
	return Action{
		spec: runbooks.ActionSpec{
			Name: "cloudformation.deploy-stack",
			Summary: "Create or update a CloudFormation stack from a template through a change set, " +
				"whose resource changes the gate shows, and wait until the deployment is complete.",
			Phases:   []string{"restore"},
			Mutating: true,
			Calls: []runbooks.Call{
				check("cloudformation:DescribeStacks"),
				check("cloudformation:DescribeChangeSet"),
				act("cloudformation:CreateChangeSet"),
				act("cloudformation:ExecuteChangeSet"),
				act("cloudformation:DeleteChangeSet"),
				waitOn("cloudformation:DescribeStackEvents"),
			},
			Params: []runbooks.Param{
				required(str("stack_name", "StackName", "The stack to create, or to update when it exists, in the step's Region.")),
				str("template_body", "TemplateBody", "The template, JSON or YAML, inline (up to 51,200 bytes); write the ${ of Fn::Sub as $${, which a runbook reads as a literal ${."),
				str("template_url", "TemplateURL", "The https URL of the template in S3; a bucket in the recovery Region keeps working when the primary is down."),
				table("parameters", "", "The template's parameters, name = value; those left out take their defaults. The values of those named like credentials (DBPassword, ApiKey) are kept out of the log and off the screens; give a secret as a sensitive var."),
				listOf("capabilities", "Capabilities", enumElem(cfnCapabilities),
					"The capabilities the template needs: CAPABILITY_IAM or CAPABILITY_NAMED_IAM for IAM resources, CAPABILITY_AUTO_EXPAND for macros."),
				table("tags", "", "Tags for the stack and the resources it makes, key = value."),
				arn("role_arn", "RoleARN", "iam", "The service role CloudFormation deploys with, instead of the caller's credentials."),
				str("change_set_name", "ChangeSetName",
					"The change set's name; by default drpilot-<run id>-<step id>, the same on every attempt and on resume, which is what makes the step idempotent."),
			},
			OneOf:   [][]string{{"template_body", "template_url"}},
			Input:   cfnChangeSetInput,
			Outputs: []string{"Outputs", "StackId", "StackStatus", "ChangeSetId"},
			Idempotency: "Check-before-act on a deterministic change set name: DescribeStacks shows whether the stack exists (an UPDATE or a CREATE change set) and " +
				"whether this step's change set was executed already (then the step only waits, or is done); DescribeChangeSet finds the change set an earlier " +
				"attempt created, which is reused rather than created again. A change set that failed, or whose deployment rolled back, is deleted and created " +
				"again: that is what retrying the step asks for. A change set that contains no changes ends the step: the stack already matches.",
			Wait: "Before the gate, creates the change set (in a live run) and polls DescribeChangeSet until it is computed: the gate shows its resource changes, " +
				"and the change set is executed only once the gate is approved (skipped or aborted, it is deleted). Then polls DescribeStacks and " +
				"DescribeStackEvents until the stack is CREATE_COMPLETE or UPDATE_COMPLETE, reporting each new stack event as progress; a rollback or a " +
				"*_FAILED status fails the step with the first failing resource's logical id, type and reason. The response is the stack's StackId, " +
				"StackName, StackStatus and ChangeSetId, and its Outputs as a table, OutputKey = OutputValue.",
			Expect:  runbooks.Minutes(10),
			Timeout: runbooks.Minutes(60),
		},
		example: example{
			id: "rebuild-network", phase: "restore", title: "Rebuild the network stack in the recovery Region",
			with: []setting{
				{"stack_name", `"shop-network"`},
				{"template_url", `"https://dr-templates-${runbook.regions.recovery}.s3.${runbook.regions.recovery}.amazonaws.com/network.yaml"`},
				{"parameters", `{ Environment = "dr", VpcCidr = "10.20.0.0/16" }`},
				{"capabilities", `["CAPABILITY_NAMED_IAM"]`},
				{"tags", `{ team = "platform" }`},
			},
			outputs: []setting{{"vpc_id", `"Outputs.VpcId"`}},
		},
	}
}

// cfnCapabilities are the capabilities CreateChangeSet takes.
var cfnCapabilities = []string{"CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"}

// enumElem is the element of a list of strings from values.
func enumElem(values []string) runbooks.Param {
	return runbooks.Param{Kind: runbooks.KindEnum, Enum: values}
}

// cfnChangeSetInput is CreateChangeSet's input as the plan shows it: the
// parameters and tags tables become CloudFormation's lists. The change set
// name, when defaulted, and its type (CREATE or UPDATE) are known only in
// the run.
func cfnChangeSetInput(with map[string]any) map[string]any {
	in := fillMembers(cfnDeployStack().spec.Params, with)
	if params := keyValues(with["parameters"], "ParameterKey", "ParameterValue"); len(params) > 0 {
		in["Parameters"] = params
	}
	if tags := keyValues(with["tags"], "Key", "Value"); len(tags) > 0 {
		in["Tags"] = tags
	}
	return in
}

// keyValues turns a table into a list of {key: name, value: value}
// objects, sorted by name; values are strings, as CloudFormation takes
// them (a TOML number or boolean is written out).
func keyValues(v any, key, value string) []any {
	m, _ := v.(map[string]any)
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	out := make([]any, 0, len(m))
	for _, k := range names {
		s, ok := m[k].(string)
		if !ok {
			s = fmt.Sprint(m[k])
		}
		out = append(out, map[string]any{key: k, value: s})
	}
	return out
}
