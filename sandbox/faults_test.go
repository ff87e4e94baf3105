package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

func postJSON(t *testing.T, url string, v any) *http.Response {
	t.Helper()
	body, _ := json.Marshal(v)
	resp, err := http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// TestFaultsThroughTheAdminAPI injects an outage and throttling through
// POST /_sandbox/faults and checks what clients see and what the journal
// records.
func TestFaultsThroughTheAdminAPI(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t, Options{})
	primary := rds.NewFromConfig(awsConfig(t, url, "us-east-1"))
	recovery := rds.NewFromConfig(awsConfig(t, url, "us-west-2"))
	if resp := postJSON(t, url+"/_sandbox/faults", Fault{Outage: &Outage{Region: "us-east-1"}}); resp.StatusCode != 200 {
		t.Fatalf("POST outage: %d", resp.StatusCode)
	}
	if _, err := primary.DescribeDBInstances(ctx(t), &rds.DescribeDBInstancesInput{}); apiCode(err) != "ServiceUnavailable" {
		t.Fatalf("call into the out Region: %v", err)
	}
	if _, err := recovery.DescribeDBInstances(ctx(t), &rds.DescribeDBInstancesInput{}); err != nil {
		t.Fatalf("the other Region must work: %v", err)
	}
	postJSON(t, url+"/_sandbox/faults", Fault{Throttle: &Throttle{Service: "dynamodb", Rate: 1}})
	ddb := dynamodb.NewFromConfig(awsConfig(t, url, "us-west-2"))
	if _, err := ddb.DescribeTable(ctx(t), &dynamodb.DescribeTableInput{TableName: aws.String("x")}); apiCode(err) != "ThrottlingException" {
		t.Fatalf("throttled DynamoDB: %v", err)
	}
	if resp := postJSON(t, url+"/_sandbox/faults", map[string]any{"throttle": map[string]any{"service": "rds", "rate": 2}}); resp.StatusCode != 400 {
		t.Fatalf("a rate of 2 was accepted: %d", resp.StatusCode)
	}
	resp, err := http.Get(url + "/_sandbox/journal")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var journal struct {
		Total   int     `json:"total"`
		Entries []Entry `json:"entries"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&journal); err != nil {
		t.Fatal(err)
	}
	if journal.Total != 3 || len(journal.Entries) != 3 {
		t.Fatalf("journal = %+v", journal)
	}
	first, third := journal.Entries[0], journal.Entries[2]
	if first.Region != "us-east-1" || first.Service != "rds" || first.Operation != "DescribeDBInstances" || first.Status != 503 || first.Fault != "outage" || first.Mutating {
		t.Errorf("first entry = %+v", first)
	}
	if third.ErrorCode != "ThrottlingException" || third.Fault != "throttle" || third.Status != 400 {
		t.Errorf("third entry = %+v", third)
	}
}

// TestPartialOutage limits an outage to some services: theirs fail, the
// others answer, and the Region's application is down either way.
func TestPartialOutage(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t, Options{})
	if resp := postJSON(t, url+"/_sandbox/faults", Fault{Outage: &Outage{Region: "us-east-1", Services: []string{"nope"}}}); resp.StatusCode != 400 {
		t.Fatalf("an unknown service was accepted: %d", resp.StatusCode)
	}
	if resp := postJSON(t, url+"/_sandbox/faults", Fault{Outage: &Outage{Region: "us-east-1", Services: []string{"rds"}}}); resp.StatusCode != 200 {
		t.Fatalf("POST partial outage: %d", resp.StatusCode)
	}
	if _, err := rds.NewFromConfig(awsConfig(t, url, "us-east-1")).DescribeDBInstances(ctx(t), &rds.DescribeDBInstancesInput{}); apiCode(err) != "ServiceUnavailable" {
		t.Fatalf("RDS in the Region: %v", err)
	}
	ddb := dynamodb.NewFromConfig(awsConfig(t, url, "us-east-1"))
	if _, err := ddb.DescribeTable(ctx(t), &dynamodb.DescribeTableInput{TableName: aws.String("x")}); apiCode(err) != "ResourceNotFoundException" {
		t.Fatalf("DynamoDB in the Region must answer: %v", err)
	}
	resp, err := http.Get(url + "/_sandbox/app/us-east-1/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("the Region's application answered %d during the outage", resp.StatusCode)
	}
}

// TestMalformedRequests: requests no SDK would send get AWS's errors.
func TestMalformedRequests(t *testing.T) {
	t.Parallel()
	sb := New(Options{})
	auth := func(region, svc string) string {
		return "AWS4-HMAC-SHA256 Credential=AKID/20261121/" + region + "/" + svc + "/aws4_request, SignedHeaders=host, Signature=00"
	}
	cases := []struct {
		name, authz, target, body string
		status                    int
		code                      string
	}{
		{"unsigned", "", "", "Action=DescribeDBInstances", 400, "MissingAuthenticationToken"},
		{"unknown service", auth("us-east-1", "kinesis"), "", "", 501, "NotImplemented"},
		{"unknown action", auth("us-east-1", "rds"), "", "Action=LaunchRockets&Version=2014-10-31", 501, "NotImplemented"},
		{"no action", auth("us-east-1", "rds"), "", "Version=2014-10-31", 400, "MissingAction"},
		{"bad form", auth("us-east-1", "rds"), "", "Action=DescribeDBInstances&%zz", 400, "MalformedQueryString"},
		{"bad list index", auth("us-east-1", "rds"), "", "Action=DescribeDBInstances&Filters.Filter.99999.Name=x", 400, "MalformedQueryString"},
		{"bad integer", auth("us-east-1", "rds"), "", "Action=DescribeDBInstances&MaxRecords=many", 400, "ValidationError"},
		{"bad json", auth("us-east-1", "dynamodb"), "DynamoDB_20120810.DescribeTable", "{nope", 400, "SerializationException"},
		{"wrong target", auth("us-east-1", "dynamodb"), "Other.DescribeTable", "{}", 400, "UnknownOperationException"},
		{"missing member", auth("us-east-1", "dynamodb"), "DynamoDB_20120810.DescribeTable", "{}", 400, "ValidationException"},
	}
	for _, tc := range cases {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tc.body))
		if tc.authz != "" {
			req.Header.Set("Authorization", tc.authz)
		}
		if tc.target != "" {
			req.Header.Set("X-Amz-Target", tc.target)
		}
		rec := httptest.NewRecorder()
		sb.ServeHTTP(rec, req)
		if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.code) {
			t.Errorf("%s: %d %s, want %d %s", tc.name, rec.Code, rec.Body.String(), tc.status, tc.code)
		}
	}
}

// TestLatencyOfAnswers: a latency fault on answers lets the call take
// effect at once and holds its answer, so that a client that gives up (or
// dies) meanwhile leaves the change made and unanswered; other Regions
// answer at once, and a client that gave up is not waited for.
func TestLatencyOfAnswers(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t, Options{})
	late := Fault{Latency: &Latency{Region: "us-east-1", Service: "ssm", MS: 600000, Answer: true}}
	if resp := postJSON(t, url+"/_sandbox/faults", late); resp.StatusCode != 200 {
		t.Fatalf("POST latency: %d", resp.StatusCode)
	}
	put := &ssm.PutParameterInput{Name: aws.String("/app/db"), Value: aws.String("orders-dr"), Type: ssmtypes.ParameterTypeString}
	if _, err := ssm.NewFromConfig(awsConfig(t, url, "us-west-2")).PutParameter(ctx(t), put); err != nil {
		t.Fatalf("another Region: %v", err)
	}
	callCtx, cancel := context.WithCancel(ctx(t))
	answered := make(chan error, 1)
	go func() {
		_, err := ssm.NewFromConfig(awsConfig(t, url, "us-east-1")).PutParameter(callCtx, put)
		answered <- err
	}()
	// The change shows in the state while its answer is held.
	for {
		region, _ := getSandboxState(t, url)["ssm/us-east-1"].(map[string]any)
		if params, _ := region["parameters"].(map[string]any); params["/app/db"] != nil {
			break
		}
		select {
		case err := <-answered:
			t.Fatalf("answered at once, the answer not held: %v", err)
		case <-time.After(5 * time.Millisecond):
		}
	}
	// A call of another Region is answered meanwhile; the held one is not.
	west := ssm.NewFromConfig(awsConfig(t, url, "us-west-2"))
	if _, err := west.GetParameter(ctx(t), &ssm.GetParameterInput{Name: aws.String("/app/db")}); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-answered:
		t.Fatalf("answered while the answer was held: %v", err)
	default:
	}
	cancel()
	if err := <-answered; !errors.Is(err, context.Canceled) {
		t.Fatalf("the client that gave up: %v", err)
	}
}
