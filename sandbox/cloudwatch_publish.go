package sandbox

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// Custom metrics: what a program publishes with PutMetricData (drpilot
// ready --publish does) is kept per Region and read back with
// GetMetricStatistics, so that a publisher can be tested end to end. The
// sandbox keeps the datapoints as sent and aggregates them per call, over
// the whole request, not per period: enough to read a value back, not a
// model of CloudWatch's statistics.

// publishedPoint is one datapoint PutMetricData sent.
type publishedPoint struct {
	At    time.Time
	Value float64
	Unit  string
}

// publishedLimit bounds the datapoints kept per metric: a publisher on a
// schedule must not grow a long-running sandbox without end.
const publishedLimit = 1440

// metricKey names a metric by namespace, name and its dimensions, sorted,
// as CloudWatch identifies one.
func metricKey(ns, name string, dims []any) string {
	parts := make([]string, 0, len(dims))
	for _, d := range dims {
		if m, ok := d.(map[string]any); ok {
			parts = append(parts, str(m, "Name")+"="+str(m, "Value"))
		}
	}
	slices.Sort(parts)
	return ns + "\x00" + name + "\x00" + strings.Join(parts, ",")
}

// cwPutMetricData keeps each datapoint of MetricData under its metric.
// AWS/ namespaces are CloudWatch's own, which it refuses to take.
func cwPutMetricData(c *call) (any, error) {
	ns := str(c.input, "Namespace")
	switch {
	case ns == "":
		return nil, errorf("MissingParameter", "The parameter Namespace is required.")
	case strings.HasPrefix(ns, "AWS/"):
		return nil, errorf("InvalidParameterValue", "The value AWS/ for parameter Namespace is invalid.")
	}
	data := list(c.input, "MetricData")
	if len(data) == 0 {
		return nil, errorf("MissingParameter", "The parameter MetricData is required.")
	}
	cw := c.cloudwatch()
	if cw.published == nil {
		cw.published = map[string][]publishedPoint{}
	}
	for _, d := range data {
		m, _ := d.(map[string]any)
		name := str(m, "MetricName")
		if name == "" {
			return nil, errorf("MissingParameter", "The parameter MetricData.member.N.MetricName is required.")
		}
		v, ok := number(m["Value"])
		if !ok {
			return nil, errorf("InvalidParameterValue", "MetricData %s: a Value is required.", name)
		}
		at := c.now
		if t, ok := m["Timestamp"].(time.Time); ok {
			at = t
		}
		key := metricKey(ns, name, list(m, "Dimensions"))
		points := append(cw.published[key], publishedPoint{At: at, Value: v, Unit: str(m, "Unit")})
		cw.published[key] = points[max(0, len(points)-publishedLimit):]
	}
	return map[string]any{}, nil
}

// publishedStatistics aggregates a published metric's datapoints, those
// of the request's dimensions, into one datapoint.
func (c *call) publishedStatistics(ns, name string) []any {
	points := c.cloudwatch().published[metricKey(ns, name, list(c.input, "Dimensions"))]
	if len(points) == 0 {
		return []any{}
	}
	sum, lo, hi := 0.0, points[0].Value, points[0].Value
	for _, p := range points {
		sum += p.Value
		lo, hi = min(lo, p.Value), max(hi, p.Value)
	}
	n := float64(len(points))
	last := points[len(points)-1]
	unit := last.Unit
	if unit == "" {
		unit = "None"
	}
	return []any{map[string]any{"Timestamp": last.At.Truncate(time.Minute), "Maximum": hi, "Minimum": lo,
		"Average": sum / n, "Sum": sum, "SampleCount": n, "Unit": unit}}
}

// number reads a numeric member: a JSON or CBOR number, or a query string.
func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int64:
		return float64(x), true
	case uint64:
		return float64(x), true
	case string:
		f, err := strconv.ParseFloat(x, 64)
		return f, err == nil
	}
	return 0, false
}
