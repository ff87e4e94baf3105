package sandbox

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// TestEC2StopStartTerminate: an instance is stopped (stopping, then
// stopped on the simulated clock) and started again (pending, then
// running); each answer carries the previous and current state. Stopping
// a pending instance, starting a stopping one, an unknown id and an
// instance an Auto Scaling group owns are refused, changing nothing.
func TestEC2StopStartTerminate(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{})
	cfg := awsConfig(t, url, "us-west-2")
	client := ec2.NewFromConfig(cfg)
	advance := func(d time.Duration) {
		if err := sb.Clock().Advance(d); err != nil {
			t.Fatal(err)
		}
	}
	state := func(id string) ec2types.InstanceStateName {
		out, err := client.DescribeInstances(ctx(t), &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
		if err != nil || len(out.Reservations) != 1 {
			t.Fatalf("describe %s: %+v %v", id, out, err)
		}
		return out.Reservations[0].Instances[0].State.Name
	}
	run, err := client.RunInstances(ctx(t), &ec2.RunInstancesInput{ImageId: aws.String("ami-1"), MinCount: aws.Int32(2), MaxCount: aws.Int32(2)})
	if err != nil {
		t.Fatal(err)
	}
	a, b := *run.Instances[0].InstanceId, *run.Instances[1].InstanceId
	if _, err := client.StopInstances(ctx(t), &ec2.StopInstancesInput{InstanceIds: []string{a}}); apiCode(err) != "IncorrectInstanceState" {
		t.Fatalf("stopping a pending instance: %v", err)
	}
	advance(ec2Boot)
	if _, err := client.StopInstances(ctx(t), &ec2.StopInstancesInput{InstanceIds: []string{a, "i-0000000000000dead"}}); apiCode(err) != "InvalidInstanceID.NotFound" {
		t.Fatalf("stopping an unknown instance: %v", err)
	}
	if got := state(a); got != ec2types.InstanceStateNameRunning {
		t.Fatalf("a refused stop changed the instance: %s", got)
	}
	stop, err := client.StopInstances(ctx(t), &ec2.StopInstancesInput{InstanceIds: []string{a}})
	if err != nil || len(stop.StoppingInstances) != 1 {
		t.Fatalf("stop: %+v %v", stop, err)
	}
	if s := stop.StoppingInstances[0]; aws.ToString(s.InstanceId) != a || s.PreviousState.Name != ec2types.InstanceStateNameRunning ||
		s.CurrentState.Name != ec2types.InstanceStateNameStopping || aws.ToInt32(s.CurrentState.Code) != 64 {
		t.Fatalf("stopping: %+v %+v", s.PreviousState, s.CurrentState)
	}
	if _, err := client.StartInstances(ctx(t), &ec2.StartInstancesInput{InstanceIds: []string{a}}); apiCode(err) != "IncorrectInstanceState" {
		t.Fatalf("starting a stopping instance: %v", err)
	}
	advance(ec2Stop)
	if got := state(a); got != ec2types.InstanceStateNameStopped {
		t.Fatalf("after stopping: %s", got)
	}
	start, err := client.StartInstances(ctx(t), &ec2.StartInstancesInput{InstanceIds: []string{a}})
	if err != nil || len(start.StartingInstances) != 1 || start.StartingInstances[0].PreviousState.Name != ec2types.InstanceStateNameStopped ||
		start.StartingInstances[0].CurrentState.Name != ec2types.InstanceStateNamePending {
		t.Fatalf("start: %+v %v", start, err)
	}
	advance(ec2Boot)
	if got := state(a); got != ec2types.InstanceStateNameRunning {
		t.Fatalf("after starting: %s", got)
	}
	term, err := client.TerminateInstances(ctx(t), &ec2.TerminateInstancesInput{InstanceIds: []string{b}})
	if err != nil || len(term.TerminatingInstances) != 1 || term.TerminatingInstances[0].CurrentState.Name != ec2types.InstanceStateNameShuttingDown {
		t.Fatalf("terminate: %+v %v", term, err)
	}
	advance(ec2Shutdown)
	if got := state(b); got != ec2types.InstanceStateNameTerminated {
		t.Fatalf("after terminating: %s", got)
	}
	if _, err := client.StartInstances(ctx(t), &ec2.StartInstancesInput{InstanceIds: []string{b}}); apiCode(err) != "IncorrectInstanceState" {
		t.Fatalf("starting a terminated instance: %v", err)
	}
	advance(ec2TerminatedShown)
	if _, err := client.DescribeInstances(ctx(t), &ec2.DescribeInstancesInput{InstanceIds: []string{b}}); apiCode(err) != "InvalidInstanceID.NotFound" {
		t.Fatalf("an instance terminated an hour ago: %v", err)
	}

	asg := autoscaling.NewFromConfig(cfg)
	if _, err := asg.CreateAutoScalingGroup(ctx(t), &autoscaling.CreateAutoScalingGroupInput{AutoScalingGroupName: aws.String("web"),
		MinSize: aws.Int32(1), MaxSize: aws.Int32(1), DesiredCapacity: aws.Int32(1), AvailabilityZones: []string{"us-west-2a"},
		LaunchConfigurationName: aws.String("lc")}); err != nil {
		t.Fatal(err)
	}
	advance(asgLaunch)
	groups, err := asg.DescribeAutoScalingGroups(ctx(t), &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{"web"}})
	if err != nil || len(groups.AutoScalingGroups) != 1 || len(groups.AutoScalingGroups[0].Instances) != 1 {
		t.Fatalf("group: %+v %v", groups, err)
	}
	owned := aws.ToString(groups.AutoScalingGroups[0].Instances[0].InstanceId)
	if _, err := client.StopInstances(ctx(t), &ec2.StopInstancesInput{InstanceIds: []string{owned}}); apiCode(err) != "UnsupportedOperation" {
		t.Fatalf("stopping a group's instance: %v", err)
	}
}

// TestEC2DescribeInstanceStatus: running instances' checks pass; a
// stopped one is listed only with IncludeAllInstances, its checks
// not-applicable; the checks are impaired while the Region is out (an
// outage of RDS alone, so that EC2's API still answers); pages are
// capped at EC2's bounds.
func TestEC2DescribeInstanceStatus(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{})
	client := ec2.NewFromConfig(awsConfig(t, url, "eu-west-1"))
	run, err := client.RunInstances(ctx(t), &ec2.RunInstancesInput{ImageId: aws.String("ami-1"), MinCount: aws.Int32(7), MaxCount: aws.Int32(7)})
	if err != nil {
		t.Fatal(err)
	}
	pending, err := client.DescribeInstanceStatus(ctx(t), &ec2.DescribeInstanceStatusInput{})
	if err != nil || len(pending.InstanceStatuses) != 0 {
		t.Fatalf("pending instances are not running: %+v %v", pending, err)
	}
	if err := sb.Clock().Advance(ec2Boot); err != nil {
		t.Fatal(err)
	}
	stopped := *run.Instances[0].InstanceId
	if _, err := client.StopInstances(ctx(t), &ec2.StopInstancesInput{InstanceIds: []string{stopped}}); err != nil {
		t.Fatal(err)
	}
	if err := sb.Clock().Advance(ec2Stop); err != nil {
		t.Fatal(err)
	}
	var seen []ec2types.InstanceStatus
	pages := 0
	p := ec2.NewDescribeInstanceStatusPaginator(client, &ec2.DescribeInstanceStatusInput{MaxResults: aws.Int32(5)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		seen, pages = append(seen, page.InstanceStatuses...), pages+1
	}
	if len(seen) != 6 || pages != 2 {
		t.Fatalf("running instances: %d in %d pages", len(seen), pages)
	}
	for _, s := range seen {
		if aws.ToString(s.InstanceId) == stopped || s.InstanceState.Name != ec2types.InstanceStateNameRunning ||
			s.SystemStatus.Status != ec2types.SummaryStatusOk || s.InstanceStatus.Status != ec2types.SummaryStatusOk ||
			s.InstanceStatus.Details[0].Status != ec2types.StatusTypePassed {
			t.Fatalf("a running instance's status: %+v %+v", s, s.InstanceStatus)
		}
	}
	all, err := client.DescribeInstanceStatus(ctx(t), &ec2.DescribeInstanceStatusInput{InstanceIds: []string{stopped}, IncludeAllInstances: aws.Bool(true)})
	if err != nil || len(all.InstanceStatuses) != 1 || all.InstanceStatuses[0].InstanceState.Name != ec2types.InstanceStateNameStopped ||
		all.InstanceStatuses[0].SystemStatus.Status != ec2types.SummaryStatusNotApplicable {
		t.Fatalf("a stopped instance with IncludeAllInstances: %+v %v", all, err)
	}
	if _, err := client.DescribeInstanceStatus(ctx(t), &ec2.DescribeInstanceStatusInput{InstanceIds: []string{"i-0000000000000dead"}}); apiCode(err) != "InvalidInstanceID.NotFound" {
		t.Fatalf("an unknown instance: %v", err)
	}
	if _, err := client.DescribeInstanceStatus(ctx(t), &ec2.DescribeInstanceStatusInput{MaxResults: aws.Int32(2)}); apiCode(err) != "InvalidParameterValue" {
		t.Fatalf("a page of 2: %v", err)
	}
	if err := sb.faults.apply(Fault{Outage: &Outage{Region: "eu-west-1", Services: []string{"rds"}}}); err != nil {
		t.Fatal(err)
	}
	out, err := client.DescribeInstanceStatus(ctx(t), &ec2.DescribeInstanceStatusInput{InstanceIds: []string{*run.Instances[1].InstanceId}})
	if err != nil || len(out.InstanceStatuses) != 1 || out.InstanceStatuses[0].SystemStatus.Status != ec2types.SummaryStatusImpaired ||
		out.InstanceStatuses[0].SystemStatus.Details[0].Status != ec2types.StatusTypeFailed {
		t.Fatalf("during an outage: %+v %v", out, err)
	}
	if err := sb.faults.apply(Fault{Outage: &Outage{Region: "eu-west-1"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.DescribeInstanceStatus(ctx(t), &ec2.DescribeInstanceStatusInput{}); apiCode(err) != "ServiceUnavailable" {
		t.Fatalf("EC2 out in the Region: %v", err)
	}
}
