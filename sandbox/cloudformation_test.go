package sandbox

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
)

// cfnTemplateV1 is a YAML template with short-form functions, a parameter
// with a default and one without, and outputs of every kind the sandbox
// resolves.
const cfnTemplateV1 = `
Description: Shop recovery stack
Parameters:
  Env:
    Type: String
  Size:
    Type: String
    Default: small
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub "orders-${Env}"
  Bucket:
    Type: AWS::S3::Bucket
Outputs:
  QueueUrl:
    Value: !Ref Queue
  BucketArn:
    Value: !GetAtt Bucket.Arn
  Size:
    Value: !Ref Size
  Region:
    Value: !Sub "${AWS::Region}-${Env}"
`

// cfnTemplateV2 changes the queue's properties through Size, adds a topic
// and drops the bucket.
const cfnTemplateV2 = `{
  "Parameters": {"Env": {"Type": "String"}, "Size": {"Type": "String", "Default": "small"}},
  "Resources": {
    "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Fn::Sub": "orders-${Env}"}, "Tier": {"Ref": "Size"}}},
    "Topic": {"Type": "AWS::SNS::Topic"}
  },
  "Outputs": {"QueueUrl": {"Value": {"Ref": "Queue"}}}
}`

func readyChangeSet(t *testing.T, client *cloudformation.Client, sb *Sandbox, in *cloudformation.CreateChangeSetInput) *cloudformation.DescribeChangeSetOutput {
	t.Helper()
	if _, err := client.CreateChangeSet(ctx(t), in); err != nil {
		t.Fatalf("CreateChangeSet %s: %v", aws.ToString(in.ChangeSetName), err)
	}
	early, err := client.DescribeChangeSet(ctx(t), &cloudformation.DescribeChangeSetInput{StackName: in.StackName, ChangeSetName: in.ChangeSetName})
	if err != nil || early.Status == cfntypes.ChangeSetStatusCreateComplete {
		t.Fatalf("a change set just created: %+v %v", early, err)
	}
	sb.clock.Advance(cfnChangeSetTime)
	out, err := client.DescribeChangeSet(ctx(t), &cloudformation.DescribeChangeSetInput{StackName: in.StackName, ChangeSetName: in.ChangeSetName})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func cfnStackNow(t *testing.T, client *cloudformation.Client, name string) cfntypes.Stack {
	t.Helper()
	out, err := client.DescribeStacks(ctx(t), &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
	if err != nil || len(out.Stacks) != 1 {
		t.Fatalf("DescribeStacks %s: %+v %v", name, out, err)
	}
	return out.Stacks[0]
}

func cfnChanges(cs *cloudformation.DescribeChangeSetOutput) string {
	var out []string
	for _, c := range cs.Changes {
		rc := c.ResourceChange
		out = append(out, string(rc.Action)+" "+aws.ToString(rc.LogicalResourceId)+" "+string(rc.Replacement))
	}
	return strings.Join(out, ", ")
}

func cfnParams(kv ...string) []cfntypes.Parameter {
	var out []cfntypes.Parameter
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, cfntypes.Parameter{ParameterKey: aws.String(kv[i]), ParameterValue: aws.String(kv[i+1])})
	}
	return out
}

// TestCloudFormationStackLifecycle: a stack created through a change set,
// updated through another, and a third that changes nothing.
func TestCloudFormationStackLifecycle(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{})
	client := cloudformation.NewFromConfig(awsConfig(t, url, "eu-west-2"))
	stack := aws.String("shop")
	in := &cloudformation.CreateChangeSetInput{StackName: stack, ChangeSetName: aws.String("v1"), ChangeSetType: cfntypes.ChangeSetTypeCreate,
		TemplateBody: aws.String(cfnTemplateV1)}
	if _, err := client.CreateChangeSet(ctx(t), in); apiCode(err) != "ValidationError" || !strings.Contains(err.Error(), "[Env] must have values") {
		t.Fatalf("a parameter without a value: %v", err)
	}
	in.Parameters = cfnParams("Env", "dr")
	cs := readyChangeSet(t, client, sb, in)
	if cs.Status != cfntypes.ChangeSetStatusCreateComplete || cs.ExecutionStatus != cfntypes.ExecutionStatusAvailable ||
		cfnChanges(cs) != "Add Bucket , Add Queue " {
		t.Fatalf("change set: %s %s %s", cs.Status, cs.ExecutionStatus, cfnChanges(cs))
	}
	if st := cfnStackNow(t, client, "shop"); st.StackStatus != cfntypes.StackStatusReviewInProgress {
		t.Fatalf("a stack before its change set is executed: %s", st.StackStatus)
	}
	if _, err := client.ExecuteChangeSet(ctx(t), &cloudformation.ExecuteChangeSetInput{StackName: stack, ChangeSetName: aws.String("v1")}); err != nil {
		t.Fatal(err)
	}
	if st := cfnStackNow(t, client, "shop"); st.StackStatus != cfntypes.StackStatusCreateInProgress || len(st.Outputs) != 0 {
		t.Fatalf("a stack being created: %s %+v", st.StackStatus, st.Outputs)
	}
	sb.clock.Advance(time.Minute)
	st := cfnStackNow(t, client, "shop")
	outputs := map[string]string{}
	for _, o := range st.Outputs {
		outputs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	if st.StackStatus != cfntypes.StackStatusCreateComplete || !strings.HasPrefix(outputs["QueueUrl"], "shop-Queue-") ||
		!strings.HasPrefix(outputs["BucketArn"], "arn:aws:s3:eu-west-2:123456789012:bucket/shop-Bucket-") ||
		outputs["Size"] != "small" || outputs["Region"] != "eu-west-2-dr" || aws.ToString(st.Description) != "Shop recovery stack" {
		t.Fatalf("created stack: %s %v", st.StackStatus, outputs)
	}
	events := cfnEventList(t, client, "shop")
	if want := "shop CREATE_IN_PROGRESS, Bucket CREATE_IN_PROGRESS, Bucket CREATE_COMPLETE, Queue CREATE_IN_PROGRESS, Queue CREATE_COMPLETE, shop CREATE_COMPLETE"; events != want {
		t.Fatalf("events\n %s\nwant\n %s", events, want)
	}

	cs = readyChangeSet(t, client, sb, &cloudformation.CreateChangeSetInput{StackName: stack, ChangeSetName: aws.String("v2"),
		TemplateBody: aws.String(cfnTemplateV2), Parameters: cfnParams("Env", "dr", "Size", "large")})
	if got := cfnChanges(cs); got != "Remove Bucket , Modify Queue False, Add Topic " {
		t.Fatalf("update's changes: %s", got)
	}
	if _, err := client.ExecuteChangeSet(ctx(t), &cloudformation.ExecuteChangeSetInput{StackName: stack, ChangeSetName: aws.String("v2")}); err != nil {
		t.Fatal(err)
	}
	sb.clock.Advance(time.Minute)
	if st := cfnStackNow(t, client, "shop"); st.StackStatus != cfntypes.StackStatusUpdateComplete || len(st.Outputs) != 1 ||
		aws.ToString(st.Outputs[0].OutputValue) != outputs["QueueUrl"] {
		t.Fatalf("updated stack: %s %+v (the queue keeps its physical id %s)", st.StackStatus, st.Outputs, outputs["QueueUrl"])
	}

	cs = readyChangeSet(t, client, sb, &cloudformation.CreateChangeSetInput{StackName: stack, ChangeSetName: aws.String("v3"),
		UsePreviousTemplate: aws.Bool(true), Parameters: []cfntypes.Parameter{
			{ParameterKey: aws.String("Env"), UsePreviousValue: aws.Bool(true)}, {ParameterKey: aws.String("Size"), ParameterValue: aws.String("large")}}})
	if cs.Status != cfntypes.ChangeSetStatusFailed || aws.ToString(cs.StatusReason) != noChanges || len(cs.Changes) != 0 {
		t.Fatalf("a change set without changes: %s %q %s", cs.Status, aws.ToString(cs.StatusReason), cfnChanges(cs))
	}
	if _, err := client.DeleteChangeSet(ctx(t), &cloudformation.DeleteChangeSetInput{StackName: stack, ChangeSetName: aws.String("v3")}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.DescribeChangeSet(ctx(t), &cloudformation.DescribeChangeSetInput{StackName: stack, ChangeSetName: aws.String("v3")}); !errorAs[*cfntypes.ChangeSetNotFoundException](err) {
		t.Fatalf("a deleted change set: %v", err)
	}
	listed, err := client.ListStacks(ctx(t), &cloudformation.ListStacksInput{StackStatusFilter: []cfntypes.StackStatus{cfntypes.StackStatusUpdateComplete}})
	if err != nil || len(listed.StackSummaries) != 1 {
		t.Fatalf("ListStacks: %+v %v", listed, err)
	}
}

func cfnEventList(t *testing.T, client *cloudformation.Client, name string) string {
	t.Helper()
	out, err := client.DescribeStackEvents(ctx(t), &cloudformation.DescribeStackEventsInput{StackName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	var events []string
	for i := len(out.StackEvents) - 1; i >= 0; i-- { // oldest first
		e := out.StackEvents[i]
		events = append(events, aws.ToString(e.LogicalResourceId)+" "+string(e.ResourceStatus))
	}
	return strings.Join(events, ", ")
}

// TestCloudFormationFailedResourceRollsBack: a fault fails a resource; a
// creation rolls back to ROLLBACK_COMPLETE, an update to
// UPDATE_ROLLBACK_COMPLETE, each with the resource's reason in its event.
func TestCloudFormationFailedResourceRollsBack(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{})
	client := cloudformation.NewFromConfig(awsConfig(t, url, "eu-west-2"))
	reason := `Resource handler returned message: "Bucket quota reached"`
	if err := sb.faults.apply(Fault{Stuck: &Stuck{Service: "cloudformation", Region: "eu-west-2", ID: "shop/Queue", State: "FAILED: " + reason}}); err != nil {
		t.Fatal(err)
	}
	readyChangeSet(t, client, sb, &cloudformation.CreateChangeSetInput{StackName: aws.String("shop"), ChangeSetName: aws.String("v1"),
		ChangeSetType: cfntypes.ChangeSetTypeCreate, TemplateBody: aws.String(cfnTemplateV1), Parameters: cfnParams("Env", "dr")})
	if _, err := client.ExecuteChangeSet(ctx(t), &cloudformation.ExecuteChangeSetInput{StackName: aws.String("shop"), ChangeSetName: aws.String("v1")}); err != nil {
		t.Fatal(err)
	}
	sb.clock.Advance(time.Minute)
	if st := cfnStackNow(t, client, "shop"); st.StackStatus != cfntypes.StackStatusRollbackComplete {
		t.Fatalf("after a failed creation: %s", st.StackStatus)
	}
	want := "shop CREATE_IN_PROGRESS, Bucket CREATE_IN_PROGRESS, Bucket CREATE_COMPLETE, Queue CREATE_IN_PROGRESS, Queue CREATE_FAILED, " +
		"shop ROLLBACK_IN_PROGRESS, Queue DELETE_IN_PROGRESS, Queue DELETE_COMPLETE, Bucket DELETE_IN_PROGRESS, Bucket DELETE_COMPLETE, shop ROLLBACK_COMPLETE"
	if got := cfnEventList(t, client, "shop"); got != want {
		t.Fatalf("events\n %s\nwant\n %s", got, want)
	}
	events, _ := client.DescribeStackEvents(ctx(t), &cloudformation.DescribeStackEventsInput{StackName: aws.String("shop")})
	for _, e := range events.StackEvents {
		if e.ResourceStatus == cfntypes.ResourceStatusCreateFailed && aws.ToString(e.ResourceStatusReason) != reason {
			t.Errorf("the failed resource's reason: %q", aws.ToString(e.ResourceStatusReason))
		}
	}
	if _, err := client.CreateChangeSet(ctx(t), &cloudformation.CreateChangeSetInput{StackName: aws.String("shop"), ChangeSetName: aws.String("v2"),
		TemplateBody: aws.String(cfnTemplateV1), Parameters: cfnParams("Env", "dr")}); apiCode(err) != "ValidationError" {
		t.Fatalf("an update of a stack whose creation rolled back: %v", err)
	}

	// An update that fails puts the stack back as it was.
	if err := sb.faults.apply(Fault{Stuck: &Stuck{Service: "cloudformation", Region: "eu-west-2", ID: "app/Topic", State: "FAILED"}}); err != nil {
		t.Fatal(err)
	}
	readyChangeSet(t, client, sb, &cloudformation.CreateChangeSetInput{StackName: aws.String("app"), ChangeSetName: aws.String("v1"),
		ChangeSetType: cfntypes.ChangeSetTypeCreate, TemplateBody: aws.String(cfnTemplateV1), Parameters: cfnParams("Env", "dr")})
	client.ExecuteChangeSet(ctx(t), &cloudformation.ExecuteChangeSetInput{StackName: aws.String("app"), ChangeSetName: aws.String("v1")})
	sb.clock.Advance(time.Minute)
	readyChangeSet(t, client, sb, &cloudformation.CreateChangeSetInput{StackName: aws.String("app"), ChangeSetName: aws.String("v2"),
		TemplateBody: aws.String(cfnTemplateV2), Parameters: cfnParams("Env", "dr", "Size", "large")})
	client.ExecuteChangeSet(ctx(t), &cloudformation.ExecuteChangeSetInput{StackName: aws.String("app"), ChangeSetName: aws.String("v2")})
	sb.clock.Advance(time.Minute)
	st := cfnStackNow(t, client, "app")
	if st.StackStatus != cfntypes.StackStatusUpdateRollbackComplete || len(st.Outputs) != 4 {
		t.Fatalf("after a failed update: %s, %d outputs", st.StackStatus, len(st.Outputs))
	}
	if got := cfnEventList(t, client, "app"); !strings.HasSuffix(got, "Topic CREATE_FAILED, app UPDATE_ROLLBACK_IN_PROGRESS, Queue UPDATE_IN_PROGRESS, Queue UPDATE_COMPLETE, "+
		"app UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS, Topic DELETE_IN_PROGRESS, Topic DELETE_COMPLETE, app UPDATE_ROLLBACK_COMPLETE") {
		t.Fatalf("events of the failed update: %s", got)
	}
}

// TestCloudFormationRefuses: what CloudFormation refuses, the sandbox
// refuses with the same codes.
func TestCloudFormationRefuses(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{})
	client := cloudformation.NewFromConfig(awsConfig(t, url, "eu-west-2"))
	iam := `{"Resources": {"Role": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "dr"}}}}`
	for _, tc := range []struct {
		name string
		in   cloudformation.CreateChangeSetInput
		code string
	}{
		{"an update of a stack that does not exist", cloudformation.CreateChangeSetInput{TemplateBody: aws.String(iam)}, "ValidationError"},
		{"a named IAM role without its capability", cloudformation.CreateChangeSetInput{TemplateBody: aws.String(iam), ChangeSetType: cfntypes.ChangeSetTypeCreate,
			Capabilities: []cfntypes.Capability{cfntypes.CapabilityCapabilityIam}}, "InsufficientCapabilitiesException"},
		{"a template that is not JSON", cloudformation.CreateChangeSetInput{TemplateBody: aws.String("{nope"), ChangeSetType: cfntypes.ChangeSetTypeCreate}, "ValidationError"},
		{"a template without resources", cloudformation.CreateChangeSetInput{TemplateBody: aws.String("Resources: {}"), ChangeSetType: cfntypes.ChangeSetTypeCreate}, "ValidationError"},
		{"an unknown parameter", cloudformation.CreateChangeSetInput{TemplateBody: aws.String(iam), ChangeSetType: cfntypes.ChangeSetTypeCreate,
			Capabilities: []cfntypes.Capability{cfntypes.CapabilityCapabilityNamedIam}, Parameters: cfnParams("Env", "dr")}, "ValidationError"},
		{"a template in a bucket that does not exist", cloudformation.CreateChangeSetInput{TemplateURL: aws.String("https://tpl.s3.eu-west-2.amazonaws.com/shop.yaml"),
			ChangeSetType: cfntypes.ChangeSetTypeCreate}, "ValidationError"},
	} {
		in := tc.in
		in.StackName, in.ChangeSetName = aws.String("roles"), aws.String("c1")
		if _, err := client.CreateChangeSet(ctx(t), &in); apiCode(err) != tc.code {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.code)
		}
	}
	cs := readyChangeSet(t, client, sb, &cloudformation.CreateChangeSetInput{StackName: aws.String("roles"), ChangeSetName: aws.String("c1"),
		ChangeSetType: cfntypes.ChangeSetTypeCreate, TemplateBody: aws.String(iam), Capabilities: []cfntypes.Capability{cfntypes.CapabilityCapabilityNamedIam}})
	if _, err := client.CreateChangeSet(ctx(t), &cloudformation.CreateChangeSetInput{StackName: aws.String("roles"), ChangeSetName: aws.String("c1"),
		ChangeSetType: cfntypes.ChangeSetTypeCreate, TemplateBody: aws.String(iam), Capabilities: []cfntypes.Capability{cfntypes.CapabilityCapabilityNamedIam}}); apiCode(err) != "AlreadyExistsException" {
		t.Errorf("a change set name taken: %v", err)
	}
	client.ExecuteChangeSet(ctx(t), &cloudformation.ExecuteChangeSetInput{ChangeSetName: cs.ChangeSetId})
	if _, err := client.ExecuteChangeSet(ctx(t), &cloudformation.ExecuteChangeSetInput{ChangeSetName: cs.ChangeSetId}); apiCode(err) != "InvalidChangeSetStatus" {
		t.Errorf("a change set executed twice: %v", err)
	}
}
