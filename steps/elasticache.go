package steps

import "github.com/drpilot/drpilot/runbooks"

// elastiCacheActions are the Amazon ElastiCache actions (IAM prefix
// elasticache).
func elastiCacheActions() []Action {
	return []Action{
		elastiCacheFailoverGlobalDatastore().runs(runElastiCacheFailoverGlobal).plans(planElastiCacheFailoverGlobal),
	}
}

// elastiCacheFailoverGlobalDatastore makes the recovery Region's member of
// a global datastore its primary: the cache's half of a Region failover.
func elastiCacheFailoverGlobalDatastore() Action {
	return Action{
		spec: runbooks.ActionSpec{
			Name:     "elasticache.failover-global-datastore",
			Summary:  "Make the recovery Region's replication group the primary of its ElastiCache global datastore and wait until it is.",
			Phases:   []string{"reintegrate"},
			Mutating: true,
			Calls: []runbooks.Call{
				act("elasticache:FailoverGlobalReplicationGroup"),
				waitOn("elasticache:DescribeGlobalReplicationGroups"),
			},
			Params: []runbooks.Param{
				required(str("global_replication_group_id", "GlobalReplicationGroupId",
					"The id of the global datastore, with the prefix ElastiCache gave it (such as ldgnf-sessions).")),
				required(str("primary_replication_group_id", "PrimaryReplicationGroupId",
					"The replication group to make the primary: the global datastore's member in primary_region.")),
				region("primary_region", "PrimaryRegion",
					"The Region of that replication group; the step's Region (by default the runbook's recovery Region) when left out."),
			},
			Outputs: []string{"GlobalReplicationGroup.Status", "GlobalReplicationGroup.ARN", "PrimaryRegion"},
			Idempotency: "Check-before-act: DescribeGlobalReplicationGroups (ShowMemberInfo) shows the members' roles; when the replication group is already the primary " +
				"(a retried or resumed step, or a failover by hand) nothing is sent and the action only waits. " +
				"The request is planned with PrimaryRegion filled in, so the gate shows what is sent.",
			Wait: "Polls DescribeGlobalReplicationGroups until the global datastore is available and the replication group is its PRIMARY member; " +
				"fails when the datastore is being deleted or the group is no longer a member. The response is {GlobalReplicationGroup, PrimaryRegion} from that last read.",
			Expect:  runbooks.Minutes(2),
			Timeout: runbooks.Minutes(20),
		},
		example: example{
			id: "promote-sessions-cache", phase: "reintegrate", title: "Make the recovery Region's session cache the primary",
			with: []setting{
				{"global_replication_group_id", `"ldgnf-sessions"`},
				{"primary_replication_group_id", `"sessions-recovery"`},
			},
			outputs: []setting{{"cache_status", `"GlobalReplicationGroup.Status"`}},
		},
	}
}
