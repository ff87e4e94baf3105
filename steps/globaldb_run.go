package steps

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"time"
)

// The failover of a global database, Aurora's or DocumentDB's: both are
// served by RDS's wire API, with the same operations, members and states,
// so one piece of code runs both actions, through the service the step's
// spec names (its SDK client and IAM prefix). What differs is the metric
// that says how far the secondary lags.

// globalDatabase is one service whose global databases fail over through
// FailoverGlobalCluster and DescribeGlobalClusters.
type globalDatabase struct {
	// service is the registry's name (rds, docdb); product and cluster
	// name it in prose.
	service, product, cluster string
	// namespace and lagMetric are the CloudWatch metric, in milliseconds,
	// of how far a secondary cluster is behind the writer.
	namespace, lagMetric string
	// short names the reference's example step, example its database.
	short, example string
	// outputs are the response's members most worth capturing: Aurora's
	// global cluster has a writer endpoint, DocumentDB's does not.
	outputs []string
}

var (
	auroraGlobal = globalDatabase{service: "rds", product: "Aurora", cluster: "Aurora cluster",
		namespace: "AWS/RDS", lagMetric: "AuroraGlobalDBRPOLag", short: "aurora", example: "store",
		outputs: []string{"GlobalCluster.GlobalClusterArn", "GlobalCluster.Endpoint", "GlobalCluster.Status"}}
	docdbGlobal = globalDatabase{service: "docdb", product: "DocumentDB", cluster: "DocumentDB cluster",
		namespace: "AWS/DocDB", lagMetric: "GlobalClusterReplicationLag", short: "docdb", example: "catalog",
		outputs: []string{"GlobalCluster.GlobalClusterArn", "GlobalCluster.Status", "GlobalCluster.GlobalClusterMembers"}}
)

// failover moves a global database's writer to the target cluster unless
// it is already there or on its way, then waits until it is the writer of
// an available global cluster.
func (g globalDatabase) failover(ctx context.Context, s *StepRun) (map[string]any, error) {
	id, target := s.String("global_cluster_identifier"), s.String("target_db_cluster_identifier")
	gc, err := g.describe(ctx, s, id)
	if err != nil {
		return nil, err
	}
	writer, moving := globalWriter(gc), globalFailoverTarget(gc)
	loss, how := time.Duration(-1), ""
	switch {
	case !isGlobalMember(gc, target):
		return nil, fmt.Errorf("%s is not a member of global cluster %s: check target_db_cluster_identifier (the secondary cluster's ARN)", target, id)
	case writer == target:
		s.Note("%s is already the writer of global cluster %s: nothing to fail over; waiting until the global cluster is available", target, id)
	case moving == target:
		s.Note("a failover of global cluster %s to %s is already under way: waiting for it instead of starting another", id, target)
	default:
		loss, how = g.failoverLoss(ctx, s, target)
		if _, err := s.Mutate(ctx, g.service+":FailoverGlobalCluster", s.Input(), simulatedFailover(s, gc, writer, target)); err != nil {
			return nil, fmt.Errorf("fail global cluster %s over to %s: %w", id, target, err)
		}
	}
	out, err := s.Wait(ctx, WaitSpec{
		Operation: g.service + ":DescribeGlobalClusters", Input: map[string]any{"GlobalClusterIdentifier": id},
		Check: globalWriterIs(id, target), Delays: pollDelays{gdbPollInterval, gdbPollMaxInterval},
	})
	if err != nil {
		return nil, err
	}
	if s.Simulated() {
		return out, nil
	}
	if loss >= 0 {
		s.RecoveredTo(s.started.Add(-loss), how)
	}
	return map[string]any{"GlobalCluster": respFirst(out, "GlobalClusters")}, nil
}

// describe reads the global cluster the step names.
func (g globalDatabase) describe(ctx context.Context, s *StepRun, id string) (map[string]any, error) {
	out, err := s.Read(ctx, g.service+":DescribeGlobalClusters", map[string]any{"GlobalClusterIdentifier": id})
	if errorCode(err) == "GlobalClusterNotFoundFault" {
		return nil, fmt.Errorf("global cluster %s does not exist (asked in %s): check global_cluster_identifier", id, s.Region())
	}
	if err != nil {
		return nil, fmt.Errorf("look up global cluster %s: %w", id, err)
	}
	gc := respFirst(out, "GlobalClusters")
	if gc == nil {
		return nil, fmt.Errorf("DescribeGlobalClusters did not list global cluster %s", id)
	}
	return gc, nil
}

// globalWriter is the ARN of the global cluster's writer, or "".
func globalWriter(gc map[string]any) string {
	for _, m := range respList(gc, "GlobalClusterMembers") {
		if member := respMap(m); member["IsWriter"] == true {
			return respString(member, "DBClusterArn")
		}
	}
	return ""
}

func isGlobalMember(gc map[string]any, clusterARN string) bool {
	for _, m := range respList(gc, "GlobalClusterMembers") {
		if respString(respMap(m), "DBClusterArn") == clusterARN {
			return true
		}
	}
	return false
}

// globalFailoverTarget is the cluster a failover or switchover under way
// moves the writer to, or "".
func globalFailoverTarget(gc map[string]any) string {
	fs := respMap(gc["FailoverState"])
	switch respString(fs, "Status") {
	case "pending", "failing-over", "switching-over":
		return respString(fs, "ToDbClusterArn")
	}
	return ""
}

// globalWriterIs is the Check of the failover wait.
func globalWriterIs(id, target string) func(map[string]any) (string, bool, error) {
	return func(out map[string]any) (string, bool, error) {
		gc := respFirst(out, "GlobalClusters")
		status, writer := respString(gc, "Status"), globalWriter(gc)
		state := fmt.Sprintf("%s, writer %s", status, writer)
		if to := globalFailoverTarget(gc); to != "" && to != target {
			return state, false, fmt.Errorf("global cluster %s is failing over to %s, not %s: someone else started another failover; find out who before retrying", id, to, target)
		}
		if fs := respMap(gc["FailoverState"]); respString(fs, "Status") == "cancelling" {
			return state, false, fmt.Errorf("the failover of global cluster %s to %s is being cancelled: read the clusters' events, then retry the step", id, target)
		}
		if status == "deleting" {
			return state, false, fmt.Errorf("global cluster %s is being deleted", id)
		}
		return state, writer == target && status == "available", nil
	}
}

// simulatedFailover is dry-run's guess at FailoverGlobalCluster's answer:
// the global cluster failing over to the target. It is also the step's
// response in dry-run, whose outputs later steps use, so nothing in it is
// read from before the change when the change would alter it: the members
// are only who they are and which one the failover makes the writer (the
// old writer's IsWriter, its Readers and its sync state would otherwise
// pass for the world after the failover). The identifier, ARN, engine and
// global endpoint do not change with the writer and are kept.
func simulatedFailover(s *StepRun, gc map[string]any, writer, target string) map[string]any {
	guess := maps.Clone(gc)
	dataLoss, _ := s.Bool("allow_data_loss")
	guess["Status"] = "failing-over"
	guess["FailoverState"] = map[string]any{"Status": "failing-over", "FromDbClusterArn": writer,
		"ToDbClusterArn": target, "IsDataLossAllowed": dataLoss}
	var members []any
	for _, m := range respList(gc, "GlobalClusterMembers") {
		arn := respString(respMap(m), "DBClusterArn")
		members = append(members, map[string]any{"DBClusterArn": arn, "IsWriter": arn == target})
	}
	guess["GlobalClusterMembers"] = members
	return map[string]any{"GlobalCluster": guess}
}

// failoverLoss is the data a global database's failover to target loses:
// nothing for a switchover, which waits for replication; for a failover,
// the target's replication lag (AuroraGlobalDBRPOLag,
// GlobalClusterReplicationLag) just before it (-1 when CloudWatch cannot
// say).
func (g globalDatabase) failoverLoss(ctx context.Context, s *StepRun, target string) (time.Duration, string) {
	if allow, _ := s.Bool("allow_data_loss"); !allow {
		return 0, "a switchover waits for replication: no data lost"
	}
	region, cluster := arnRegion(target), target[strings.LastIndex(target, ":")+1:]
	ms, ok := latestMetric(ctx, s, region, g.namespace, g.lagMetric, "DBClusterIdentifier", cluster)
	if !ok {
		return -1, ""
	}
	lag := time.Duration(ms * float64(time.Millisecond)).Round(time.Second)
	return lag, fmt.Sprintf("cluster %s was %s behind the writer when it took over (CloudWatch %s)", cluster, lag, g.lagMetric)
}
