package sandbox

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"
)

func sesSimple(subject, text string) *sestypes.EmailContent {
	return &sestypes.EmailContent{Simple: &sestypes.Message{Subject: &sestypes.Content{Data: aws.String(subject)},
		Body: &sestypes.Body{Text: &sestypes.Content{Data: aws.String(text)}}}}
}

// TestSESSendEmail sends a status mail and a raw one, and finds both in
// the state dump: SES's sandbox twin delivers nothing.
func TestSESSendEmail(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{})
	client := sesv2.NewFromConfig(awsConfig(t, url, "us-west-2"))
	first, err := client.SendEmail(ctx(t), &sesv2.SendEmailInput{FromEmailAddress: aws.String("drpilot <drpilot@example.com>"),
		Destination: &sestypes.Destination{ToAddresses: []string{"oncall@example.com"}, CcAddresses: []string{"sre@example.com"}},
		Content:     sesSimple("Failover to us-west-2 started", "Runbook regional-failover, step 3 of 9.")})
	if err != nil {
		t.Fatal(err)
	}
	raw := "From: drpilot@example.com\r\nTo: status@example.com\r\nSubject: Failover done\r\n\r\nAll steps passed.\r\n"
	second, err := client.SendEmail(ctx(t), &sesv2.SendEmailInput{
		Content: &sestypes.EmailContent{Raw: &sestypes.RawMessage{Data: []byte(raw)}}})
	if err != nil {
		t.Fatal(err)
	}
	id1, id2 := aws.ToString(first.MessageId), aws.ToString(second.MessageId)
	if !strings.HasPrefix(id1, "0100") || !strings.HasSuffix(id1, "-000000") || id1 == id2 {
		t.Fatalf("message ids %q, %q", id1, id2)
	}
	sent := sb.dumpState()["ses/us-west-2"].(map[string]any)["sent_messages"].([]any)
	if len(sent) != 2 {
		t.Fatalf("%d messages recorded, want 2", len(sent))
	}
	m1, m2 := sent[0].(map[string]any), sent[1].(map[string]any)
	if m1["message_id"] != id1 || m1["subject"] != "Failover to us-west-2 started" || m1["text"] != "Runbook regional-failover, step 3 of 9." ||
		strings.Join(m1["to"].([]string), ",") != "oncall@example.com" || strings.Join(m1["cc"].([]string), ",") != "sre@example.com" {
		t.Fatalf("first message: %v", m1)
	}
	if m2["subject"] != "Failover done" || m2["from"] != "drpilot@example.com" || strings.Join(m2["to"].([]string), ",") != "status@example.com" {
		t.Fatalf("raw message: %v", m2)
	}
}

func TestSESErrorsAreTyped(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{})
	client := sesv2.NewFromConfig(awsConfig(t, url, "eu-west-1"))
	to := &sestypes.Destination{ToAddresses: []string{"oncall@example.com"}}
	many := make([]string, 51)
	for i := range many {
		many[i] = "oncall@example.com"
	}
	for _, tc := range []struct {
		name string
		in   sesv2.SendEmailInput
	}{
		{"no destination", sesv2.SendEmailInput{FromEmailAddress: aws.String("a@example.com"), Content: sesSimple("s", "b")}},
		{"empty destination", sesv2.SendEmailInput{FromEmailAddress: aws.String("a@example.com"), Destination: &sestypes.Destination{},
			Content: sesSimple("s", "b")}},
		{"empty content", sesv2.SendEmailInput{FromEmailAddress: aws.String("a@example.com"), Destination: to,
			Content: &sestypes.EmailContent{}}},
		{"no sender", sesv2.SendEmailInput{Destination: to, Content: sesSimple("s", "b")}},
		{"bad recipient", sesv2.SendEmailInput{FromEmailAddress: aws.String("a@example.com"),
			Destination: &sestypes.Destination{ToAddresses: []string{"oncall"}}, Content: sesSimple("s", "b")}},
		{"too many recipients", sesv2.SendEmailInput{FromEmailAddress: aws.String("a@example.com"),
			Destination: &sestypes.Destination{BccAddresses: many}, Content: sesSimple("s", "b")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := client.SendEmail(ctx(t), &tc.in)
			var bad *sestypes.BadRequestException
			if !errors.As(err, &bad) || awsHTTPStatus(err) != 400 {
				t.Fatalf("got %v (HTTP %d), want BadRequestException (HTTP 400)", err, awsHTTPStatus(err))
			}
		})
	}
	sb.faults.apply(Fault{Throttle: &Throttle{Service: "ses", Rate: 1}})
	_, err := client.SendEmail(ctx(t), &sesv2.SendEmailInput{FromEmailAddress: aws.String("a@example.com"), Destination: to,
		Content: sesSimple("s", "b")})
	var throttled *sestypes.TooManyRequestsException
	if !errors.As(err, &throttled) {
		t.Fatalf("throttled: %v", err)
	}
	if state, ok := sb.dumpState()["ses/eu-west-1"].(map[string]any); ok && len(state["sent_messages"].([]any)) != 0 {
		t.Fatalf("a refused message was recorded: %v", state)
	}
}
