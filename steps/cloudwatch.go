package steps

import "github.com/drpilot/drpilot/runbooks"

// cloudwatchActions are the Amazon CloudWatch actions (IAM prefix
// cloudwatch).
func cloudwatchActions() []Action {
	return []Action{cloudwatchWaitAlarm().runs(runWaitAlarm)}
}

// cloudwatchWaitAlarm waits for an alarm to settle. An alarm that watches
// the business metric (orders per minute, error rate) is the verdict on
// whether the recovery worked.
func cloudwatchWaitAlarm() Action {
	return Action{
		spec: runbooks.ActionSpec{
			Name:    "cloudwatch.wait-alarm",
			Summary: "Wait until a CloudWatch metric or composite alarm is in the expected state.",
			Phases:  []string{"verify"},
			Calls:   []runbooks.Call{waitOn("cloudwatch:DescribeAlarms")},
			Params: []runbooks.Param{
				required(str("alarm_name", "AlarmName", "The name of the alarm; it is sent as the only entry of AlarmNames.")),
				defaulting(enum("state", "", []string{"OK", "ALARM", "INSUFFICIENT_DATA"},
					"The state to wait for."), "OK"),
			},
			Outputs:     []string{"MetricAlarms[0].StateValue", "MetricAlarms[0].StateReason", "CompositeAlarms[0].StateValue"},
			Response:    "cloudwatch:DescribeAlarms",
			Idempotency: "Read-only: nothing to repeat.",
			Wait:        "Polls DescribeAlarms until the alarm's StateValue is state; an alarm that does not exist fails the step at once. The response is that last DescribeAlarms response.",
			Expect:      runbooks.Minutes(5),
			Timeout:     runbooks.Minutes(20),
			Input:       describeAlarmInput,
		},
		example: example{
			id: "orders-alarm-ok", phase: "verify", title: "Orders per minute are back to normal",
			with: []setting{
				{"alarm_name", `"store-orders-per-minute-low"`},
				{"state", `"OK"`},
			},
		},
	}
}

// describeAlarmInput asks for the one alarm, of either type: DescribeAlarms
// returns only metric alarms unless AlarmTypes says otherwise.
func describeAlarmInput(with map[string]any) map[string]any {
	in := map[string]any{"AlarmTypes": []any{"MetricAlarm", "CompositeAlarm"}}
	if name, ok := with["alarm_name"]; ok {
		in["AlarmNames"] = []any{name}
	}
	return in
}
