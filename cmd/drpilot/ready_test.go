package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"

	"github.com/drpilot/drpilot/sandbox"
)

const pilotLight = "../../runbooks/ecommerce-pilot-light.toml"

// TestReadySandboxShippedScenario: a shipped runbook's own scenario is
// ready, and --json says so check by check.
func TestReadySandboxShippedScenario(t *testing.T) {
	t.Parallel()
	code, out, errOut := drpilot(t, "ready", "--sandbox", "--json", pilotLight)
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	var reports []readyReport
	if err := json.Unmarshal([]byte(out), &reports); err != nil || len(reports) != 1 {
		t.Fatalf("--json: %v\n%s", err, out)
	}
	r := reports[0]
	if !r.Ready || r.Runbook != "ecommerce-pilot-light" || r.Held != r.Total || r.Total < 10 {
		t.Fatalf("report %+v", r)
	}
	kinds := map[string]bool{}
	for _, c := range r.Checks {
		kinds[c.Check] = true
		if c.Check == "precondition" && (c.Step == "" || c.Call == "") {
			t.Errorf("a precondition without its step or call: %+v", c)
		}
	}
	for _, k := range []string{"identity", "precondition", "freshness", "permissions"} {
		if !kinds[k] {
			t.Errorf("no %s check in %+v", k, r.Checks)
		}
	}
}

// readyEndpoint serves the runbook's scenario over HTTP, as drpilot
// sandbox does, and points the standard AWS configuration at it.
func readyEndpoint(t *testing.T, scenario string) (*sandbox.Sandbox, aws.Config) {
	t.Helper()
	sc, err := sandbox.LoadScenario(scenario)
	if err != nil {
		t.Fatal(err)
	}
	sb, err := sandbox.NewFromScenario(sc, 0)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ENDPOINT_URL", srv.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion("us-west-2"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")),
		config.WithBaseEndpoint(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	return sb, cfg
}

// TestReadyReplicaRemovedAndBack is the "done when": against an
// endpoint (AWS_ENDPOINT_URL) serving the runbook's scenario without the
// orders read replica (the sandbox does not delete instances, so the
// scenario leaves it out), ready exits 1 naming the check; once the
// replica is created again through the SDK, 0. (The scenario with the
// replica is ready: TestReadySandboxShippedScenario, TestReadyPublish.)
func TestReadyReplicaRemovedAndBack(t *testing.T) {
	sb, cfg := readyEndpoint(t, "testdata/ready/no-replica.toml")
	ctx := context.Background()
	db := rds.NewFromConfig(cfg)
	code, out, errOut := drpilot(t, "ready", pilotLight)
	if code != exitFailed || !strings.Contains(out, "NOT READY") || !strings.Contains(out, "shop-orders-usw2") {
		t.Fatalf("replica removed: exit %d\n%s%s", code, out, errOut)
	}
	// The first line after the header is the worst: the replica's check.
	if first := strings.Split(out, "\n")[1]; !strings.Contains(first, "✗") || !strings.Contains(first, "rds:DescribeDBInstances") ||
		!strings.Contains(first, "does not exist") {
		t.Errorf("the failed check is not first: %q", first)
	}
	_, err := db.CreateDBInstanceReadReplica(ctx, &rds.CreateDBInstanceReadReplicaInput{DBInstanceIdentifier: aws.String("shop-orders-usw2"),
		SourceDBInstanceIdentifier: aws.String("arn:aws:rds:us-east-1:123456789012:db:shop-orders"), DBInstanceClass: aws.String("db.r6g.xlarge")})
	if err != nil {
		t.Fatal(err)
	}
	// A new replica takes a while to become available, on the sandbox's
	// clock as on AWS's.
	if err := sb.Clock().Advance(2 * time.Hour); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := drpilot(t, "ready", pilotLight); code != exitOK {
		t.Fatalf("replica back: exit %d\n%s%s", code, out, errOut)
	}
}

// TestReadyPublish: --publish puts the board's counts in CloudWatch in
// the recovery Region, readable back with the SDK.
func TestReadyPublish(t *testing.T) {
	_, cfg := readyEndpoint(t, "../../runbooks/scenarios/ecommerce-pilot-light.toml")
	code, out, errOut := drpilot(t, "ready", "--publish", "--json", pilotLight)
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	var reports []readyReport
	if err := json.Unmarshal([]byte(out), &reports); err != nil || len(reports) != 1 || !reports[0].Published {
		t.Fatalf("--json: %v\n%s", err, out)
	}
	cw := cloudwatch.NewFromConfig(cfg)
	for name, want := range map[string]int{"ReadinessHeld": reports[0].Held, "ReadinessTotal": reports[0].Total} {
		got, err := cw.GetMetricStatistics(context.Background(), &cloudwatch.GetMetricStatisticsInput{
			Namespace: aws.String("drpilot"), MetricName: aws.String(name),
			Dimensions: []cwtypes.Dimension{{Name: aws.String("Runbook"), Value: aws.String("ecommerce-pilot-light")}},
			StartTime:  aws.Time(time.Now().Add(-time.Hour)), EndTime: aws.Time(time.Now().Add(time.Hour)),
			Period: aws.Int32(60), Statistics: []cwtypes.Statistic{cwtypes.StatisticMaximum}})
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Datapoints) != 1 || int(aws.ToFloat64(got.Datapoints[0].Maximum)) != want {
			t.Errorf("%s: %+v, want %d", name, got.Datapoints, want)
		}
	}
}

// TestReadyBadInput: an unknown file, an invalid runbook (with check's
// diagnostics) and misused flags exit 2 before anything is sent.
func TestReadyBadInput(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"no-such-runbook.toml"}, "no-such-runbook.toml"},
		{[]string{"../../runbooks/testdata/broken/cycle.toml"}, "cycle"},
		{[]string{"--scenario", "x.toml", pilotLight}, "--scenario goes with --sandbox"},
		{[]string{"--sandbox", "--scenario", "no-such-scenario.toml", pilotLight}, "no-such-scenario.toml"},
	} {
		code, out, errOut := drpilot(t, append([]string{"ready"}, tc.args...)...)
		if code != exitBadInput || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, want 2 and %q\n%s%s", tc.args, code, tc.want, out, errOut)
		}
	}
}

// TestReadyTeam: a runbook with [runbook.team] is not ready while its
// lock table and audit bucket do not exist, and is once team init made
// them; against the sandbox and moto alike.
func TestReadyTeam(t *testing.T) {
	teamEndpoints(t, func(t *testing.T, endpoint string) {
		liveAgainst(t, endpoint)
		file, _ := teamBooks(t)
		code, out, errOut := drpilot(t, "ready", file)
		if code != exitFailed || !strings.Contains(out, "✗ team lock table") || !strings.Contains(out, "✗ team audit bucket") {
			t.Fatalf("before team init: exit %d\n%s%s", code, out, errOut)
		}
		if code, out, errOut := drpilot(t, "team", "init", file); code != exitOK {
			t.Fatalf("team init: exit %d\n%s%s", code, out, errOut)
		}
		code, out, errOut = drpilot(t, "ready", file)
		if code != exitOK || !strings.Contains(out, "✓ team lock table") || !strings.Contains(out, "✓ team audit bucket") {
			t.Fatalf("after team init: exit %d\n%s%s", code, out, errOut)
		}
	})
}

// TestReadyUnreachable: when AWS does not answer the identity check,
// ready says where it could not reach and what to check, and does not
// wait out every other check's retries on the same endpoint; it exits 1.
func TestReadyUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()
	liveAgainst(t, closed)
	code, out, errOut := drpilot(t, "ready", "../../runbooks/store-region-failover.toml")
	for _, want := range []string{"NOT READY, 0 of 2 hold", "? identity: cannot reach " + closed + " (Region ap-northeast-3)",
		"AWS_ENDPOINT_URL is " + closed, "? the rest of the board: not checked: AWS did not answer the identity check"} {
		if !strings.Contains(out, want) {
			t.Errorf("ready against a closed port lacks %q:\n%s%s", want, out, errOut)
		}
	}
	if code != exitFailed {
		t.Errorf("ready against a closed port: exit %d, want %d\n%s%s", code, exitFailed, out, errOut)
	}
	// No credentials to sign with: the same short board, saying so.
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	code, out, errOut = drpilot(t, "ready", "../../runbooks/store-region-failover.toml")
	if code != exitFailed || !strings.Contains(out, "? identity: no AWS credentials to sign with for Region ap-northeast-3") ||
		!strings.Contains(out, "? the rest of the board: not checked") {
		t.Errorf("ready without credentials: exit %d\n%s%s", code, out, errOut)
	}
}
