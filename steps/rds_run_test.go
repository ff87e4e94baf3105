package steps

import (
	"fmt"
	"strings"
	"testing"
)

// rdsScenario has, in the recovery Region eu-central-1, the instance
// orders (with automated backups) and its snapshot orders-nightly, and a
// read replica orders-replica of Ireland's orders; and the global
// database store-global, written in Ireland, with a secondary cluster in
// Frankfurt. Ireland is down.
const rdsScenario = `
account = "123456789012"

[[create]]
service   = "rds"
region    = "eu-central-1"
operation = "CreateDBInstance"
ago       = "1000h"
input     = { DBInstanceIdentifier = "orders", Engine = "postgres", DBInstanceClass = "db.r6g.large", AllocatedStorage = 100, BackupRetentionPeriod = 7 }

[[create]]
service   = "rds"
region    = "eu-central-1"
operation = "CreateDBSnapshot"
ago       = "10h"
input     = { DBSnapshotIdentifier = "orders-nightly", DBInstanceIdentifier = "orders" }

[[create]]
service   = "rds"
region    = "eu-west-1"
operation = "CreateDBInstance"
ago       = "1000h"
input     = { DBInstanceIdentifier = "orders", Engine = "postgres", DBInstanceClass = "db.r6g.large", AllocatedStorage = 100, BackupRetentionPeriod = 7 }

[[create]]
service   = "rds"
region    = "eu-central-1"
operation = "CreateDBInstanceReadReplica"
ago       = "500h"
input     = { DBInstanceIdentifier = "orders-replica", SourceDBInstanceIdentifier = "arn:aws:rds:eu-west-1:123456789012:db:orders" }

[[create]]
service   = "rds"
region    = "eu-west-1"
operation = "CreateDBCluster"
ago       = "1000h"
input     = { DBClusterIdentifier = "store-a", Engine = "aurora-postgresql" }

[[create]]
service   = "rds"
region    = "eu-west-1"
operation = "CreateGlobalCluster"
ago       = "999h"
input     = { GlobalClusterIdentifier = "store-global", SourceDBClusterIdentifier = "arn:aws:rds:eu-west-1:123456789012:cluster:store-a" }

[[create]]
service   = "rds"
region    = "eu-central-1"
operation = "CreateDBCluster"
ago       = "998h"
input     = { DBClusterIdentifier = "store-b", Engine = "aurora-postgresql", GlobalClusterIdentifier = "store-global" }

[[faults]]
outage = { region = "eu-west-1" }
`

// rdsStep is one step of action with the given [steps.with] and
// [steps.outputs] lines.
func rdsStep(id, action, with, outputs string) string {
	return fmt.Sprintf("\n[[steps]]\nid = %q\nphase = \"restore\"\ntitle = %q\naction = %q\ndoc = \"x\"\n[steps.with]\n%s\n[steps.outputs]\n%s\n",
		id, id, action, with, outputs)
}

const (
	endpointOutput  = `endpoint = "DBInstance.Endpoint.Address"` + "\nstatus = \"DBInstance.DBInstanceStatus\""
	pitrWith        = `source_db_instance_identifier = "orders"` + "\n" + `target_db_instance_identifier = "orders-pitr"` + "\nuse_latest_restorable_time = true\ndb_instance_class = \"db.r6g.xlarge\""
	snapshotWith    = `db_instance_identifier = "orders-snap"` + "\n" + `db_snapshot_identifier = "orders-nightly"`
	promoteWith     = `db_instance_identifier = "orders-replica"` + "\nbackup_retention_period = 7"
	failoverWith    = `global_cluster_identifier = "store-global"` + "\n" + `target_db_cluster_identifier = "arn:aws:rds:eu-central-1:123456789012:cluster:store-b"` + "\nallow_data_loss = true"
	failoverOutputs = `status = "GlobalCluster.Status"` + "\n" + `arn = "GlobalCluster.GlobalClusterArn"`
)

// TestRDSActions runs each action, then runs it again against what the
// first run left (a retried or resumed run), then in dry-run.
func TestRDSActions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, step, act string
		check           func(t *testing.T, tr *testRun, out map[string]any)
		// againNote is what the second run notes instead of acting.
		againNote string
	}{
		{"rds.restore-to-point-in-time", rdsStep("r", "rds.restore-to-point-in-time", pitrWith, endpointOutput), "RestoreDBInstanceToPointInTime",
			instanceIs("orders-pitr", "db.r6g.xlarge"), "already exists"},
		{"rds.restore-from-snapshot", rdsStep("r", "rds.restore-from-snapshot", snapshotWith, endpointOutput), "RestoreDBInstanceFromDBSnapshot",
			instanceIs("orders-snap", "db.r6g.large"), "already exists"},
		{"rds.promote-read-replica", rdsStep("r", "rds.promote-read-replica", promoteWith, endpointOutput), "PromoteReadReplica",
			func(t *testing.T, tr *testRun, out map[string]any) {
				db := respFirst(readBack(t, tr, "rds", "eu-central-1", "DescribeDBInstances", map[string]any{"DBInstanceIdentifier": "orders-replica"}), "DBInstances")
				if src := respString(db, "ReadReplicaSourceDBInstanceIdentifier"); src != "" || db["BackupRetentionPeriod"] != float64(7) {
					t.Errorf("after the promotion: source %q, retention %v", src, db["BackupRetentionPeriod"])
				}
			}, "already standalone"},
		{"rds.failover-global-cluster", rdsStep("r", "rds.failover-global-cluster", failoverWith, failoverOutputs), "FailoverGlobalCluster",
			func(t *testing.T, tr *testRun, out map[string]any) {
				gc := respFirst(readBack(t, tr, "rds", "eu-central-1", "DescribeGlobalClusters", map[string]any{"GlobalClusterIdentifier": "store-global"}), "GlobalClusters")
				if w := globalWriter(gc); w != "arn:aws:rds:eu-central-1:123456789012:cluster:store-b" || out["status"] != "available" {
					t.Errorf("writer %s, outputs %v", w, out)
				}
			}, "already the writer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := restoreRunbook("eu-west-1", "eu-central-1", "1h", tc.step)
			tr := startRun(t, src, rdsScenario, runOptions{})
			out := stepOutputs(t, tr, "r")
			tc.check(t, tr, out)
			if n := countRequests(tr, tc.act, "eu-central-1"); n != 1 {
				t.Errorf("%d %s requests, want 1", n, tc.act)
			}
			tr.verify()

			again := startRun(t, src, "", runOptions{on: tr})
			stepOutputs(t, again, "r")
			if n := countRequests(again, tc.act, ""); n != 1 || !hasNote(again, "r", tc.againNote) {
				t.Errorf("second run: %d %s requests in all, notes %v", n, tc.act, stepNotes(again, "r"))
			}

			dry := startRun(t, src, rdsScenario, runOptions{mode: ModeDryRun})
			if n := len(dry.mutatingRequests()); n != 0 {
				t.Errorf("dry-run sent %d mutating requests", n)
			}
			if done := dry.rec.of(EventStepDone, "r"); len(done) != 1 || !done[0].Simulated {
				t.Errorf("dry-run step: %+v, error %s", done, stepError(dry))
			}
			dry.verify()
		})
	}
}

// instanceIs checks a restore's outputs and the instance it made.
func instanceIs(id, class string) func(t *testing.T, tr *testRun, out map[string]any) {
	return func(t *testing.T, tr *testRun, out map[string]any) {
		t.Helper()
		if out["status"] != "available" || !strings.HasPrefix(fmt.Sprint(out["endpoint"]), id+".") {
			t.Errorf("outputs %v", out)
		}
		db := respFirst(readBack(t, tr, "rds", "eu-central-1", "DescribeDBInstances", map[string]any{"DBInstanceIdentifier": id}), "DBInstances")
		if got := respString(db, "DBInstanceClass"); got != class {
			t.Errorf("%s is a %s, want %s", id, got, class)
		}
	}
}

// TestRDSRestoreFromSnapshotByARN: a snapshot named by ARN, as one shared
// from another account is, is checked and restored.
func TestRDSRestoreFromSnapshotByARN(t *testing.T) {
	t.Parallel()
	with := strings.Replace(snapshotWith, `"orders-nightly"`, `"arn:aws:rds:eu-central-1:123456789012:snapshot:orders-nightly"`, 1)
	tr := startRun(t, restoreRunbook("eu-west-1", "eu-central-1", "1h", rdsStep("r", "rds.restore-from-snapshot", with, endpointOutput)), rdsScenario, runOptions{})
	instanceIs("orders-snap", "db.r6g.large")(t, tr, stepOutputs(t, tr, "r"))
}

// TestRDSPromoteDryRunKeepsTheEndpoint: a promotion keeps the instance's
// endpoint, so dry-run's simulated answer already has it for later steps.
func TestRDSPromoteDryRunKeepsTheEndpoint(t *testing.T) {
	t.Parallel()
	src := restoreRunbook("eu-west-1", "eu-central-1", "1h", rdsStep("r", "rds.promote-read-replica", promoteWith, endpointOutput))
	tr := startRun(t, src, rdsScenario, runOptions{mode: ModeDryRun})
	if out := stepOutputs(t, tr, "r"); out["endpoint"] != "orders-replica.c0sandbox0.eu-central-1.rds.amazonaws.com" {
		t.Errorf("outputs %v", out)
	}
}

// TestRDSPromoteDryRunLeavesOutWhatPromotionChanges: the replica's backup
// retention and replication status read before the promotion are not the
// promoted instance's; the retention the input sets is.
func TestRDSPromoteDryRunLeavesOutWhatPromotionChanges(t *testing.T) {
	t.Parallel()
	outputs := `retention = "DBInstance.BackupRetentionPeriod"` + "\n" + `window = "DBInstance.PreferredBackupWindow"` + "\n" +
		`source = "DBInstance.ReadReplicaSourceDBInstanceIdentifier"`
	src := restoreRunbook("eu-west-1", "eu-central-1", "1h", rdsStep("r", "rds.promote-read-replica", promoteWith, outputs))
	out := dryRunOutputs(t, src, rdsScenario, "r")
	if fmt.Sprint(out["retention"]) != "7" || out["window"] != "<simulated: steps.r.window>" || out["source"] != "<simulated: steps.r.source>" {
		t.Errorf("outputs %v", out)
	}
}

func TestRDSWaitAvailable(t *testing.T) {
	t.Parallel()
	outputs := `endpoint = "DBInstances[0].Endpoint.Address"` + "\n" + `arn = "DBInstances[0].DBInstanceArn"`
	step := func(id string) string {
		return rdsStep("w", "rds.wait-available", fmt.Sprintf("db_instance_identifier = %q", id), outputs)
	}
	t.Run("an available instance", func(t *testing.T) {
		t.Parallel()
		tr := startRun(t, restoreRunbook("eu-west-1", "eu-central-1", "1h", step("orders")), rdsScenario, runOptions{})
		out := stepOutputs(t, tr, "w")
		if out["endpoint"] != "orders.c0sandbox0.eu-central-1.rds.amazonaws.com" || out["arn"] != "arn:aws:rds:eu-central-1:123456789012:db:orders" {
			t.Errorf("outputs %v", out)
		}
		tr.verify()
	})
	t.Run("a missing instance fails live and is simulated in dry-run", func(t *testing.T) {
		t.Parallel()
		src := restoreRunbook("eu-west-1", "eu-central-1", "1h", step("orders-dr"))
		tr := startRun(t, src, rdsScenario, runOptions{})
		if err := stepError(tr); !strings.Contains(err, "DB instance orders-dr does not exist in eu-central-1") {
			t.Errorf("error %q", err)
		}
		dry := startRun(t, src, rdsScenario, runOptions{mode: ModeDryRun})
		if out := stepOutputs(t, dry, "w"); out["endpoint"] != "<simulated: steps.w.endpoint>" || !hasNote(dry, "w", "does not exist") {
			t.Errorf("dry-run outputs %v, notes %v", out, stepNotes(dry, "w"))
		}
		dry.verify()
	})
	t.Run("an instance stuck in a state it does not leave", func(t *testing.T) {
		t.Parallel()
		scenario := rdsScenario + "\n[[faults]]\nstuck = { service = \"rds\", region = \"eu-central-1\", id = \"orders\", state = \"incompatible-parameters\" }\n"
		tr := startRun(t, restoreRunbook("eu-west-1", "eu-central-1", "1h", step("orders")), scenario, runOptions{})
		if err := stepError(tr); !strings.Contains(err, "DB instance orders is incompatible-parameters") {
			t.Errorf("error %q", err)
		}
	})
}

func TestRDSActionsRefuse(t *testing.T) {
	t.Parallel()
	stuckTarget := rdsScenario + "\n[[faults]]\nstuck = { service = \"rds\", region = \"eu-central-1\", id = \"orders-snap\", state = \"incompatible-restore\" }\n"
	for _, tc := range []struct {
		name, step, scenario, want string
		mutating                   int
	}{
		{"a snapshot that does not exist",
			rdsStep("r", "rds.restore-from-snapshot", strings.Replace(snapshotWith, "orders-nightly", "orders-weekly", 1), ""),
			rdsScenario, "DB snapshot orders-weekly does not exist in eu-central-1", 0},
		{"a restore that ends incompatible",
			rdsStep("r", "rds.restore-from-snapshot", snapshotWith, ""),
			stuckTarget, "DB instance orders-snap is incompatible-restore", 1},
		{"a source instance that does not exist",
			rdsStep("r", "rds.restore-to-point-in-time", strings.Replace(pitrWith, `= "orders"`, `= "invoices"`, 1), ""),
			rdsScenario, "restore invoices to a point in time as DB instance orders-pitr", 1},
		{"a restore time that is not a timestamp",
			rdsStep("r", "rds.restore-to-point-in-time", strings.Replace(pitrWith, "use_latest_restorable_time = true", `restore_time = "yesterday"`, 1), ""),
			rdsScenario, `restore_time "yesterday" is not an RFC 3339 timestamp`, 0},
		{"a replica that does not exist",
			rdsStep("r", "rds.promote-read-replica", strings.Replace(promoteWith, "orders-replica", "orders-replica2", 1), ""),
			rdsScenario, "DB instance orders-replica2 does not exist in eu-central-1", 0},
		{"a failover target outside the global cluster",
			rdsStep("r", "rds.failover-global-cluster", strings.Replace(failoverWith, "cluster:store-b", "cluster:store-c", 1), ""),
			rdsScenario, "cluster:store-c is not a member of global cluster store-global", 0},
		{"a global cluster that does not exist",
			rdsStep("r", "rds.failover-global-cluster", strings.Replace(failoverWith, `"store-global"`, `"shop-global"`, 1), ""),
			rdsScenario, "global cluster shop-global does not exist", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tr := startRun(t, restoreRunbook("eu-west-1", "eu-central-1", "1h", tc.step), tc.scenario, runOptions{})
			if err := stepError(tr); !strings.Contains(err, tc.want) {
				t.Errorf("error %q, want it to say %q", err, tc.want)
			}
			if n := len(tr.mutatingRequests()); n != tc.mutating {
				t.Errorf("%d mutating requests, want %d", n, tc.mutating)
			}
			tr.verify()
		})
	}
}
