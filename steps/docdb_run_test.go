package steps

import (
	"strings"
	"testing"
)

// docdbScenario has the DocumentDB global cluster catalog-global, written
// in Ireland (catalog-a), with a secondary cluster catalog-b in Frankfurt.
// The sandbox serves DocumentDB's API as RDS's, under its signing name.
// Ireland is down.
const docdbScenario = `
account = "123456789012"

[[create]]
service   = "rds"
region    = "eu-west-1"
operation = "CreateDBCluster"
ago       = "1000h"
input     = { DBClusterIdentifier = "catalog-a", Engine = "docdb" }

[[create]]
service   = "rds"
region    = "eu-west-1"
operation = "CreateGlobalCluster"
ago       = "999h"
input     = { GlobalClusterIdentifier = "catalog-global", SourceDBClusterIdentifier = "arn:aws:rds:eu-west-1:123456789012:cluster:catalog-a" }

[[create]]
service   = "rds"
region    = "eu-central-1"
operation = "CreateDBCluster"
ago       = "998h"
input     = { DBClusterIdentifier = "catalog-b", Engine = "docdb", GlobalClusterIdentifier = "catalog-global" }

[[faults]]
outage = { region = "eu-west-1" }
`

const (
	docdbTarget       = "arn:aws:rds:eu-central-1:123456789012:cluster:catalog-b"
	docdbFailoverWith = `global_cluster_identifier = "catalog-global"` + "\n" + `target_db_cluster_identifier = "` + docdbTarget + `"` + "\nallow_data_loss = true"
)

// TestDocDBFailoverGlobalCluster runs the failover through the docdb
// client, again against what it left, and in dry-run.
func TestDocDBFailoverGlobalCluster(t *testing.T) {
	t.Parallel()
	src := restoreRunbook("eu-west-1", "eu-central-1", "1h", rdsStep("d", "docdb.failover-global-cluster", docdbFailoverWith, failoverOutputs))
	tr := startRun(t, src, docdbScenario, runOptions{})
	out := stepOutputs(t, tr, "d")
	gc := respFirst(readBack(t, tr, "docdb", "eu-central-1", "DescribeGlobalClusters", map[string]any{"GlobalClusterIdentifier": "catalog-global"}), "GlobalClusters")
	if w := globalWriter(gc); w != docdbTarget || out["status"] != "available" {
		t.Errorf("writer %s, outputs %v", w, out)
	}
	if n := countRequests(tr, "FailoverGlobalCluster", "eu-central-1"); n != 1 {
		t.Errorf("%d failovers, want 1", n)
	}
	// The data lost is the secondary's lag, measured by DocumentDB's own
	// metric: Ireland has been out since the scenario began.
	if !hasNote(tr, "d", "CloudWatch GlobalClusterReplicationLag") {
		t.Errorf("notes %v", stepNotes(tr, "d"))
	}
	tr.verify()

	rerunSendsNoMore(t, tr, src, "d", "FailoverGlobalCluster", "already the writer")

	if out := dryRunOutputs(t, src, docdbScenario, "d"); out["status"] != "failing-over" {
		t.Errorf("dry-run outputs %v", out)
	}
}

// TestGlobalFailoverDryRunNamesTheNewWriter: the writer a dry-run
// failover's outputs name is the target, which the failover makes the
// writer, never the writer read before it (the old primary, which later
// steps would take for the new one); what the failover would change and
// cannot be known is left out, and the outputs that read it get markers.
func TestGlobalFailoverDryRunNamesTheNewWriter(t *testing.T) {
	t.Parallel()
	outputs := `writer = "GlobalCluster.GlobalClusterMembers[?IsWriter].DBClusterArn | [0]"` + "\n" +
		`readers = "GlobalCluster.GlobalClusterMembers[?IsWriter].Readers | [0]"` + "\n" + `arn = "GlobalCluster.GlobalClusterArn"`
	src := restoreRunbook("eu-west-1", "eu-central-1", "1h", rdsStep("d", "docdb.failover-global-cluster", docdbFailoverWith, outputs))
	out := dryRunOutputs(t, src, docdbScenario, "d")
	if out["writer"] != docdbTarget || out["readers"] != "<simulated: steps.d.readers>" ||
		out["arn"] != "arn:aws:rds::123456789012:global-cluster:catalog-global" {
		t.Errorf("dry-run outputs %v", out)
	}
}

func TestDocDBFailoverRefuses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, with, want string }{
		{"a target outside the global cluster", strings.Replace(docdbFailoverWith, "cluster:catalog-b", "cluster:catalog-c", 1),
			"cluster:catalog-c is not a member of global cluster catalog-global"},
		{"a switchover with the writer's Region out", strings.Replace(docdbFailoverWith, "allow_data_loss", "switchover", 1),
			"a switchover needs the writer's Region eu-west-1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tr := startRun(t, restoreRunbook("eu-west-1", "eu-central-1", "1h", rdsStep("d", "docdb.failover-global-cluster", tc.with, "")), docdbScenario, runOptions{})
			if err := stepError(tr); !strings.Contains(err, tc.want) {
				t.Errorf("error %q, want it to say %q", err, tc.want)
			}
			tr.verify()
		})
	}
}
