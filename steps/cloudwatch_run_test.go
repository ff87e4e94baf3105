package steps

import (
	"fmt"
	"strings"
	"testing"
)

// alarmScenario has, in eu-west-2: an alarm created a moment ago (in its
// first period of 10 minutes, INSUFFICIENT_DATA, then OK), an alarm held in ALARM by a
// fault, and a composite alarm in ALARM when that one is.
const alarmScenario = `
[[create]]
service   = "monitoring"
region    = "eu-west-2"
operation = "PutMetricAlarm"
ago       = "1s"
input     = { AlarmName = "orders-low", Namespace = "Shop", MetricName = "OrdersPerMinute", Statistic = "Sum", Period = 600, EvaluationPeriods = 3, Threshold = 10, ComparisonOperator = "LessThanThreshold" }

[[create]]
service   = "monitoring"
region    = "eu-west-2"
operation = "PutMetricAlarm"
input     = { AlarmName = "errors-high", Namespace = "Shop", MetricName = "Errors", Statistic = "Sum", Period = 60, EvaluationPeriods = 1, Threshold = 5, ComparisonOperator = "GreaterThanThreshold" }

[[create]]
service   = "monitoring"
region    = "eu-west-2"
operation = "PutCompositeAlarm"
input     = { AlarmName = "shop-unhealthy", AlarmRule = "ALARM(\"errors-high\") OR ALARM(\"orders-low\")" }

[[faults]]
stuck = { service = "monitoring", region = "eu-west-2", id = "errors-high", state = "ALARM" }
`

// alarmRunbook waits for an alarm's state, for at most an hour (6 s at
// the tests' time scale).
func alarmRunbook(name, state string) string {
	return strings.Replace(shortAlarmRunbook(name, state), `timeout = "10m"`, `timeout = "60m"`, 1)
}

// shortAlarmRunbook waits for an alarm's state for at most 10 minutes.
func shortAlarmRunbook(name, state string) string {
	return stepRunbook(fmt.Sprintf(`
[[steps]]
id      = "alarm"
phase   = "verify"
action  = "cloudwatch.wait-alarm"
doc     = "x"
timeout = "10m"
[steps.with]
alarm_name = %q
state      = %q
[steps.outputs]
metric    = "MetricAlarms[0].StateValue"
composite = "CompositeAlarms[0].StateValue"
`, name, state))
}

func TestWaitAlarm(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, alarm, state, output string
	}{
		{"a new metric alarm, once out of its first period", "orders-low", "OK", "metric"},
		{"a metric alarm", "errors-high", "ALARM", "metric"},
		{"a composite alarm", "shop-unhealthy", "ALARM", "composite"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tr := startRun(t, alarmRunbook(tc.alarm, tc.state), alarmScenario, runOptions{})
			succeeded(t, tr)
			if got := outputsOf(t, tr, "alarm")[tc.output]; got != tc.state {
				t.Errorf("output %s = %v, want %s", tc.output, got, tc.state)
			}
		})
	}
	t.Run("the wait shows the states it went through", func(t *testing.T) {
		t.Parallel()
		tr := startRun(t, alarmRunbook("orders-low", "OK"), alarmScenario, runOptions{})
		succeeded(t, tr)
		waits := tr.rec.of(EventWaitProgress, "alarm")
		if len(waits) < 2 || !strings.HasPrefix(waits[0].Wait.State, "INSUFFICIENT_DATA") {
			t.Errorf("wait progress %+v; want INSUFFICIENT_DATA first, then OK", waits)
		}
	})
	t.Run("a state that does not come times out with the last one seen", func(t *testing.T) {
		t.Parallel()
		tr := startRun(t, shortAlarmRunbook("errors-high", "OK"), alarmScenario, runOptions{})
		runFailedAt(t, tr, "alarm", "timed out", "ALARM: Held by a sandbox fault")
	})
	t.Run("a missing alarm is an error at once", func(t *testing.T) {
		t.Parallel()
		tr := startRun(t, alarmRunbook("no-such-alarm", "OK"), alarmScenario, runOptions{})
		runFailedAt(t, tr, "alarm", `no metric or composite alarm named "no-such-alarm" in eu-west-2`)
		if n := journalCount(tr, "DescribeAlarms"); n != 1 {
			t.Errorf("DescribeAlarms polled %d times, want 1", n)
		}
	})
	t.Run("dry-run polls once and reports", func(t *testing.T) {
		t.Parallel()
		tr := startRun(t, alarmRunbook("errors-high", "OK"), alarmScenario, runOptions{mode: ModeDryRun})
		succeeded(t, tr)
		if n := journalCount(tr, "DescribeAlarms"); n != 1 {
			t.Errorf("dry run polled %d times, want 1", n)
		}
	})
}
