package sandbox

import (
	"fmt"
	"strconv"
	"time"
)

// cloudWatchDefaultPeriod is an alarm's evaluation period when it sets
// none; a state set with SetAlarmState lasts until the next evaluation.
const cloudWatchDefaultPeriod = 60 * time.Second

type cloudWatchRegion struct {
	alarms         map[string]*alarm
	order          []string
	composites     map[string]*compositeAlarm
	compositeOrder []string
	// published are the datapoints PutMetricData sent, by metric (see
	// cloudwatch_publish.go).
	published map[string][]publishedPoint
}

type alarm struct {
	Name, Metric, Namespace, Statistic, Comparison, Description string
	Period                                                      time.Duration
	EvaluationPeriods                                           int64
	Threshold                                                   float64
	Dimensions, AlarmActions, OKActions                         []any
	Created                                                     time.Time
	// manual is a state set by SetAlarmState, which holds until manualUntil.
	manual, manualReason string
	manualUntil          time.Time
}

func (r *cloudWatchRegion) dump(now time.Time) any {
	out := map[string]any{}
	for name, a := range r.alarms {
		out[name] = map[string]any{"metric": a.Namespace + "/" + a.Metric, "manual_state": a.manual}
	}
	return map[string]any{"alarms": out}
}

func (c *call) cloudwatch() *cloudWatchRegion {
	return stateOf(c.sb, "monitoring", c.region, func() *cloudWatchRegion { return &cloudWatchRegion{alarms: map[string]*alarm{}} })
}

func registerCloudWatch(s *Sandbox) {
	s.addService(&service{name: "monitoring", protocol: cborProtocol{queryCompatible: true},
		also:  []protocol{cborProtocol{queryCompatible: true}, jsonProtocol{version: "1.0"}, queryProtocol{}},
		xmlns: "http://monitoring.amazonaws.com/doc/2010-08-01/", version: "2010-08-01",
		target: "GraniteServiceVersion20100801", throttleCode: "Throttling"},
		&operation{name: "PutMetricAlarm", mutating: true, handler: cwPutMetricAlarm},
		&operation{name: "DescribeAlarms", handler: cwDescribeAlarms},
		&operation{name: "SetAlarmState", mutating: true, handler: cwSetAlarmState},
		&operation{name: "PutCompositeAlarm", mutating: true, handler: cwPutCompositeAlarm},
		&operation{name: "GetMetricStatistics", handler: cwGetMetricStatistics},
		&operation{name: "PutMetricData", mutating: true, handler: cwPutMetricData},
		&operation{name: "ListMetrics", handler: cwListMetrics},
	)
}

// state evaluates an alarm: INSUFFICIENT_DATA for its first period, then
// ALARM while its Region's application is down and OK otherwise — the
// sandbox's metrics are the Region's health. A state set by hand lasts
// until the next evaluation.
func (c *call) alarmState(a *alarm) (string, string) {
	if st := c.sb.faults.stuckState("monitoring", c.region, a.Name); st != "" {
		return st, "Held by a sandbox fault"
	}
	if a.manual != "" && c.now.Before(a.manualUntil) {
		return a.manual, a.manualReason
	}
	switch {
	case c.now.Sub(a.Created) < a.Period:
		return "INSUFFICIENT_DATA", "Insufficient Data: waiting for the first evaluation period"
	case !c.sb.appUp(c.region):
		return "ALARM", fmt.Sprintf("Threshold Crossed: the %s application in %s is failing", a.Metric, c.region)
	}
	return "OK", "Threshold Crossed: datapoints were within the threshold"
}

func (c *call) alarmValue(a *alarm) map[string]any {
	state, reason := c.alarmState(a)
	return map[string]any{
		"AlarmName": a.Name, "AlarmArn": arn("cloudwatch", c.region, c.account(), "alarm:"+a.Name),
		"AlarmDescription": a.Description, "StateValue": state, "StateReason": reason,
		"StateUpdatedTimestamp": c.now, "AlarmConfigurationUpdatedTimestamp": a.Created,
		"MetricName": a.Metric, "Namespace": a.Namespace, "Statistic": a.Statistic,
		"Period": int64(a.Period / time.Second), "EvaluationPeriods": a.EvaluationPeriods, "Threshold": a.Threshold,
		"ComparisonOperator": a.Comparison, "Dimensions": a.Dimensions, "ActionsEnabled": true,
		"AlarmActions": a.AlarmActions, "OKActions": a.OKActions,
	}
}

func cwPutMetricAlarm(c *call) (any, error) {
	name, err := required(c.input, "AlarmName", "ValidationError")
	if err != nil {
		return nil, err
	}
	for _, k := range []string{"EvaluationPeriods", "ComparisonOperator"} {
		if str(c.input, k) == "" {
			return nil, errorf("ValidationError", "%s is required", k)
		}
	}
	period, set, aerr := integer(c.input, "Period")
	if aerr != nil {
		return nil, aerr
	}
	evals, _, aerr := integer(c.input, "EvaluationPeriods")
	if aerr != nil {
		return nil, aerr
	}
	threshold, _ := strconv.ParseFloat(str(c.input, "Threshold"), 64)
	a := &alarm{Name: name, Metric: str(c.input, "MetricName"), Namespace: str(c.input, "Namespace"),
		Statistic: str(c.input, "Statistic"), Comparison: str(c.input, "ComparisonOperator"),
		Description: str(c.input, "AlarmDescription"), Period: cloudWatchDefaultPeriod, EvaluationPeriods: evals,
		Threshold: threshold, Dimensions: list(c.input, "Dimensions"), AlarmActions: list(c.input, "AlarmActions"),
		OKActions: list(c.input, "OKActions"), Created: c.now}
	if set {
		a.Period = time.Duration(period) * time.Second
	}
	r := c.cloudwatch()
	if _, exists := r.alarms[name]; !exists {
		r.order = append(r.order, name)
	}
	r.alarms[name] = a // PutMetricAlarm creates or replaces
	return map[string]any{}, nil
}

func cwDescribeAlarms(c *call) (any, error) {
	r := c.cloudwatch()
	names := map[string]bool{}
	for _, n := range list(c.input, "AlarmNames") {
		if s, ok := n.(string); ok {
			names[s] = true
		}
	}
	prefix, want := str(c.input, "AlarmNamePrefix"), str(c.input, "StateValue")
	keep := func(name string, v map[string]any) bool {
		return (len(names) == 0 || names[name]) && (prefix == "" || hasPrefix(name, prefix)) && (want == "" || v["StateValue"] == want)
	}
	// As the API does: metric alarms only, unless AlarmTypes says which.
	types := map[string]bool{"MetricAlarm": true}
	if asked := list(c.input, "AlarmTypes"); len(asked) > 0 {
		types = map[string]bool{}
		for _, t := range asked {
			types[fmt.Sprint(t)] = true
		}
	}
	var items, composites []any
	for _, name := range r.order {
		if v := c.alarmValue(r.alarms[name]); types["MetricAlarm"] && keep(name, v) {
			items = append(items, v)
		}
	}
	for _, name := range r.compositeOrder {
		if v := c.compositeValue(r.composites[name]); types["CompositeAlarm"] && keep(name, v) {
			composites = append(composites, v)
		}
	}
	page, next, err := paginate(c.input, "MaxRecords", "NextToken", items, pageLimits{def: 50, min: 1, max: 100, validation: "ValidationError"})
	if err != nil {
		return nil, err
	}
	if composites == nil {
		composites = []any{}
	}
	out := map[string]any{"MetricAlarms": page, "CompositeAlarms": composites}
	if next != "" {
		out["NextToken"] = next
	}
	return out, nil
}

func hasPrefix(s, prefix string) bool { return len(s) >= len(prefix) && s[:len(prefix)] == prefix }

func cwSetAlarmState(c *call) (any, error) {
	name, err := required(c.input, "AlarmName", "ValidationError")
	if err != nil {
		return nil, err
	}
	state := str(c.input, "StateValue")
	if ca, ok := c.cloudwatch().composites[name]; ok && (state == "OK" || state == "ALARM" || state == "INSUFFICIENT_DATA") {
		ca.manual, ca.manualReason, ca.manualAt = state, str(c.input, "StateReason"), c.now.Truncate(cloudWatchDefaultPeriod).String()
		return map[string]any{}, nil
	}
	a, ok := c.cloudwatch().alarms[name]
	if !ok {
		return nil, notFound("ResourceNotFound", "Alarm %s not found", name)
	}
	if state != "OK" && state != "ALARM" && state != "INSUFFICIENT_DATA" {
		return nil, errorf("ValidationError", "StateValue must be OK, ALARM or INSUFFICIENT_DATA, not %q", state)
	}
	reason, err := required(c.input, "StateReason", "ValidationError")
	if err != nil {
		return nil, err
	}
	a.manual, a.manualReason, a.manualUntil = state, reason, c.now.Add(a.Period)
	return map[string]any{}, nil
}
