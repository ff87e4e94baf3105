package sandbox

import (
	"strings"
)

// cwListMetrics lists the metrics the sandbox has data for: those
// published with PutMetricData, and the AWS/RDS ReplicaLag of each read
// replica of the Region. Namespace, MetricName and Dimensions filter, as
// in CloudWatch (a dimension without a Value matches any value).
func cwListMetrics(c *call) (any, error) {
	ns, name := str(c.input, "Namespace"), str(c.input, "MetricName")
	var want []map[string]any
	for _, d := range list(c.input, "Dimensions") {
		if m, ok := d.(map[string]any); ok {
			want = append(want, m)
		}
	}
	var metrics []any
	add := func(metricNS, metricName string, dims []any) {
		if ns != "" && metricNS != ns || name != "" && metricName != name || !dimensionsMatch(dims, want) {
			return
		}
		metrics = append(metrics, map[string]any{"Namespace": metricNS, "MetricName": metricName, "Dimensions": dims})
	}
	for _, key := range sortedKeys(c.cloudwatch().published) {
		parts := strings.SplitN(key, "\x00", 3)
		dims := []any{}
		if parts[2] != "" {
			for _, kv := range strings.Split(parts[2], ",") {
				k, v, _ := strings.Cut(kv, "=")
				dims = append(dims, map[string]any{"Name": k, "Value": v})
			}
		}
		add(parts[0], parts[1], dims)
	}
	r := c.rds()
	for _, id := range r.order {
		if db := r.instances[id]; db != nil && db.Source != "" {
			add("AWS/RDS", "ReplicaLag", []any{map[string]any{"Name": "DBInstanceIdentifier", "Value": id}})
		}
	}
	if metrics == nil {
		metrics = []any{}
	}
	return listPage("Metrics", "NextToken", c.input, "", "NextToken", metrics, pageLimits{def: 500, min: 500, max: 500})
}

// dimensionsMatch reports whether a metric has every dimension asked for.
func dimensionsMatch(have []any, want []map[string]any) bool {
	for _, w := range want {
		found := false
		for _, h := range have {
			hm, _ := h.(map[string]any)
			found = found || str(hm, "Name") == str(w, "Name") && (str(w, "Value") == "" || str(hm, "Value") == str(w, "Value"))
		}
		if !found {
			return false
		}
	}
	return true
}
