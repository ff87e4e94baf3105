package sandbox

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

func compositeState(t *testing.T, client *cloudwatch.Client, name string) cwtypes.StateValue {
	t.Helper()
	out, err := client.DescribeAlarms(ctx(t), &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{name},
		AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeCompositeAlarm}})
	if err != nil || len(out.CompositeAlarms) != 1 || len(out.MetricAlarms) != 0 {
		t.Fatalf("describe composite %s: %+v %v", name, out, err)
	}
	return out.CompositeAlarms[0].StateValue
}

// TestCompositeAlarmFollowsItsRule: a composite alarm over two metric
// alarms is OK while both are, ALARM when either is, and AND/NOT rules
// evaluate the same states.
func TestCompositeAlarmFollowsItsRule(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{})
	client := cloudwatch.NewFromConfig(awsConfig(t, url, "us-east-1"))
	putAlarm(t, client, "orders-5xx")
	putAlarm(t, client, "orders-latency")
	rules := map[string]string{
		"orders-any":  `ALARM("orders-5xx") OR ALARM(orders-latency)`,
		"orders-both": `ALARM("orders-5xx") AND ALARM("orders-latency")`,
		"orders-fine": `NOT (ALARM("orders-5xx") OR ALARM("orders-latency")) AND TRUE`,
	}
	for name, rule := range rules {
		if _, err := client.PutCompositeAlarm(ctx(t), &cloudwatch.PutCompositeAlarmInput{
			AlarmName: aws.String(name), AlarmRule: aws.String(rule)}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	sb.clock.Advance(90 * time.Second)
	want := map[string]cwtypes.StateValue{"orders-any": "OK", "orders-both": "OK", "orders-fine": "ALARM"}
	for name, st := range want {
		if got := compositeState(t, client, name); got != st {
			t.Errorf("both alarms OK: %s is %s, want %s", name, got, st)
		}
	}
	if _, err := client.SetAlarmState(ctx(t), &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("orders-5xx"),
		StateValue: cwtypes.StateValueAlarm, StateReason: aws.String("game day")}); err != nil {
		t.Fatal(err)
	}
	want = map[string]cwtypes.StateValue{"orders-any": "ALARM", "orders-both": "OK", "orders-fine": "OK"}
	for name, st := range want {
		if got := compositeState(t, client, name); got != st {
			t.Errorf("orders-5xx in ALARM: %s is %s, want %s", name, got, st)
		}
	}
	all, err := client.DescribeAlarms(ctx(t), &cloudwatch.DescribeAlarmsInput{})
	if err != nil || len(all.MetricAlarms) != 2 || len(all.CompositeAlarms) != 0 {
		t.Fatalf("without AlarmTypes, DescribeAlarms lists metric alarms only: %+v %v", all, err)
	}
}

// TestCompositeAlarmRejectsBadRules: a rule CloudWatch would refuse is a
// ValidationError naming the rule, never a panic.
func TestCompositeAlarmRejectsBadRules(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t, Options{})
	client := cloudwatch.NewFromConfig(awsConfig(t, url, "us-east-1"))
	for _, rule := range []string{`ALARM(`, `ALARM("a") OR`, `(ALARM("a")`, `ALARM("a")) `, `BOGUS("a")`, `ALARM("a") XOR OK("b")`} {
		_, err := client.PutCompositeAlarm(ctx(t), &cloudwatch.PutCompositeAlarmInput{
			AlarmName: aws.String("bad"), AlarmRule: aws.String(rule)})
		if err == nil {
			t.Errorf("rule %q was accepted", rule)
		}
	}
}

func FuzzParseAlarmRule(f *testing.F) {
	for _, s := range []string{`ALARM("a") OR OK(b)`, `NOT (TRUE AND FALSE)`, `((((`, `INSUFFICIENT_DATA("x`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, rule string) {
		if e, err := parseAlarmRule(rule); err == nil {
			e.eval(func(string) string { return "OK" })
		}
	})
}

// TestCompositeAlarmNamesByARNOrWithColons: a rule may name an alarm by
// its ARN, and a bare alarm name may itself hold colons.
func TestCompositeAlarmNamesByARNOrWithColons(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{})
	client := cloudwatch.NewFromConfig(awsConfig(t, url, "us-east-1"))
	putAlarm(t, client, "orders:5xx")
	for name, rule := range map[string]string{
		"by-arn":  `ALARM("arn:aws:cloudwatch:us-east-1:123456789012:alarm:orders:5xx")`,
		"by-name": `ALARM("orders:5xx")`,
	} {
		if _, err := client.PutCompositeAlarm(ctx(t), &cloudwatch.PutCompositeAlarmInput{
			AlarmName: aws.String(name), AlarmRule: aws.String(rule)}); err != nil {
			t.Fatal(err)
		}
	}
	sb.clock.Advance(90 * time.Second)
	if _, err := client.SetAlarmState(ctx(t), &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("orders:5xx"),
		StateValue: cwtypes.StateValueAlarm, StateReason: aws.String("game day")}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"by-arn", "by-name"} {
		if got := compositeState(t, client, name); got != cwtypes.StateValueAlarm {
			t.Errorf("%s is %s, want ALARM", name, got)
		}
	}
}
