package steps

import (
	"context"
	"fmt"
	"time"
)

// The CloudWatch action: wait for an alarm, metric or composite, to reach
// a state.

// runWaitAlarm polls DescribeAlarms, asking for both alarm types, until
// the alarm's StateValue is the one asked for. An alarm that does not
// exist is an error at once: no amount of waiting creates it.
func runWaitAlarm(ctx context.Context, s *StepRun) (map[string]any, error) {
	name, want := s.String("alarm_name"), s.String("state")
	out, err := s.Wait(ctx, WaitSpec{
		Operation: "cloudwatch:DescribeAlarms",
		Input:     s.Input(),
		Check: func(out map[string]any) (string, bool, error) {
			alarm := findAlarm(out, name)
			if alarm == nil {
				return "no such alarm", false, fmt.Errorf("no metric or composite alarm named %q in %s: check alarm_name and the step's region", name, s.Region())
			}
			state, _ := alarm["StateValue"].(string)
			reason, _ := alarm["StateReason"].(string)
			shown := state
			if reason != "" && state != want {
				shown += ": " + reason
			}
			return shown, state == want, nil
		},
		// An alarm changes state at most once per evaluation period,
		// usually a minute; the SDK's AlarmExists waiter polls every 5 s.
		Delays: pollDelays{10 * time.Second, 60 * time.Second},
	})
	if err != nil {
		return nil, fmt.Errorf("wait for alarm %s to be %s: %w", name, want, err)
	}
	return out, nil
}

// findAlarm returns the metric or composite alarm named name in a
// DescribeAlarms answer, or nil.
func findAlarm(out map[string]any, name string) map[string]any {
	for _, member := range []string{"MetricAlarms", "CompositeAlarms"} {
		alarms, _ := out[member].([]any)
		for _, a := range alarms {
			if m, ok := a.(map[string]any); ok && m["AlarmName"] == name {
				return m
			}
		}
	}
	return nil
}
