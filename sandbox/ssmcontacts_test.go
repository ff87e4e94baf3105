package sandbox

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssmcontacts"
	sctypes "github.com/aws/aws-sdk-go-v2/service/ssmcontacts/types"
)

func contactsCreate(t *testing.T, client *ssmcontacts.Client, alias string, typ sctypes.ContactType) string {
	t.Helper()
	in := &ssmcontacts.CreateContactInput{Alias: aws.String(alias), DisplayName: aws.String(strings.ToUpper(alias)),
		Type: typ, Plan: &sctypes.Plan{Stages: []sctypes.Stage{}}}
	if typ == sctypes.ContactTypeOncallSchedule {
		in.Plan = &sctypes.Plan{RotationIds: []string{"arn:aws:ssm-contacts:us-east-1:123456789012:rotation/primary"}}
	}
	out, err := client.CreateContact(ctx(t), in)
	if err != nil {
		t.Fatalf("CreateContact %s: %v", alias, err)
	}
	return aws.ToString(out.ContactArn)
}

// TestSSMContactsEngagements: contacts of each type are created, engaged
// from their own Region and from another (contacts replicate across an
// Incident Manager replication set), engagements are idempotent by token
// and recorded in the state.
func TestSSMContactsEngagements(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{})
	east := ssmcontacts.NewFromConfig(awsConfig(t, url, "us-east-1"))
	west := ssmcontacts.NewFromConfig(awsConfig(t, url, "us-west-2"))
	for _, tc := range []struct {
		alias string
		typ   sctypes.ContactType
	}{
		{"alice", sctypes.ContactTypePersonal},
		{"dba-escalation", sctypes.ContactTypeEscalation},
		{"primary-on-call", sctypes.ContactTypeOncallSchedule},
	} {
		if got, want := contactsCreate(t, east, tc.alias, tc.typ), "arn:aws:ssm-contacts:us-east-1:123456789012:contact/"+tc.alias; got != want {
			t.Fatalf("ContactArn %s, want %s", got, want)
		}
	}
	alice := "arn:aws:ssm-contacts:us-east-1:123456789012:contact/alice"
	engage := func(client *ssmcontacts.Client, token string) string {
		t.Helper()
		in := &ssmcontacts.StartEngagementInput{ContactId: aws.String(alice), Sender: aws.String("drpilot"),
			Subject: aws.String("Failover started"), Content: aws.String("orders is failing over to us-west-2")}
		if token != "" {
			in.IdempotencyToken = aws.String(token)
		}
		out, err := client.StartEngagement(ctx(t), in)
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.EngagementArn)
	}
	first := engage(east, "run-42-notify-1")
	if !strings.HasPrefix(first, "arn:aws:ssm-contacts:us-east-1:123456789012:engagement/alice/") ||
		len(strings.TrimPrefix(first, "arn:aws:ssm-contacts:us-east-1:123456789012:engagement/alice/")) != 36 {
		t.Fatalf("EngagementArn %s", first)
	}
	if again := engage(east, "run-42-notify-1"); again != first {
		t.Fatalf("same token: %s, then %s", first, again)
	}
	if other := engage(east, ""); other == first { // the SDK fills in a fresh token
		t.Fatalf("a new engagement reused %s", first)
	}
	if fromWest := engage(west, "run-42-notify-2"); !strings.HasPrefix(fromWest, "arn:aws:ssm-contacts:us-west-2:") {
		t.Fatalf("engaged from us-west-2: %s", fromWest)
	}
	state := sb.dumpState()["ssm-contacts/us-east-1"].(map[string]any)
	engagements := state["engagements"].([]any)
	if len(engagements) != 2 || engagements[0].(map[string]any)["subject"] != "Failover started" ||
		engagements[0].(map[string]any)["contact"] != alice {
		t.Fatalf("recorded engagements: %v", engagements)
	}
}

func TestSSMContactsErrors(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t, Options{})
	client := ssmcontacts.NewFromConfig(awsConfig(t, url, "us-east-1"))
	contactsCreate(t, client, "bob", sctypes.ContactTypePersonal)
	_, err := client.CreateContact(ctx(t), &ssmcontacts.CreateContactInput{Alias: aws.String("bob"),
		Type: sctypes.ContactTypePersonal, Plan: &sctypes.Plan{}})
	var conflict *sctypes.ConflictException
	if !errors.As(err, &conflict) {
		t.Fatalf("duplicate alias: %v", err)
	}
	start := func(contactID string) error {
		_, err := client.StartEngagement(ctx(t), &ssmcontacts.StartEngagementInput{ContactId: aws.String(contactID),
			Sender: aws.String("drpilot"), Subject: aws.String("s"), Content: aws.String("c")})
		return err
	}
	var notFound *sctypes.ResourceNotFoundException
	if err := start("arn:aws:ssm-contacts:us-east-1:123456789012:contact/carol"); !errors.As(err, &notFound) {
		t.Fatalf("engage an unknown contact: %v", err)
	}
	var invalid *sctypes.ValidationException
	for _, tc := range []struct {
		desc string
		call func() error
	}{
		{"engage by alias, not ARN", func() error { return start("bob") }},
		{"bad alias", func() error {
			_, err := client.CreateContact(ctx(t), &ssmcontacts.CreateContactInput{Alias: aws.String("Bob Smith"),
				Type: sctypes.ContactTypePersonal, Plan: &sctypes.Plan{}})
			return err
		}},
		{"on-call schedule without rotations", func() error {
			_, err := client.CreateContact(ctx(t), &ssmcontacts.CreateContactInput{Alias: aws.String("oncall"),
				Type: sctypes.ContactTypeOncallSchedule, Plan: &sctypes.Plan{}})
			return err
		}},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			if err := tc.call(); !errors.As(err, &invalid) {
				t.Fatalf("error %v, want a ValidationException", err)
			}
		})
	}
}
