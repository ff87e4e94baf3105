package steps

import (
	"strings"
	"testing"
)

// fisReadsAfterStart is fisGameDay with a step that reads the simulated
// start's experiment as an action (aws.call) and, in fisGameDay's stop,
// as a precondition: both name an experiment only a live run has.
func fisReadsAfterStart() string {
	look := rdsStep("look", "aws.call", `call = "fis:GetExperiment"`+"\n"+`input = { Id = "${steps.start.id}" }`, `status = "Experiment.State.Status"`)
	require := "[[steps.require]]\ncall = \"fis:GetExperiment\"\ninput = { Id = \"${steps.start.id}\" }\nquery = \"Experiment.State.Status\"\nequals = \"running\"\n"
	return fisGameDay() + require + look
}

// TestDryRunSendsNoSimulatedInput: in a dry run no read is sent with an
// input that holds a simulated marker, neither a precondition's nor an
// action's; each says it was not sent, and the rehearsal goes on with the
// steps simulated.
func TestDryRunSendsNoSimulatedInput(t *testing.T) {
	t.Parallel()
	tr := startRun(t, fisReadsAfterStart(), fisScenario, runOptions{mode: ModeDryRun})
	if n := countRequests(tr, "GetExperiment", ""); n != 0 {
		t.Errorf("dry-run sent %d GetExperiment requests, each with a simulated id", n)
	}
	for _, step := range []string{"stop", "look"} {
		if done := tr.rec.of(EventStepDone, step); len(done) != 1 || !done[0].Simulated {
			t.Errorf("step %s: %+v, error %s", step, done, stepError(tr))
		}
	}
	pre := tr.rec.of(EventPrecondition, "stop")
	if len(pre) != 1 || !pre[0].Precondition.NotSent || !strings.Contains(pre[0].Message, "fis:GetExperiment was not sent") {
		t.Errorf("precondition events %+v", pre)
	}
	if !hasNote(tr, "stop", "1 precondition(s) not checked") || !hasNote(tr, "look", "fis:GetExperiment was not sent") {
		t.Errorf("notes: stop %v, look %v", stepNotes(tr, "stop"), stepNotes(tr, "look"))
	}
	if out := stepOutputs(t, tr, "look"); out["status"] != "<simulated: steps.look.status>" {
		t.Errorf("look's outputs %v", out)
	}
	tr.verify()
}
