package steps

import (
	"strings"
	"testing"
)

// incidentRunbook opens an incident from a response plan.
func incidentRunbook(plan string) string {
	return stepRunbook(`
[[steps]]
id = "open-incident"
phase = "declare"
action = "incident.start"
doc = "Open the incident."
[steps.with]
response_plan_arn = "` + plan + `"
title = "Store systems: Region failover"
impact = 1
[steps.outputs]
incident = "IncidentRecordArn"
status = "IncidentRecord.Status"
impact = "IncidentRecord.Impact"
`)
}

const incidentPlan = "arn:aws:ssm-incidents::123456789012:response-plan/store-outage"

// incidentRecords returns the sandbox's incident records in eu-west-2.
func incidentRecords(t *testing.T, tr *testRun) map[string]any {
	t.Helper()
	records, _ := dig(sandboxState(t, tr), "ssm-incidents/eu-west-2", "incident_records").(map[string]any)
	return records
}

func TestIncidentStart(t *testing.T) {
	t.Parallel()
	tr := startRun(t, incidentRunbook(incidentPlan), "", runOptions{})
	succeeded(t, tr)
	out := doneEvent(t, tr, "open-incident").Outputs
	arn, _ := out["incident"].(string)
	if !strings.HasPrefix(arn, "arn:aws:ssm-incidents::123456789012:incident-record/store-outage/") ||
		out["status"] != "OPEN" || out["impact"] != float64(1) {
		t.Fatalf("outputs %v, want the record's ARN, OPEN and impact 1", out)
	}
	records := incidentRecords(t, tr)
	if len(records) != 1 || dig(records, arn, "title") != "Store systems: Region failover" {
		t.Errorf("the sandbox shows incident records %v, want one, %s, with the step's title", records, arn)
	}

	// A resumed run sends StartIncident again with the same client token,
	// and Incident Manager answers with the incident it opened.
	again := startRun(t, incidentRunbook(incidentPlan), "", runOptions{on: tr})
	succeeded(t, again)
	if n := sent(tr, "StartIncident"); n != 2 {
		t.Errorf("StartIncident sent %d times over two runs, want 2", n)
	}
	if records := incidentRecords(t, tr); len(records) != 1 {
		t.Errorf("after a second run the sandbox has %d incident records, want 1", len(records))
	}
	if got := doneEvent(t, again, "open-incident").Outputs["incident"]; got != arn {
		t.Errorf("second run's incident output %v, want the first run's %s", got, arn)
	}
}

func TestIncidentStartDryRun(t *testing.T) {
	t.Parallel()
	tr := startRun(t, incidentRunbook(incidentPlan), "", runOptions{mode: ModeDryRun})
	out := dryRunSentNothing(t, tr, "open-incident").Outputs
	if out["incident"] != "<simulated: steps.open-incident.incident>" || out["status"] != "OPEN" {
		t.Errorf("dry-run outputs %v, want a simulated ARN marker and OPEN", out)
	}
	if records := incidentRecords(t, tr); len(records) != 0 {
		t.Errorf("after a dry run the sandbox has %d incident records, want none", len(records))
	}
}

func TestIncidentStartRefused(t *testing.T) {
	t.Parallel()
	// The sandbox, like Incident Manager, refuses a plan name no plan can
	// have.
	plan := "arn:aws:ssm-incidents::123456789012:response-plan/store.outage"
	tr := startRun(t, incidentRunbook(plan), "", runOptions{})
	failedWith(t, tr, "open-incident", "response plan "+plan, "ValidationException")
}
