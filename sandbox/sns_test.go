package sandbox

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
)

func snsCreate(t *testing.T, client *sns.Client, name string, attrs map[string]string) string {
	t.Helper()
	out, err := client.CreateTopic(ctx(t), &sns.CreateTopicInput{Name: aws.String(name), Attributes: attrs})
	if err != nil {
		t.Fatalf("create topic %s: %v", name, err)
	}
	return aws.ToString(out.TopicArn)
}

func TestSNSPublishIsRecorded(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{})
	client := sns.NewFromConfig(awsConfig(t, url, "us-east-1"))
	topic := snsCreate(t, client, "dr-events", map[string]string{"DisplayName": "DR"})
	if topic != "arn:aws:sns:us-east-1:123456789012:dr-events" {
		t.Fatalf("topic ARN = %s", topic)
	}
	if again := snsCreate(t, client, "dr-events", nil); again != topic {
		t.Fatalf("creating the topic again gave %s, want %s", again, topic)
	}
	ids := map[string]bool{}
	for i, in := range []sns.PublishInput{
		{TopicArn: aws.String(topic), Subject: aws.String("Failover started"), Message: aws.String("orders: promoting us-west-2")},
		{TargetArn: aws.String(topic), Message: aws.String("orders: promoted")},
		{TopicArn: aws.String(topic), MessageStructure: aws.String("json"), Message: aws.String(`{"default": "done", "email": "Failover done"}`)},
	} {
		out, err := client.Publish(ctx(t), &in)
		if err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
		if id := aws.ToString(out.MessageId); len(id) != 36 || ids[id] {
			t.Fatalf("publish %d: message id %q is not a new UUID", i, id)
		}
		ids[aws.ToString(out.MessageId)] = true
		if out.SequenceNumber != nil {
			t.Errorf("a standard topic gave a sequence number")
		}
	}
	dumped := getSandboxState(t, url)["sns/us-east-1"].(map[string]any)
	messages := dumped["messages"].([]any)
	if len(messages) != 3 || dumped["published"] != 3.0 {
		t.Fatalf("/_sandbox/state shows %v", dumped)
	}
	first := messages[0].(map[string]any)
	at, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(first["time"]))
	if first["topic"] != topic || first["subject"] != "Failover started" || first["message"] != "orders: promoting us-west-2" ||
		!ids[fmt.Sprint(first["message_id"])] || at.Before(sb.clock.start) || at.After(sb.clock.Now()) {
		t.Errorf("first message = %v", first)
	}
	fifo := snsCreate(t, client, "dr-steps.fifo", map[string]string{"FifoTopic": "true", "ContentBasedDeduplication": "true"})
	out, err := client.Publish(ctx(t), &sns.PublishInput{TopicArn: aws.String(fifo), Message: aws.String("step 1"), MessageGroupId: aws.String("run-1")})
	if err != nil || len(aws.ToString(out.SequenceNumber)) != 20 {
		t.Fatalf("publish to a FIFO topic: %v, %+v", err, out)
	}
}

func TestSNSListTopicsPaginates(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t, Options{})
	client := sns.NewFromConfig(awsConfig(t, url, "eu-west-2"))
	for i := 0; i < 230; i++ {
		snsCreate(t, client, fmt.Sprintf("topic-%03d", i), nil)
	}
	snsCreate(t, sns.NewFromConfig(awsConfig(t, url, "eu-west-1")), "elsewhere", nil)
	pages, arns := []int{}, map[string]bool{}
	p := sns.NewListTopicsPaginator(client, &sns.ListTopicsInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, len(out.Topics))
		for _, topic := range out.Topics {
			arns[aws.ToString(topic.TopicArn)] = true
		}
	}
	if fmt.Sprint(pages) != "[100 100 30]" || len(arns) != 230 || !arns["arn:aws:sns:eu-west-2:123456789012:topic-229"] {
		t.Fatalf("pages of %v, %d topics; want 100, 100, 30 of this Region's 230", pages, len(arns))
	}
}

func TestSNSErrors(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t, Options{})
	client := sns.NewFromConfig(awsConfig(t, url, "us-west-2"))
	topic := snsCreate(t, client, "alerts", map[string]string{"DisplayName": "Alerts"})
	fifo := snsCreate(t, client, "steps.fifo", map[string]string{"FifoTopic": "true"})
	publish := func(in sns.PublishInput) error {
		if in.Message == nil {
			in.Message = aws.String("hello")
		}
		_, err := client.Publish(ctx(t), &in)
		return err
	}
	create := func(name string, attrs map[string]string) error {
		_, err := client.CreateTopic(ctx(t), &sns.CreateTopicInput{Name: aws.String(name), Attributes: attrs})
		return err
	}
	invalid := errorAs[*snstypes.InvalidParameterException]
	cases := []struct {
		name string
		err  error
		want func(error) bool
	}{
		{"missing topic", publish(sns.PublishInput{TopicArn: aws.String("arn:aws:sns:us-west-2:123456789012:gone")}), errorAs[*snstypes.NotFoundException]},
		{"topic of another Region", publish(sns.PublishInput{TopicArn: aws.String(strings.Replace(topic, "us-west-2", "us-east-1", 1))}), invalid},
		{"malformed ARN", publish(sns.PublishInput{TopicArn: aws.String("alerts")}), invalid},
		{"no topic", publish(sns.PublishInput{}), invalid},
		{"topic and target", publish(sns.PublishInput{TopicArn: aws.String(topic), TargetArn: aws.String(topic)}), invalid},
		{"empty message", publish(sns.PublishInput{TopicArn: aws.String(topic), Message: aws.String("")}), invalid},
		{"message too long", publish(sns.PublishInput{TopicArn: aws.String(topic), Message: aws.String(strings.Repeat("x", snsMaxMessage+1))}), invalid},
		{"subject with a newline", publish(sns.PublishInput{TopicArn: aws.String(topic), Subject: aws.String("a\nb")}), invalid},
		{"JSON without default", publish(sns.PublishInput{TopicArn: aws.String(topic), MessageStructure: aws.String("json"), Message: aws.String(`{"email": "x"}`)}), invalid},
		{"FIFO without a group", publish(sns.PublishInput{TopicArn: aws.String(fifo), MessageDeduplicationId: aws.String("1")}), invalid},
		{"FIFO without deduplication", publish(sns.PublishInput{TopicArn: aws.String(fifo), MessageGroupId: aws.String("g")}), invalid},
		{"bad topic name", create("no spaces", nil), invalid},
		{".fifo name, standard topic", create("x.fifo", nil), invalid},
		{"same name, other attributes", create("alerts", map[string]string{"DisplayName": "Other"}), invalid},
		{"bad token", func() error {
			_, err := client.ListTopics(ctx(t), &sns.ListTopicsInput{NextToken: aws.String("nope")})
			return err
		}(), invalid},
	}
	for _, tc := range cases {
		if !tc.want(tc.err) {
			t.Errorf("%s: %v (code %q)", tc.name, tc.err, apiCode(tc.err))
		}
	}
}
