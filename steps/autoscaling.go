package steps

import "github.com/drpilot/drpilot/runbooks"

// autoscalingActions are the EC2 Auto Scaling actions (IAM prefix
// autoscaling).
func autoscalingActions() []Action {
	return []Action{autoscalingSetCapacity().runs(runAutoScalingSetCapacity)}
}

// autoscalingSetCapacity scales a group: down to freeze the primary, up to
// bring a pilot-light or warm-standby fleet to production size.
func autoscalingSetCapacity() Action {
	return Action{
		spec: runbooks.ActionSpec{
			Name:     "autoscaling.set-capacity",
			Summary:  "Set an Auto Scaling group's minimum, maximum and desired capacity and wait for the instances.",
			Phases:   []string{"freeze", "reintegrate"},
			Mutating: true,
			Calls: []runbooks.Call{
				act("autoscaling:UpdateAutoScalingGroup"),
				waitOn("autoscaling:DescribeAutoScalingGroups"),
			},
			Params: []runbooks.Param{
				required(str("auto_scaling_group_name", "AutoScalingGroupName", "The name of the Auto Scaling group.")),
				atLeast("min_size", "MinSize", 0, "The group's new minimum size."),
				atLeast("max_size", "MaxSize", 0, "The group's new maximum size."),
				atLeast("desired_capacity", "DesiredCapacity", 0,
					"The number of instances the group should run, between the minimum and maximum."),
			},
			AnyOf:       [][]string{{"min_size", "max_size", "desired_capacity"}},
			Outputs:     []string{"AutoScalingGroups[0].DesiredCapacity", "AutoScalingGroups[0].Instances[].InstanceId"},
			Idempotency: "Check-before-act: DescribeAutoScalingGroups reads the current sizes and the update is skipped when they already match; the update is a plain set, so a repeat is harmless.",
			Wait:        "Polls DescribeAutoScalingGroups until the group runs exactly desired_capacity instances, all InService and Healthy. UpdateAutoScalingGroup returns nothing, so the response is the last DescribeAutoScalingGroups response.",
			Expect:      runbooks.Minutes(5),
			Timeout:     runbooks.Minutes(20),
		},
		example: example{
			id: "scale-up-web", phase: "reintegrate", title: "Scale the standby web fleet to production size",
			with: []setting{
				{"auto_scaling_group_name", `"${vars.web_asg}"`},
				{"min_size", `6`},
				{"max_size", `24`},
				{"desired_capacity", `6`},
			},
		},
	}
}
