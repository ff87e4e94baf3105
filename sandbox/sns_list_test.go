package sandbox

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
)

// TestSNSListSubscriptions: the Region's subscriptions and a topic's are
// listed; an email subscription nobody confirmed reads
// PendingConfirmation; an unknown topic is NotFound.
func TestSNSListSubscriptions(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t, Options{})
	client := sns.NewFromConfig(awsConfig(t, url, "us-east-1"))
	topic := func(name string) *string {
		out, err := client.CreateTopic(ctx(t), &sns.CreateTopicInput{Name: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		return out.TopicArn
	}
	pages, alerts := topic("pages"), topic("alerts")
	for _, in := range []*sns.SubscribeInput{
		{TopicArn: pages, Protocol: aws.String("sqs"), Endpoint: aws.String("arn:aws:sqs:us-east-1:123456789012:oncall")},
		{TopicArn: alerts, Protocol: aws.String("email"), Endpoint: aws.String("ops@example.com")},
	} {
		if _, err := client.Subscribe(ctx(t), in); err != nil {
			t.Fatal(err)
		}
	}
	all, err := client.ListSubscriptions(ctx(t), &sns.ListSubscriptionsInput{})
	if err != nil || len(all.Subscriptions) != 2 || aws.ToString(all.Subscriptions[0].SubscriptionArn) != "PendingConfirmation" ||
		aws.ToString(all.Subscriptions[1].Protocol) != "sqs" {
		t.Fatalf("subscriptions: %+v %v", all, err)
	}
	byTopic, err := client.ListSubscriptionsByTopic(ctx(t), &sns.ListSubscriptionsByTopicInput{TopicArn: pages})
	if err != nil || len(byTopic.Subscriptions) != 1 || aws.ToString(byTopic.Subscriptions[0].TopicArn) != aws.ToString(pages) {
		t.Fatalf("by topic: %+v %v", byTopic, err)
	}
	if _, err := client.ListSubscriptionsByTopic(ctx(t), &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String("arn:aws:sns:us-east-1:123456789012:nope")}); apiCode(err) != "NotFound" {
		t.Fatalf("an unknown topic: %v", err)
	}
}
