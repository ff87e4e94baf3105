package sandbox

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssmincidents"
	incidenttypes "github.com/aws/aws-sdk-go-v2/service/ssmincidents/types"
)

const incidentTestPlan = "arn:aws:ssm-incidents::123456789012:response-plan/regional-failover"

// TestIncidentStartAndGet opens an incident as a runbook's first step does
// and reads it back; a retried start (same clientToken) is the same
// incident.
func TestIncidentStartAndGet(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{})
	client := ssmincidents.NewFromConfig(awsConfig(t, url, "us-west-2"))
	in := &ssmincidents.StartIncidentInput{ResponsePlanArn: aws.String(incidentTestPlan), Title: aws.String("us-east-1 is down"),
		Impact: aws.Int32(1), ClientToken: aws.String("run-42"),
		TriggerDetails: &incidenttypes.TriggerDetails{Source: aws.String("drpilot"), Timestamp: aws.Time(time.Now()),
			TriggerArn: aws.String("arn:aws:cloudwatch:us-east-1:123456789012:alarm:orders-5xx")}}
	started, err := client.StartIncident(ctx(t), in)
	if err != nil {
		t.Fatal(err)
	}
	a := aws.ToString(started.IncidentRecordArn)
	if !strings.HasPrefix(a, "arn:aws:ssm-incidents::123456789012:incident-record/regional-failover/") {
		t.Fatalf("incident record ARN %s", a)
	}
	if again, err := client.StartIncident(ctx(t), in); err != nil || aws.ToString(again.IncidentRecordArn) != a {
		t.Fatalf("a retried start: %v, %v; want %s", again, err, a)
	}
	got, err := client.GetIncidentRecord(ctx(t), &ssmincidents.GetIncidentRecordInput{Arn: aws.String(a)})
	if err != nil {
		t.Fatal(err)
	}
	rec := got.IncidentRecord
	now := sb.clock.Now()
	if aws.ToString(rec.Arn) != a || aws.ToString(rec.Title) != "us-east-1 is down" || rec.Status != incidenttypes.IncidentRecordStatusOpen ||
		aws.ToInt32(rec.Impact) != 1 || rec.DedupeString == nil || rec.CreationTime.After(now) || now.Sub(*rec.CreationTime) > time.Minute {
		t.Fatalf("record: %+v", rec)
	}
	src := rec.IncidentRecordSource
	if aws.ToString(src.CreatedBy) != "arn:aws:iam::123456789012:user/drpilot-sandbox" || aws.ToString(src.Source) != "drpilot" ||
		aws.ToString(src.ResourceArn) != "arn:aws:cloudwatch:us-east-1:123456789012:alarm:orders-5xx" {
		t.Fatalf("record source: %+v", src)
	}

	// Without a title, an impact or a trigger: what a response plan would
	// give, and a manual source. A new token is a new incident.
	plain, err := client.StartIncident(ctx(t), &ssmincidents.StartIncidentInput{ResponsePlanArn: aws.String(incidentTestPlan)})
	if err != nil || aws.ToString(plain.IncidentRecordArn) == a {
		t.Fatalf("second incident: %v, %v", plain, err)
	}
	got, err = client.GetIncidentRecord(ctx(t), &ssmincidents.GetIncidentRecordInput{Arn: plain.IncidentRecordArn})
	if err != nil || aws.ToString(got.IncidentRecord.Title) != "regional-failover" || aws.ToInt32(got.IncidentRecord.Impact) != 3 ||
		aws.ToString(got.IncidentRecord.IncidentRecordSource.Source) != "aws.ssm-incidents.custom" {
		t.Fatalf("defaults: %+v, %v", got, err)
	}
	if records := sb.dumpState()["ssm-incidents/us-west-2"].(map[string]any)["incident_records"].(map[string]any); len(records) != 2 {
		t.Fatalf("state dump: %v", records)
	}
}

func TestIncidentErrorsAreTyped(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{})
	client := ssmincidents.NewFromConfig(awsConfig(t, url, "us-west-2"))
	other := ssmincidents.NewFromConfig(awsConfig(t, url, "eu-west-1"))
	started, err := client.StartIncident(ctx(t), &ssmincidents.StartIncidentInput{ResponsePlanArn: aws.String(incidentTestPlan)})
	if err != nil {
		t.Fatal(err)
	}
	var (
		invalid  *incidenttypes.ValidationException
		notFound *incidenttypes.ResourceNotFoundException
	)
	start := func(plan string, impact int32) error {
		_, err := client.StartIncident(ctx(t), &ssmincidents.StartIncidentInput{ResponsePlanArn: aws.String(plan), Impact: aws.Int32(impact)})
		return err
	}
	for _, tc := range []struct {
		name   string
		call   func() error
		want   any
		status int
	}{
		{"impact 0", func() error { return start(incidentTestPlan, 0) }, &invalid, 400},
		{"impact 6", func() error { return start(incidentTestPlan, 6) }, &invalid, 400},
		{"not a plan", func() error { return start("arn:aws:ssm-contacts:us-west-2:123456789012:contact/oncall", 2) }, &invalid, 400},
		{"no record", func() error {
			_, err := client.GetIncidentRecord(ctx(t), &ssmincidents.GetIncidentRecordInput{
				Arn: aws.String("arn:aws:ssm-incidents::123456789012:incident-record/regional-failover/nope")})
			return err
		}, &notFound, 404},
		// No replication set is simulated: a record is in the Region it
		// was started in.
		{"other Region", func() error {
			_, err := other.GetIncidentRecord(ctx(t), &ssmincidents.GetIncidentRecordInput{Arn: started.IncidentRecordArn})
			return err
		}, &notFound, 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); !errors.As(err, tc.want) || awsHTTPStatus(err) != tc.status {
				t.Fatalf("got %v (HTTP %d), want %T (HTTP %d)", err, awsHTTPStatus(err), tc.want, tc.status)
			}
		})
	}
	sb.faults.apply(Fault{Throttle: &Throttle{Service: "ssm-incidents", Rate: 1}})
	var throttled *incidenttypes.ThrottlingException
	if err := start(incidentTestPlan, 2); !errors.As(err, &throttled) {
		t.Fatalf("throttled: %v", err)
	}
}

// TestIncidentList lists incident records as a resumed incident.start does
// to find the one it opened: newest first, as summaries, with the filters
// ListIncidentRecords documents.
func TestIncidentList(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{})
	client := ssmincidents.NewFromConfig(awsConfig(t, url, "us-west-2"))
	start := func(title string, impact int32) string {
		t.Helper()
		out, err := client.StartIncident(ctx(t), &ssmincidents.StartIncidentInput{ResponsePlanArn: aws.String(incidentTestPlan),
			Title: aws.String(title), Impact: aws.Int32(impact)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.IncidentRecordArn)
	}
	older := start("run 1", 2)
	sb.clock.Advance(time.Hour)
	cut := sb.clock.Now()
	sb.clock.Advance(time.Minute)
	newer := start("run 2", 1)
	list := func(filters ...incidenttypes.Filter) []string {
		t.Helper()
		out, err := client.ListIncidentRecords(ctx(t), &ssmincidents.ListIncidentRecordsInput{Filters: filters})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, s := range out.IncidentRecordSummaries {
			got = append(got, aws.ToString(s.Arn)+" "+aws.ToString(s.Title)+" "+string(s.Status))
		}
		return got
	}
	want := []string{newer + " run 2 OPEN", older + " run 1 OPEN"}
	if got := list(); !slices.Equal(got, want) {
		t.Fatalf("all records %v, want %v", got, want)
	}
	after := incidenttypes.Filter{Key: aws.String("creationTime"), Condition: &incidenttypes.ConditionMemberAfter{Value: cut}}
	if got := list(after); !slices.Equal(got, want[:1]) {
		t.Errorf("created after %v: %v", cut, got)
	}
	impact := incidenttypes.Filter{Key: aws.String("impact"), Condition: &incidenttypes.ConditionMemberEquals{
		Value: &incidenttypes.AttributeValueListMemberIntegerValues{Value: []int32{2, 3}}}}
	if got := list(impact); !slices.Equal(got, want[1:]) {
		t.Errorf("impact 2 or 3: %v", got)
	}
	if got := list(after, impact); len(got) != 0 {
		t.Errorf("both filters: %v", got)
	}
	bad := incidenttypes.Filter{Key: aws.String("title"), Condition: &incidenttypes.ConditionMemberEquals{
		Value: &incidenttypes.AttributeValueListMemberStringValues{Value: []string{"run 1"}}}}
	if _, err := client.ListIncidentRecords(ctx(t), &ssmincidents.ListIncidentRecordsInput{Filters: []incidenttypes.Filter{bad}}); apiCode(err) != "ValidationException" {
		t.Errorf("a filter on title: %v, want ValidationException", err)
	}
	page, err := client.ListIncidentRecords(ctx(t), &ssmincidents.ListIncidentRecordsInput{MaxResults: aws.Int32(1)})
	if err != nil || len(page.IncidentRecordSummaries) != 1 || page.NextToken == nil {
		t.Fatalf("a page of one: %+v, %v", page, err)
	}
}
