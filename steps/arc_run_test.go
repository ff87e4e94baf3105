package steps

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
)

const arcPlan = "arn:aws:arc-region-switch::123456789012:plan/shop-failover:a1b2c3"

// arcScenario has a Region switch plan between eu-west-1 and eu-west-2.
const arcScenario = `
[[create]]
service   = "arc-region-switch"
region    = "eu-west-2"
operation = "CreatePlan"
id        = "` + arcPlan + `"
[create.input]
name             = "shop-failover"
executionRole    = "arn:aws:iam::123456789012:role/shop-arc"
recoveryApproach = "activePassive"
regions          = ["eu-west-1", "eu-west-2"]
primaryRegion    = "eu-west-1"
[[create.input.workflows]]
workflowTargetAction = "activate"
workflowTargetRegion = "eu-west-2"
steps = [{ name = "shop-dns", executionBlockType = "Route53HealthCheck", executionBlockConfiguration = { route53HealthCheckConfig = { hostedZoneId = "Z0EXAMPLE0SHOP", recordName = "shop.example.com", timeoutMinutes = 10 } } }]
`

// regionSwitchRunbook activates target with the plan.
func regionSwitchRunbook(plan, target string) string {
	return stepRunbook(fmt.Sprintf(`
[[steps]]
id      = "switch"
phase   = "switch"
action  = "arc.start-region-switch"
doc     = "x"
timeout = "30m"
[steps.with]
plan_arn      = %q
target_region = %q
action        = "activate"
mode          = "ungraceful"
comment       = "drpilot run ${run.id}"
[steps.outputs]
execution = "ExecutionId"
state     = "ExecutionState"
activated = "ActivateRegion"
`, plan, target))
}

// startExecution starts an execution of the plan as someone in the
// console would, and returns its id.
func startExecution(t *testing.T, tr *testRun, action, target string) string {
	t.Helper()
	out := invoke(t, tr, "arc-region-switch", "eu-west-2", "StartPlanExecution",
		map[string]any{"PlanArn": arcPlan, "TargetRegion": target, "Action": action})
	id, _ := out["ExecutionId"].(string)
	return id
}

func TestStartRegionSwitch(t *testing.T) {
	t.Parallel()
	t.Run("starts the execution and waits until it completes", func(t *testing.T) {
		t.Parallel()
		tr := startRun(t, regionSwitchRunbook(arcPlan, "eu-west-2"), arcScenario, runOptions{})
		succeeded(t, tr)
		out := outputsOf(t, tr, "switch")
		if out["state"] != "completed" || out["activated"] != "eu-west-2" || out["execution"] == nil {
			t.Errorf("outputs %v; want a completed execution that activated eu-west-2", out)
		}
		if n := journalCount(tr, "StartPlanExecution"); n != 1 {
			t.Errorf("StartPlanExecution sent %d times, want 1", n)
		}
		// The run resumed from the same start finds the completed
		// execution instead of starting another.
		again := prepareRun(t, regionSwitchRunbook(arcPlan, "eu-west-2"), "", runOptions{on: tr})
		again.exec.opts.StartedAt = tr.exec.opts.StartedAt
		finishRun(again)
		succeeded(t, again)
		if n := journalCount(again, "StartPlanExecution"); n != 1 {
			t.Errorf("StartPlanExecution sent %d times over two runs, want 1", n)
		}
		if got := outputsOf(t, again, "switch")["execution"]; got != out["execution"] {
			t.Errorf("the second run followed execution %v, want %v", got, out["execution"])
		}
		if !strings.Contains(notesOf(again, "switch"), "already completed") {
			t.Errorf("notes: %s", notesOf(again, "switch"))
		}
	})
	t.Run("waits on an execution already under way instead of starting another", func(t *testing.T) {
		t.Parallel()
		tr := prepareRun(t, regionSwitchRunbook(arcPlan, "eu-west-2"), arcScenario, runOptions{})
		id := startExecution(t, tr, "activate", "eu-west-2")
		finishRun(tr)
		succeeded(t, tr)
		if got := outputsOf(t, tr, "switch")["execution"]; got != id {
			t.Errorf("followed execution %v, want the one under way, %s", got, id)
		}
		if n := journalCount(tr, "StartPlanExecution"); n != 1 {
			t.Errorf("StartPlanExecution sent %d times, want only the console's", n)
		}
	})
	t.Run("an execution under way for another Region is an error", func(t *testing.T) {
		t.Parallel()
		tr := prepareRun(t, regionSwitchRunbook(arcPlan, "eu-west-2"), arcScenario, runOptions{})
		id := startExecution(t, tr, "deactivate", "eu-west-1")
		finishRun(tr)
		runFailedAt(t, tr, "switch", id, "deactivate eu-west-1", "one execution of a plan at a time")
	})
	t.Run("a failed execution fails the step", func(t *testing.T) {
		t.Parallel()
		scenario := arcScenario + "\n[[faults]]\noutage = { region = \"eu-west-1\" }\n"
		src := strings.Replace(regionSwitchRunbook(arcPlan, "eu-west-1"), `doc     = "x"`, "doc     = \"x\"\nregion  = \"recovery\"", 1)
		tr := startRun(t, src, scenario, runOptions{})
		runFailedAt(t, tr, "switch", "is failed", arcPlan, "ARC console")
	})
	t.Run("a paused execution is reported, and waited on", func(t *testing.T) {
		t.Parallel()
		tr := prepareRun(t, regionSwitchRunbook(arcPlan, "eu-west-2"), arcScenario, runOptions{})
		id := startExecution(t, tr, "activate", "eu-west-2")
		postFault(t, tr, fmt.Sprintf(`{"stuck": {"service": "arc-region-switch", "region": "global", "id": %q, "state": "pendingManualApproval"}}`, id))
		var once sync.Once
		tr.exec.opts.Observers = append(tr.exec.opts.Observers, ObserverFunc(func(e Event) {
			if e.Type == EventNote && strings.Contains(e.Message, "act on it in the ARC console") {
				once.Do(func() {
					postFault(t, tr, fmt.Sprintf(`{"stuck": {"service": "arc-region-switch", "region": "global", "id": %q, "state": ""}}`, id))
				})
			}
		}))
		finishRun(tr)
		succeeded(t, tr)
		if !strings.Contains(notesOf(tr, "switch"), "act on it in the ARC console") {
			t.Errorf("notes: %s", notesOf(tr, "switch"))
		}
	})
	t.Run("dry-run starts nothing", func(t *testing.T) {
		t.Parallel()
		tr := startRun(t, regionSwitchRunbook(arcPlan, "eu-west-2"), arcScenario, runOptions{mode: ModeDryRun})
		dryRunChangedNothing(t, tr, "switch")
		if out := outputsOf(t, tr, "switch"); out["activated"] != "eu-west-2" {
			t.Errorf("outputs %v", out)
		}
	})
	t.Run("a missing plan is named", func(t *testing.T) {
		t.Parallel()
		missing := "arn:aws:arc-region-switch::123456789012:plan/nope:zzzzzz"
		tr := startRun(t, regionSwitchRunbook(missing, "eu-west-2"), arcScenario, runOptions{})
		runFailedAt(t, tr, "switch", missing, "ResourceNotFoundException")
	})
}

// finishRun runs a prepared test run to the end.
func finishRun(tr *testRun) {
	tr.summary, tr.err = tr.exec.Run(context.Background())
}

// postFault adds or clears a sandbox fault.
func postFault(t *testing.T, tr *testRun, fault string) {
	t.Helper()
	resp, err := http.Post(tr.endpoint+"/_sandbox/faults", "application/json", bytes.NewReader([]byte(fault)))
	if err != nil {
		t.Error(err)
		return
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("fault %s: %s", fault, resp.Status)
	}
}
