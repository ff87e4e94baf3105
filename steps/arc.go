package steps

import "github.com/drpilot/drpilot/runbooks"

// arcActions are the Amazon Application Recovery Controller (ARC) Region
// switch actions (IAM prefix arc-region-switch).
func arcActions() []Action {
	return []Action{arcStartRegionSwitch().runs(runStartRegionSwitch)}
}

// arcStartRegionSwitch hands the switch to an ARC Region switch plan, for
// teams that keep the ordered switch steps in ARC rather than in drpilot.
func arcStartRegionSwitch() Action {
	return Action{
		spec: runbooks.ActionSpec{
			Name:     "arc.start-region-switch",
			Summary:  "Start an ARC Region switch plan execution and wait until it completes.",
			Phases:   []string{"switch"},
			Mutating: true,
			Calls: []runbooks.Call{
				check("arc-region-switch:ListPlanExecutions"),
				act("arc-region-switch:StartPlanExecution"),
				waitOn("arc-region-switch:GetPlanExecution"),
			},
			Params: []runbooks.Param{
				required(arn("plan_arn", "PlanArn", "arc-region-switch", "The ARN of the Region switch plan.")),
				required(region("target_region", "TargetRegion", "The Region to shift traffic to (activate) or away from (deactivate).")),
				required(enum("action", "Action", []string{"activate", "deactivate", "postRecovery"},
					"What the execution does with the target Region.")),
				enum("mode", "Mode", []string{"graceful", "ungraceful"},
					"Graceful for a planned switch between healthy Regions; ungraceful for an impaired Region, where blocks use their ungraceful behaviour (an Aurora failover instead of a switchover)."),
				str("comment", "Comment", "Why the plan is being executed, as ARC records it."),
				str("recovery_execution_id", "RecoveryExecutionId", "The recovery execution a postRecovery execution follows up."),
			},
			Outputs:     []string{"ExecutionId", "ExecutionState", "ActivateRegion", "DeactivateRegion"},
			Idempotency: "Check-before-act: ListPlanExecutions finds an execution of the plan already under way for the same action and Region (a retried or resumed step), or one that completed them since the run began, and the action waits on it instead of starting another; one under way for another action or Region is an error, as ARC runs one execution of a plan at a time.",
			Wait:        "Polls GetPlanExecution until the execution is completed; a failed, cancelled or timed-out execution fails the step, and one paused for manual approval or by a failed step is reported to the operator while the step keeps waiting. The response is StartPlanExecution's, with GetPlanExecution's last response added.",
			Expect:      runbooks.Minutes(15),
			Timeout:     runbooks.Minutes(60),
		},
		example: example{
			id: "run-region-switch", phase: "switch", title: "Run the store Region switch plan",
			with: []setting{
				{"plan_arn", `"arn:aws:arc-region-switch::${runbook.account}:plan/store-failover:a1b2c3"`},
				{"target_region", `"${runbook.regions.recovery}"`},
				{"action", `"activate"`},
				{"mode", `"ungraceful"`},
			},
			outputs: []setting{{"execution", `"ExecutionId"`}},
		},
	}
}
