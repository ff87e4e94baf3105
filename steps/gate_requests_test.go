package steps

import (
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
)

// What an approver is shown at a gate is what the step then sends: these
// tests run steps through the sandbox with an approver that keeps every
// gate, and hold each gate against the call.sent events of its step.

// callKey is a call as a gate shows it and as call.sent reports it: the
// operation, the Region, the input and the delivery, as JSON.
func callKey(t *testing.T, c CallInfo) string {
	t.Helper()
	b, err := json.Marshal(struct {
		Operation, Region string
		Input             map[string]any
		Delivery          *Delivery
	}{c.Operation, c.Region, c.Input, c.Delivery})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// checkGatesShowWhatIsSent checks every gate of a run: each shows at least
// one request with an input, or the step noted it had nothing to change;
// every call the step sent is one its gate showed, exactly; and every
// request the gate showed was sent, unless the step found nothing to
// change. It returns the actions whose gates it checked.
func checkGatesShowWhatIsSent(t *testing.T, tr *testRun, approver *scriptedApprover) []string {
	t.Helper()
	var actions []string
	for _, g := range approver.seen {
		if g.Confirm == "checklist" {
			continue // a manual step: a person acts, nothing is sent
		}
		ps := tr.exec.steps[tr.exec.opts.Runbook.StepIndex(g.Step)]
		actions = append(actions, ps.Action)
		unchanged := hasNote(tr, g.Step, "nothing to change") || hasNote(tr, g.Step, "already")
		if len(g.Calls) == 0 && !unchanged {
			t.Errorf("%s (%s): the gate shows no request, and the step did not say it had nothing to change", g.Step, ps.Action)
		}
		shown := map[string]bool{}
		for _, c := range g.Calls {
			if c.Operation == "" || len(c.Input) == 0 || c.Error != "" {
				t.Errorf("%s (%s): the gate shows %s with input %v (error %q)", g.Step, ps.Action, c.Operation, c.Input, c.Error)
			}
			shown[callKey(t, c)] = true
		}
		sent := map[string]bool{}
		for _, e := range tr.rec.of(EventCallSent, g.Step) {
			key := callKey(t, *e.Call)
			sent[key] = true
			if !shown[key] {
				t.Errorf("%s (%s) sent a request its gate did not show:\n sent %s\ngate showed %v", g.Step, ps.Action, key, slices.Sorted(mapKeys(shown)))
			}
		}
		for key := range shown {
			if !sent[key] && !unchanged {
				t.Errorf("%s (%s): the gate showed a request that was not sent: %s", g.Step, ps.Action, key)
			}
		}
	}
	return actions
}

func mapKeys(m map[string]bool) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// TestGatesShowWhatIsSent runs the shipped runbooks with their scenarios,
// and the restores they do not use, approving every gate, and checks each
// gate against what its step sent. Every mutating action of the catalogue
// must have been gated in one of them.
func TestGatesShowWhatIsSent(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the four shipped runbooks end to end")
	}
	t.Parallel()
	type run struct{ name, runbook, scenario string }
	var runs []run
	for _, c := range shippedCases {
		rb, sc := readShipped(t, c.id)
		runs = append(runs, run{c.id, rb, sc})
	}
	runs = append(runs,
		run{"ec2", restoreRunbook("eu-west-1", "eu-central-1", "1h", findSnapshot("completed"),
			createVolume("${steps.find-snapshot.snapshot_id}"), attachVolume("${steps.create-volume.volume_id}")), ec2Scenario},
		run{"rds-pitr", restoreRunbook("eu-west-1", "eu-central-1", "1h", rdsStep("r", "rds.restore-to-point-in-time", pitrWith, endpointOutput)), rdsScenario},
		run{"rds-snapshot", restoreRunbook("eu-west-1", "eu-central-1", "1h", rdsStep("r", "rds.restore-from-snapshot", snapshotWith, endpointOutput)), rdsScenario},
		run{"secretsmanager", restoreRunbook("eu-west-1", "eu-central-1", "1h", smStep("prod/orders-db")), smScenario},
		run{"docdb", restoreRunbook("eu-west-1", "eu-central-1", "1h",
			rdsStep("d", "docdb.failover-global-cluster", docdbFailoverWith, failoverOutputs)), docdbScenario},
		run{"fis", fisGameDay(), fisScenario},
		run{"opensearch", restoreSearchRunbook("latest", ""), restoreSearchScenario},
		run{"elasticache", restoreRunbook("eu-west-1", "eu-central-1", "1h",
			rdsStep("c", "elasticache.failover-global-datastore", cacheFailoverWith, cacheFailoverOutputs)), cacheScenario},
		run{"cloudformation", deployStackRunbook(shopTemplate, ""), ""},
	)
	var mu sync.Mutex
	gated := map[string]bool{}
	t.Run("runs", func(t *testing.T) {
		for _, r := range runs {
			t.Run(r.name, func(t *testing.T) {
				t.Parallel()
				approver := &scriptedApprover{}
				tr := startRun(t, r.runbook, r.scenario, runOptions{approver: approver, timeScale: 120})
				succeeded(t, tr)
				actions := checkGatesShowWhatIsSent(t, tr, approver)
				mu.Lock()
				defer mu.Unlock()
				for _, a := range actions {
					gated[a] = true
				}
			})
		}
	})
	if t.Failed() {
		return
	}
	for _, spec := range Default().Actions() {
		if (spec.Mutating || spec.OperationParam != "") && !gated[spec.Name] {
			t.Errorf("no run gated a %s step: add one, so that its gate is checked", spec.Name)
		}
	}
}

// TestNotifyGateShowsEachDelivery: a notify step's gate names, for each
// delivery, the contact and its name, the channel and its address, and
// the subject and message as that channel sends them; a delivery that
// cannot be sent says why before anyone approves it.
func TestNotifyGateShowsEachDelivery(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("Orders are served from the recovery Region. ", 3)
	src := notifyRunbook(`["commander", "oncall"]`, `from = "DR bridge <dr@example.com>"`)
	src = strings.Replace(src, `subject = "Shop is back"`, `subject = "`+long+`"`, 1)
	approver := &scriptedApprover{}
	tr := startRun(t, src, notifyScenario, runOptions{approver: approver})
	succeeded(t, tr)
	if len(approver.seen) != 1 {
		t.Fatalf("gates %+v", approver.seen)
	}
	message := "Served from eu-west-2 (run test-run)."
	want := []Delivery{
		{Contact: "commander", Name: "Incident commander", Channel: "email", Address: "ic@example.com", Subject: long, Message: message},
		{Contact: "commander", Name: "Incident commander", Channel: "ssm_contact", Address: "arn:aws:ssm-contacts:eu-west-2:123456789012:contact/shop-ic", Subject: long, Message: message},
		{Contact: "oncall", Name: "Shop on-call", Channel: "sns_topic", Address: "arn:aws:sns:eu-west-2:123456789012:shop-oncall", Subject: snsSubject(long), Message: message},
		{Contact: "oncall", Name: "Shop on-call", Channel: "webhook", Address: "https://hooks.example.com/services/shop/dr", Subject: long, Message: message},
	}
	calls := approver.seen[0].Calls
	if len(calls) != len(want) {
		t.Fatalf("the gate shows %d calls, want one per delivery: %+v", len(calls), calls)
	}
	ops := []string{"ses:SendEmail", "ssm-contacts:StartEngagement", "sns:Publish", "webhook:POST"}
	for i, c := range calls {
		if c.Delivery == nil || *c.Delivery != want[i] || c.Operation != ops[i] {
			t.Errorf("call %d: %s %+v, want %s %+v", i, c.Operation, c.Delivery, ops[i], want[i])
		}
	}
	if in := calls[2].Input; in["Subject"] != snsSubject(long) || in["Message"] != message || in["TopicArn"] != want[2].Address {
		t.Errorf("sns:Publish input %v", in)
	}
	if len(snsSubject(long)) >= len(long) {
		t.Fatal("the test's subject is short enough for SNS: it shows nothing")
	}
	checkGatesShowWhatIsSent(t, tr, approver)

	// Without a sender, the email cannot be sent: the gate says so.
	approver = &scriptedApprover{}
	tr = startRun(t, notifyRunbook(`["commander"]`, ""), notifyScenario, runOptions{approver: approver})
	succeeded(t, tr)
	if calls := approver.seen[0].Calls; len(calls) != 2 || !strings.Contains(calls[0].Error, "set from") || calls[1].Error != "" {
		t.Errorf("gate without from: %+v", calls)
	}
}
