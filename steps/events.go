package steps

import "github.com/drpilot/drpilot/runbooks"

// eventsActions are the Amazon EventBridge actions (IAM prefix events).
func eventsActions() []Action {
	return []Action{eventsDisableRule().runs(runEventsDisableRule)}
}

// eventsDisableRule stops scheduled and event-driven jobs that would write
// to the primary while it is being frozen.
func eventsDisableRule() Action {
	return Action{
		spec: runbooks.ActionSpec{
			Name:     "events.disable-rule",
			Summary:  "Disable an EventBridge rule so that it stops triggering its targets.",
			Phases:   []string{"freeze"},
			Mutating: true,
			Calls: []runbooks.Call{
				check("events:DescribeRule"),
				act("events:DisableRule"),
			},
			Params: []runbooks.Param{
				required(str("name", "Name", "The name of the rule.")),
				str("event_bus_name", "EventBusName", "The name or ARN of the rule's event bus; the default bus when left out."),
			},
			Outputs:     []string{"State"},
			Idempotency: "Check-before-act: DescribeRule reads the rule's state and the step is skipped when it is already DISABLED.",
			Wait:        "Reads the rule back with DescribeRule until its State is DISABLED; the response is that DescribeRule response.",
			Expect:      runbooks.Seconds(5),
			Timeout:     runbooks.Minutes(2),
		},
		example: example{
			id: "stop-nightly-sync", phase: "freeze", title: "Stop the nightly inventory sync",
			with: []setting{{"name", `"inventory-nightly-sync"`}},
		},
	}
}
