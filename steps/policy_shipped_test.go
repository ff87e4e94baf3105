package steps

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
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
	return runUnder(t, rbSrc, scSrc, doc, mode), doc
}

// runUnder runs a runbook in the sandbox (in mode, sandbox by default)
// with doc held against the run's key.
func runUnder(t *testing.T, rbSrc, scSrc string, doc policy.Document, mode ...Mode) *testRun {
	t.Helper()
	raw, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := sandbox.ParsePolicy(raw)
	if err != nil {
		t.Fatalf("the policy does not parse as IAM policy: %v\n%s", err, raw)
	}
	o := runOptions{timeScale: 600, setup: func(sb *sandbox.Sandbox, _ string) {
		sb.SetPolicies(map[string]*sandbox.Policy{sandboxKey: parsed})
	}}
	if len(mode) > 0 {
		o.mode = mode[0]
	}
	return startRun(t, rbSrc, scSrc, o)
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
	doc := without(policy.For([]*runbooks.RunPlan{plan}, policy.ModeLive).Policy, removed)
	tr := runUnder(t, rbSrc, scSrc, doc)
	d := denials(tr)
	if len(d) == 0 || d[0].Action != removed || tr.summary.Outcome == OutcomeSucceeded {
		t.Fatalf("without %s: denials %+v, outcome %s", removed, d, tr.summary.Outcome)
	}
}

// without is a policy with one action removed from every statement.
func without(doc policy.Document, removed string) policy.Document {
	out := policy.Document{Version: doc.Version}
	for _, s := range doc.Statement {
		s.Action = slices.DeleteFunc(slices.Clone(s.Action), func(a string) bool { return a == removed })
		if len(s.Action) > 0 {
			out.Statement = append(out.Statement, s)
		}
	}
	return out
}

// TestResumePathsRunUnderTheGeneratedPolicy: the actions a policy grants
// for a resumed step's check before acting (offTheHappyPath) are needed on
// that path: a step resumed after its request went unanswered finds what
// the request made under the generated policy, with no denial, and
// without the check's action it is denied.
func TestResumePathsRunUnderTheGeneratedPolicy(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ src, scenario, step, operation, check string }{
		{incidentRunbook(incidentPlan), "", "open-incident", "ssm-incidents:StartIncident", "ssm-incidents:ListIncidentRecords"},
		{restoreRunbook("eu-west-1", "eu-central-1", "2h", restoreDBStep), backupScenario, "restore-db", "backup:StartRestoreJob", "backup:ListRestoreJobs"},
		{opsItemRunbook(), "", "open-opsitem", "ssm:CreateOpsItem", "ssm:GetOpsItem"},
	} {
		t.Run(c.check, func(t *testing.T) {
			t.Parallel()
			if offTheHappyPath[c.check] == "" {
				t.Fatalf("%s is not listed as needed off the happy path", c.check)
			}
			_, plan := parseRunbook(t, c.src)
			full := policy.For([]*runbooks.RunPlan{plan}, policy.ModeLive).Policy
			for _, run := range []struct {
				doc  policy.Document
				full bool
			}{{full, true}, {without(full, c.check), false}} {
				doc := run.doc
				interrupted, _ := sentNeverAnswered(t, c.src, c.scenario, c.step)
				raw, _ := json.Marshal(doc)
				parsed, err := sandbox.ParsePolicy(raw)
				if err != nil {
					t.Fatal(err)
				}
				interrupted.sb.SetPolicies(map[string]*sandbox.Policy{sandboxKey: parsed})
				resumed := resumeUnanswered(t, c.src, interrupted, c.step, c.operation)
				denied := denials(resumed)
				if run.full {
					if len(denied) > 0 || resumed.sb.Granted(sandboxKey)[c.check] == 0 {
						t.Errorf("under the full policy: denials %+v, %s granted %d times", denied, c.check, resumed.sb.Granted(sandboxKey)[c.check])
					}
					continue
				}
				if !slices.ContainsFunc(denied, func(e sandbox.Entry) bool { return e.Action == c.check }) {
					t.Errorf("without %s: denials %+v", c.check, denied)
				}
			}
		})
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

// TestANewUsersRunbookRunsUnderItsGeneratedPolicy: a game-day runbook a
// new user wrote from the docs alone (S3 replication, FIS, DocumentDB,
// Secrets Manager, ElastiCache, the newest RDS snapshot, OpenSearch) runs
// under the policy drpilot generates for it with no denial: the generated
// ARNs and IAM names are the ones the enforcing sandbox checks.
func TestANewUsersRunbookRunsUnderItsGeneratedPolicy(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a game day end to end")
	}
	t.Parallel()
	rb, err := os.ReadFile("testdata/newuser/catalog-gameday.toml")
	if err != nil {
		t.Fatal(err)
	}
	sc, err := os.ReadFile("testdata/newuser/catalog-gameday.scenario.toml")
	if err != nil {
		t.Fatal(err)
	}
	_, plan := parseRunbook(t, string(rb))
	tr := runUnder(t, string(rb), string(sc), policy.For([]*runbooks.RunPlan{plan}, policy.ModeLive).Policy)
	if d := denials(tr); len(d) > 0 {
		t.Fatalf("%d requests denied under the generated policy, the first %s on %s", len(d), d[0].Action, d[0].Resource)
	}
	if tr.err != nil || tr.summary.Outcome != OutcomeSucceeded {
		t.Fatalf("run: %v, outcome %s (%s)", tr.err, tr.summary.Outcome, tr.summary.Reason)
	}
}

// TestAChangedParameterNeedsPutParameter: ecs-fargate-failover's
// parameter step sends nothing when the parameter already holds the
// promoted endpoint (its scenario); when it holds another, the step
// writes it, under the generated policy, and is denied without the grant.
func TestAChangedParameterNeedsPutParameter(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a shipped runbook end to end")
	}
	t.Parallel()
	rbSrc, scSrc := readShipped(t, "ecs-fargate-failover")
	const held = `Value = "booking-db-apse4.c0sandbox0.ap-southeast-4.rds.amazonaws.com"`
	if !strings.Contains(scSrc, held) {
		t.Fatal("the scenario no longer sets /booking/db-host as this test expects")
	}
	scSrc = strings.Replace(scSrc, held, `Value = "booking-db-old.example.internal"`, 1)
	_, plan := parseRunbook(t, rbSrc)
	full := policy.For([]*runbooks.RunPlan{plan}, policy.ModeLive).Policy
	tr := runUnder(t, rbSrc, scSrc, full)
	if d := denials(tr); len(d) > 0 || tr.sb.Granted(sandboxKey)["ssm:PutParameter"] == 0 || tr.summary.Outcome != OutcomeSucceeded {
		t.Fatalf("under the full policy: denials %+v, PutParameter granted %d times, outcome %s", d, tr.sb.Granted(sandboxKey)["ssm:PutParameter"], tr.summary.Outcome)
	}
	tr = runUnder(t, rbSrc, scSrc, without(full, "ssm:PutParameter"))
	if !slices.ContainsFunc(denials(tr), func(e sandbox.Entry) bool { return e.Action == "ssm:PutParameter" }) {
		t.Errorf("without ssm:PutParameter: denials %+v", denials(tr))
	}
}
