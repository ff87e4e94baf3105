package sandbox

import (
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	arc "github.com/aws/aws-sdk-go-v2/service/arcregionswitch"
	arctypes "github.com/aws/aws-sdk-go-v2/service/arcregionswitch/types"
)

func createPlan(t *testing.T, client *arc.Client) string {
	t.Helper()
	out, err := client.CreatePlan(ctx(t), &arc.CreatePlanInput{Name: aws.String("stores-failover"),
		ExecutionRole: aws.String("arn:aws:iam::123456789012:role/arc"), Regions: []string{"ap-northeast-1", "ap-northeast-3"},
		PrimaryRegion: aws.String("ap-northeast-1"), RecoveryApproach: arctypes.RecoveryApproachActivePassive,
		Workflows: []arctypes.Workflow{{WorkflowTargetAction: arctypes.WorkflowTargetActionActivate, WorkflowTargetRegion: aws.String("ap-northeast-3"),
			Steps: []arctypes.Step{{Name: aws.String("approve"), ExecutionBlockType: arctypes.ExecutionBlockTypeExecutionApproval,
				ExecutionBlockConfiguration: &arctypes.ExecutionBlockConfigurationMemberExecutionApprovalConfig{
					Value: arctypes.ExecutionApprovalConfiguration{ApprovalRole: aws.String("arn:aws:iam::123456789012:role/approver"), TimeoutMinutes: aws.Int32(60)}}}}}}})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.Plan.Arn)
}

// TestARCRegionSwitch: a plan is executed from the recovery Region while
// the primary is out, and completes; an execution that activates an out
// Region fails.
func TestARCRegionSwitch(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{})
	osaka := arc.NewFromConfig(awsConfig(t, url, "ap-northeast-3"))
	plan := createPlan(t, osaka)
	sb.faults.apply(Fault{Outage: &Outage{Region: "ap-northeast-1"}})
	started, err := osaka.StartPlanExecution(ctx(t), &arc.StartPlanExecutionInput{PlanArn: aws.String(plan),
		TargetRegion: aws.String("ap-northeast-3"), Action: arctypes.ExecutionActionActivate, Mode: arctypes.ExecutionModeUngraceful})
	if err != nil || aws.ToString(started.ActivateRegion) != "ap-northeast-3" {
		t.Fatalf("start: %+v %v", started, err)
	}
	get := func(id *string) *arc.GetPlanExecutionOutput {
		out, err := osaka.GetPlanExecution(ctx(t), &arc.GetPlanExecutionInput{PlanArn: aws.String(plan), ExecutionId: id})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if st := get(started.ExecutionId).ExecutionState; st != arctypes.ExecutionStateInProgress {
		t.Fatalf("a new execution is %s", st)
	}
	var busy *arctypes.IllegalStateException
	if _, err := osaka.StartPlanExecution(ctx(t), &arc.StartPlanExecutionInput{PlanArn: aws.String(plan),
		TargetRegion: aws.String("ap-northeast-3"), Action: arctypes.ExecutionActionActivate}); !errors.As(err, &busy) {
		t.Fatalf("a second execution while one runs: %v", err)
	}
	sb.clock.Advance(6 * time.Minute)
	done := get(started.ExecutionId)
	if done.ExecutionState != arctypes.ExecutionStateCompleted || done.EndTime == nil || done.Mode != arctypes.ExecutionModeUngraceful {
		t.Fatalf("after the run: %+v", done)
	}
	back, err := osaka.StartPlanExecution(ctx(t), &arc.StartPlanExecutionInput{PlanArn: aws.String(plan),
		TargetRegion: aws.String("ap-northeast-1"), Action: arctypes.ExecutionActionActivate})
	if err != nil {
		t.Fatal(err)
	}
	sb.clock.Advance(6 * time.Minute)
	if st := get(back.ExecutionId).ExecutionState; st != arctypes.ExecutionStateFailed {
		t.Fatalf("activating the out Region: %s", st)
	}
	runs, err := osaka.ListPlanExecutions(ctx(t), &arc.ListPlanExecutionsInput{PlanArn: aws.String(plan)})
	if err != nil || len(runs.Items) != 2 || aws.ToString(runs.Items[0].ExecutionId) != aws.ToString(back.ExecutionId) ||
		runs.Items[1].ExecutionState != arctypes.ExecutionStateCompleted {
		t.Fatalf("executions, newest first: %+v %v", runs, err)
	}
	var nf *arctypes.ResourceNotFoundException
	if _, err := osaka.GetPlanExecution(ctx(t), &arc.GetPlanExecutionInput{PlanArn: aws.String(plan), ExecutionId: aws.String("nope")}); !errors.As(err, &nf) {
		t.Fatalf("missing execution: %v", err)
	}
}
