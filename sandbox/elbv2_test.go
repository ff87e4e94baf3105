package sandbox

import (
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbv2types "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

func elbCreateTG(t *testing.T, client *elbv2.Client, name string, port int32) string {
	t.Helper()
	out, err := client.CreateTargetGroup(ctx(t), &elbv2.CreateTargetGroupInput{Name: aws.String(name),
		Protocol: elbv2types.ProtocolEnumHttp, Port: aws.Int32(port), VpcId: aws.String("vpc-0abc")})
	if err != nil || len(out.TargetGroups) != 1 {
		t.Fatalf("create target group %s: %v", name, err)
	}
	return aws.ToString(out.TargetGroups[0].TargetGroupArn)
}

// elbTargetStates returns each target's "state reason" by "id:port".
func elbTargetStates(t *testing.T, client *elbv2.Client, arn string, targets ...elbv2types.TargetDescription) map[string]string {
	t.Helper()
	out, err := client.DescribeTargetHealth(ctx(t), &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(arn), Targets: targets})
	if err != nil {
		t.Fatalf("describe target health: %v", err)
	}
	states := map[string]string{}
	for _, d := range out.TargetHealthDescriptions {
		key := fmt.Sprintf("%s:%d", aws.ToString(d.Target.Id), aws.ToInt32(d.Target.Port))
		states[key] = string(d.TargetHealth.State) + " " + string(d.TargetHealth.Reason)
		if d.TargetHealth.State != elbv2types.TargetHealthStateEnumHealthy && aws.ToString(d.TargetHealth.Description) == "" {
			t.Errorf("%s is %s without a description", key, d.TargetHealth.State)
		}
		if port := fmt.Sprint(aws.ToInt32(d.Target.Port)); aws.ToString(d.HealthCheckPort) != port {
			t.Errorf("%s: health check port %s, want the traffic port %s", key, aws.ToString(d.HealthCheckPort), port)
		}
	}
	return states
}

// TestELBv2TargetsBecomeHealthy steps simulated time with the clock, so
// that the initial state is seen whatever the machine's speed, and checks
// that a Region outage fails the health checks.
func TestELBv2TargetsBecomeHealthy(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{})
	client := elbv2.NewFromConfig(awsConfig(t, url, "us-west-2"))
	arn := elbCreateTG(t, client, "app", 8080)
	a, b := "i-0123456789abcdef0", "i-0fedcba9876543210"
	register := func() {
		if _, err := client.RegisterTargets(ctx(t), &elbv2.RegisterTargetsInput{TargetGroupArn: aws.String(arn),
			Targets: []elbv2types.TargetDescription{{Id: aws.String(a)}, {Id: aws.String(b), Port: aws.Int32(9090)}}}); err != nil {
			t.Fatal(err)
		}
	}
	register()
	initial, healthy := "initial Elb.RegistrationInProgress", "healthy "
	steps := []struct {
		name    string
		advance time.Duration
		want    string
	}{
		{"registered", 0, initial},
		{"half way", elbHealthy / 2, initial},
		{"checks passed", elbHealthy / 2, healthy},
	}
	for _, step := range steps {
		sb.clock.Advance(step.advance)
		got := elbTargetStates(t, client, arn)
		if len(got) != 2 || got[a+":8080"] != step.want || got[b+":9090"] != step.want {
			t.Fatalf("%s: %v, want both %q", step.name, got, step.want)
		}
	}
	register() // registering again changes nothing
	asked := elbTargetStates(t, client, arn, elbv2types.TargetDescription{Id: aws.String(a)},
		elbv2types.TargetDescription{Id: aws.String("i-0aaaaaaaaaaaaaaaa"), Port: aws.Int32(8080)})
	if asked[a+":8080"] != healthy || asked["i-0aaaaaaaaaaaaaaaa:8080"] != "unused Target.NotRegistered" {
		t.Fatalf("asked for a registered and an unregistered target: %v", asked)
	}
	if err := sb.faults.apply(Fault{Outage: &Outage{Region: "us-west-2"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.DescribeTargetHealth(ctx(t), &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(arn)}); apiCode(err) != "ServiceUnavailable" {
		t.Fatalf("describe in a Region that is out: %v", err)
	}
	dumped := getSandboxState(t, url)["elasticloadbalancing/us-west-2"].(map[string]any)["target_groups"].(map[string]any)["app"].(map[string]any)
	for _, target := range dumped["targets"].([]any) {
		if st := target.(map[string]any)["state"]; st != "unhealthy" {
			t.Errorf("while the Region is out, /_sandbox/state shows a target %v", st)
		}
	}
	if err := sb.faults.apply(Fault{Outage: &Outage{Region: "us-west-2", Clear: true}}); err != nil {
		t.Fatal(err)
	}
	if got := elbTargetStates(t, client, arn); got[a+":8080"] != healthy {
		t.Fatalf("after the outage: %v", got)
	}
}

func TestELBv2TargetInServiceWaiter(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t, Options{TimeScale: 300})
	client := elbv2.NewFromConfig(awsConfig(t, url, "eu-north-1"))
	arn := elbCreateTG(t, client, "web", 80)
	if _, err := client.RegisterTargets(ctx(t), &elbv2.RegisterTargetsInput{TargetGroupArn: aws.String(arn),
		Targets: []elbv2types.TargetDescription{{Id: aws.String("i-0123456789abcdef0")}, {Id: aws.String("i-0123456789abcdef1")}}}); err != nil {
		t.Fatal(err)
	}
	w := elbv2.NewTargetInServiceWaiter(client, func(o *elbv2.TargetInServiceWaiterOptions) {
		o.MinDelay, o.MaxDelay = 20*time.Millisecond, 100*time.Millisecond
	})
	out, err := w.WaitForOutput(ctx(t), &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(arn)}, 20*time.Second)
	if err != nil || len(out.TargetHealthDescriptions) != 2 {
		t.Fatalf("wait for the targets in service: %v", err)
	}
}

func TestELBv2Errors(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t, Options{})
	client := elbv2.NewFromConfig(awsConfig(t, url, "ap-northeast-1"))
	arn := elbCreateTG(t, client, "app", 8080)
	missing := "arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:targetgroup/gone/0123456789abcdef"
	create := func(in elbv2.CreateTargetGroupInput) error {
		_, err := client.CreateTargetGroup(ctx(t), &in)
		return err
	}
	describe := func(in elbv2.DescribeTargetGroupsInput) error {
		_, err := client.DescribeTargetGroups(ctx(t), &in)
		return err
	}
	register := func(group string, ids ...string) error {
		targets := make([]elbv2types.TargetDescription, len(ids))
		for i, id := range ids {
			targets[i] = elbv2types.TargetDescription{Id: aws.String(id)}
		}
		_, err := client.RegisterTargets(ctx(t), &elbv2.RegisterTargetsInput{TargetGroupArn: aws.String(group), Targets: targets})
		return err
	}
	health := func(group string, targets ...elbv2types.TargetDescription) error {
		_, err := client.DescribeTargetHealth(ctx(t), &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(group), Targets: targets})
		return err
	}
	notFound := errorAs[*elbv2types.TargetGroupNotFoundException]
	validation := func(err error) bool { return apiCode(err) == "ValidationError" }
	cases := []struct {
		name string
		err  error
		want func(error) bool
	}{
		{"same name, other port", create(elbv2.CreateTargetGroupInput{Name: aws.String("app"), Protocol: elbv2types.ProtocolEnumHttp,
			Port: aws.Int32(9090), VpcId: aws.String("vpc-0abc")}), errorAs[*elbv2types.DuplicateTargetGroupNameException]},
		{"bad name", create(elbv2.CreateTargetGroupInput{Name: aws.String("-app_1"), Protocol: elbv2types.ProtocolEnumHttp,
			Port: aws.Int32(80), VpcId: aws.String("vpc-0abc")}), validation},
		{"no port", create(elbv2.CreateTargetGroupInput{Name: aws.String("noport"), Protocol: elbv2types.ProtocolEnumHttp,
			VpcId: aws.String("vpc-0abc")}), validation},
		{"port out of range", create(elbv2.CreateTargetGroupInput{Name: aws.String("big"), Protocol: elbv2types.ProtocolEnumHttp,
			Port: aws.Int32(70000), VpcId: aws.String("vpc-0abc")}), validation},
		{"timeout not under interval", create(elbv2.CreateTargetGroupInput{Name: aws.String("slow"), Protocol: elbv2types.ProtocolEnumHttp,
			Port: aws.Int32(80), VpcId: aws.String("vpc-0abc"), HealthCheckIntervalSeconds: aws.Int32(10), HealthCheckTimeoutSeconds: aws.Int32(10)}), validation},
		{"describe a missing ARN", describe(elbv2.DescribeTargetGroupsInput{TargetGroupArns: []string{arn, missing}}), notFound},
		{"describe a missing name", describe(elbv2.DescribeTargetGroupsInput{Names: []string{"gone"}}), notFound},
		{"names and ARNs", describe(elbv2.DescribeTargetGroupsInput{Names: []string{"app"}, TargetGroupArns: []string{arn}}), validation},
		{"page size 0", describe(elbv2.DescribeTargetGroupsInput{PageSize: aws.Int32(0)}), validation},
		{"bad marker", describe(elbv2.DescribeTargetGroupsInput{Marker: aws.String("nope")}), validation},
		{"register into a missing group", register(missing, "i-0123456789abcdef0"), notFound},
		{"register an IP into an instance group", register(arn, "10.0.0.1"), errorAs[*elbv2types.InvalidTargetException]},
		{"register nothing", register(arn), validation},
		{"health of a missing group", health(missing), notFound},
		{"health of a malformed target", health(arn, elbv2types.TargetDescription{Id: aws.String("web-1")}), errorAs[*elbv2types.InvalidTargetException]},
	}
	for _, tc := range cases {
		if !tc.want(tc.err) {
			t.Errorf("%s: %v (code %q)", tc.name, tc.err, apiCode(tc.err))
		}
	}
}

func TestELBv2DescribeTargetGroups(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t, Options{})
	client := elbv2.NewFromConfig(awsConfig(t, url, "sa-east-1"))
	arns := map[string]string{}
	for i := 0; i < 25; i++ {
		name := fmt.Sprintf("tg-%02d", i)
		arns[name] = elbCreateTG(t, client, name, int32(8000+i))
	}
	if again := elbCreateTG(t, client, "tg-07", 8007); again != arns["tg-07"] {
		t.Fatalf("creating the same group again gave %s, want %s", again, arns["tg-07"])
	}
	pages, names := 0, []string{}
	p := elbv2.NewDescribeTargetGroupsPaginator(client, &elbv2.DescribeTargetGroupsInput{PageSize: aws.Int32(10)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, g := range out.TargetGroups {
			names = append(names, aws.ToString(g.TargetGroupName))
		}
	}
	if pages != 3 || len(names) != 25 || names[0] != "tg-00" || names[24] != "tg-24" {
		t.Fatalf("%d pages of %v; want 3 pages of 25 groups in name order", pages, names)
	}
	cases := []struct {
		name string
		in   elbv2.DescribeTargetGroupsInput
		want []string
	}{
		{"by name", elbv2.DescribeTargetGroupsInput{Names: []string{"tg-03", "tg-01"}}, []string{"tg-03", "tg-01"}},
		{"by ARN", elbv2.DescribeTargetGroupsInput{TargetGroupArns: []string{arns["tg-11"]}}, []string{"tg-11"}},
	}
	for _, tc := range cases {
		out, err := client.DescribeTargetGroups(ctx(t), &tc.in)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var got []string
		for _, g := range out.TargetGroups {
			got = append(got, aws.ToString(g.TargetGroupName))
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	g := elbDescribeTG(t, client, arns["tg-05"])
	if g.Protocol != elbv2types.ProtocolEnumHttp || aws.ToInt32(g.Port) != 8005 || aws.ToString(g.VpcId) != "vpc-0abc" ||
		g.TargetType != elbv2types.TargetTypeEnumInstance || aws.ToString(g.HealthCheckPath) != "/" || aws.ToString(g.HealthCheckPort) != "traffic-port" ||
		aws.ToInt32(g.HealthCheckIntervalSeconds) != 30 || aws.ToInt32(g.HealthyThresholdCount) != 5 || aws.ToString(g.Matcher.HttpCode) != "200" ||
		!aws.ToBool(g.HealthCheckEnabled) || g.LoadBalancerArns == nil {
		t.Errorf("target group = %+v", g)
	}
}

func elbDescribeTG(t *testing.T, client *elbv2.Client, arn string) elbv2types.TargetGroup {
	t.Helper()
	out, err := client.DescribeTargetGroups(ctx(t), &elbv2.DescribeTargetGroupsInput{TargetGroupArns: []string{arn}})
	if err != nil || len(out.TargetGroups) != 1 {
		t.Fatalf("describe %s: %v", arn, err)
	}
	return out.TargetGroups[0]
}
