package steps

import "github.com/drpilot/drpilot/runbooks"

// globalClusterFailover makes a secondary cluster the writer of its global
// database: rds.failover-global-cluster (Aurora) and
// docdb.failover-global-cluster, one spec for the one API.
func globalClusterFailover(g globalDatabase) Action {
	return Action{
		spec: runbooks.ActionSpec{
			Name:     g.service + ".failover-global-cluster",
			Summary:  "Make a secondary " + g.cluster + " the writer of its global database, by switchover or by failover that allows data loss.",
			Phases:   []string{"reintegrate"},
			Mutating: true,
			Calls: []runbooks.Call{
				check("cloudwatch:GetMetricStatistics"),
				act(g.service + ":FailoverGlobalCluster"),
				waitOn(g.service + ":DescribeGlobalClusters"),
			},
			Params: []runbooks.Param{
				required(str("global_cluster_identifier", "GlobalClusterIdentifier", "The identifier of the global database.")),
				required(arn("target_db_cluster_identifier", "TargetDbClusterIdentifier", "rds",
					"The ARN of the secondary cluster to make the writer.")),
				boolean("allow_data_loss", "AllowDataLoss",
					"Fail over even though the secondary may lag the primary, for when the primary Region is down."),
				boolean("switchover", "Switchover",
					"Switch over without data loss, for when the primary is healthy (a planned move or a rehearsal)."),
			},
			// AWS refuses both at once and defaults to a switchover, which
			// cannot work when the primary Region is down; making the author
			// choose keeps that decision in the runbook.
			OneOf:       [][]string{{"allow_data_loss", "switchover"}},
			Outputs:     g.outputs,
			Idempotency: "Check-before-act: DescribeGlobalClusters shows which member is the writer; when it is already the target cluster the action only waits.",
			Wait: "Polls DescribeGlobalClusters until the target cluster is the writer and the global cluster is available; the response's GlobalCluster is refreshed from that last read. " +
				"A failover that allows data loss takes the recovery point from the target's " + g.namespace + " " + g.lagMetric + " just before it; a switchover loses nothing.",
			Expect:  runbooks.Minutes(5),
			Timeout: runbooks.Minutes(30),
		},
		example: example{
			id: "fail-over-" + g.short, phase: "reintegrate", title: "Make the recovery cluster the writer",
			with: []setting{
				{"global_cluster_identifier", `"` + g.example + `-global"`},
				{"target_db_cluster_identifier", `"arn:aws:rds:${runbook.regions.recovery}:${runbook.account}:cluster:` + g.example + `-recovery"`},
				{"allow_data_loss", `true`},
			},
		},
	}
}
