package sandbox

import (
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	asgtypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
)

func createASG(t *testing.T, client *autoscaling.Client, name string, min, max, desired int32, tags ...asgtypes.Tag) {
	t.Helper()
	_, err := client.CreateAutoScalingGroup(ctx(t), &autoscaling.CreateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String(name), MinSize: aws.Int32(min), MaxSize: aws.Int32(max), DesiredCapacity: aws.Int32(desired),
		LaunchTemplate:    &asgtypes.LaunchTemplateSpecification{LaunchTemplateName: aws.String("web"), Version: aws.String("$Latest")},
		AvailabilityZones: []string{"us-east-2a", "us-east-2b"},
		TargetGroupARNs:   []string{"arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/web/0123456789abcdef"},
		Tags:              tags,
	})
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
}

func describeASG(t *testing.T, client *autoscaling.Client, name string) asgtypes.AutoScalingGroup {
	t.Helper()
	out, err := client.DescribeAutoScalingGroups(ctx(t), &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{name}})
	if err != nil || len(out.AutoScalingGroups) != 1 {
		t.Fatalf("describe %s: %v, %d groups", name, err, len(out.AutoScalingGroups))
	}
	return out.AutoScalingGroups[0]
}

func asgLifecycleCounts(g asgtypes.AutoScalingGroup) map[string]int {
	counts := map[string]int{}
	for _, in := range g.Instances {
		counts[string(in.LifecycleState)]++
	}
	return counts
}

// TestAutoScalingFollowsDesiredCapacity steps simulated time with the
// clock so that every intermediate state is seen, whatever the machine's
// speed.
func TestAutoScalingFollowsDesiredCapacity(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{})
	client := autoscaling.NewFromConfig(awsConfig(t, url, "us-east-2"))
	createASG(t, client, "web", 0, 4, 2, asgtypes.Tag{Key: aws.String("env"), Value: aws.String("dr"), PropagateAtLaunch: aws.Bool(true)})
	set := func(n int32) func() error {
		return func() error {
			_, err := client.SetDesiredCapacity(ctx(t), &autoscaling.SetDesiredCapacityInput{AutoScalingGroupName: aws.String("web"), DesiredCapacity: aws.Int32(n)})
			return err
		}
	}
	update := func(in autoscaling.UpdateAutoScalingGroupInput) func() error {
		return func() error {
			in.AutoScalingGroupName = aws.String("web")
			_, err := client.UpdateAutoScalingGroup(ctx(t), &in)
			return err
		}
	}
	steps := []struct {
		name    string
		act     func() error
		advance time.Duration
		desired int32
		want    map[string]int
	}{
		{"created", nil, 0, 2, map[string]int{"Pending": 2}},
		{"half way", nil, asgLaunch / 2, 2, map[string]int{"Pending": 2}},
		{"launched", nil, asgLaunch / 2, 2, map[string]int{"InService": 2}},
		{"scale out", set(4), 0, 4, map[string]int{"InService": 2, "Pending": 2}},
		{"scaled out", nil, asgLaunch, 4, map[string]int{"InService": 4}},
		{"scale in", update(autoscaling.UpdateAutoScalingGroupInput{DesiredCapacity: aws.Int32(1)}), 0, 1,
			map[string]int{"InService": 1, "Terminating": 3}},
		{"scaled in", nil, asgTerminate, 1, map[string]int{"InService": 1}},
		{"min above desired", update(autoscaling.UpdateAutoScalingGroupInput{MinSize: aws.Int32(3)}), 0, 3,
			map[string]int{"InService": 1, "Pending": 2}},
		{"max below desired", update(autoscaling.UpdateAutoScalingGroupInput{MinSize: aws.Int32(0), MaxSize: aws.Int32(2)}), asgLaunch, 2,
			map[string]int{"InService": 2}},
	}
	for _, step := range steps {
		if step.act != nil {
			if err := step.act(); err != nil {
				t.Fatalf("%s: %v", step.name, err)
			}
		}
		sb.clock.Advance(step.advance)
		g := describeASG(t, client, "web")
		if got := asgLifecycleCounts(g); fmt.Sprint(got) != fmt.Sprint(step.want) || aws.ToInt32(g.DesiredCapacity) != step.desired {
			t.Fatalf("%s: desired %d, instances %v; want %d, %v", step.name, aws.ToInt32(g.DesiredCapacity), got, step.desired, step.want)
		}
	}
	g := describeASG(t, client, "web")
	zones := map[string]int{}
	for _, in := range g.Instances {
		zones[aws.ToString(in.AvailabilityZone)]++
		if aws.ToString(in.HealthStatus) != "Healthy" || len(aws.ToString(in.InstanceId)) != 19 || aws.ToString(in.LaunchTemplate.LaunchTemplateName) != "web" {
			t.Errorf("instance = %+v", in)
		}
	}
	if zones["us-east-2a"] != 1 || zones["us-east-2b"] != 1 {
		t.Errorf("instances by zone = %v, want one in each", zones)
	}
	if len(g.TargetGroupARNs) != 1 || len(g.Tags) != 1 || aws.ToString(g.Tags[0].ResourceId) != "web" || !aws.ToBool(g.Tags[0].PropagateAtLaunch) ||
		aws.ToInt32(g.DefaultCooldown) != 300 || aws.ToString(g.HealthCheckType) != "EC2" || g.CreatedTime == nil ||
		aws.ToString(g.AutoScalingGroupARN) == "" {
		t.Errorf("group = %+v", g)
	}
	dumped := getSandboxState(t, url)["autoscaling/us-east-2"].(map[string]any)["auto_scaling_groups"].(map[string]any)["web"].(map[string]any)
	if instances := dumped["instances"].([]any); len(instances) != 2 || dumped["desired"] != 2.0 {
		t.Errorf("/_sandbox/state shows %v", dumped)
	}
}

// TestAutoScalingGroupInServiceWaiter runs a fast clock and waits with the
// SDK's own waiter, then polls (with a deadline) until a scale-in to zero
// has taken every instance away.
func TestAutoScalingGroupInServiceWaiter(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{TimeScale: 600})
	client := autoscaling.NewFromConfig(awsConfig(t, url, "us-east-2"))
	createASG(t, client, "api", 3, 6, 3)
	w := autoscaling.NewGroupInServiceWaiter(client, func(o *autoscaling.GroupInServiceWaiterOptions) {
		o.MinDelay, o.MaxDelay = 20*time.Millisecond, 100*time.Millisecond
	})
	if err := w.Wait(ctx(t), &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{"api"}}, 20*time.Second); err != nil {
		t.Fatalf("wait for the group in service: %v", err)
	}
	if _, err := client.UpdateAutoScalingGroup(ctx(t), &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String("api"),
		MinSize: aws.Int32(0), DesiredCapacity: aws.Int32(0)}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); len(describeASG(t, client, "api").Instances) > 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("instances left after a scale-in to zero: %v", asgLifecycleCounts(describeASG(t, client, "api")))
		}
	}
	if err := sb.faults.apply(Fault{Outage: &Outage{Region: "us-east-2"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.SetDesiredCapacity(ctx(t), &autoscaling.SetDesiredCapacityInput{AutoScalingGroupName: aws.String("api"),
		DesiredCapacity: aws.Int32(2)}); apiCode(err) != "ServiceUnavailable" {
		t.Fatalf("scale in a Region that is out: %v, want ServiceUnavailable", err)
	}
	other, err := autoscaling.NewFromConfig(awsConfig(t, url, "us-west-2")).DescribeAutoScalingGroups(ctx(t),
		&autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{"api"}})
	if err != nil || len(other.AutoScalingGroups) != 0 {
		t.Fatalf("us-west-2, while us-east-2 is out: %v, %+v; want no groups", err, other)
	}
}

func TestAutoScalingErrors(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t, Options{})
	client := autoscaling.NewFromConfig(awsConfig(t, url, "eu-west-1"))
	createASG(t, client, "web", 1, 3, 1)
	lt := &asgtypes.LaunchTemplateSpecification{LaunchTemplateName: aws.String("web")}
	create := func(in autoscaling.CreateAutoScalingGroupInput) error {
		_, err := client.CreateAutoScalingGroup(ctx(t), &in)
		return err
	}
	setDesired := func(n int32, honor bool) error {
		_, err := client.SetDesiredCapacity(ctx(t), &autoscaling.SetDesiredCapacityInput{AutoScalingGroupName: aws.String("web"),
			DesiredCapacity: aws.Int32(n), HonorCooldown: aws.Bool(honor)})
		return err
	}
	validation := func(err error) bool { return apiCode(err) == "ValidationError" }
	cases := []struct {
		name string
		err  error
		want func(error) bool
	}{
		{"create twice", create(autoscaling.CreateAutoScalingGroupInput{AutoScalingGroupName: aws.String("web"), MinSize: aws.Int32(0),
			MaxSize: aws.Int32(1), LaunchTemplate: lt, AvailabilityZones: []string{"eu-west-1a"}}), errorAs[*asgtypes.AlreadyExistsFault]},
		{"desired above max", create(autoscaling.CreateAutoScalingGroupInput{AutoScalingGroupName: aws.String("big"), MinSize: aws.Int32(0),
			MaxSize: aws.Int32(3), DesiredCapacity: aws.Int32(5), LaunchTemplate: lt, AvailabilityZones: []string{"eu-west-1a"}}), validation},
		{"min above max", create(autoscaling.CreateAutoScalingGroupInput{AutoScalingGroupName: aws.String("odd"), MinSize: aws.Int32(3),
			MaxSize: aws.Int32(1), LaunchTemplate: lt, AvailabilityZones: []string{"eu-west-1a"}}), validation},
		{"no launch template", create(autoscaling.CreateAutoScalingGroupInput{AutoScalingGroupName: aws.String("bare"), MinSize: aws.Int32(0),
			MaxSize: aws.Int32(1), AvailabilityZones: []string{"eu-west-1a"}}), validation},
		{"no zones", create(autoscaling.CreateAutoScalingGroupInput{AutoScalingGroupName: aws.String("nowhere"), MinSize: aws.Int32(0),
			MaxSize: aws.Int32(1), LaunchTemplate: lt}), validation},
		{"set above max", setDesired(5, false), validation},
		{"set below min", setDesired(0, false), validation},
		{"honour the cooldown", setDesired(2, true), errorAs[*asgtypes.ScalingActivityInProgressFault]},
		{"update a missing group", func() error {
			_, err := client.UpdateAutoScalingGroup(ctx(t), &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String("gone"), MaxSize: aws.Int32(2)})
			return err
		}(), validation},
		{"update desired out of bounds", func() error {
			_, err := client.UpdateAutoScalingGroup(ctx(t), &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String("web"), DesiredCapacity: aws.Int32(9)})
			return err
		}(), validation},
		{"bad token", func() error {
			_, err := client.DescribeAutoScalingGroups(ctx(t), &autoscaling.DescribeAutoScalingGroupsInput{NextToken: aws.String("bogus")})
			return err
		}(), errorAs[*asgtypes.InvalidNextToken]},
		{"too many records", func() error {
			_, err := client.DescribeAutoScalingGroups(ctx(t), &autoscaling.DescribeAutoScalingGroupsInput{MaxRecords: aws.Int32(500)})
			return err
		}(), validation},
		{"unknown filter", func() error {
			_, err := client.DescribeAutoScalingGroups(ctx(t), &autoscaling.DescribeAutoScalingGroupsInput{
				Filters: []asgtypes.Filter{{Name: aws.String("instance-type"), Values: []string{"m7g.large"}}}})
			return err
		}(), validation},
	}
	for _, tc := range cases {
		if !tc.want(tc.err) {
			t.Errorf("%s: %v (code %q)", tc.name, tc.err, apiCode(tc.err))
		}
	}
	if g := describeASG(t, client, "web"); aws.ToInt32(g.DesiredCapacity) != 1 || aws.ToInt32(g.MaxSize) != 3 {
		t.Errorf("failed calls changed the group: %+v", g)
	}
}

func TestAutoScalingDescribePaginatesAndFilters(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t, Options{})
	client := autoscaling.NewFromConfig(awsConfig(t, url, "ap-southeast-2"))
	for i := 0; i < 25; i++ {
		env := map[bool]string{true: "prod", false: "test"}[i%2 == 0]
		createASG(t, client, fmt.Sprintf("grp-%02d", i), 0, 2, 1, asgtypes.Tag{Key: aws.String("env"), Value: aws.String(env)})
	}
	pages, names := 0, []string{}
	p := autoscaling.NewDescribeAutoScalingGroupsPaginator(client, &autoscaling.DescribeAutoScalingGroupsInput{MaxRecords: aws.Int32(10)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, g := range out.AutoScalingGroups {
			names = append(names, aws.ToString(g.AutoScalingGroupName))
		}
	}
	if pages != 3 || len(names) != 25 || names[0] != "grp-00" || names[24] != "grp-24" {
		t.Fatalf("%d pages of %v; want 3 pages of 25 groups in name order", pages, names)
	}
	cases := []struct {
		name string
		in   autoscaling.DescribeAutoScalingGroupsInput
		want int
	}{
		{"by name, unknown names left out", autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{"grp-03", "grp-01", "nope", "grp-03"}}, 2},
		{"by tag", autoscaling.DescribeAutoScalingGroupsInput{Filters: []asgtypes.Filter{{Name: aws.String("tag:env"), Values: []string{"prod"}}}}, 13},
		{"by tag value", autoscaling.DescribeAutoScalingGroupsInput{Filters: []asgtypes.Filter{{Name: aws.String("tag-value"), Values: []string{"test", "qa"}}}}, 12},
		{"by tag key", autoscaling.DescribeAutoScalingGroupsInput{Filters: []asgtypes.Filter{{Name: aws.String("tag-key"), Values: []string{"owner"}}}}, 0},
	}
	for _, tc := range cases {
		out, err := client.DescribeAutoScalingGroups(ctx(t), &tc.in)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
		} else if len(out.AutoScalingGroups) != tc.want {
			t.Errorf("%s: %d groups; want %d", tc.name, len(out.AutoScalingGroups), tc.want)
		}
	}
	out, err := client.DescribeAutoScalingGroups(ctx(t), &autoscaling.DescribeAutoScalingGroupsInput{
		AutoScalingGroupNames: []string{"grp-00"}, IncludeInstances: aws.Bool(false)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.AutoScalingGroups) != 1 || out.AutoScalingGroups[0].Instances != nil {
		t.Errorf("IncludeInstances=false: %+v", out.AutoScalingGroups)
	}
}
