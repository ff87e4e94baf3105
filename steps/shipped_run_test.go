package steps

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/drpilot/drpilot/audit"
	"github.com/drpilot/drpilot/sandbox"
)

// The shipped runbooks run against their own scenarios, as
// `drpilot run runbooks/<id>.toml --sandbox --headless --yes` runs them:
// a live-like sandbox run that must complete and leave the recovery in the
// sandbox's state, and a dry run that must send nothing that changes
// anything while showing every change the sandbox run made.

// shippedCase is one shipped runbook and what its recovery leaves behind.
type shippedCase struct {
	id string
	// host is the public name whose answers must now come from the
	// recovery Region; changes are operations that must have succeeded.
	host    string
	changes []string // "service:Operation@region"
	// underTotalOutage is the outcome when the whole primary Region is
	// out, the harder variant of each scenario.
	underTotalOutage string
	// restores counts the steps that restore data to a point in time.
	restores int
}

var shippedCases = []shippedCase{
	{id: "store-region-failover", host: "pos-api.stores.example.jp",
		changes: []string{"rds:SwitchoverGlobalCluster|FailoverGlobalCluster@ap-northeast-3", "ecs:UpdateService@ap-northeast-3",
			"autoscaling:UpdateAutoScalingGroup@ap-northeast-3", "arc-region-switch:StartPlanExecution@us-east-1|ap-northeast-3", "sns:Publish@ap-northeast-3"},
		underTotalOutage: OutcomeSucceeded, restores: 1},
	{id: "ecs-fargate-failover", host: "api.booking.example.com",
		changes: []string{"rds:PromoteReadReplica@ap-southeast-4", "ecs:UpdateService@ap-southeast-4",
			"elasticloadbalancing:RegisterTargets@ap-southeast-4", "route53:ChangeResourceRecordSets@us-east-1", "sns:Publish@ap-southeast-4"},
		underTotalOutage: OutcomeSucceeded},
	{id: "backup-restore-rapid-recovery", host: "docstore.example.com",
		changes: []string{"backup:StartRestoreJob@eu-central-1", "ec2:AttachVolume@eu-central-1",
			"route53:ChangeResourceRecordSets@us-east-1", "sns:Publish@eu-central-1"},
		underTotalOutage: OutcomeSucceeded, restores: 2},
	{id: "ecommerce-pilot-light", host: "shop.example.com",
		changes: []string{"rds:PromoteReadReplica@us-west-2", "dynamodb:RestoreTableToPointInTime@us-west-2", "autoscaling:UpdateAutoScalingGroup@us-west-2",
			"route53:ChangeResourceRecordSets@us-east-1", "route53:UpdateHealthCheck@us-east-1", "sns:Publish@us-west-2"},
		// us-east-1 holds Route 53's control plane and the carts' backups:
		// a step the runbook asks about fails, and with nobody to ask the
		// run stops there, resumably.
		underTotalOutage: OutcomeFailed, restores: 2},
}

// readShipped returns a shipped runbook's source and its scenario's.
func readShipped(t *testing.T, id string) (string, string) {
	t.Helper()
	rb, err := os.ReadFile(filepath.Join("..", "runbooks", id+".toml"))
	if err != nil {
		t.Fatal(err)
	}
	sc, err := os.ReadFile(filepath.Join("..", "runbooks", "scenarios", id+".toml"))
	if err != nil {
		t.Fatal(err)
	}
	return string(rb), string(sc)
}

// TestShippedRunbooksRecoverInTheSandbox runs every shipped runbook at
// time scales 60 and 3600: at 3600 a step's two-minute timeout is 33 ms of
// real time, and only one clock (the sandbox's, with a real-time floor
// under each request) keeps the runs whole. Time scale 1 is the same code
// at real speed, for an hour; drpilot's own runs at it are in the notes.
func TestShippedRunbooksRecoverInTheSandbox(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the four shipped runbooks end to end")
	}
	t.Parallel()
	for _, c := range shippedCases {
		for _, scale := range []float64{60, 3600} {
			if c.id == "ecommerce-pilot-light" && scale == 3600 {
				// Its check-asset-replication holds the replica's canary
				// to the 15-minute RPO on the sandbox's clock, which at
				// 3600 runs out a quarter of a real second into the run:
				// whether the run gets there in time is the machine's
				// load, not drpilot's behaviour (it failed under -race on
				// two busy cores). At 60 the same check has 15 s.
				continue
			}
			t.Run(fmt.Sprintf("%s at %g", c.id, scale), func(t *testing.T) {
				t.Parallel()
				recoversInTheSandbox(t, c, scale)
			})
		}
	}
}

// recoversInTheSandbox runs a shipped runbook at a time scale and checks
// that every step is done, its changes were made, and its users are
// served from the recovery Region.
func recoversInTheSandbox(t *testing.T, c shippedCase, scale float64) {
	t.Helper()
	rbSrc, scSrc := readShipped(t, c.id)
	tr := startRun(t, rbSrc, scSrc, runOptions{timeScale: scale})
	if tr.err != nil || tr.summary.Outcome != OutcomeSucceeded {
		t.Fatalf("run: %v, outcome %s (%s), statuses %v", tr.err, tr.summary.Outcome, tr.summary.Reason, tr.exec.Status())
	}
	tr.verify()
	for i, st := range tr.exec.Status() {
		if st != StatusDone {
			t.Errorf("step %s is %s, want done", tr.exec.opts.Runbook.Steps[i].ID, st)
		}
	}
	for _, want := range c.changes {
		if !tr.succeeded(want) {
			t.Errorf("no successful %s in the sandbox's journal", want)
		}
	}
	recovery := tr.exec.opts.Runbook.Regions.Recovery
	if body := tr.web(t, c.host); !strings.Contains(body, recovery) {
		t.Errorf("https://%s/healthz does not answer from %s after the run: %q", c.host, recovery, body)
	}
	// Each restore records the moment it brought data back to, measured
	// on the sandbox's clock. (Its age is not held to the RPO here: at time
	// scale 3600 every real millisecond of the machine's own work is 3.6
	// simulated seconds, so the age depends on the machine's speed.)
	points := 0
	for _, ev := range readLog(t, tr.dir) {
		var d stepDoneData
		if ev.Type != audit.TypeStepDone || json.Unmarshal(ev.Data, &d) != nil || d.RecoveryPoint == nil {
			continue
		}
		points++
		if d.RecoveryPoint.AgeSeconds < 0 || d.RecoveryPoint.At.IsZero() || d.RecoveryPoint.How == "" {
			t.Errorf("step %s recorded a recovery point without its moment, age or how: %+v", ev.Step, d.RecoveryPoint)
		}
	}
	if points < c.restores {
		t.Errorf("%d steps recorded the point they restored to, want %d", points, c.restores)
	}
}

func TestShippedRunbooksDryRunSendNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the four shipped runbooks end to end")
	}
	t.Parallel()
	for _, c := range shippedCases {
		t.Run(c.id, func(t *testing.T) {
			t.Parallel()
			rbSrc, scSrc := readShipped(t, c.id)
			tr := startRun(t, rbSrc, scSrc, runOptions{mode: ModeDryRun, timeScale: 120})
			if tr.err != nil {
				t.Fatal(tr.err)
			}
			tr.verify()
			if sent := tr.mutatingRequests(); len(sent) > 0 {
				t.Fatalf("dry-run sent %d mutating requests, the first %s:%s", len(sent), sent[0].Service, sent[0].Operation)
			}
			shown := map[string]bool{}
			for _, e := range tr.rec.of(EventCallDone, "") {
				if e.Simulated {
					shown[e.Call.Operation+"@"+e.Call.Region] = true
				}
			}
			for _, want := range c.changes {
				if !anyOf(want, func(op string) bool { return shown[op] }) {
					t.Errorf("the dry run does not show %s", want)
				}
			}
			// Every change a sandbox run makes, the dry run shows.
			live := startRun(t, rbSrc, scSrc, runOptions{timeScale: 120})
			for _, e := range live.rec.of(EventCallDone, "") {
				if op := e.Call.Operation + "@" + e.Call.Region; e.Call.Error == "" && !shown[op] {
					t.Errorf("the sandbox run sent %s (step %s), and the dry run does not show it", op, e.Step)
				}
			}
		})
	}
}

// TestShippedRunbooksUnderTotalOutage runs each shipped runbook with its
// whole primary Region out: the steps that call it fail with a clear
// error naming the Region, and on_failure decides what follows: the run
// goes on past the failures the runbook allows, and stops, resumably and
// naming the decision it needs, at one it asks about.
func TestShippedRunbooksUnderTotalOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the four shipped runbooks end to end")
	}
	t.Parallel()
	for _, c := range shippedCases {
		t.Run(c.id, func(t *testing.T) {
			t.Parallel()
			rbSrc, scSrc := readShipped(t, c.id)
			rb, _ := parseRunbook(t, rbSrc)
			primary := rb.Regions.Primary
			totalOutage := func(_ *sandbox.Sandbox, endpoint string) {
				body := `{"outage": {"region": "` + primary + `"}}`
				resp, err := http.Post(endpoint+"/_sandbox/faults", "application/json", strings.NewReader(body))
				if err != nil || resp.StatusCode != http.StatusOK {
					t.Fatalf("inject the outage: %v %v", err, resp)
				}
				resp.Body.Close()
			}
			tr := startRun(t, rbSrc, scSrc, runOptions{timeScale: 120, setup: totalOutage})
			if tr.err != nil || tr.summary.Outcome != c.underTotalOutage {
				t.Fatalf("run: %v, outcome %s, want %s; statuses %v", tr.err, tr.summary.Outcome, c.underTotalOutage, tr.exec.Status())
			}
			tr.verify()
			clear := 0
			for _, e := range tr.rec.of(EventStepFailed, "") {
				if strings.Contains(e.Error, "ServiceUnavailable") && strings.Contains(e.Error, primary) {
					clear++
				}
			}
			if clear == 0 {
				t.Errorf("no step failed with ServiceUnavailable in %s", primary)
			}
			blocked := map[string]string{}
			for _, b := range tr.summary.Blocked {
				blocked[b.Step] = b.Because
			}
			for i, st := range tr.exec.Status() {
				switch {
				case st != StatusNotRun:
				case c.underTotalOutage == OutcomeSucceeded:
					t.Errorf("step %s did not run: every failure in this runbook lets the run go on", rb.Steps[i].ID)
				case blocked[rb.Steps[i].ID] == "":
					t.Errorf("step %s did not run, and the summary does not say why", rb.Steps[i].ID)
				}
			}
			if c.underTotalOutage == OutcomeFailed {
				if !tr.summary.Resumable || len(tr.summary.Needs) == 0 || tr.summary.Needs[0].Kind != NeedDecision {
					t.Errorf("the run stopped on a failure to decide, and says: resumable %v, needs %+v", tr.summary.Resumable, tr.summary.Needs)
				}
				if sent := tr.rec.of(EventStepDone, "tell-recovered"); len(sent) > 0 {
					t.Error("the contacts were told the shop recovered, after a failure nobody decided about")
				}
			}
		})
	}
}

// anyOf expands "svc:A|B@r1|r2" into its alternatives and reports whether
// ok holds for one of them.
func anyOf(spec string, ok func(string) bool) bool {
	opPart, regionPart, _ := strings.Cut(spec, "@")
	service, ops, _ := strings.Cut(opPart, ":")
	for _, op := range strings.Split(ops, "|") {
		for _, region := range strings.Split(regionPart, "|") {
			if ok(service + ":" + op + "@" + region) {
				return true
			}
		}
	}
	return false
}

// succeeded reports whether the sandbox answered one of spec's operations
// with success.
func (tr *testRun) succeeded(spec string) bool {
	entries, _ := tr.sb.Journal().Entries()
	return anyOf(spec, func(want string) bool {
		return slices.ContainsFunc(entries, func(e sandbox.Entry) bool {
			return e.Status < 300 && tr.serviceName(e.Service)+":"+e.Operation+"@"+e.Region == want
		})
	})
}

// serviceName maps the journal's signing names to IAM prefixes where they
// differ.
func (tr *testRun) serviceName(signing string) string {
	switch signing {
	case "monitoring":
		return "cloudwatch"
	}
	return signing
}

// web fetches https://host/healthz from the sandbox's simulated internet.
func (tr *testRun) web(t *testing.T, host string) string {
	t.Helper()
	resp, err := http.Get(sandbox.WebURL(tr.endpoint, "https://"+host+"/healthz"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.Status + " " + string(body)
}

// TestThrottlingStormCompletes runs through a storm in which half of all
// SSM calls are throttled: the SDK's retries and the steps' own, with
// backoff, carry the run to the end.
func TestThrottlingStormCompletes(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("format = 1\n[runbook]\nid = \"storm\"\ntitle = \"Storm\"\n[runbook.regions]\nprimary = \"eu-west-1\"\nrecovery = \"eu-west-2\"\n")
	for i := 0; i < 6; i++ {
		fmt.Fprintf(&b, "\n[[steps]]\nid = \"flag-%d\"\nphase = \"freeze\"\naction = \"ssm.put-parameter\"\nconfirm = \"none\"\nretries = 3\ntimeout = \"10m\"\ndoc = \"x\"\n"+
			"[steps.with]\nname = \"/storm/%d\"\nvalue = \"on\"\n[[steps.require]]\ncall = \"ssm:GetParameter\"\ninput = { Name = \"/storm/base\" }\nquery = \"Parameter.Value\"\nequals = \"calm\"\n", i, i)
	}
	scenario := "time_scale = 60\n[[create]]\nservice = \"ssm\"\nregion = \"eu-west-2\"\noperation = \"PutParameter\"\n" +
		"input = { Name = \"/storm/base\", Value = \"calm\", Type = \"String\" }\n[[faults]]\nthrottle = { service = \"ssm\", rate = 0.5 }\n"
	tr := startRun(t, b.String(), scenario, runOptions{timeScale: 60})
	if tr.summary.Outcome != OutcomeSucceeded {
		for _, e := range tr.rec.of(EventStepFailed, "") {
			t.Log(e.Step, e.Error)
		}
		t.Fatalf("outcome %s, statuses %v", tr.summary.Outcome, tr.exec.Status())
	}
	throttled := 0
	entries, _ := tr.sb.Journal().Entries()
	for _, e := range entries {
		if e.Fault != "" && e.Service == "ssm" {
			throttled++
		}
	}
	if throttled == 0 {
		t.Error("the storm throttled nothing: the test proves nothing")
	}
	tr.verify()
}
