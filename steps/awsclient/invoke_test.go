package awsclient

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/drpilot/drpilot/sandbox"
)

// startSandbox serves an empty sandbox over HTTP and returns a base
// configuration that reaches it through the standard chain, so that the
// tests pass with AWS_CA_BUNDLE set or unset.
func startSandbox(t *testing.T) (*sandbox.Sandbox, aws.Config) {
	t.Helper()
	sb := sandbox.New(sandbox.Options{})
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKIDSANDBOX", "sandbox-secret", "")),
		config.WithSharedConfigFiles([]string{}),
		config.WithSharedCredentialsFiles([]string{}),
		config.WithBaseEndpoint(srv.URL),
	)
	if err != nil {
		t.Fatal(err)
	}
	return sb, cfg
}

// readOnlyByVerb stands in for the steps classifier, which this package
// must not import.
func readOnlyByVerb(_, op string) bool {
	return strings.HasPrefix(op, "Describe") || strings.HasPrefix(op, "Get") || strings.HasPrefix(op, "List")
}

// sandboxFactory is a live-mode factory whose clients reach a fresh
// sandbox.
func sandboxFactory(t *testing.T) *Factory {
	t.Helper()
	_, cfg := startSandbox(t)
	f, err := NewFactory(Options{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestInvokeRoundTrip(t *testing.T) {
	t.Parallel()
	f := sandboxFactory(t)
	ctx := context.Background()
	_, err := f.Invoke(ctx, "ssm", "eu-west-1", "PutParameter", map[string]any{
		"Name": "/shop/maintenance", "Value": "on", "Type": "String", "Overwrite": true,
	})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := f.Invoke(ctx, "ssm", "eu-west-1", "GetParameter", map[string]any{"Name": "/shop/maintenance"})
	if err != nil {
		t.Fatal(err)
	}
	param, _ := resp.Output["Parameter"].(map[string]any)
	if param["Value"] != "on" || param["Type"] != "String" {
		t.Fatalf("GetParameter answered %v", resp.Output)
	}
	if resp.RequestID == "" {
		t.Error("no request id in the response")
	}
	if _, ok := resp.Output["ResultMetadata"]; ok {
		t.Error("the SDK's ResultMetadata leaked into the output")
	}
	// Another Region has its own parameters: the Region really changed.
	_, err = f.Invoke(ctx, "ssm", "eu-west-2", "GetParameter", map[string]any{"Name": "/shop/maintenance"})
	var ce *CallError
	if !errors.As(err, &ce) || ce.Code != "ParameterNotFound" || ce.Region != "eu-west-2" || ce.RequestID == "" {
		t.Fatalf("GetParameter in another Region: %v", err)
	}
}

func TestInvokeRefusesBadInput(t *testing.T) {
	t.Parallel()
	_, cfg := startSandbox(t)
	f, _ := NewFactory(Options{Config: cfg})
	for _, tc := range []struct {
		service, op string
		input       map[string]any
		want        string
	}{
		{"ssm", "GetParameter", map[string]any{"Nmae": "x"}, "unknown member"},
		{"autoscaling", "UpdateAutoScalingGroup", map[string]any{"AutoScalingGroupName": "web", "MinSize": "two"}, "member MinSize must be an integer"},
		{"route53", "GetHostedZones", nil, `route53 has no operation "GetHostedZones"`},
		{"apigateway", "GetRestApis", nil, `cannot call AWS service "apigateway"`},
	} {
		_, err := f.Invoke(context.Background(), tc.service, "us-east-1", tc.op, tc.input)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s:%s: got %v, want %q", tc.service, tc.op, err, tc.want)
		}
	}
}

func TestDryRunGuardSendsNothingMutating(t *testing.T) {
	t.Parallel()
	sb, cfg := startSandbox(t)
	f, err := NewFactory(Options{Config: cfg, DryRun: true, ReadOnly: readOnlyByVerb})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_, err = f.Invoke(ctx, "ssm", "us-east-1", "PutParameter", map[string]any{"Name": "/x", "Value": "y", "Type": "String"})
	var refused *RefusedError
	if !errors.As(err, &refused) || refused.Operation != "PutParameter" {
		t.Fatalf("PutParameter in dry-run: %v", err)
	}
	var ce *CallError
	if !errors.As(err, &ce) || ce.Retryable {
		t.Fatalf("a refusal must not be retried: %#v", ce)
	}
	if _, err := f.Invoke(ctx, "rds", "us-east-1", "DescribeDBInstances", nil); err != nil {
		t.Fatal(err)
	}
	// The guard sits on the clients, not in Invoke: a client taken from
	// the factory and used directly is guarded too.
	c, err := f.Client("ssm", "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.(*ssm.Client).DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String("/x")})
	if !errors.As(err, &refused) {
		t.Fatalf("DeleteParameter on the client in dry-run: %v", err)
	}
	entries, _ := sb.Journal().Entries()
	for _, e := range entries {
		if e.Mutating {
			t.Errorf("dry-run sent %s:%s", e.Service, e.Operation)
		}
	}
	if len(entries) != 1 {
		t.Errorf("journal has %d requests, want the one read", len(entries))
	}
}

func TestOperationsListTheSDKClients(t *testing.T) {
	t.Parallel()
	if !HasOperation("elbv2", "DescribeTargetHealth") || !HasOperation("route53", "ChangeResourceRecordSets") {
		t.Error("known operations are missing")
	}
	if HasOperation("route53", "GetHostedZones") || HasOperation("nope", "X") {
		t.Error("made-up operations are listed")
	}
	for _, s := range Services() {
		if len(Operations(s)) == 0 {
			t.Errorf("service %s has no operations", s)
		}
	}
}
