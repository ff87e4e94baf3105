package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/drpilot/drpilot/internal/moto"
	"github.com/drpilot/drpilot/policy"
	"github.com/drpilot/drpilot/sandbox"
	"github.com/drpilot/drpilot/steps"
	"github.com/drpilot/drpilot/steps/awsclient"
)

// readyPolicy is `drpilot policy FILE`'s output, without the actions
// dropped, with the statement ready's own check needs when simulator is
// set: the policy a sandbox key is held to.
func readyPolicy(t *testing.T, file string, simulator bool, dropped ...string) *sandbox.Policy {
	t.Helper()
	code, out, errOut := drpilot(t, "policy", file)
	if code != exitOK {
		t.Fatalf("policy: exit %d\n%s", code, errOut)
	}
	var doc struct {
		Version   string
		Statement []map[string]any
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, st := range doc.Statement {
		actions, _ := st["Action"].([]any)
		kept := slices.DeleteFunc(actions, func(a any) bool { return slices.Contains(dropped, a.(string)) })
		found += len(actions) - len(kept)
		st["Action"] = kept
	}
	if found != len(dropped) {
		t.Fatalf("drpilot policy lists none of %v:\n%s", dropped, out)
	}
	doc.Statement = slices.DeleteFunc(doc.Statement, func(st map[string]any) bool { return len(st["Action"].([]any)) == 0 })
	if simulator {
		doc.Statement = append(doc.Statement, map[string]any{"Effect": "Allow", "Action": "iam:SimulatePrincipalPolicy", "Resource": "*"})
	}
	data, _ := json.Marshal(doc)
	p, err := sandbox.ParsePolicy(data)
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	return p
}

// permissionLines are the board's lines about permissions.
func permissionLines(out string) []string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "permissions:") || strings.Contains(l, "may not do") {
			lines = append(lines, l)
		}
	}
	return lines
}

// TestReadyPermissions: against a sandbox holding ready's key to the
// policy `drpilot policy` derives for the runbook, IAM's simulator finds
// every action allowed and the runbook ready; without one action, ready
// exits 1 naming it, its resource and the step that needs it; without
// iam:SimulatePrincipalPolicy, permissions are not checked and the exit
// code is what the rest says; a simulator that throttles leaves them
// unknown, which counts.
func TestReadyPermissions(t *testing.T) {
	sb, _ := readyEndpoint(t, "../../runbooks/scenarios/ecommerce-pilot-light.toml")
	hold := func(p *sandbox.Policy) { sb.SetPolicies(map[string]*sandbox.Policy{"AKIDTEST": p}) }

	hold(readyPolicy(t, pilotLight, true))
	code, out, errOut := drpilot(t, "ready", pilotLight)
	if lines := permissionLines(out); code != exitOK || len(lines) != 1 || !strings.Contains(lines[0], "✓ permissions: arn:aws:iam::123456789012:user/drpilot-sandbox may do all") {
		t.Fatalf("the full policy: exit %d, %q\n%s%s", code, lines, out, errOut)
	}
	if _, total := sb.Denials(); total != 0 {
		t.Errorf("ready was denied %d requests under the policy drpilot policy derived", total)
	}

	hold(readyPolicy(t, pilotLight, true, "rds:PromoteReadReplica"))
	code, out, errOut = drpilot(t, "ready", pilotLight)
	lines := permissionLines(out)
	if code != exitFailed || len(lines) != 1 {
		t.Fatalf("without rds:PromoteReadReplica: exit %d, %q\n%s%s", code, lines, out, errOut)
	}
	for _, want := range []string{"✗ promote-orders-replica rds:PromoteReadReplica:", "may not do rds:PromoteReadReplica on arn:aws:rds:us-west-2:123456789012:db:shop-orders-usw2 in us-west-2: implicitDeny", "needed by step promote-orders-replica"} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("the denied line %q does not say %q", lines[0], want)
		}
	}

	hold(readyPolicy(t, pilotLight, false))
	code, out, errOut = drpilot(t, "ready", pilotLight)
	lines = permissionLines(out)
	if code != exitOK || len(lines) != 1 || !strings.Contains(lines[0], "- permissions: not checked:") || !strings.Contains(lines[0], "may not call iam:SimulatePrincipalPolicy") {
		t.Fatalf("without iam:SimulatePrincipalPolicy: exit %d, %q\n%s%s", code, lines, out, errOut)
	}

	hold(readyPolicy(t, pilotLight, true))
	resp, err := http.Post(os.Getenv("AWS_ENDPOINT_URL")+"/_sandbox/faults", "application/json", strings.NewReader(`{"throttle":{"service":"iam","rate":1}}`))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /_sandbox/faults: %v %v", resp, err)
	}
	resp.Body.Close()
	code, out, errOut = drpilot(t, "ready", pilotLight)
	lines = permissionLines(out)
	if code != exitFailed || len(lines) != 1 || !strings.Contains(lines[0], "? permissions: could not be checked:") || !strings.Contains(lines[0], "Throttling") {
		t.Fatalf("a throttled simulator: exit %d, %q\n%s%s", code, lines, out, errOut)
	}
}

// TestReadyPermissionsNotServed: where nothing simulates the caller's
// policies — a sandbox whose keys are all administrators, or moto, which
// does not serve the simulator — permissions are one line, not checked,
// and ready's exit code is what the other checks make it.
func TestReadyPermissionsNotServed(t *testing.T) {
	t.Run("sandbox", func(t *testing.T) {
		readyEndpoint(t, "../../runbooks/scenarios/ecommerce-pilot-light.toml")
		code, out, errOut := drpilot(t, "ready", pilotLight)
		lines := permissionLines(out)
		if code != exitOK || len(lines) != 1 || !strings.Contains(lines[0], "- permissions: not checked: IAM's policy simulator cannot simulate the caller: NoSuchEntity") {
			t.Fatalf("exit %d, %q\n%s%s", code, lines, out, errOut)
		}
	})
	t.Run("moto", func(t *testing.T) {
		liveAgainst(t, moto.Start(t, "ready's permissions line against an endpoint without IAM's simulator is not checked against moto"))
		code, out, errOut := drpilot(t, "ready", "testdata/team/team-drill.toml")
		lines := permissionLines(out)
		// The team's table and bucket do not exist in a fresh moto: the
		// board fails on them, and the permissions line does not change
		// that. (moto names its caller arn:aws:sts::...:user/moto, which
		// is no principal IAM's simulator takes: not checked already.)
		if code != exitFailed || len(lines) != 1 || !strings.Contains(lines[0], "- permissions: not checked:") {
			t.Fatalf("exit %d, %q\n%s%s", code, lines, out, errOut)
		}
		// Asked about a user, moto answers the simulator 500, no AWS
		// error: an endpoint that does not serve it.
		cfg, err := config.LoadDefaultConfig(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		clients, err := awsclient.NewFactory(awsclient.Options{Config: cfg, DryRun: true, ReadOnly: steps.ReadOnly, MaxAttempts: 1})
		if err != nil {
			t.Fatal(err)
		}
		_, err = simulate(context.Background(), clients, "arn:aws:iam::123456789012:user/moto", question{actions: []string{"s3:GetObject"}})
		if status, detail := permissionsUnasked(err, "arn:aws:iam::123456789012:user/moto"); status != readyNotChecked ||
			!strings.Contains(detail, "the endpoint does not serve iam:SimulatePrincipalPolicy") {
			t.Errorf("moto's answer %v: %s %s", err, status, detail)
		}
	})
}

// TestSimulatedPrincipal: an assumed role's session is simulated as its
// role; users and roles as themselves; the root user, a federated user
// and what is not an ARN are not simulated, and say why.
func TestSimulatedPrincipal(t *testing.T) {
	t.Parallel()
	for caller, want := range map[string]string{
		"arn:aws:sts::123456789012:assumed-role/drpilot-dr/alice@example.com": "arn:aws:iam::123456789012:role/drpilot-dr",
		"arn:aws-us-gov:sts::123456789012:assumed-role/dr/i-0abc":             "arn:aws-us-gov:iam::123456789012:role/dr",
		"arn:aws:iam::123456789012:user/ops/bob":                              "arn:aws:iam::123456789012:user/ops/bob",
		"arn:aws:iam::123456789012:root":                                      "",
		"arn:aws:sts::123456789012:federated-user/carol":                      "",
		"not-an-arn": "",
	} {
		got, why := simulatedPrincipal(caller)
		if got != want || (got == "") != (why != "") {
			t.Errorf("%s: %q (%s), want %q", caller, got, why, want)
		}
	}
}

// TestSimulationQuestions: permissions are asked in batches of at most
// simulateBatch actions sharing resources, Region and condition keys; a
// Regional permission once per Region; ARNs for any account in the
// caller's; steps kept by action, without the runbook's id.
func TestSimulationQuestions(t *testing.T) {
	t.Parallel()
	var perms []policy.Permission
	for i := range simulateBatch + 1 {
		perms = append(perms, policy.Permission{Action: fmt.Sprintf("ssm:Get%03d", i), Resources: []string{"*"}, Regions: []string{"eu-west-2"}, Steps: []string{"rb/read"}})
	}
	perms = append(perms,
		policy.Permission{Action: "rds:PromoteReadReplica", Resources: []string{"arn:aws:rds:eu-west-2:*:db:orders"}, Regions: []string{"eu-west-1", "eu-west-2"}, Steps: []string{"rb/promote", "rb/again"}},
		policy.Permission{Action: "iam:PassRole", Resources: []string{"arn:aws:iam::*:role/restore"}, Steps: []string{"rb/restore"},
			Conditions: map[string]map[string][]string{"StringEquals": {"iam:PassedToService": {"backup.amazonaws.com"}}}})
	qs := simulationQuestions(perms, "210987654321")
	var got []string
	for _, q := range qs {
		got = append(got, fmt.Sprintf("%d %v %s %v %v", len(q.actions), q.resources, q.region, q.context, q.steps[q.actions[0]]))
	}
	want := []string{
		"50 [] eu-west-2 map[] [read]",
		"1 [] eu-west-2 map[] [read]",
		"1 [arn:aws:rds:eu-west-2:210987654321:db:orders] eu-west-1 map[] [promote again]",
		"1 [arn:aws:rds:eu-west-2:210987654321:db:orders] eu-west-2 map[] [promote again]",
		"1 [arn:aws:iam::210987654321:role/restore]  map[iam:PassedToService:backup.amazonaws.com] [restore]",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("questions\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestEvaluationResults: a result with per-resource decisions, as IAM
// gives for several resources of one action, is one decision per
// resource; one without is its own.
func TestEvaluationResults(t *testing.T) {
	t.Parallel()
	got := evaluationResults(map[string]any{"EvalActionName": "s3:GetObject", "EvalResourceName": "*", "EvalDecision": "implicitDeny",
		"ResourceSpecificResults": []any{
			map[string]any{"EvalResourceName": "arn:aws:s3:::a/x", "EvalResourceDecision": "allowed"},
			map[string]any{"EvalResourceName": "arn:aws:s3:::b/x", "EvalResourceDecision": "explicitDeny", "MissingContextValues": []any{"aws:SourceIp"}},
		}})
	if fmt.Sprint(got) != "[{s3:GetObject arn:aws:s3:::a/x allowed []} {s3:GetObject arn:aws:s3:::b/x explicitDeny [aws:SourceIp]}]" {
		t.Errorf("per resource: %v", got)
	}
	got = evaluationResults(map[string]any{"EvalActionName": "s3:ListBucket", "EvalResourceName": "arn:aws:s3:::a", "EvalDecision": "allowed"})
	if fmt.Sprint(got) != "[{s3:ListBucket arn:aws:s3:::a allowed []}]" {
		t.Errorf("one: %v", got)
	}
}
