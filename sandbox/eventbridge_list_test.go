package sandbox

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
)

// TestEventBridgeListRules: rules are listed by name prefix a page at a
// time with their state; another bus is ResourceNotFoundException.
func TestEventBridgeListRules(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t, Options{})
	client := eventbridge.NewFromConfig(awsConfig(t, url, "us-east-1"))
	for _, name := range []string{"dr-nightly", "dr-hourly", "billing"} {
		if _, err := client.PutRule(ctx(t), &eventbridge.PutRuleInput{Name: aws.String(name), ScheduleExpression: aws.String("rate(1 hour)")}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := client.DisableRule(ctx(t), &eventbridge.DisableRuleInput{Name: aws.String("dr-hourly")}); err != nil {
		t.Fatal(err)
	}
	first, err := client.ListRules(ctx(t), &eventbridge.ListRulesInput{NamePrefix: aws.String("dr-"), Limit: aws.Int32(1)})
	if err != nil || len(first.Rules) != 1 || aws.ToString(first.Rules[0].Name) != "dr-hourly" || first.Rules[0].State != ebtypes.RuleStateDisabled ||
		first.NextToken == nil {
		t.Fatalf("first page: %+v %v", first, err)
	}
	rest, err := client.ListRules(ctx(t), &eventbridge.ListRulesInput{NamePrefix: aws.String("dr-"), NextToken: first.NextToken})
	if err != nil || len(rest.Rules) != 1 || aws.ToString(rest.Rules[0].Name) != "dr-nightly" || rest.NextToken != nil {
		t.Fatalf("second page: %+v %v", rest, err)
	}
	if _, err := client.ListRules(ctx(t), &eventbridge.ListRulesInput{EventBusName: aws.String("orders")}); apiCode(err) != "ResourceNotFoundException" {
		t.Fatalf("another bus: %v", err)
	}
}
