package sandbox

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// TestELBLoadBalancerFailover: an ALB with a listener forwarding to the
// primary target group and a weighted rule; the failover points the
// listener's default action at the standby group and moves the rule's
// weights, which DescribeListeners, DescribeRules and the target groups'
// LoadBalancerArns then show. A forward to an unknown target group, an
// unknown listener and a second listener on a port are refused.
func TestELBLoadBalancerFailover(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{})
	client := elb.NewFromConfig(awsConfig(t, url, "us-west-2"))
	tg := func(name string) string {
		out, err := client.CreateTargetGroup(ctx(t), &elb.CreateTargetGroupInput{Name: aws.String(name), Protocol: elbtypes.ProtocolEnumHttp,
			Port: aws.Int32(80), VpcId: aws.String("vpc-1")})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.TargetGroups[0].TargetGroupArn)
	}
	primary, standby := tg("web-blue"), tg("web-green")
	created, err := client.CreateLoadBalancer(ctx(t), &elb.CreateLoadBalancerInput{Name: aws.String("shop"), Subnets: []string{"subnet-a", "subnet-b"},
		SecurityGroups: []string{"sg-1"}})
	if err != nil || created.LoadBalancers[0].State.Code != elbtypes.LoadBalancerStateEnumProvisioning || created.LoadBalancers[0].Type != elbtypes.LoadBalancerTypeEnumApplication {
		t.Fatalf("create: %+v %v", created, err)
	}
	lbARN := aws.ToString(created.LoadBalancers[0].LoadBalancerArn)
	if err := sb.Clock().Advance(elbProvision); err != nil {
		t.Fatal(err)
	}
	lbs, err := client.DescribeLoadBalancers(ctx(t), &elb.DescribeLoadBalancersInput{Names: []string{"shop"}})
	if err != nil || len(lbs.LoadBalancers) != 1 || lbs.LoadBalancers[0].State.Code != elbtypes.LoadBalancerStateEnumActive ||
		len(lbs.LoadBalancers[0].AvailabilityZones) != 2 || aws.ToString(lbs.LoadBalancers[0].DNSName) == "" {
		t.Fatalf("describe: %+v %v", lbs, err)
	}
	forward := func(arn string) []elbtypes.Action {
		return []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(arn)}}
	}
	ln, err := client.CreateListener(ctx(t), &elb.CreateListenerInput{LoadBalancerArn: aws.String(lbARN), Port: aws.Int32(80),
		Protocol: elbtypes.ProtocolEnumHttp, DefaultActions: forward(primary)})
	if err != nil {
		t.Fatal(err)
	}
	lnARN := ln.Listeners[0].ListenerArn
	if _, err := client.CreateListener(ctx(t), &elb.CreateListenerInput{LoadBalancerArn: aws.String(lbARN), Port: aws.Int32(80),
		Protocol: elbtypes.ProtocolEnumHttp, DefaultActions: forward(primary)}); apiCode(err) != "DuplicateListener" {
		t.Fatalf("a second listener on port 80: %v", err)
	}
	weighted := func(blue, green int32) []elbtypes.Action {
		return []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, ForwardConfig: &elbtypes.ForwardActionConfig{TargetGroups: []elbtypes.TargetGroupTuple{
			{TargetGroupArn: aws.String(primary), Weight: aws.Int32(blue)}, {TargetGroupArn: aws.String(standby), Weight: aws.Int32(green)}}}}}
	}
	rule, err := client.CreateRule(ctx(t), &elb.CreateRuleInput{ListenerArn: lnARN, Priority: aws.Int32(10), Actions: weighted(100, 0),
		Conditions: []elbtypes.RuleCondition{{Field: aws.String("path-pattern"), Values: []string{"/api/*"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.ModifyListener(ctx(t), &elb.ModifyListenerInput{ListenerArn: lnARN, DefaultActions: forward("arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/nope/0")}); apiCode(err) != "TargetGroupNotFound" {
		t.Fatalf("a forward to an unknown group: %v", err)
	}
	if _, err := client.ModifyListener(ctx(t), &elb.ModifyListenerInput{ListenerArn: aws.String(aws.ToString(lnARN) + "x"), DefaultActions: forward(standby)}); apiCode(err) != "ListenerNotFound" {
		t.Fatalf("an unknown listener: %v", err)
	}
	if _, err := client.ModifyListener(ctx(t), &elb.ModifyListenerInput{ListenerArn: lnARN, DefaultActions: forward(standby)}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.ModifyRule(ctx(t), &elb.ModifyRuleInput{RuleArn: rule.Rules[0].RuleArn, Actions: weighted(0, 100)}); err != nil {
		t.Fatal(err)
	}
	listeners, err := client.DescribeListeners(ctx(t), &elb.DescribeListenersInput{LoadBalancerArn: aws.String(lbARN)})
	if err != nil || len(listeners.Listeners) != 1 || aws.ToString(listeners.Listeners[0].DefaultActions[0].TargetGroupArn) != standby {
		t.Fatalf("listeners after the failover: %+v %v", listeners, err)
	}
	rules, err := client.DescribeRules(ctx(t), &elb.DescribeRulesInput{ListenerArn: lnARN})
	if err != nil || len(rules.Rules) != 2 || !aws.ToBool(rules.Rules[1].IsDefault) {
		t.Fatalf("rules: %+v %v", rules, err)
	}
	tuples := rules.Rules[0].Actions[0].ForwardConfig.TargetGroups
	if len(tuples) != 2 || aws.ToInt32(tuples[1].Weight) != 100 || rules.Rules[0].Conditions[0].Values[0] != "/api/*" {
		t.Fatalf("the rule after the failover: %+v", rules.Rules[0])
	}
	groups, err := client.DescribeTargetGroups(ctx(t), &elb.DescribeTargetGroupsInput{LoadBalancerArn: aws.String(lbARN)})
	if err != nil || len(groups.TargetGroups) != 2 || len(groups.TargetGroups[1].LoadBalancerArns) != 1 {
		t.Fatalf("the load balancer's target groups: %+v %v", groups, err)
	}
}

// albScenario models an ALB: a load balancer and its listener, pinned so
// that the listener and runbooks name them.
const albScenario = `
[[create]]
service   = "elasticloadbalancing"
region    = "us-west-2"
operation = "CreateTargetGroup"
id        = "arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/web/0a1b2c3d4e5f6a7b"
input     = { Name = "web", Protocol = "HTTP", Port = 80, VpcId = "vpc-1" }

[[create]]
service   = "elasticloadbalancing"
region    = "us-west-2"
operation = "CreateLoadBalancer"
id        = "arn:aws:elasticloadbalancing:us-west-2:123456789012:loadbalancer/app/shop/1a2b3c4d5e6f7a8b"
input     = { Name = "shop", Subnets = ["subnet-a", "subnet-b"] }

[[create]]
service   = "elasticloadbalancing"
region    = "us-west-2"
operation = "CreateListener"
input     = { LoadBalancerArn = "arn:aws:elasticloadbalancing:us-west-2:123456789012:loadbalancer/app/shop/1a2b3c4d5e6f7a8b", Protocol = "HTTP", Port = 443, DefaultActions = [{ Type = "forward", TargetGroupArn = "arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/web/0a1b2c3d4e5f6a7b" }] }
`

// TestELBScenarioModelsAnALB: a scenario's load balancer is active at the
// start and its listener forwards to the scenario's target group.
func TestELBScenarioModelsAnALB(t *testing.T) {
	t.Parallel()
	sc, err := ParseScenario("alb.toml", []byte(albScenario))
	if err != nil {
		t.Fatal(err)
	}
	sb, err := NewFromScenario(sc, 0)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	client := elb.NewFromConfig(awsConfig(t, srv.URL, "us-west-2"))
	lbs, err := client.DescribeLoadBalancers(ctx(t), &elb.DescribeLoadBalancersInput{})
	if err != nil || len(lbs.LoadBalancers) != 1 || lbs.LoadBalancers[0].State.Code != elbtypes.LoadBalancerStateEnumActive {
		t.Fatalf("load balancers: %+v %v", lbs, err)
	}
	listeners, err := client.DescribeListeners(ctx(t), &elb.DescribeListenersInput{LoadBalancerArn: lbs.LoadBalancers[0].LoadBalancerArn})
	if err != nil || len(listeners.Listeners) != 1 || aws.ToInt32(listeners.Listeners[0].Port) != 443 ||
		!strings.HasSuffix(aws.ToString(listeners.Listeners[0].DefaultActions[0].TargetGroupArn), "/web/0a1b2c3d4e5f6a7b") {
		t.Fatalf("listeners: %+v %v", listeners, err)
	}
}
