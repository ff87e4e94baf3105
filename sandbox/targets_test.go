package sandbox

import (
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	asgtypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbv2types "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// ec2States returns each instance's state by id, as DescribeInstances
// lists them.
func ec2States(t *testing.T, client *ec2.Client) map[string]string {
	t.Helper()
	out, err := client.DescribeInstances(ctx(t), &ec2.DescribeInstancesInput{})
	if err != nil {
		t.Fatalf("describe instances: %v", err)
	}
	states := map[string]string{}
	for _, res := range out.Reservations {
		for _, in := range res.Instances {
			states[aws.ToString(in.InstanceId)] = string(in.State.Name) + " " + aws.ToString(in.Placement.AvailabilityZone)
		}
	}
	return states
}

// targetSummary sorts target states ("id:port state reason") into one
// string, for comparing whole target groups at once.
func targetSummary(states map[string]string) string {
	lines := make([]string, 0, len(states))
	for k, v := range states {
		lines = append(lines, k+" "+strings.TrimSpace(v))
	}
	sort.Strings(lines)
	return strings.Join(lines, "; ")
}

// unavailable503 fails the test unless err is the 503 ServiceUnavailable
// of a Region outage.
func unavailable503(t *testing.T, what string, err error) {
	t.Helper()
	var re *awshttp.ResponseError
	if apiCode(err) != "ServiceUnavailable" || !errors.As(err, &re) || re.HTTPStatusCode() != 503 {
		t.Errorf("%s while the Region is out: %v, want 503 ServiceUnavailable", what, err)
	}
}

// TestAutoScalingInstancesAreEC2InstancesAndTargets follows an Auto
// Scaling group with a target group through a scale-out to 2 and a
// scale-in to 0, stepping simulated time with the clock: EC2 sees its
// instances, AttachVolume attaches to one, and the target group registers
// and deregisters them, beside a target registered by hand.
func TestAutoScalingInstancesAreEC2InstancesAndTargets(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{})
	cfg := awsConfig(t, url, "us-east-2")
	asg, ec2c, elb := autoscaling.NewFromConfig(cfg), ec2.NewFromConfig(cfg), elbv2.NewFromConfig(cfg)
	tg := elbCreateTG(t, elb, "web", 80)
	manual := "i-0123456789abcdef0"
	if _, err := elb.RegisterTargets(ctx(t), &elbv2.RegisterTargetsInput{TargetGroupArn: aws.String(tg),
		Targets: []elbv2types.TargetDescription{{Id: aws.String(manual)}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := asg.CreateAutoScalingGroup(ctx(t), &autoscaling.CreateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String("web"), MinSize: aws.Int32(0), MaxSize: aws.Int32(4), DesiredCapacity: aws.Int32(0),
		LaunchTemplate:    &asgtypes.LaunchTemplateSpecification{LaunchTemplateName: aws.String("web")},
		AvailabilityZones: []string{"us-east-2a", "us-east-2b"}, TargetGroupARNs: []string{tg},
	}); err != nil {
		t.Fatal(err)
	}
	setDesired := func(n int32) {
		if _, err := asg.SetDesiredCapacity(ctx(t), &autoscaling.SetDesiredCapacityInput{AutoScalingGroupName: aws.String("web"),
			DesiredCapacity: aws.Int32(n)}); err != nil {
			t.Fatal(err)
		}
	}
	setDesired(2)
	group := describeASG(t, asg, "web")
	if len(group.Instances) != 2 || len(group.TargetGroupARNs) != 1 || group.TargetGroupARNs[0] != tg {
		t.Fatalf("group = %+v", group)
	}
	a, b := aws.ToString(group.Instances[0].InstanceId), aws.ToString(group.Instances[1].InstanceId)
	zoneA := aws.ToString(group.Instances[0].AvailabilityZone)
	manualHealthy := manual + ":80 healthy"
	both := func(state string) string { // both instances and the manual target, as targetSummary has them
		parts := []string{a + ":80 " + state, b + ":80 " + state, manualHealthy}
		sort.Strings(parts)
		return strings.Join(parts, "; ")
	}
	steps := []struct {
		name    string
		advance time.Duration
		act     func()
		ec2     string // both instances, "" when gone
		targets string
	}{
		{"launched", 0, nil, "pending", manual + ":80 initial Elb.RegistrationInProgress"},
		{"in service", asgLaunch, nil, "running", both("initial Elb.RegistrationInProgress")},
		{"healthy", elbHealthy, nil, "running", both("healthy")},
		{"scale in", 0, func() { setDesired(0) }, "shutting-down", both("draining Target.DeregistrationInProgress")},
		{"draining", asgTerminate / 2, nil, "shutting-down", both("draining Target.DeregistrationInProgress")},
		{"terminated", asgTerminate / 2, nil, "terminated", manualHealthy},
		{"forgotten", ec2TerminatedShown, nil, "", manualHealthy},
	}
	for _, step := range steps {
		sb.clock.Advance(step.advance)
		if step.act != nil {
			step.act()
		}
		got := ec2States(t, ec2c)
		want := map[string]string{}
		if step.ec2 != "" {
			want[a], want[b] = step.ec2+" "+zoneA, step.ec2+" "+aws.ToString(group.Instances[1].AvailabilityZone)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: EC2 instances %v, want %v", step.name, got, want)
		}
		if got := targetSummary(elbTargetStates(t, elb, tg)); got != step.targets {
			t.Errorf("%s: targets %s, want %s", step.name, got, step.targets)
		}
		if step.name == "healthy" {
			attachToASGInstance(t, sb, ec2c, a, zoneA)
		}
	}
	_, err := ec2c.DescribeInstances(ctx(t), &ec2.DescribeInstancesInput{InstanceIds: []string{a}})
	if apiCode(err) != "InvalidInstanceID.NotFound" {
		t.Errorf("describe a gone instance: %v", err)
	}
}

// attachToASGInstance attaches a new volume to an Auto Scaling instance,
// as restoring a data volume onto a fleet does.
func attachToASGInstance(t *testing.T, sb *Sandbox, client *ec2.Client, instance, zone string) {
	t.Helper()
	vol, err := client.CreateVolume(ctx(t), &ec2.CreateVolumeInput{AvailabilityZone: aws.String(zone), Size: aws.Int32(50)})
	if err != nil {
		t.Fatal(err)
	}
	sb.clock.Advance(ec2VolumeCreate)
	att, err := client.AttachVolume(ctx(t), &ec2.AttachVolumeInput{VolumeId: vol.VolumeId, InstanceId: aws.String(instance), Device: aws.String("/dev/sdf")})
	if err != nil || att.State != ec2types.VolumeAttachmentStateAttaching || aws.ToString(att.InstanceId) != instance {
		t.Fatalf("attach a volume to the group's instance %s: %+v, %v", instance, att, err)
	}
}

// TestECSServiceTasksAreTargets scales a service with a load balancer to 3
// and back to 1: each RUNNING task is an ip target on the container port,
// with an address of its own that it keeps; scaled-in tasks drain, then
// leave. An explicit RegisterTargets works beside them.
func TestECSServiceTasksAreTargets(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{Start: ecsTestStart})
	cfg := awsConfig(t, url, "ap-southeast-4")
	client, elb := ecs.NewFromConfig(cfg), elbv2.NewFromConfig(cfg)
	tgOut, err := elb.CreateTargetGroup(ctx(t), &elbv2.CreateTargetGroupInput{Name: aws.String("api"), Protocol: elbv2types.ProtocolEnumHttp,
		Port: aws.Int32(80), VpcId: aws.String("vpc-0abc"), TargetType: elbv2types.TargetTypeEnumIp})
	if err != nil {
		t.Fatal(err)
	}
	tg := aws.ToString(tgOut.TargetGroups[0].TargetGroupArn)
	if _, err := elb.RegisterTargets(ctx(t), &elbv2.RegisterTargetsInput{TargetGroupArn: aws.String(tg),
		Targets: []elbv2types.TargetDescription{{Id: aws.String("192.0.2.10")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.CreateCluster(ctx(t), &ecs.CreateClusterInput{ClusterName: aws.String("prod")}); err != nil {
		t.Fatal(err)
	}
	ecsRejectsBadLoadBalancers(t, client, tg)
	lb := ecstypes.LoadBalancer{TargetGroupArn: aws.String(tg), ContainerName: aws.String("api"), ContainerPort: aws.Int32(8080)}
	if _, err := client.CreateService(ctx(t), &ecs.CreateServiceInput{Cluster: aws.String("prod"), ServiceName: aws.String("api"),
		TaskDefinition: aws.String("api:3"), DesiredCount: aws.Int32(0), LaunchType: ecstypes.LaunchTypeFargate,
		LoadBalancers: []ecstypes.LoadBalancer{lb}}); err != nil {
		t.Fatal(err)
	}
	scale := func(n int32) {
		if _, err := client.UpdateService(ctx(t), &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("api"),
			DesiredCount: aws.Int32(n)}); err != nil {
			t.Fatal(err)
		}
	}
	scale(3)
	svc := ecsDescribe(t, client, "api").Services[0]
	if len(svc.LoadBalancers) != 1 || aws.ToString(svc.LoadBalancers[0].TargetGroupArn) != tg ||
		aws.ToString(svc.LoadBalancers[0].ContainerName) != "api" || aws.ToInt32(svc.LoadBalancers[0].ContainerPort) != 8080 {
		t.Fatalf("loadBalancers = %+v", svc.LoadBalancers)
	}
	const manual = "192.0.2.10:80"
	if got := ecsTaskTargets(t, elb, tg, manual); len(got) != 0 {
		t.Fatalf("pending tasks are targets: %v", got)
	}
	sb.clock.Advance(ecsTaskStart + 2*ecsTaskStagger) // the third task is RUNNING
	running := ecsTaskTargets(t, elb, tg, manual)
	sb.clock.Advance(elbHealthy)
	healthy := ecsTaskTargets(t, elb, tg, manual)
	if len(running) != 3 || len(healthy) != 3 {
		t.Fatalf("3 RUNNING tasks: %v, then %v", running, healthy)
	}
	for target, state := range healthy {
		ip, port, _ := net.SplitHostPort(target)
		if running[target] != "initial Elb.RegistrationInProgress" || state != "healthy" || port != "8080" ||
			net.ParseIP(ip).To4() == nil || !strings.HasPrefix(ip, "10.") {
			t.Errorf("target %s: %q, then %q; want a 10.x address on the container port, initial then healthy", target, running[target], state)
		}
	}
	scale(1)
	draining := ecsTaskTargets(t, elb, tg, manual)
	sb.clock.Advance(ecsTaskStop)
	left := ecsTaskTargets(t, elb, tg, manual)
	counts := map[string]int{}
	for target, state := range draining {
		counts[state]++
		if healthy[target] == "" {
			t.Errorf("task %s changed its address", target)
		}
	}
	if counts["draining Target.DeregistrationInProgress"] != 2 || counts["healthy"] != 1 || len(left) != 1 {
		t.Fatalf("scaled in to 1: %v, then %v", draining, left)
	}
	for target, state := range left {
		if draining[target] != "healthy" || state != "healthy" {
			t.Errorf("the task kept, %s, is %q", target, state)
		}
	}
}

// ecsRejectsBadLoadBalancers: a load balancer without a container port,
// a container name or a target group is refused, as ECS does.
func ecsRejectsBadLoadBalancers(t *testing.T, client *ecs.Client, tg string) {
	t.Helper()
	for _, bad := range []ecstypes.LoadBalancer{
		{TargetGroupArn: aws.String(tg), ContainerName: aws.String("api")},
		{TargetGroupArn: aws.String(tg), ContainerPort: aws.Int32(8080)},
		{ContainerName: aws.String("api"), ContainerPort: aws.Int32(8080)},
	} {
		_, err := client.CreateService(ctx(t), &ecs.CreateServiceInput{Cluster: aws.String("prod"), ServiceName: aws.String("bad"),
			TaskDefinition: aws.String("api:3"), DesiredCount: aws.Int32(1), LoadBalancers: []ecstypes.LoadBalancer{bad}})
		if !errorAs[*ecstypes.InvalidParameterException](err) {
			t.Errorf("CreateService with the load balancer %+v: %v, want InvalidParameterException", bad, err)
		}
	}
}

// ecsTaskTargets returns the target group's targets but the manual one,
// which it checks is still healthy.
func ecsTaskTargets(t *testing.T, client *elbv2.Client, tg, manual string) map[string]string {
	t.Helper()
	states := elbTargetStates(t, client, tg)
	if states[manual] != "healthy " && states[manual] != "initial Elb.RegistrationInProgress" {
		t.Errorf("the target registered by hand is %q", states[manual])
	}
	delete(states, manual)
	for k, v := range states {
		states[k] = strings.TrimSpace(v)
	}
	return states
}

// TestDerivedTargetsInAnOutage: while the Region is out, its Auto Scaling,
// EC2, ELBv2 and ECS calls answer 503 as every call there does, and
// /_sandbox/state shows the groups' and services' targets unhealthy; they
// are healthy again once it is back.
func TestDerivedTargetsInAnOutage(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{})
	cfg := awsConfig(t, url, "eu-west-3")
	asg, ec2c, elb, ecsc := autoscaling.NewFromConfig(cfg), ec2.NewFromConfig(cfg), elbv2.NewFromConfig(cfg), ecs.NewFromConfig(cfg)
	instanceTG := elbCreateTG(t, elb, "web", 80)
	ipOut, err := elb.CreateTargetGroup(ctx(t), &elbv2.CreateTargetGroupInput{Name: aws.String("api"), Protocol: elbv2types.ProtocolEnumHttp,
		Port: aws.Int32(8080), VpcId: aws.String("vpc-0abc"), TargetType: elbv2types.TargetTypeEnumIp})
	if err != nil {
		t.Fatal(err)
	}
	ipTG := aws.ToString(ipOut.TargetGroups[0].TargetGroupArn)
	if _, err := asg.CreateAutoScalingGroup(ctx(t), &autoscaling.CreateAutoScalingGroupInput{AutoScalingGroupName: aws.String("web"),
		MinSize: aws.Int32(1), MaxSize: aws.Int32(2), LaunchConfigurationName: aws.String("web"),
		AvailabilityZones: []string{"eu-west-3a"}, TargetGroupARNs: []string{instanceTG}}); err != nil {
		t.Fatal(err)
	}
	if _, err := ecsc.CreateCluster(ctx(t), &ecs.CreateClusterInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := ecsc.CreateService(ctx(t), &ecs.CreateServiceInput{ServiceName: aws.String("api"), TaskDefinition: aws.String("api"),
		DesiredCount: aws.Int32(1), LoadBalancers: []ecstypes.LoadBalancer{{TargetGroupArn: aws.String(ipTG),
			ContainerName: aws.String("api"), ContainerPort: aws.Int32(8080)}}}); err != nil {
		t.Fatal(err)
	}
	sb.clock.Advance(asgLaunch + elbHealthy)
	dumpedStates := func() string {
		groups := getSandboxState(t, url)["elasticloadbalancing/eu-west-3"].(map[string]any)["target_groups"].(map[string]any)
		var states []string
		for _, name := range []string{"web", "api"} {
			for _, target := range groups[name].(map[string]any)["targets"].([]any) {
				states = append(states, name+" "+target.(map[string]any)["state"].(string))
			}
		}
		return strings.Join(states, ", ")
	}
	if got := dumpedStates(); got != "web healthy, api healthy" {
		t.Fatalf("before the outage: %s", got)
	}
	if err := sb.faults.apply(Fault{Outage: &Outage{Region: "eu-west-3"}}); err != nil {
		t.Fatal(err)
	}
	_, err = asg.DescribeAutoScalingGroups(ctx(t), &autoscaling.DescribeAutoScalingGroupsInput{})
	unavailable503(t, "DescribeAutoScalingGroups", err)
	_, err = ec2c.DescribeInstances(ctx(t), &ec2.DescribeInstancesInput{})
	unavailable503(t, "DescribeInstances", err)
	_, err = elb.DescribeTargetHealth(ctx(t), &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(instanceTG)})
	unavailable503(t, "DescribeTargetHealth", err)
	_, err = ecsc.DescribeServices(ctx(t), &ecs.DescribeServicesInput{Services: []string{"api"}})
	unavailable503(t, "DescribeServices", err)
	if got := dumpedStates(); got != "web unhealthy, api unhealthy" {
		t.Errorf("during the outage: %s", got)
	}
	if err := sb.faults.apply(Fault{Outage: &Outage{Region: "eu-west-3", Clear: true}}); err != nil {
		t.Fatal(err)
	}
	for _, tg := range []string{instanceTG, ipTG} {
		if got := elbTargetStates(t, elb, tg); len(got) != 1 || targetSummary(got) == "" || !strings.HasSuffix(targetSummary(got), " healthy") {
			t.Errorf("after the outage: %v", got)
		}
	}
}
