package steps

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/drpilot/drpilot/policy"
	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/sandbox"
)

// The policy drpilot generates for a runbook is proven in the sandbox,
// which evaluates every request of the run's key against it as IAM would:
// the shipped runbooks run under their own policies with no denial, and
// every action a policy lists is one a request of the run needed — so
// removing any one of them denies that request — except the few a run
// needs only off its happy path, each named here with the path.

// sandboxKey is the access key id the test runs sign with.
const sandboxKey = "AKIDSANDBOX"

// offTheHappyPath are the actions a shipped runbook's policy must grant
// that a successful run from its scenario does not use, and why.
var offTheHappyPath = map[string]string{
	// incident.start and backup.start-restore look for what an
	// unanswered request made, only when resuming or retrying; opsitem.
	// create reads the OpsItem it finds it already made.
	"ssm-incidents:ListIncidentRecords": "incident.start's check before sending again",
	"backup:ListRestoreJobs":            "backup.start-restore's check before sending again",
	"ssm:GetOpsItem":                    "opsitem.create, when it finds the OpsItem it already created",
	// ecs-fargate-failover's parameter already holds the promoted
	// endpoint in its scenario: ssm.put-parameter finds it so and sends
	// nothing.
	"ssm:PutParameter": "ssm.put-parameter when the value differs",
}

// underPolicy runs a shipped runbook in mode with the policy drpilot
// generates for it held against the run's key, and returns the run.
func underPolicy(t *testing.T, id string, mode Mode, polMode policy.Mode) (*testRun, policy.Document) {
	t.Helper()
	rbSrc, scSrc := readShipped(t, id)
	_, plan := parseRunbook(t, rbSrc)
	doc := policy.For([]*runbooks.RunPlan{plan}, polMode).Policy
	raw, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := sandbox.ParsePolicy(raw)
	if err != nil {
		t.Fatalf("the generated policy does not parse as IAM policy: %v\n%s", err, raw)
	}
	tr := startRun(t, rbSrc, scSrc, runOptions{mode: mode, timeScale: 600, setup: func(sb *sandbox.Sandbox, _ string) {
		sb.SetPolicies(map[string]*sandbox.Policy{sandboxKey: parsed})
	}})
	return tr, doc
}

// denials lists the requests a policy denied, from the sandbox's journal.
func denials(tr *testRun) []sandbox.Entry {
	entries, _ := tr.sb.Journal().Entries()
	var out []sandbox.Entry
	for _, e := range entries {
		if e.Action != "" {
			out = append(out, e)
		}
	}
	return out
}

func TestShippedRunbooksRunUnderTheirGeneratedPolicy(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the four shipped runbooks end to end")
	}
	t.Parallel()
	for _, c := range shippedCases {
		t.Run(c.id, func(t *testing.T) {
			t.Parallel()
			tr, doc := underPolicy(t, c.id, ModeSandbox, policy.ModeLive)
			if d := denials(tr); len(d) > 0 {
				t.Fatalf("%d requests denied under the generated policy, the first %s on %s", len(d), d[0].Action, d[0].Resource)
			}
			if tr.err != nil || tr.summary.Outcome != OutcomeSucceeded {
				t.Fatalf("run under its policy: %v, outcome %s (%s)", tr.err, tr.summary.Outcome, tr.summary.Reason)
			}
			granted := tr.sb.Granted(sandboxKey)
			for _, s := range doc.Statement {
				for _, action := range s.Action {
					if granted[action] == 0 && offTheHappyPath[action] == "" {
						t.Errorf("the policy grants %s, which no request of the run needed: it is not least privilege", action)
					}
				}
			}
		})
	}
}

// TestARemovedActionIsDenied: the claim behind the count above, made for
// real on one runbook — without one action the run is denied it.
func TestARemovedActionIsDenied(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a shipped runbook end to end")
	}
	t.Parallel()
	const id, removed = "ecs-fargate-failover", "ecs:UpdateService"
	rbSrc, scSrc := readShipped(t, id)
	_, plan := parseRunbook(t, rbSrc)
	doc := policy.For([]*runbooks.RunPlan{plan}, policy.ModeLive).Policy
	for i := range doc.Statement {
		doc.Statement[i].Action = slices.DeleteFunc(doc.Statement[i].Action, func(a string) bool { return a == removed })
	}
	doc.Statement = slices.DeleteFunc(doc.Statement, func(s policy.Statement) bool { return len(s.Action) == 0 })
	raw, _ := json.Marshal(doc)
	parsed, err := sandbox.ParsePolicy(raw)
	if err != nil {
		t.Fatal(err)
	}
	tr := startRun(t, rbSrc, scSrc, runOptions{timeScale: 600, setup: func(sb *sandbox.Sandbox, _ string) {
		sb.SetPolicies(map[string]*sandbox.Policy{sandboxKey: parsed})
	}})
	d := denials(tr)
	if len(d) == 0 || d[0].Action != removed || tr.summary.Outcome == OutcomeSucceeded {
		t.Fatalf("without %s: denials %+v, outcome %s", removed, d, tr.summary.Outcome)
	}
}

// TestShippedDryRunsRunUnderTheirReadOnlyPolicy: a tabletop rehearsal
// needs only the read-only policy.
func TestShippedDryRunsRunUnderTheirReadOnlyPolicy(t *testing.T) {
	if testing.Short() {
		t.Skip("dry-runs the four shipped runbooks")
	}
	t.Parallel()
	for _, c := range shippedCases {
		t.Run(c.id, func(t *testing.T) {
			t.Parallel()
			tr, _ := underPolicy(t, c.id, ModeDryRun, policy.ModeDryRun)
			if d := denials(tr); len(d) > 0 {
				t.Fatalf("%d requests denied under the dry-run policy, the first %s on %s", len(d), d[0].Action, d[0].Resource)
			}
			if tr.err != nil {
				t.Fatal(tr.err)
			}
			if len(tr.sb.Granted(sandboxKey)) == 0 {
				t.Fatal("the dry run made no request under the policy")
			}
		})
	}
}
