package steps

import (
	"strings"
	"testing"
)

// cacheScenario has the global datastore ldgnf-sessions, its primary
// sessions-a in Ireland and its secondary sessions-b in Frankfurt, the
// recovery Region. Ireland is down.
const cacheScenario = `
account = "123456789012"

[[create]]
service   = "elasticache"
region    = "eu-west-1"
operation = "CreateReplicationGroup"
ago       = "1000h"
input     = { ReplicationGroupId = "sessions-a", ReplicationGroupDescription = "sessions" }

[[create]]
service   = "elasticache"
region    = "eu-west-1"
operation = "CreateGlobalReplicationGroup"
ago       = "999h"
id        = "ldgnf-sessions"
input     = { GlobalReplicationGroupIdSuffix = "sessions", PrimaryReplicationGroupId = "sessions-a" }

[[create]]
service   = "elasticache"
region    = "eu-central-1"
operation = "CreateReplicationGroup"
ago       = "998h"
input     = { ReplicationGroupId = "sessions-b", ReplicationGroupDescription = "sessions", GlobalReplicationGroupId = "ldgnf-sessions" }

[[faults]]
outage = { region = "eu-west-1" }
`

const (
	cacheFailoverWith    = `global_replication_group_id = "ldgnf-sessions"` + "\n" + `primary_replication_group_id = "sessions-b"`
	cacheFailoverOutputs = `status = "GlobalReplicationGroup.Status"` + "\n" + `region = "PrimaryRegion"`
)

// TestElastiCacheFailoverGlobalDatastore runs the failover, again against
// what it left (nothing is sent: the group is already primary), and in
// dry-run.
func TestElastiCacheFailoverGlobalDatastore(t *testing.T) {
	t.Parallel()
	src := restoreRunbook("eu-west-1", "eu-central-1", "1h", rdsStep("c", "elasticache.failover-global-datastore", cacheFailoverWith, cacheFailoverOutputs))
	tr := startRun(t, src, cacheScenario, runOptions{})
	if out := stepOutputs(t, tr, "c"); out["status"] != "available" || out["region"] != "eu-central-1" {
		t.Errorf("outputs %v", out)
	}
	g := respFirst(readBack(t, tr, "elasticache", "eu-central-1", "DescribeGlobalReplicationGroups", globalDatastoreQuery("ldgnf-sessions")), "GlobalReplicationGroups")
	if m := cacheMemberOf(g, "sessions-b", "eu-central-1"); respString(m, "Role") != "PRIMARY" {
		t.Errorf("members after the failover: %s", cacheMembers(g))
	}
	rg := respFirst(readBack(t, tr, "elasticache", "eu-central-1", "DescribeReplicationGroups", map[string]any{"ReplicationGroupId": "sessions-b"}), "ReplicationGroups")
	if info := respMap(rg["GlobalReplicationGroupInfo"]); respString(info, "GlobalReplicationGroupMemberRole") != "primary" {
		t.Errorf("sessions-b: %v", rg)
	}
	if n := countRequests(tr, "FailoverGlobalReplicationGroup", "eu-central-1"); n != 1 {
		t.Errorf("%d failovers, want 1", n)
	}
	tr.verify()

	rerunSendsNoMore(t, tr, src, "c", "FailoverGlobalReplicationGroup", "already the primary")

	if out := dryRunOutputs(t, src, cacheScenario, "c"); out["status"] != "modifying" || out["region"] != "eu-central-1" {
		t.Errorf("dry-run outputs %v", out)
	}
}

func TestElastiCacheFailoverRefuses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, with, want string }{
		{"a global datastore that does not exist", strings.Replace(cacheFailoverWith, "ldgnf-sessions", "sessions", 1),
			"global datastore sessions does not exist (asked in eu-central-1)"},
		{"a group that is not a member", strings.Replace(cacheFailoverWith, "sessions-b", "carts-b", 1),
			"replication group carts-b in eu-central-1 is not a member of global datastore ldgnf-sessions (its members: sessions-a in eu-west-1 (primary), sessions-b in eu-central-1 (secondary))"},
		{"a member of another Region", cacheFailoverWith + "\nprimary_region = \"us-east-1\"",
			"replication group sessions-b in us-east-1 is not a member"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tr := startRun(t, restoreRunbook("eu-west-1", "eu-central-1", "1h", rdsStep("c", "elasticache.failover-global-datastore", tc.with, "")), cacheScenario, runOptions{})
			if err := stepError(tr); !strings.Contains(err, tc.want) {
				t.Errorf("error %q, want it to say %q", err, tc.want)
			}
			if n := len(tr.mutatingRequests()); n != 0 {
				t.Errorf("%d mutating requests", n)
			}
			tr.verify()
		})
	}
}
