package steps

import "github.com/drpilot/drpilot/runbooks"

// fisActions are the AWS Fault Injection Service actions (IAM prefix fis):
// a game day's runbook starts the failure it rehearses, and stops it.
func fisActions() []Action {
	return []Action{
		fisStartExperiment().runs(runFISStartExperiment).plans(planFISStartExperiment),
		fisStopExperiment().runs(runFISStopExperiment),
	}
}

// fisStartExperiment starts an experiment from a template. Its planner
// reads the template, so that the approver of a gated step reads what the
// experiment will break (its actions), where (its targets) and what stops
// it (its stop conditions) before approving it.
func fisStartExperiment() Action {
	return Action{
		spec: runbooks.ActionSpec{
			Name:     "fis.start-experiment",
			Summary:  "Start an AWS FIS experiment from a template, for a game day, and wait until it is running (or has completed).",
			Phases:   []string{"any"},
			Mutating: true,
			Calls: []runbooks.Call{
				lookup("fis:GetExperimentTemplate"),
				act("fis:StartExperiment"),
				waitOn("fis:GetExperiment"),
			},
			Params: []runbooks.Param{
				required(str("experiment_template_id", "ExperimentTemplateId", "The id of the experiment template, such as EXT1a2b3c4d5e6f7.")),
				defaulting(enum("wait", "", []string{"running", "completed"},
					"Wait until the experiment is running (its faults are being injected), or until it has completed (its actions have run their course)."), "running"),
			},
			Outputs:  []string{"Experiment.Id", "Experiment.Arn", "Experiment.State.Status"},
			Response: "fis:GetExperiment",
			Idempotency: "StartExperiment gets a clientToken derived from the run id and step id, so a retried or resumed step gets the experiment the first attempt started instead of a second one. " +
				"That holds for a retry after the experiment failed too: it answers with the failed experiment, so running the experiment again takes a new run.",
			Wait: "Before acting, GetExperimentTemplate reads the template; its actions (with their durations and targets), its targets and its stop conditions are noted as the step's notes, which a gated step emits before it asks for approval (the gate's request itself is StartExperiment's input). " +
				"Then polls GetExperiment until the experiment is running (or completed), or with wait = \"completed\" until it is completed; " +
				"an experiment that is failed, stopped (by a person or a stop condition) or cancelled fails the step with FIS's reason. The response is that last GetExperiment response.",
			Expect:  runbooks.Minutes(1),
			Timeout: runbooks.Minutes(60),
		},
		example: example{
			id: "inject-db-failover", phase: "declare", title: "Fail the primary Region's database over, as the game day rehearses",
			with:    []setting{{"experiment_template_id", `"${vars.az_outage_template}"`}},
			outputs: []setting{{"experiment_id", `"Experiment.Id"`}},
		},
	}
}

// fisStopExperiment stops an experiment: the end of a game day, or its
// abort.
func fisStopExperiment() Action {
	return Action{
		spec: runbooks.ActionSpec{
			Name:     "fis.stop-experiment",
			Summary:  "Stop an AWS FIS experiment and wait until it has stopped.",
			Phases:   []string{"any"},
			Mutating: true,
			Calls: []runbooks.Call{
				act("fis:StopExperiment"),
				waitOn("fis:GetExperiment"),
			},
			Params: []runbooks.Param{
				required(str("experiment_id", "", "The id of the experiment, such as a fis.start-experiment step's Experiment.Id output.")),
			},
			// The member is Id, a name too bare for a runbook to read well.
			Input:    func(with map[string]any) map[string]any { return map[string]any{"Id": with["experiment_id"]} },
			Outputs:  []string{"Experiment.Id", "Experiment.State.Status", "Experiment.State.Reason"},
			Response: "fis:GetExperiment",
			Idempotency: "Check-before-act: GetExperiment shows the experiment's state first; one that has already ended (stopped, completed, failed, cancelled) is not stopped again, " +
				"and one that is stopping is only waited for.",
			Wait:    "Polls GetExperiment until the experiment has ended: stopped, or completed, failed or cancelled if it ended on its own meanwhile. The response is that last GetExperiment response.",
			Expect:  runbooks.Minutes(1),
			Timeout: runbooks.Minutes(15),
		},
		example: example{
			id: "stop-game-day", phase: "verify", title: "Stop the game day's experiment",
			with: []setting{{"experiment_id", `"${steps.inject-db-failover.experiment_id}"`}},
		},
	}
}
