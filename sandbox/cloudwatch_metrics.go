package sandbox

import (
	"strings"
	"time"
)

// The sandbox's metrics are few, and derived from its state: what an
// action reads to measure the data a recovery cannot bring back.

// replicaLagSteady is a replica's lag while its source replicates.
const replicaLagSteady = 2 * time.Second

// cwGetMetricStatistics answers AWS/RDS ReplicaLag for a read replica: a
// couple of seconds while its source Region replicates, and since the
// outage began once it does not (nothing has arrived since); and the lag
// of a global database's secondary cluster, AWS/RDS AuroraGlobalDBRPOLag
// or AWS/DocDB GlobalClusterReplicationLag, alike. Any other
// metric has no datapoints, as CloudWatch answers for a metric nobody
// publishes.
func cwGetMetricStatistics(c *call) (any, error) {
	name := str(c.input, "MetricName")
	if str(c.input, "Namespace") == "" || name == "" {
		return nil, errorf("MissingParameter", "Namespace and MetricName are required.")
	}
	points := []any{}
	point := func(v float64, unit string) {
		points = append(points, map[string]any{"Timestamp": c.now.Truncate(time.Minute), "Maximum": v, "Average": v,
			"Minimum": v, "SampleCount": 1.0, "Unit": unit})
	}
	switch ns := str(c.input, "Namespace"); {
	case !strings.HasPrefix(ns, "AWS/"):
		// A custom namespace: what PutMetricData published.
		points = c.publishedStatistics(ns, name)
	// DocumentDB's global clusters are the RDS global clusters the sandbox
	// keeps (the same API serves both); their lag has another name.
	case ns == "AWS/DocDB" && name == "GlobalClusterReplicationLag":
		if lag, ok := c.globalRPOLag(dimension(c.input, "DBClusterIdentifier")); ok {
			point(float64(lag.Milliseconds()), "Milliseconds")
		}
	case ns != "AWS/RDS":
	case name == "ReplicaLag":
		if lag, ok := c.replicaLag(dimension(c.input, "DBInstanceIdentifier")); ok {
			point(lag.Seconds(), "Seconds")
		}
	case name == "AuroraGlobalDBRPOLag":
		if lag, ok := c.globalRPOLag(dimension(c.input, "DBClusterIdentifier")); ok {
			point(float64(lag.Milliseconds()), "Milliseconds")
		}
	}
	return map[string]any{"Label": name, "Datapoints": named("member", points)}, nil
}

// globalRPOLag is how far a secondary cluster of a global database, in
// the call's Region, is behind its writer: about a second while the
// writer's Region replicates, and since the outage began once it does not.
func (c *call) globalRPOLag(cluster string) (time.Duration, bool) {
	for _, gc := range c.rdsGlobal().clusters {
		var self, writer *globalMember
		for _, m := range gc.members {
			switch {
			case m.Writer:
				writer = m
			case m.Cluster == cluster && m.Region == c.region:
				self = m
			}
		}
		if self == nil || writer == nil {
			continue
		}
		if since, out := c.sb.faults.outageSince(writer.Region, "rds"); out && !since.IsZero() {
			return max(c.now.Sub(since), time.Second), true
		}
		return time.Second, true
	}
	return 0, false
}

// replicaLag is how far a read replica in the call's Region is behind its
// source.
func (c *call) replicaLag(id string) (time.Duration, bool) {
	db, ok := c.rds().instances[id]
	if !ok || db.Source == "" {
		return 0, false
	}
	if since, out := c.sb.faults.outageSince(arnRegion(db.Source), "rds"); out && !since.IsZero() {
		return max(c.now.Sub(since), replicaLagSteady), true
	}
	return replicaLagSteady, true
}

// dimension returns the value of a metric dimension in a request.
func dimension(in map[string]any, name string) string {
	for _, d := range list(in, "Dimensions") {
		if m, ok := d.(map[string]any); ok && str(m, "Name") == name {
			return str(m, "Value")
		}
	}
	return ""
}
