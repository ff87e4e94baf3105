package steps

import (
	"fmt"
	"strings"
	"testing"

	"github.com/drpilot/drpilot/sandbox"
)

// shopTemplate is the recovery stack's template: a queue named after a
// parameter, and a bucket; shopTemplateV2 tiers the queue, adds a topic
// and drops the bucket.
const (
	shopTemplate = `
Parameters:
  Env: {Type: String}
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
`
	shopTemplateV2 = `
Parameters:
  Env: {Type: String}
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub "orders-${Env}"
      Tier: large
  Topic:
    Type: AWS::SNS::Topic
Outputs:
  QueueUrl:
    Value: !Ref Queue
`
)

// deployStackRunbook deploys the shop stack in eu-west-2 from template,
// with the given extra [steps.with] lines. The template's own ${ (Fn::Sub)
// is written $${, as a runbook must.
func deployStackRunbook(template, extra string) string {
	template = strings.ReplaceAll(template, "${", "$${")
	return stepRunbook(`
[[steps]]
id = "deploy"
phase = "restore"
title = "Deploy the shop stack"
action = "cloudformation.deploy-stack"
doc = "Rebuild the shop's infrastructure."
[steps.with]
stack_name = "shop"
template_body = '''` + template + `'''
parameters = { Env = "dr" }
tags = { team = "shop" }
` + extra + `
[steps.outputs]
queue_url = "Outputs.QueueUrl"
status = "StackStatus"
stack_id = "StackId"
`)
}

// gateChanges is a gate's resource changes, as "Action Logical Replacement".
func gateChanges(g Gate) string {
	var out []string
	for _, c := range g.Calls {
		for _, ch := range c.Changes {
			out = append(out, strings.TrimSpace(ch.Action+" "+ch.LogicalResourceID+" "+ch.Replacement))
		}
	}
	return strings.Join(out, ", ")
}

// TestCFNDeployStack creates the stack, finds it deployed on a second run,
// updates it through a change set that modifies, adds and removes, and
// finds nothing to change in a third.
func TestCFNDeployStack(t *testing.T) {
	t.Parallel()
	approver := &scriptedApprover{}
	src := deployStackRunbook(shopTemplate, "")
	tr := startRun(t, src, "", runOptions{approver: approver})
	succeeded(t, tr)
	out := doneEvent(t, tr, "deploy").Outputs
	if out["status"] != "CREATE_COMPLETE" || !strings.HasPrefix(fmt.Sprint(out["queue_url"]), "shop-Queue-") ||
		!strings.HasPrefix(fmt.Sprint(out["stack_id"]), "arn:aws:cloudformation:eu-west-2:123456789012:stack/shop/") {
		t.Errorf("outputs %v", out)
	}
	g := approver.seen[0]
	if len(g.Calls) != 2 || g.Calls[0].Operation != "cloudformation:CreateChangeSet" || g.Calls[0].RequestID == "" ||
		g.Calls[0].Input["ChangeSetType"] != "CREATE" || g.Calls[1].Operation != "cloudformation:ExecuteChangeSet" || g.Calls[1].RequestID != "" {
		t.Errorf("the gate shows %+v", g.Calls)
	}
	if got := gateChanges(g); got != "Add Bucket, Add Queue" {
		t.Errorf("the gate shows the changes %q", got)
	}
	checkGatesShowWhatIsSent(t, tr, approver)
	if n, m := sent(tr, "CreateChangeSet"), sent(tr, "ExecuteChangeSet"); n != 1 || m != 1 {
		t.Errorf("CreateChangeSet sent %d times, ExecuteChangeSet %d; want 1 each", n, m)
	}
	var progress []string
	for _, e := range tr.rec.of(EventWaitProgress, "deploy") {
		if e.Wait.Operation == "cloudformation:DescribeStackEvents" {
			progress = append(progress, e.Message)
		}
	}
	if got := strings.Join(progress, "\n"); !strings.Contains(got, "Queue AWS::SQS::Queue CREATE_COMPLETE") || !strings.HasSuffix(got, "shop AWS::CloudFormation::Stack CREATE_COMPLETE") {
		t.Errorf("the stack events reported:\n%s", got)
	}

	// The same step again, as a resumed run makes it: its change set was
	// executed, the stack is deployed.
	again := againSendsNothing(t, tr, src, "deploy", "CreateChangeSet")
	if !strings.Contains(notes(again, "deploy"), "already deployed") || sent(tr, "ExecuteChangeSet") != 1 {
		t.Errorf("second run: notes %q, %d ExecuteChangeSet", notes(again, "deploy"), sent(tr, "ExecuteChangeSet"))
	}

	approver = &scriptedApprover{}
	update := startRun(t, deployStackRunbook(shopTemplateV2, `change_set_name = "shop-v2"`), "", runOptions{on: tr, approver: approver})
	succeeded(t, update)
	if out := doneEvent(t, update, "deploy").Outputs; out["status"] != "UPDATE_COMPLETE" || out["queue_url"] != doneEvent(t, tr, "deploy").Outputs["queue_url"] {
		t.Errorf("update's outputs %v", out)
	}
	if got := gateChanges(approver.seen[0]); got != "Remove Bucket, Modify Queue False, Add Topic" {
		t.Errorf("the update's gate shows %q", got)
	}
	checkGatesShowWhatIsSent(t, update, approver)

	deployedAgain(t, tr, deployStackRunbook(shopTemplateV2, `change_set_name = "shop-v3"`), "contains no changes")
	if n := sent(tr, "ExecuteChangeSet"); n != 2 {
		t.Errorf("no changes: %d ExecuteChangeSet in all, want 2", n)
	}
}

// deployedAgain runs src on tr's sandbox, and checks that the step
// succeeded, noting note, with the stack UPDATE_COMPLETE.
func deployedAgain(t *testing.T, tr *testRun, src, note string) {
	t.Helper()
	again := startRun(t, src, "", runOptions{on: tr})
	succeeded(t, again)
	if !strings.Contains(notes(again, "deploy"), note) {
		t.Errorf("notes %q, want %q", notes(again, "deploy"), note)
	}
	if out := doneEvent(t, again, "deploy").Outputs; out["status"] != "UPDATE_COMPLETE" {
		t.Errorf("outputs %v", out)
	}
}

// TestCFNDeployStackRollsBack: a resource that fails fails the step with
// its reason once the stack has rolled back.
func TestCFNDeployStackRollsBack(t *testing.T) {
	t.Parallel()
	reason := `Resource handler returned message: "Queue limit exceeded" (Service: Sqs, Status Code: 400)`
	scenario := `[[faults]]
stuck = { service = "cloudformation", region = "eu-west-2", id = "shop/Queue", state = 'FAILED: ` + reason + `' }
`
	tr := startRun(t, deployStackRunbook(shopTemplate, ""), scenario, runOptions{})
	failedWith(t, tr, "deploy", "stack shop ended ROLLBACK_COMPLETE", "Queue (AWS::SQS::Queue) CREATE_FAILED: "+reason, "delete it")
	st := respFirst(readBack(t, tr, "cloudformation", "eu-west-2", "DescribeStacks", map[string]any{"StackName": "shop"}), "Stacks")
	if respString(st, "StackStatus") != "ROLLBACK_COMPLETE" {
		t.Errorf("the stack is %s", respString(st, "StackStatus"))
	}
}

// TestCFNDeployStackResumesAtTheGate: a run that stops at the gate leaves
// its change set; the resumed run reuses it, creates no second one and
// executes it once.
func TestCFNDeployStackResumesAtTheGate(t *testing.T) {
	t.Parallel()
	src := deployStackRunbook(shopTemplate, "")
	first := startRun(t, src, "", runOptions{approver: HeadlessApprover{}})
	if first.status("deploy") == StatusDone || sent(first, "CreateChangeSet") != 1 || sent(first, "ExecuteChangeSet") != 0 {
		t.Fatalf("the first run: step %s, %d CreateChangeSet, %d ExecuteChangeSet", first.status("deploy"), sent(first, "CreateChangeSet"), sent(first, "ExecuteChangeSet"))
	}
	resumed := startRun(t, src, "", runOptions{on: first, unanswered: map[string][]string{"deploy": {"cloudformation:CreateChangeSet"}}})
	succeeded(t, resumed)
	if n, m := sent(first, "CreateChangeSet"), sent(first, "ExecuteChangeSet"); n != 1 || m != 1 || !strings.Contains(notes(resumed, "deploy"), "is reused") {
		t.Errorf("resumed: %d CreateChangeSet, %d ExecuteChangeSet in all; notes %q", n, m, notes(resumed, "deploy"))
	}
}

// TestCFNDeployStackSkippedAtTheGate: an approver who skips the step has
// its change set deleted, unexecuted.
func TestCFNDeployStackSkippedAtTheGate(t *testing.T) {
	t.Parallel()
	approver := &scriptedApprover{gates: map[string]Decision{"deploy": {Verdict: VerdictSkip, Actor: "tester", Reason: "not this template"}}}
	tr := startRun(t, deployStackRunbook(shopTemplate, ""), "", runOptions{approver: approver})
	if tr.status("deploy") != StatusSkipped || sent(tr, "ExecuteChangeSet") != 0 || sent(tr, "DeleteChangeSet") != 1 {
		t.Fatalf("step %s, %d ExecuteChangeSet, %d DeleteChangeSet", tr.status("deploy"), sent(tr, "ExecuteChangeSet"), sent(tr, "DeleteChangeSet"))
	}
	if !strings.Contains(notes(tr, "deploy"), "was deleted without being executed") {
		t.Errorf("notes %q", notes(tr, "deploy"))
	}
	tr.verify()
}

// TestCFNDeployStackDryRun: a dry run reads the stack, shows the
// CreateChangeSet and ExecuteChangeSet it would send, and sends neither.
func TestCFNDeployStackDryRun(t *testing.T) {
	t.Parallel()
	src := strings.Replace(deployStackRunbook(shopTemplate, ""), `parameters = { Env = "dr" }`, `parameters = { Env = "dr", DBPassword = "correct-horse-battery" }`, 1)
	tr := startRun(t, src, "", runOptions{mode: ModeDryRun})
	dryRunSentNothing(t, tr, "deploy")
	if strings.Contains(auditText(t, tr), "correct-horse-battery") {
		t.Error("the audit log holds the value of a parameter named like a password")
	}
	var ops []string
	for _, e := range tr.rec.of(EventCallDone, "deploy") {
		if e.Simulated {
			ops = append(ops, e.Call.Operation)
			if e.Call.Operation == "cloudformation:CreateChangeSet" {
				in := e.Call.Input
				if in["ChangeSetType"] != "CREATE" || in["StackName"] != "shop" || !strings.Contains(fmt.Sprint(in["TemplateBody"]), "AWS::SQS::Queue") ||
					fmt.Sprint(in["Parameters"]) != "[map[ParameterKey:DBPassword ParameterValue:[redacted]] map[ParameterKey:Env ParameterValue:dr]]" || in["ChangeSetName"] != "drpilot-test-run-deploy" {
					t.Errorf("the dry run's CreateChangeSet: %v", in)
				}
			}
		}
	}
	if strings.Join(ops, " ") != "cloudformation:CreateChangeSet cloudformation:ExecuteChangeSet" {
		t.Errorf("the dry run shows %v", ops)
	}
	if !strings.Contains(notes(tr, "deploy"), "is not created") {
		t.Errorf("notes %q", notes(tr, "deploy"))
	}
}

// TestCFNDeployStackRetriesAfterARollback: an update whose new resource
// fails leaves the stack as it was; run again once the cause is gone, the
// step deletes its executed change set, creates it again and deploys.
func TestCFNDeployStackRetriesAfterARollback(t *testing.T) {
	t.Parallel()
	tr := startRun(t, deployStackRunbook(shopTemplate, ""), "", runOptions{})
	succeeded(t, tr)
	topic := sandbox.Fault{Stuck: &sandbox.Stuck{Service: "cloudformation", Region: "eu-west-2", ID: "shop/Topic", State: "FAILED"}}
	injectFault(t, tr.endpoint, topic)
	update := deployStackRunbook(shopTemplateV2, `change_set_name = "shop-v2"`)
	failed := startRun(t, update, "", runOptions{on: tr})
	failedWith(t, failed, "deploy", "stack shop ended UPDATE_ROLLBACK_COMPLETE", "Topic (AWS::SNS::Topic) CREATE_FAILED", "back as it was")

	topic.Stuck.State = ""
	injectFault(t, tr.endpoint, topic)
	deployedAgain(t, tr, update, "deleted and created again")
	if n := sent(tr, "DeleteChangeSet"); n != 1 {
		t.Errorf("the retry: %d DeleteChangeSet, want 1", n)
	}
}

// TestCFNDeployStackFromS3: a template in a bucket of the recovery Region,
// named by its URL.
func TestCFNDeployStackFromS3(t *testing.T) {
	t.Parallel()
	scenario := `[[create]]
service   = "s3"
region    = "eu-west-2"
operation = "CreateBucket"
input     = { Bucket = "dr-templates", CreateBucketConfiguration = { LocationConstraint = "eu-west-2" } }

[[create]]
service   = "s3"
region    = "eu-west-2"
operation = "PutObject"
input     = { Bucket = "dr-templates", Key = "shop.yaml", Body = '''` + shopTemplate + `''' }
`
	src := strings.Replace(deployStackRunbook("", ""), "template_body = ''''''",
		`template_url = "https://dr-templates.s3.eu-west-2.amazonaws.com/shop.yaml"`, 1)
	tr := startRun(t, src, scenario, runOptions{})
	succeeded(t, tr)
	if out := doneEvent(t, tr, "deploy").Outputs; out["status"] != "CREATE_COMPLETE" || !strings.HasPrefix(fmt.Sprint(out["queue_url"]), "shop-Queue-") {
		t.Errorf("outputs %v", out)
	}
}

// TestCFNDeployStackResumedChecksItsPreconditions: a change set created
// before the gate changed nothing, so a resumed step that sent only that
// evaluates its preconditions again, as a step that sent nothing does.
func TestCFNDeployStackResumedChecksItsPreconditions(t *testing.T) {
	t.Parallel()
	src := deployStackRunbook(shopTemplate, "") + `
[[steps.require]]
call = "cloudformation:ListStacks"
query = "length(StackSummaries)"
equals = 0
`
	first := startRun(t, src, "", runOptions{approver: HeadlessApprover{}})
	if sent(first, "CreateChangeSet") != 1 || first.status("deploy") == StatusDone {
		t.Fatalf("the first run: step %s, %d CreateChangeSet", first.status("deploy"), sent(first, "CreateChangeSet"))
	}
	// The stack the change set made is in review now: the precondition
	// no longer holds.
	resumed := startRun(t, src, "", runOptions{on: first, unanswered: map[string][]string{"deploy": {"cloudformation:CreateChangeSet"}}})
	if resumed.status("deploy") != StatusFailed || sent(first, "ExecuteChangeSet") != 0 || strings.Contains(notes(resumed, "deploy"), "not evaluated again") {
		t.Errorf("resumed: step %s, %d ExecuteChangeSet, notes %q, error %q", resumed.status("deploy"), sent(first, "ExecuteChangeSet"), notes(resumed, "deploy"), stepError(resumed))
	}
}
