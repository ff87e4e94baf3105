package steps

import "github.com/drpilot/drpilot/runbooks"

// ecsActions are the Amazon ECS actions (IAM prefix ecs).
func ecsActions() []Action {
	return []Action{ecsScaleService().runs(runECSScaleService)}
}

// ecsScaleService changes a service's task count: to zero to freeze
// consumers in the primary, to production size in the recovery Region.
func ecsScaleService() Action {
	return Action{
		spec: runbooks.ActionSpec{
			Name:     "ecs.scale-service",
			Summary:  "Set an ECS service's desired task count and wait until the service is stable.",
			Phases:   []string{"freeze", "reintegrate"},
			Mutating: true,
			Calls: []runbooks.Call{
				act("ecs:UpdateService"),
				waitOn("ecs:DescribeServices"),
			},
			Params: []runbooks.Param{
				str("cluster", "Cluster", "The short name or ARN of the cluster; the account's default cluster when left out."),
				required(str("service", "Service", "The name or ARN of the service.")),
				required(atLeast("desired_count", "DesiredCount", 0, "The number of tasks the service should run.")),
			},
			Outputs:     []string{"Service.ServiceArn", "Service.RunningCount", "Service.DesiredCount"},
			Response:    "ecs:UpdateService",
			Idempotency: "Check-before-act: DescribeServices reads the current desired count and the update is skipped when it already matches; UpdateService with only a count is a plain set.",
			Wait:        "Polls DescribeServices until the service is stable: one deployment, runningCount equal to desiredCount. The response's Service is refreshed from that last read.",
			Expect:      runbooks.Minutes(3),
			Timeout:     runbooks.Minutes(20),
		},
		example: example{
			id: "scale-up-api", phase: "reintegrate", title: "Scale the standby API service up",
			with: []setting{
				{"cluster", `"store-recovery"`},
				{"service", `"store-api"`},
				{"desired_count", `12`},
			},
			outputs: []setting{{"running", `"Service.RunningCount"`}},
		},
	}
}
