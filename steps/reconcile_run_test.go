package steps

import (
	"context"
	"strings"
	"testing"
)

// A kill right after a mutating request's aws.request leaves the request
// sent and its answer never logged. These tests make that state for real:
// the step's planned request goes to the sandbox through the run's SDK
// clients over HTTP and its answer is dropped; then a run resumed from it
// (the same run id and start, the call listed as unanswered, as Replay
// gives them) must find what the request made instead of sending it again.

// sentNeverAnswered prepares a run of src without running it, sends the
// step's planned request as the step would, and returns the run and the
// request's answer, which the run's log never saw.
func sentNeverAnswered(t *testing.T, src, scenario, step string) (*testRun, map[string]any) {
	t.Helper()
	tr := prepareRun(t, src, scenario, runOptions{})
	reqs := plannedOnce(t, tr, step)
	service, op, _ := strings.Cut(reqs[0].Operation, ":")
	resp, err := tr.exec.opts.Clients.Invoke(context.Background(), service, reqs[0].Region, op, reqs[0].Input)
	if err != nil {
		t.Fatalf("%s: %v", reqs[0].Operation, err)
	}
	return tr, resp.Output
}

// plannedOnce plans a step of a prepared run as its attempt would, and
// returns its one request.
func plannedOnce(t *testing.T, tr *testRun, step string) []request {
	t.Helper()
	ps := &tr.exec.opts.Plan.Steps[tr.exec.opts.Runbook.StepIndex(step)]
	params, err := tr.exec.resolveParams(ps)
	if err != nil {
		t.Fatal(err)
	}
	sr := &StepRun{exec: tr.exec, plan: ps, params: params, region: ps.Region, started: tr.exec.now()}
	reqs, err := sr.plannedRequests(context.Background())
	if err != nil || len(reqs) != 1 {
		t.Fatalf("the step plans %d requests: %v", len(reqs), err)
	}
	return reqs
}

// resumeUnanswered runs src again on the interrupted run's sandbox as its
// resume would: same start, the step's operation logged sent and never
// answered.
func resumeUnanswered(t *testing.T, src string, interrupted *testRun, step, operation string) *testRun {
	t.Helper()
	return startRun(t, src, "", runOptions{on: interrupted, startedAt: interrupted.exec.opts.StartedAt,
		unanswered: map[string][]string{step: {operation}}})
}

func TestIncidentStartResumedFindsTheIncidentItsUnansweredRequestOpened(t *testing.T) {
	t.Parallel()
	src := incidentRunbook(incidentPlan)
	interrupted, first := sentNeverAnswered(t, src, "", "open-incident")
	arn := memberString(first, "IncidentRecordArn")
	resumed := resumeUnanswered(t, src, interrupted, "open-incident", "ssm-incidents:StartIncident")
	succeeded(t, resumed)
	if n := sent(resumed, "StartIncident"); n != 1 {
		t.Errorf("StartIncident reached the sandbox %d times, want once: the resumed step sent it again", n)
	}
	if got := doneEvent(t, resumed, "open-incident").Outputs["incident"]; got != arn {
		t.Errorf("the resumed step's incident %v, want the one its unanswered request opened, %s", got, arn)
	}
	if !hasNote(resumed, "open-incident", "opened by an earlier attempt of this step") {
		t.Errorf("notes %v", stepNotes(resumed, "open-incident"))
	}
	if n := len(incidentRecords(t, resumed)); n != 1 {
		t.Errorf("%d incident records, want 1", n)
	}

	// A request the kill cut off before it reached AWS opened nothing: the
	// resumed step finds no incident and sends StartIncident.
	fresh := prepareRun(t, src, "", runOptions{})
	again := resumeUnanswered(t, src, fresh, "open-incident", "ssm-incidents:StartIncident")
	succeeded(t, again)
	if n := sent(again, "StartIncident"); n != 1 || len(incidentRecords(t, again)) != 1 {
		t.Errorf("StartIncident sent %d times, %d records; want 1 and 1", n, len(incidentRecords(t, again)))
	}
}

func TestBackupStartRestoreResumedFindsTheJobItsUnansweredRequestStarted(t *testing.T) {
	t.Parallel()
	src := restoreRunbook("eu-west-1", "eu-central-1", "2h", restoreDBStep)
	interrupted, first := sentNeverAnswered(t, src, backupScenario, "restore-db")
	jobID := respString(first, "RestoreJobId")
	resumed := resumeUnanswered(t, src, interrupted, "restore-db", "backup:StartRestoreJob")
	out := stepOutputs(t, resumed, "restore-db")
	if n := countRequests(resumed, "StartRestoreJob", ""); n != 1 {
		t.Errorf("StartRestoreJob reached the sandbox %d times, want once: the resumed step sent it again", n)
	}
	if jobID == "" || out["job_id"] != jobID || out["db_id"] != "docs-db-dr" {
		t.Errorf("the resumed step's outputs %v, want the job its unanswered request started, %s", out, jobID)
	}
	if !hasNote(resumed, "restore-db", "started by an earlier attempt of this step") {
		t.Errorf("notes %v", stepNotes(resumed, "restore-db"))
	}
	jobs := readBack(t, resumed, "backup", "eu-central-1", "ListRestoreJobs", nil)
	if n := len(respList(jobs, "RestoreJobs")); n != 1 {
		t.Errorf("%d restore jobs, want 1", n)
	}
	resumed.verify()
}
