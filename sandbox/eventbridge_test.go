package sandbox

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
)

// TestEventBridgeRules: a scheduled rule and a pattern rule are created,
// disabled and enabled (as a failover moves scheduled jobs between
// Regions), described as they are, and replaced whole by PutRule.
func TestEventBridgeRules(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t, Options{})
	client := eventbridge.NewFromConfig(awsConfig(t, url, "us-east-1"))
	for _, tc := range []struct {
		name     string
		in       eventbridge.PutRuleInput
		schedule string
		pattern  string
	}{
		{name: "nightly-export", in: eventbridge.PutRuleInput{ScheduleExpression: aws.String("cron(0 3 * * ? *)"),
			Description: aws.String("exports orders")}, schedule: "cron(0 3 * * ? *)"},
		{name: "on-alarm", in: eventbridge.PutRuleInput{EventPattern: aws.String(`{"source":["aws.cloudwatch"]}`),
			State: ebtypes.RuleStateDisabled}, pattern: `{"source":["aws.cloudwatch"]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.in.Name = aws.String(tc.name)
			put, err := client.PutRule(ctx(t), &tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if want := "arn:aws:events:us-east-1:123456789012:rule/" + tc.name; aws.ToString(put.RuleArn) != want {
				t.Fatalf("RuleArn %s, want %s", aws.ToString(put.RuleArn), want)
			}
			initial := ebtypes.RuleStateEnabled
			if tc.in.State != "" {
				initial = tc.in.State
			}
			for _, step := range []struct {
				toggle func() error
				want   ebtypes.RuleState
			}{
				{nil, initial},
				{func() error {
					_, err := client.DisableRule(ctx(t), &eventbridge.DisableRuleInput{Name: aws.String(tc.name)})
					return err
				}, ebtypes.RuleStateDisabled},
				{func() error {
					_, err := client.EnableRule(ctx(t), &eventbridge.EnableRuleInput{Name: aws.String(tc.name), EventBusName: aws.String("default")})
					return err
				}, ebtypes.RuleStateEnabled},
			} {
				if step.toggle != nil {
					if err := step.toggle(); err != nil {
						t.Fatal(err)
					}
				}
				got, err := client.DescribeRule(ctx(t), &eventbridge.DescribeRuleInput{Name: aws.String(tc.name)})
				if err != nil {
					t.Fatal(err)
				}
				if got.State != step.want || aws.ToString(got.Arn) != aws.ToString(put.RuleArn) ||
					aws.ToString(got.ScheduleExpression) != tc.schedule || aws.ToString(got.EventPattern) != tc.pattern ||
					aws.ToString(got.EventBusName) != "default" || aws.ToString(got.CreatedBy) != "123456789012" {
					t.Fatalf("DescribeRule = %+v, want state %s", got, step.want)
				}
			}
		})
	}
	// PutRule replaces a rule: the description it was created with goes.
	if _, err := client.PutRule(ctx(t), &eventbridge.PutRuleInput{Name: aws.String("nightly-export"),
		ScheduleExpression: aws.String("rate(1 day)")}); err != nil {
		t.Fatal(err)
	}
	got, err := client.DescribeRule(ctx(t), &eventbridge.DescribeRuleInput{Name: aws.String("nightly-export")})
	if err != nil || aws.ToString(got.Description) != "" || aws.ToString(got.ScheduleExpression) != "rate(1 day)" {
		t.Fatalf("replaced rule = %+v, %v", got, err)
	}
}

func TestEventBridgeErrors(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t, Options{})
	client := eventbridge.NewFromConfig(awsConfig(t, url, "eu-west-1"))
	var (
		notFound   *ebtypes.ResourceNotFoundException
		badPattern *ebtypes.InvalidEventPatternException
	)
	for _, tc := range []struct {
		desc   string
		call   func() error
		code   string
		target any // the SDK's typed error; nil where the SDK has none (ValidationException)
	}{
		{"describe a missing rule", func() error {
			_, err := client.DescribeRule(ctx(t), &eventbridge.DescribeRuleInput{Name: aws.String("nope")})
			return err
		}, "ResourceNotFoundException", &notFound},
		{"disable a missing rule", func() error {
			_, err := client.DisableRule(ctx(t), &eventbridge.DisableRuleInput{Name: aws.String("nope")})
			return err
		}, "ResourceNotFoundException", &notFound},
		{"enable a missing rule", func() error {
			_, err := client.EnableRule(ctx(t), &eventbridge.EnableRuleInput{Name: aws.String("nope")})
			return err
		}, "ResourceNotFoundException", &notFound},
		{"a rule on a missing bus", func() error {
			_, err := client.PutRule(ctx(t), &eventbridge.PutRuleInput{Name: aws.String("r"), EventBusName: aws.String("orders"),
				EventPattern: aws.String(`{"source":["orders"]}`)})
			return err
		}, "ResourceNotFoundException", &notFound},
		{"a bad pattern", func() error {
			_, err := client.PutRule(ctx(t), &eventbridge.PutRuleInput{Name: aws.String("r"), EventPattern: aws.String("{")})
			return err
		}, "InvalidEventPatternException", &badPattern},
		{"neither schedule nor pattern", func() error {
			_, err := client.PutRule(ctx(t), &eventbridge.PutRuleInput{Name: aws.String("r")})
			return err
		}, "ValidationException", nil},
		{"a bad schedule", func() error {
			_, err := client.PutRule(ctx(t), &eventbridge.PutRuleInput{Name: aws.String("r"), ScheduleExpression: aws.String("every day")})
			return err
		}, "ValidationException", nil},
		{"a bad name", func() error {
			_, err := client.PutRule(ctx(t), &eventbridge.PutRuleInput{Name: aws.String("a rule"), ScheduleExpression: aws.String("rate(5 minutes)")})
			return err
		}, "ValidationException", nil},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			err := tc.call()
			if apiCode(err) != tc.code || (tc.target != nil && !errors.As(err, tc.target)) {
				t.Fatalf("error %v (%T), want %s", err, err, tc.code)
			}
		})
	}
}
