package sandbox

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbv2types "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// TestELBv2DeregisterTargets: a deregistered target drains for the
// deregistration delay, then is gone (unused when asked for), while the
// others stay healthy; a draining target registered again is initial,
// then healthy. Deregistering a target not registered, or one an Auto
// Scaling group registered, is refused, changing nothing.
func TestELBv2DeregisterTargets(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{})
	cfg := awsConfig(t, url, "us-west-2")
	client := elasticloadbalancingv2.NewFromConfig(cfg)
	advance := func(d time.Duration) {
		if err := sb.Clock().Advance(d); err != nil {
			t.Fatal(err)
		}
	}
	tg := elbCreateTG(t, client, "web", 80)
	a, b, c := "i-0123456789abcdef0", "i-0123456789abcdef1", "i-0123456789abcdef2"
	target := func(id string) elbv2types.TargetDescription { return elbv2types.TargetDescription{Id: aws.String(id)} }
	deregister := func(ids ...string) error {
		var ts []elbv2types.TargetDescription
		for _, id := range ids {
			ts = append(ts, target(id))
		}
		_, err := client.DeregisterTargets(ctx(t), &elasticloadbalancingv2.DeregisterTargetsInput{TargetGroupArn: aws.String(tg), Targets: ts})
		return err
	}
	if _, err := client.RegisterTargets(ctx(t), &elasticloadbalancingv2.RegisterTargetsInput{TargetGroupArn: aws.String(tg),
		Targets: []elbv2types.TargetDescription{target(a), target(b)}}); err != nil {
		t.Fatal(err)
	}
	advance(elbHealthy)
	if err := deregister(a, c); apiCode(err) != "InvalidTarget" {
		t.Fatalf("deregistering a target not registered: %v", err)
	}
	if err := deregister(a); err != nil {
		t.Fatal(err)
	}
	const healthy, draining = "healthy ", "draining Target.DeregistrationInProgress"
	if got := elbTargetStates(t, client, tg); len(got) != 2 || got[a+":80"] != draining || got[b+":80"] != healthy {
		t.Fatalf("draining: %v", got)
	}
	if err := deregister(a); err != nil { // still draining: no change
		t.Fatal(err)
	}
	advance(elbDeregistrationDelay)
	if got := elbTargetStates(t, client, tg); len(got) != 1 || got[b+":80"] != healthy {
		t.Fatalf("after the deregistration delay: %v", got)
	}
	if got := elbTargetStates(t, client, tg, target(a)); got[a+":80"] != "unused Target.NotRegistered" {
		t.Fatalf("a deregistered target asked for: %v", got)
	}
	if err := deregister(a); apiCode(err) != "InvalidTarget" {
		t.Fatalf("deregistering a gone target: %v", err)
	}
	// Registered again while draining: initial, then healthy.
	if err := deregister(b); err != nil {
		t.Fatal(err)
	}
	if _, err := client.RegisterTargets(ctx(t), &elasticloadbalancingv2.RegisterTargetsInput{TargetGroupArn: aws.String(tg),
		Targets: []elbv2types.TargetDescription{target(b)}}); err != nil {
		t.Fatal(err)
	}
	if got := elbTargetStates(t, client, tg); got[b+":80"] != "initial Elb.RegistrationInProgress" {
		t.Fatalf("registered again: %v", got)
	}
	advance(elbDeregistrationDelay)
	if got := elbTargetStates(t, client, tg); len(got) != 1 || got[b+":80"] != healthy {
		t.Fatalf("registered again, later: %v", got)
	}

	asg := autoscaling.NewFromConfig(cfg)
	if _, err := asg.CreateAutoScalingGroup(ctx(t), &autoscaling.CreateAutoScalingGroupInput{AutoScalingGroupName: aws.String("web"),
		MinSize: aws.Int32(1), MaxSize: aws.Int32(1), DesiredCapacity: aws.Int32(1), AvailabilityZones: []string{"us-west-2a"},
		LaunchConfigurationName: aws.String("lc"), TargetGroupARNs: []string{tg}}); err != nil {
		t.Fatal(err)
	}
	advance(asgLaunch + elbHealthy)
	group := describeASG(t, asg, "web")
	owned := aws.ToString(group.Instances[0].InstanceId)
	if err := deregister(owned); apiCode(err) != "InvalidTarget" {
		t.Fatalf("deregistering a group's instance: %v", err)
	}
	if got := elbTargetStates(t, client, tg); len(got) != 2 || got[owned+":80"] != healthy {
		t.Fatalf("after a refused deregistration: %v", got)
	}
}
