package sandbox

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

var ssmTestStart = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func ssmPut(t *testing.T, client *ssm.Client, in *ssm.PutParameterInput) *ssm.PutParameterOutput {
	t.Helper()
	out, err := client.PutParameter(ctx(t), in)
	if err != nil {
		t.Fatalf("PutParameter %s: %v", aws.ToString(in.Name), err)
	}
	return out
}

// TestSSMParameterVersions: a parameter is created once, overwritten only
// with Overwrite, each write a new version, every version readable by
// selector, and parameters are per Region.
func TestSSMParameterVersions(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t, Options{TimeScale: 1, Start: ssmTestStart})
	client := ssm.NewFromConfig(awsConfig(t, url, "us-east-1"))
	name := aws.String("/orders/db/endpoint")
	out := ssmPut(t, client, &ssm.PutParameterInput{Name: name, Value: aws.String("primary.example"), Type: ssmtypes.ParameterTypeString})
	if out.Version != 1 || out.Tier != ssmtypes.ParameterTierStandard {
		t.Fatalf("first put = %+v", out)
	}
	_, err := client.PutParameter(ctx(t), &ssm.PutParameterInput{Name: name, Value: aws.String("x"), Type: ssmtypes.ParameterTypeString})
	var exists *ssmtypes.ParameterAlreadyExists
	if !errors.As(err, &exists) {
		t.Fatalf("put without Overwrite: %v", err)
	}
	if out := ssmPut(t, client, &ssm.PutParameterInput{Name: name, Value: aws.String("recovery.example"), Overwrite: aws.Bool(true)}); out.Version != 2 {
		t.Fatalf("overwrite: version %d, want 2", out.Version)
	}
	got, err := client.GetParameter(ctx(t), &ssm.GetParameterInput{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	p := got.Parameter
	if aws.ToString(p.Value) != "recovery.example" || p.Version != 2 || p.Type != ssmtypes.ParameterTypeString ||
		aws.ToString(p.ARN) != "arn:aws:ssm:us-east-1:123456789012:parameter/orders/db/endpoint" ||
		aws.ToString(p.DataType) != "text" || p.LastModifiedDate == nil || p.LastModifiedDate.Before(ssmTestStart) {
		t.Fatalf("GetParameter = %+v", p)
	}
	old, err := client.GetParameter(ctx(t), &ssm.GetParameterInput{Name: aws.String("/orders/db/endpoint:1")})
	if err != nil || aws.ToString(old.Parameter.Value) != "primary.example" || aws.ToString(old.Parameter.Selector) != ":1" {
		t.Fatalf("version 1 by selector: %+v, %v", old, err)
	}
	byARN, err := client.GetParameter(ctx(t), &ssm.GetParameterInput{Name: p.ARN})
	if err != nil || aws.ToString(byARN.Parameter.Name) != aws.ToString(name) {
		t.Fatalf("by ARN: %+v, %v", byARN, err)
	}
	_, err = client.GetParameter(ctx(t), &ssm.GetParameterInput{Name: aws.String("/orders/db/endpoint:7")})
	var noVersion *ssmtypes.ParameterVersionNotFound
	if !errors.As(err, &noVersion) {
		t.Fatalf("missing version: %v", err)
	}
	west := ssm.NewFromConfig(awsConfig(t, url, "us-west-2"))
	_, err = west.GetParameter(ctx(t), &ssm.GetParameterInput{Name: name})
	var notFound *ssmtypes.ParameterNotFound
	if !errors.As(err, &notFound) {
		t.Fatalf("another Region's parameter: %v", err)
	}
}

// TestSSMParameterTypes: SecureString values are returned encrypted
// unless WithDecryption, the other types as written.
func TestSSMParameterTypes(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t, Options{})
	client := ssm.NewFromConfig(awsConfig(t, url, "eu-west-1"))
	for _, tc := range []struct {
		name, value string
		typ         ssmtypes.ParameterType
		decrypt     bool
		wantPlain   bool
	}{
		{"plain", "v1", ssmtypes.ParameterTypeString, false, true},
		{"hosts", "a.example,b.example", ssmtypes.ParameterTypeStringList, false, true},
		{"secret-encrypted", "hunter2", ssmtypes.ParameterTypeSecureString, false, false},
		{"secret-decrypted", "hunter2", ssmtypes.ParameterTypeSecureString, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ssmPut(t, client, &ssm.PutParameterInput{Name: aws.String(tc.name), Value: aws.String(tc.value), Type: tc.typ})
			got, err := client.GetParameter(ctx(t), &ssm.GetParameterInput{Name: aws.String(tc.name), WithDecryption: aws.Bool(tc.decrypt)})
			if err != nil {
				t.Fatal(err)
			}
			if got.Parameter.Type != tc.typ || (aws.ToString(got.Parameter.Value) == tc.value) != tc.wantPlain {
				t.Fatalf("GetParameter(WithDecryption=%v) = %s %q", tc.decrypt, got.Parameter.Type, aws.ToString(got.Parameter.Value))
			}
		})
	}
}

func TestSSMPutParameterValidation(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t, Options{})
	client := ssm.NewFromConfig(awsConfig(t, url, "us-east-1"))
	for _, tc := range []struct {
		desc string
		in   ssm.PutParameterInput
		code string
	}{
		{"no type on create", ssm.PutParameterInput{Name: aws.String("a"), Value: aws.String("v")}, "ValidationException"},
		{"reserved prefix", ssm.PutParameterInput{Name: aws.String("/aws/x"), Value: aws.String("v"), Type: ssmtypes.ParameterTypeString}, "ValidationException"},
		{"not fully qualified", ssm.PutParameterInput{Name: aws.String("a/b"), Value: aws.String("v"), Type: ssmtypes.ParameterTypeString}, "ValidationException"},
		{"too deep", ssm.PutParameterInput{Name: aws.String(strings.Repeat("/a", 16)), Value: aws.String("v"), Type: ssmtypes.ParameterTypeString}, "HierarchyLevelLimitExceededException"},
		{"too long for Standard", ssm.PutParameterInput{Name: aws.String("big"), Value: aws.String(strings.Repeat("x", 5000)), Type: ssmtypes.ParameterTypeString}, "ValidationException"},
		{"bad type", ssm.PutParameterInput{Name: aws.String("t"), Value: aws.String("v"), Type: "Number"}, "ValidationException"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			if _, err := client.PutParameter(ctx(t), &tc.in); apiCode(err) != tc.code {
				t.Fatalf("error %v, want %s", err, tc.code)
			}
		})
	}
	out := ssmPut(t, client, &ssm.PutParameterInput{Name: aws.String("big"), Value: aws.String(strings.Repeat("x", 5000)),
		Type: ssmtypes.ParameterTypeString, Tier: ssmtypes.ParameterTierAdvanced})
	if out.Tier != ssmtypes.ParameterTierAdvanced {
		t.Fatalf("advanced put = %+v", out)
	}
}

// TestSSMOpsItems: an OpsItem is created with an AWS-shaped id and read
// back with what it was given.
func TestSSMOpsItems(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t, Options{TimeScale: 1, Start: ssmTestStart})
	client := ssm.NewFromConfig(awsConfig(t, url, "us-west-2"))
	created, err := client.CreateOpsItem(ctx(t), &ssm.CreateOpsItemInput{
		Title: aws.String("Failover of orders to us-west-2"), Description: aws.String("drpilot run 42"),
		Source: aws.String("drpilot"), Priority: aws.Int32(2), Severity: aws.String("1"), Category: aws.String("Availability"),
		OperationalData: map[string]ssmtypes.OpsItemDataValue{"run": {Value: aws.String("42"), Type: ssmtypes.OpsItemDataTypeSearchableString}},
	})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(created.OpsItemId)
	if !regexp.MustCompile(`^oi-[0-9a-f]{12}$`).MatchString(id) ||
		aws.ToString(created.OpsItemArn) != "arn:aws:ssm:us-west-2:123456789012:opsitem/"+id {
		t.Fatalf("CreateOpsItem = %s %s", id, aws.ToString(created.OpsItemArn))
	}
	second, err := client.CreateOpsItem(ctx(t), &ssm.CreateOpsItemInput{Title: aws.String("t"), Description: aws.String("d"), Source: aws.String("s")})
	if err != nil || aws.ToString(second.OpsItemId) == id {
		t.Fatalf("second OpsItem: %+v, %v", second, err)
	}
	got, err := client.GetOpsItem(ctx(t), &ssm.GetOpsItemInput{OpsItemId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	it := got.OpsItem
	if aws.ToString(it.Title) != "Failover of orders to us-west-2" || aws.ToInt32(it.Priority) != 2 || aws.ToString(it.Severity) != "1" ||
		it.Status != ssmtypes.OpsItemStatusOpen || aws.ToString(it.OpsItemType) != "/aws/issue" ||
		aws.ToString(it.OperationalData["run"].Value) != "42" || it.CreatedTime == nil || it.CreatedTime.Before(ssmTestStart) {
		t.Fatalf("GetOpsItem = %+v", it)
	}
	_, err = client.GetOpsItem(ctx(t), &ssm.GetOpsItemInput{OpsItemId: aws.String("oi-000000000000")})
	var notFound *ssmtypes.OpsItemNotFoundException
	if !errors.As(err, &notFound) {
		t.Fatalf("missing OpsItem: %v", err)
	}
	for _, in := range []*ssm.GetOpsItemInput{{OpsItemId: aws.String("not-an-id")}} {
		if _, err := client.GetOpsItem(ctx(t), in); apiCode(err) != "ValidationException" {
			t.Fatalf("GetOpsItem(%s): %v", aws.ToString(in.OpsItemId), err)
		}
	}
	_, err = client.CreateOpsItem(ctx(t), &ssm.CreateOpsItemInput{Title: aws.String("t"), Description: aws.String("d"),
		Source: aws.String("s"), Priority: aws.Int32(9)})
	if apiCode(err) != "ValidationException" {
		t.Fatalf("priority 9: %v", err)
	}
	// DescribeOpsItems finds the OpsItem a step created by its
	// OperationalData, as the executor's check-before-act does.
	found, err := client.DescribeOpsItems(ctx(t), &ssm.DescribeOpsItemsInput{OpsItemFilters: []ssmtypes.OpsItemFilter{
		{Key: ssmtypes.OpsItemFilterKeyOperationalData, Operator: ssmtypes.OpsItemFilterOperatorEqual, Values: []string{`{"key":"run","value":"42"}`}},
		{Key: ssmtypes.OpsItemFilterKeyStatus, Operator: ssmtypes.OpsItemFilterOperatorEqual, Values: []string{"Open"}},
	}})
	if err != nil || len(found.OpsItemSummaries) != 1 || aws.ToString(found.OpsItemSummaries[0].OpsItemId) != id {
		t.Fatalf("DescribeOpsItems by OperationalData: %+v %v", found, err)
	}
	byTitle, err := client.DescribeOpsItems(ctx(t), &ssm.DescribeOpsItemsInput{OpsItemFilters: []ssmtypes.OpsItemFilter{
		{Key: ssmtypes.OpsItemFilterKeyTitle, Operator: ssmtypes.OpsItemFilterOperatorContains, Values: []string{"Failover"}}}})
	if err != nil || len(byTitle.OpsItemSummaries) != 1 {
		t.Fatalf("DescribeOpsItems by title: %+v %v", byTitle, err)
	}
}
