package steps

import (
	"fmt"
	"strings"
	"testing"
)

// fisTemplate is the game day's experiment template in eu-central-1: it
// fails the orders cluster over, then throttles the API for five minutes,
// and stops when the shop's alarm goes off.
const fisTemplate = "EXTgameday0000001"

const fisScenario = `
account = "123456789012"

[[create]]
service   = "fis"
region    = "eu-central-1"
operation = "CreateExperimentTemplate"
id        = "` + fisTemplate + `"
[create.input]
description = "Orders database failover"
roleArn     = "arn:aws:iam::123456789012:role/fis-game-day"
stopConditions = [{ source = "aws:cloudwatch:alarm", value = "arn:aws:cloudwatch:eu-central-1:123456789012:alarm:shop-5xx" }]
[create.input.targets.clusters]
resourceType  = "aws:rds:cluster"
resourceArns  = ["arn:aws:rds:eu-central-1:123456789012:cluster:orders"]
selectionMode = "ALL"
[create.input.actions.failover]
actionId = "aws:rds:failover-db-cluster"
targets  = { Clusters = "clusters" }
[create.input.actions.throttle]
actionId   = "aws:fis:inject-api-throttle-error"
parameters = { duration = "PT5M", service = "ec2", operations = "DescribeInstances", percentage = "50" }
startAfter = ["failover"]
`

func fisStartStep(with string) string {
	return rdsStep("start", "fis.start-experiment", fmt.Sprintf("experiment_template_id = %q\n%s", fisTemplate, with),
		`id = "Experiment.Id"`+"\n"+`status = "Experiment.State.Status"`)
}

func fisStopStep(id string) string {
	return rdsStep("stop", "fis.stop-experiment", fmt.Sprintf("experiment_id = %q", id), `status = "Experiment.State.Status"`)
}

// TestFISStartExperiment starts the experiment and waits until it is
// running, then runs the step again (the same experiment comes back: the
// client token is the run's and the step's), then in dry-run; and with
// wait = "completed", until its actions have run their course.
func TestFISStartExperiment(t *testing.T) {
	t.Parallel()
	src := restoreRunbook("eu-west-1", "eu-central-1", "1h", fisStartStep(""))
	tr := startRun(t, src, fisScenario, runOptions{})
	out := stepOutputs(t, tr, "start")
	if !strings.HasPrefix(fmt.Sprint(out["id"]), "EXP") || out["status"] != "running" {
		t.Errorf("outputs %v", out)
	}
	for _, want := range []string{"actions: failover (aws:rds:failover-db-cluster on Clusters); throttle (aws:fis:inject-api-throttle-error for PT5M after [failover])",
		"targets: clusters (aws:rds:cluster, 1 by ARN, selection ALL)", "stop conditions: aws:cloudwatch:alarm arn:aws:cloudwatch:eu-central-1:123456789012:alarm:shop-5xx"} {
		if !hasNote(tr, "start", want) {
			t.Errorf("no note %q in %v", want, stepNotes(tr, "start"))
		}
	}
	tr.verify()

	again := startRun(t, src, "", runOptions{on: tr})
	if second := stepOutputs(t, again, "start"); second["id"] != out["id"] {
		t.Errorf("the second run started %v, the first %v", second["id"], out["id"])
	}
	if n := len(respList(readBack(t, again, "fis", "eu-central-1", "ListExperiments", nil), "Experiments")); n != 1 {
		t.Errorf("%d experiments, want 1", n)
	}

	if out := dryRunOutputs(t, src, fisScenario, "start"); out["status"] != "initiating" || out["id"] != "<simulated: steps.start.id>" {
		t.Errorf("dry-run outputs %v", out)
	}

	done := startRun(t, restoreRunbook("eu-west-1", "eu-central-1", "1h", fisStartStep(`wait = "completed"`)), fisScenario, runOptions{})
	if out := stepOutputs(t, done, "start"); out["status"] != "completed" {
		t.Errorf("wait = completed: outputs %v", out)
	}
}

// fisGameDay starts the experiment, then stops it.
func fisGameDay() string {
	stop := strings.Replace(fisStopStep("${steps.start.id}"), "doc = \"x\"", "doc = \"x\"\nafter = [\"start\"]", 1)
	return restoreRunbook("eu-west-1", "eu-central-1", "1h", fisStartStep(""), stop)
}

// TestFISStopExperiment starts an experiment and stops it; a second stop
// finds it ended and sends nothing.
func TestFISStopExperiment(t *testing.T) {
	t.Parallel()
	src := fisGameDay()
	tr := startRun(t, src, fisScenario, runOptions{})
	if out := stepOutputs(t, tr, "stop"); out["status"] != "stopped" {
		t.Errorf("outputs %v", out)
	}
	id := fmt.Sprint(stepOutputs(t, tr, "start")["id"])
	tr.verify()

	rerunSendsNoMore(t, tr, restoreRunbook("eu-west-1", "eu-central-1", "1h", fisStopStep(id)), "stop", "StopExperiment",
		"has already ended (stopped: Experiment stopped by user.)")

	// The stop names the simulated start's experiment: it is not looked
	// up, and the step is simulated too.
	if out := dryRunOutputs(t, src, fisScenario, "stop"); out["status"] != "stopped" {
		t.Errorf("dry-run outputs %v", out)
	}
}

func TestFISExperimentFails(t *testing.T) {
	t.Parallel()
	failing := fisScenario + "\n[[faults]]\nstuck = { service = \"fis\", region = \"eu-central-1\", id = \"" + fisTemplate + "\", state = \"failed\" }\n"
	tr := startRun(t, restoreRunbook("eu-west-1", "eu-central-1", "1h", fisStartStep("")), failing, runOptions{})
	if err := stepError(tr); !strings.Contains(err, "is failed: The sandbox's stuck fault") {
		t.Errorf("error %q", err)
	}
	missing := startRun(t, restoreRunbook("eu-west-1", "eu-central-1", "1h", strings.Replace(fisStartStep(""), fisTemplate, "EXTnone", 1)), fisScenario, runOptions{})
	if err := stepError(missing); !strings.Contains(err, "experiment template EXTnone does not exist in eu-central-1") || len(missing.mutatingRequests()) != 0 {
		t.Errorf("error %q", err)
	}
	gone := startRun(t, restoreRunbook("eu-west-1", "eu-central-1", "1h", fisStopStep("EXPnone")), fisScenario, runOptions{})
	if err := stepError(gone); !strings.Contains(err, "experiment EXPnone does not exist in eu-central-1") {
		t.Errorf("error %q", err)
	}
}
