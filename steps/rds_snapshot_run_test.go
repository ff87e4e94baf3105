package steps

import (
	"fmt"
	"strings"
	"testing"
)

// In rdsScenario, orders in eu-central-1 (made 1000 h ago, 7 days of
// backups) has seven automated snapshots, the newest 15 h 52 min old, and
// the manual snapshot orders-nightly, 10 h old.
const (
	newestOfWith       = `db_instance_identifier = "orders-snap"` + "\n" + `newest_snapshot_of = "orders"`
	newestSnapOutputs  = endpointOutput + "\n" + `snapshot = "DBSnapshotIdentifier"` + "\n" + `created = "SnapshotCreateTime"`
	newestAutomatedFmt = `db_instance_identifier = "orders-snap"` + "\n" + `newest_snapshot_matching = %q` + "\n" + `snapshot_type = "automated"`
)

// TestRDSRestoreNewestSnapshot: the newest available snapshot of an
// instance, or of a name and a type, is chosen before the gate, restored
// once, and is the step's recovery point.
func TestRDSRestoreNewestSnapshot(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, with, want string
	}{
		{"newest of an instance", newestOfWith, "orders-nightly"},
		{"newest automated matching a pattern", fmt.Sprintf(newestAutomatedFmt, "rds:orders-*"), "rds:orders-"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := restoreRunbook("eu-west-1", "eu-central-1", "24h", rdsStep("r", "rds.restore-from-snapshot", tc.with, newestSnapOutputs))
			approver := &scriptedApprover{}
			tr := startRun(t, src, rdsScenario, runOptions{approver: approver})
			out := stepOutputs(t, tr, "r")
			instanceIs("orders-snap", "db.r6g.large")(t, tr, out)
			snapshot := fmt.Sprint(out["snapshot"])
			if !strings.HasPrefix(snapshot, tc.want) || !hasNote(tr, "r", "the newest available") ||
				!hasNote(tr, "r", "data restored to "+fmt.Sprint(out["created"])[:19]) || !hasNote(tr, "r", "(DB snapshot "+snapshot+")") {
				t.Errorf("outputs %v, notes %v", out, stepNotes(tr, "r"))
			}
			if len(approver.seen) != 1 || len(approver.seen[0].Calls) != 1 || approver.seen[0].Calls[0].Input["DBSnapshotIdentifier"] != snapshot {
				t.Errorf("the gate does not name snapshot %s: %+v", snapshot, approver.seen)
			}
			checkGatesShowWhatIsSent(t, tr, approver)
			tr.verify()

			again := startRun(t, src, "", runOptions{on: tr})
			stepOutputs(t, again, "r")
			if n := countRequests(again, "RestoreDBInstanceFromDBSnapshot", ""); n != 1 || !hasNote(again, "r", "already exists") {
				t.Errorf("second run: %d restores in all, notes %v", n, stepNotes(again, "r"))
			}

			dry := startRun(t, src, rdsScenario, runOptions{mode: ModeDryRun})
			if n := len(dry.mutatingRequests()); n != 0 {
				t.Errorf("dry-run sent %d mutating requests", n)
			}
			if out := stepOutputs(t, dry, "r"); !strings.HasPrefix(fmt.Sprint(out["snapshot"]), tc.want) {
				t.Errorf("dry-run outputs %v", out)
			}
			dry.verify()
		})
	}
}

// TestRDSRestoreNewestSnapshotPages: the newest snapshot is found on the
// second page of DescribeDBSnapshots, and one still being created, newer
// still, is passed over. The choice is the same in a dry run, which sends
// no restore and so has no twenty minutes to wait: with the clock at real
// time, the snapshot being created stays so for the whole run.
func TestRDSRestoreNewestSnapshotPages(t *testing.T) {
	t.Parallel()
	var sc strings.Builder
	sc.WriteString(rdsScenario)
	snapshot := "\n[[create]]\nservice = \"rds\"\nregion = \"eu-central-1\"\noperation = \"CreateDBSnapshot\"\nago = %q\ninput = { DBSnapshotIdentifier = %q, DBInstanceIdentifier = \"orders\" }\n"
	for i := range 110 {
		fmt.Fprintf(&sc, snapshot, "30h", fmt.Sprintf("orders-hourly-%03d", i))
	}
	fmt.Fprintf(&sc, snapshot, "2h", "zz-orders-before-upgrade")
	fmt.Fprintf(&sc, snapshot, "1m", "zz-orders-creating")
	src := restoreRunbook("eu-west-1", "eu-central-1", "24h", rdsStep("r", "rds.restore-from-snapshot", newestOfWith, newestSnapOutputs))
	tr := startRun(t, src, sc.String(), runOptions{mode: ModeDryRun, timeScale: 1})
	if out := stepOutputs(t, tr, "r"); out["snapshot"] != "zz-orders-before-upgrade" {
		t.Errorf("restored %v, want zz-orders-before-upgrade", out["snapshot"])
	}
	if n := countRequests(tr, "DescribeDBSnapshots", "eu-central-1"); n != 2 {
		t.Errorf("%d DescribeDBSnapshots requests, want 2 pages", n)
	}
}

// TestRDSRestoreSnapshotRefuses: no snapshot matching, a pattern that is
// not one and snapshot_type with a named snapshot fail before anything is
// sent, saying why.
func TestRDSRestoreSnapshotRefuses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, with, want string }{
		{"no snapshot matches", fmt.Sprintf(newestAutomatedFmt, "invoices-*"),
			`there is no available automated DB snapshot matching "invoices-*" in eu-central-1`},
		{"an instance without snapshots", strings.Replace(newestOfWith, `"orders"`, `"orders-replica"`, 1),
			"there is no available DB snapshot of DB instance orders-replica in eu-central-1"},
		{"a pattern that is not one", fmt.Sprintf(newestAutomatedFmt, "orders-[*"), `newest_snapshot_matching "orders-[*" is not a pattern`},
		{"snapshot_type with a named snapshot", snapshotWith + "\nsnapshot_type = \"manual\"", "leave it out with db_snapshot_identifier"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tr := startRun(t, restoreRunbook("eu-west-1", "eu-central-1", "1h", rdsStep("r", "rds.restore-from-snapshot", tc.with, "")), rdsScenario, runOptions{})
			if err := stepError(tr); !strings.Contains(err, tc.want) {
				t.Errorf("error %q, want it to say %q", err, tc.want)
			}
			if n := len(tr.mutatingRequests()); n != 0 {
				t.Errorf("%d mutating requests", n)
			}
		})
	}
}
