package steps

import "github.com/drpilot/drpilot/runbooks"

// elbv2Actions are the Elastic Load Balancing v2 actions (IAM prefix
// elasticloadbalancing; runbooks may also write elbv2 in require.call).
func elbv2Actions() []Action {
	return []Action{
		elbv2RegisterTargets().runs(runELBv2RegisterTargets),
		elbv2WaitHealthy().runs(runELBv2WaitHealthy),
	}
}

// targetsParam is the Targets member both actions take: a list of
// TargetDescription tables.
func targetsParam(doc string) runbooks.Param {
	return listOf("targets", "Targets", runbooks.Param{
		Kind: runbooks.KindObject,
		Fields: []runbooks.Param{
			required(str("id", "Id", "The target: an instance id, an IP address, a Lambda function ARN or an ALB ARN.")),
			between("port", "Port", 1, 65535, "The port the target listens on; the target group's port when left out."),
			str("availability_zone", "AvailabilityZone", "The Availability Zone of an IP target outside the VPC, or all."),
		},
	}, doc)
}

// targetGroupParam is the target group both actions act on.
func targetGroupParam() runbooks.Param {
	return required(arn("target_group_arn", "TargetGroupArn", "elasticloadbalancing", "The ARN of the target group."))
}

// elbv2RegisterTargets puts restored or scaled-up servers behind a load
// balancer.
func elbv2RegisterTargets() Action {
	return Action{
		spec: runbooks.ActionSpec{
			Name:     "elbv2.register-targets",
			Summary:  "Register targets with an ALB or NLB target group and wait until they are healthy.",
			Phases:   []string{"reintegrate"},
			Mutating: true,
			Calls: []runbooks.Call{
				act("elasticloadbalancing:RegisterTargets"),
				waitOn("elasticloadbalancing:DescribeTargetHealth"),
			},
			Params: []runbooks.Param{
				targetGroupParam(),
				required(targetsParam("The targets to register.")),
			},
			Outputs:     []string{"TargetHealthDescriptions[].Target.Id", "TargetHealthDescriptions[].TargetHealth.State"},
			Idempotency: "RegisterTargets is idempotent: registering a target that is already registered changes nothing.",
			Wait:        "Polls DescribeTargetHealth for the registered targets until every one is healthy (a target reported unavailable, its health checks disabled, fails the step); RegisterTargets returns nothing, so the response is that last DescribeTargetHealth response.",
			Expect:      runbooks.Minutes(2),
			Timeout:     runbooks.Minutes(15),
		},
		example: example{
			id: "register-app-server", phase: "reintegrate", title: "Put the app server behind the load balancer",
			with: []setting{
				{"target_group_arn", `"${vars.app_target_group}"`},
				{"targets", `[{ id = "${vars.app_instance}", port = 8080 }]`},
			},
		},
	}
}

// elbv2WaitHealthy checks what the load balancer thinks of its targets, the
// most direct sign that traffic can be served.
func elbv2WaitHealthy() Action {
	return Action{
		spec: runbooks.ActionSpec{
			Name:    "elbv2.wait-healthy",
			Summary: "Wait until the targets of an ALB or NLB target group are healthy.",
			Phases:  []string{"verify"},
			Calls:   []runbooks.Call{waitOn("elasticloadbalancing:DescribeTargetHealth")},
			Params: []runbooks.Param{
				targetGroupParam(),
				targetsParam("The targets to check; every registered target when left out."),
			},
			Outputs:     []string{"TargetHealthDescriptions[].Target.Id", "TargetHealthDescriptions[].TargetHealth.State"},
			Idempotency: "Read-only: nothing to repeat.",
			Wait:        "Polls DescribeTargetHealth until there is at least one target and every one checked is healthy (a target reported unavailable, its health checks disabled, fails the step); the response is that last DescribeTargetHealth response.",
			Expect:      runbooks.Minutes(2),
			Timeout:     runbooks.Minutes(15),
		},
		example: example{
			id: "targets-healthy", phase: "verify", title: "Every API target is healthy",
			with: []setting{{"target_group_arn", `"${vars.api_target_group}"`}},
		},
	}
}
