package policy

import (
	"slices"
	"testing"

	"github.com/drpilot/drpilot/runbooks"
)

const opsRunbook = `format = 1
[runbook]
id = "ops"
title = "Ops"
account = "123456789012"
rto = "1h"
[runbook.regions]
primary = "eu-west-1"
recovery = "eu-west-2"

[[steps]]
id = "start"
phase = "declare"
action = "fis.start-experiment"
doc = "x"
[steps.with]
experiment_template_id = "EXT1"
[steps.outputs]
id = "Experiment.Id"

[[steps]]
id = "stop"
phase = "declare"
action = "fis.stop-experiment"
doc = "x"
after = ["start"]
[steps.with]
experiment_id = "${steps.start.id}"

[[steps]]
id = "cache"
phase = "reintegrate"
action = "elasticache.failover-global-datastore"
doc = "x"
[steps.with]
global_replication_group_id = "ldgnf-sessions"
primary_replication_group_id = "sessions-b"

[[steps]]
id = "docs"
phase = "reintegrate"
action = "docdb.failover-global-cluster"
doc = "x"
[steps.with]
global_cluster_identifier = "catalog-global"
target_db_cluster_identifier = "arn:aws:rds:eu-west-2:123456789012:cluster:catalog-b"
allow_data_loss = true

`

// TestOpsActionsAreScoped: the global datastore and the group made
// primary, in the step's Region; DocumentDB's failover under rds's IAM
// prefix on its global cluster and target; an experiment's start on its
// template, and its stop, whose id is known only during the run, on every
// experiment.
func TestOpsActionsAreScoped(t *testing.T) {
	t.Parallel()
	r := For([]*runbooks.RunPlan{plan(t, "ops.toml", []byte(opsRunbook))}, ModeLive)
	for action, want := range map[string][]string{
		"elasticache:FailoverGlobalReplicationGroup": {"arn:aws:elasticache::123456789012:globalreplicationgroup:ldgnf-sessions",
			"arn:aws:elasticache:eu-west-2:123456789012:replicationgroup:sessions-b"},
		"rds:FailoverGlobalCluster": {"arn:aws:rds::123456789012:global-cluster:catalog-global", "arn:aws:rds:eu-west-2:123456789012:cluster:catalog-b"},
		"fis:StartExperiment":       {"arn:aws:fis:eu-west-2:123456789012:experiment-template/EXT1", "arn:aws:fis:eu-west-2:123456789012:experiment/*"},
		"fis:StopExperiment":        {"*"},
	} {
		found := false
		for _, p := range r.Permissions {
			if p.Action == action {
				found = true
				if got := slices.Sorted(slices.Values(p.Resources)); !slices.Equal(got, slices.Sorted(slices.Values(want))) {
					t.Errorf("%s on %v, want %v", action, p.Resources, want)
				}
			}
		}
		if !found {
			t.Errorf("no permission %s in %+v", action, r.Permissions)
		}
	}
}
