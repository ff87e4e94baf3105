package steps

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drpilot/drpilot/sandbox"
)

// backupScenario is a recovery Region (eu-central-1) with a vault that
// holds two completed backups of a database, five hours and forty
// minutes old, and one of a volume, forty minutes old; the recovery
// point ARNs are pinned so that tests can name them.
const backupScenario = `
account = "123456789012"

[[create]]
service   = "backup"
region    = "eu-central-1"
operation = "CreateBackupVault"
ago       = "1000h"
input     = { BackupVaultName = "dr-vault" }

[[create]]
service   = "rds"
region    = "eu-central-1"
operation = "CreateDBInstance"
ago       = "1000h"
input     = { DBInstanceIdentifier = "docs-db", Engine = "postgres", DBInstanceClass = "db.r6g.large", AllocatedStorage = 100, BackupRetentionPeriod = 7 }

[[create]]
service   = "ec2"
region    = "eu-central-1"
operation = "CreateVolume"
id        = "vol-0a1b2c3d4e5f60718"
ago       = "1000h"
input     = { AvailabilityZone = "eu-central-1a", Size = 400, VolumeType = "gp3" }

[[create]]
service   = "backup"
region    = "eu-central-1"
operation = "StartBackupJob"
ago       = "5h"
id        = "arn:aws:rds:eu-central-1:123456789012:snapshot:awsbackup:job-old"
input     = { BackupVaultName = "dr-vault", ResourceArn = "arn:aws:rds:eu-central-1:123456789012:db:docs-db", IamRoleArn = "arn:aws:iam::123456789012:role/backup" }

[[create]]
service   = "backup"
region    = "eu-central-1"
operation = "StartBackupJob"
ago       = "40m"
id        = "arn:aws:rds:eu-central-1:123456789012:snapshot:awsbackup:job-new"
input     = { BackupVaultName = "dr-vault", ResourceArn = "arn:aws:rds:eu-central-1:123456789012:db:docs-db", IamRoleArn = "arn:aws:iam::123456789012:role/backup" }

[[create]]
service   = "backup"
region    = "eu-central-1"
operation = "StartBackupJob"
ago       = "40m"
id        = "arn:aws:ec2:eu-central-1::snapshot/snap-0a00000000000c230"
input     = { BackupVaultName = "dr-vault", ResourceArn = "arn:aws:ec2:eu-central-1:123456789012:volume/vol-0a1b2c3d4e5f60718", IamRoleArn = "arn:aws:iam::123456789012:role/backup" }
`

const (
	dbBackupNew = "arn:aws:rds:eu-central-1:123456789012:snapshot:awsbackup:job-new"
	volBackup   = "arn:aws:ec2:eu-central-1::snapshot/snap-0a00000000000c230"
)

// restoreDBStep restores the newest backup of docs-db as docs-db-dr.
const restoreDBStep = `
[[steps]]
id     = "restore-db"
phase  = "restore"
title  = "Restore the database"
action = "backup.start-restore"
doc    = "Restore the newest backup of docs-db."
[steps.with]
backup_vault_name = "dr-vault"
resource_arn      = "arn:aws:rds:eu-central-1:123456789012:db:docs-db"
iam_role_arn      = "arn:aws:iam::123456789012:role/backup"
resource_type     = "RDS"
metadata          = { DBInstanceIdentifier = "docs-db-dr", DBInstanceClass = "db.r6g.xlarge", MultiAZ = false }
[steps.outputs]
job_id  = "RestoreJobId"
db_arn  = "CreatedResourceArn"
db_id   = "CreatedResourceId"
point   = "RecoveryPointArn"
created = "RecoveryPointCreationDate"
`

// restoreVolumeStep restores the volume's backup, named by ARN, in
// eu-central-1b.
const restoreVolumeStep = `
[[steps]]
id     = "restore-volume"
phase  = "restore"
title  = "Restore the volume"
action = "backup.start-restore"
doc    = "Restore the volume's backup."
[steps.with]
backup_vault_name  = "dr-vault"
recovery_point_arn = "` + volBackup + `"
iam_role_arn       = "arn:aws:iam::123456789012:role/backup"
metadata           = { availabilityZone = "eu-central-1b" }
[steps.outputs]
job_id    = "RestoreJobId"
volume_id = "CreatedResourceId"
`

func TestBackupStartRestore(t *testing.T) {
	t.Parallel()
	t.Run("the newest completed point of a resource, into a DB instance", func(t *testing.T) {
		t.Parallel()
		tr := startRun(t, restoreRunbook("eu-west-1", "eu-central-1", "2h", restoreDBStep), backupScenario, runOptions{})
		out := stepOutputs(t, tr, "restore-db")
		if out["point"] != dbBackupNew || out["db_id"] != "docs-db-dr" ||
			out["db_arn"] != "arn:aws:rds:eu-central-1:123456789012:db:docs-db-dr" || out["job_id"] == "" {
			t.Errorf("outputs %v", out)
		}
		if !hasNote(tr, "restore-db", "within the rpo of 2h") {
			t.Errorf("no note of the point's age: %v", stepNotes(tr, "restore-db"))
		}
		db := readBack(t, tr, "rds", "eu-central-1", "DescribeDBInstances", map[string]any{"DBInstanceIdentifier": "docs-db-dr"})
		if got := respString(respFirst(db, "DBInstances"), "DBInstanceClass"); got != "db.r6g.xlarge" {
			t.Errorf("restored instance class %q, want the metadata's db.r6g.xlarge", got)
		}
		if n := countRequests(tr, "StartRestoreJob", ""); n != 1 {
			t.Errorf("%d StartRestoreJob requests, want 1", n)
		}
		tr.verify()
	})
	t.Run("a point by ARN, into a volume, and again with the same token", func(t *testing.T) {
		t.Parallel()
		src := restoreRunbook("eu-west-1", "eu-central-1", "2h", restoreVolumeStep)
		tr := startRun(t, src, backupScenario, runOptions{})
		out := stepOutputs(t, tr, "restore-volume")
		volumeID, _ := out["volume_id"].(string)
		if !strings.HasPrefix(volumeID, "vol-") {
			t.Fatalf("outputs %v", out)
		}
		vol := readBack(t, tr, "ec2", "eu-central-1", "DescribeVolumes", map[string]any{"VolumeIds": []any{volumeID}})
		if az := respString(respFirst(vol, "Volumes"), "AvailabilityZone"); az != "eu-central-1b" {
			t.Errorf("restored volume in %q, want the metadata's eu-central-1b", az)
		}
		again := startRun(t, src, "", runOptions{on: tr})
		if got := stepOutputs(t, again, "restore-volume"); got["job_id"] != out["job_id"] || got["volume_id"] != volumeID {
			t.Errorf("the second run restored %v, want the first run's job %v", got, out)
		}
		all := readBack(t, tr, "ec2", "eu-central-1", "DescribeVolumes", nil)
		if n := len(respList(all, "Volumes")); n != 2 {
			t.Errorf("%d volumes after two runs, want the source and one restored", n)
		}
		again.verify()
	})
	t.Run("dry-run sends nothing and still checks the rpo", func(t *testing.T) {
		t.Parallel()
		tr := startRun(t, restoreRunbook("eu-west-1", "eu-central-1", "2h", restoreDBStep), backupScenario, runOptions{mode: ModeDryRun})
		if n := len(tr.mutatingRequests()); n != 0 {
			t.Fatalf("dry-run sent %d mutating requests", n)
		}
		done := tr.rec.of(EventStepDone, "restore-db")
		if len(done) != 1 || !done[0].Simulated {
			t.Fatalf("step done events %+v", done)
		}
		if out := done[0].Outputs; out["point"] != dbBackupNew || out["job_id"] != "<simulated: steps.restore-db.job_id>" {
			t.Errorf("outputs %v", out)
		}
		if !hasNote(tr, "restore-db", "within the rpo of 2h") {
			t.Errorf("notes %v", stepNotes(tr, "restore-db"))
		}
		tr.verify()
	})
}

func TestBackupStartRestoreRefuses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, rpo, step, want string
	}{
		{"a point older than the rpo", "30m", restoreDBStep, "is older than the runbook's rpo of 30m"},
		{"a resource with no recovery point", "2h",
			strings.Replace(restoreDBStep, "db:docs-db\"", "db:other-db\"", 1), "holds no COMPLETED recovery point of arn:aws:rds:eu-central-1:123456789012:db:other-db"},
		{"a vault that does not exist", "2h",
			strings.Replace(restoreDBStep, `"dr-vault"`, `"no-vault"`, 1), "backup vault no-vault does not exist in eu-central-1"},
		{"a point that is not in the vault", "2h",
			strings.Replace(restoreVolumeStep, volBackup, "arn:aws:ec2:eu-central-1::snapshot/snap-0ffffffffffffffff", 1), "is not in vault dr-vault"},
		{"metadata that is not a string", "2h",
			strings.Replace(restoreVolumeStep, `availabilityZone = "eu-central-1b"`, `zones = ["a"]`, 1), "metadata.zones must be a string"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tr := startRun(t, restoreRunbook("eu-west-1", "eu-central-1", tc.rpo, tc.step), backupScenario, runOptions{})
			if err := stepError(tr); !strings.Contains(err, tc.want) {
				t.Errorf("error %q, want it to say %q", err, tc.want)
			}
			if n := len(tr.mutatingRequests()); n != 0 {
				t.Errorf("%d mutating requests sent", n)
			}
			tr.verify()
		})
	}
}

// TestBackupStartRestoreAborted: a restore job that AWS Backup aborts
// fails the step, naming the job, the point and the status.
func TestBackupStartRestoreAborted(t *testing.T) {
	t.Parallel()
	tr := prepareRun(t, restoreRunbook("eu-west-1", "eu-central-1", "2h", restoreDBStep), backupScenario, runOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	go func() {
		// The job runs for twenty simulated minutes (two seconds): long
		// enough to find it and abort it.
		for ctx.Err() == nil {
			jobs := respMap(respMap(sandboxState(t, tr)["backup/eu-central-1"])["restore_jobs"])
			for id := range jobs {
				injectFault(t, tr.endpoint, sandbox.Fault{Stuck: &sandbox.Stuck{Service: "backup", Region: "eu-central-1", ID: id, State: "ABORTED"}})
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	tr.summary, tr.err = tr.exec.Run(ctx)
	err := stepError(tr)
	if !strings.Contains(err, "is ABORTED") || !strings.Contains(err, dbBackupNew) {
		t.Errorf("error %q, want the aborted job named with its recovery point", err)
	}
	tr.verify()
}

// TestBackupStartRestoreShippedScenario runs the restore steps of
// runbooks/backup-restore-rapid-recovery.toml, as that runbook writes
// them, against its game-day scenario: Ireland is out, and Frankfurt's
// vault holds copies of Ireland's hourly backups.
func TestBackupStartRestoreShippedScenario(t *testing.T) {
	t.Parallel()
	scenario, err := os.ReadFile(filepath.Join("..", "runbooks", "scenarios", "backup-restore-rapid-recovery.toml"))
	if err != nil {
		t.Fatal(err)
	}
	const steps = `
[[steps]]
id     = "restore-database"
phase  = "restore"
title  = "Restore the metadata database from its newest copy"
action = "backup.start-restore"
doc    = "x"
[steps.with]
backup_vault_name = "docstore-dr-vault"
resource_arn      = "arn:aws:rds:${runbook.regions.primary}:${runbook.account}:db:docstore-db"
iam_role_arn      = "arn:aws:iam::123456789012:role/service-role/AWSBackupDefaultServiceRole"
resource_type     = "RDS"
metadata          = { DBInstanceIdentifier = "docstore-db-dr", DBInstanceClass = "db.r6g.large", DBSubnetGroupName = "docstore-dr-db-subnets", VpcSecurityGroupIds = "sg-0c1d2e3f4a5b6c7d8", AvailabilityZone = "eu-central-1a", MultiAZ = "false", DeletionProtection = "true" }
[steps.outputs]
db_id = "CreatedResourceId"
point = "RecoveryPointArn"

[[steps]]
id     = "db-available"
phase  = "restore"
title  = "Wait until the restored database is available"
action = "rds.wait-available"
doc    = "x"
[steps.with]
db_instance_identifier = "${steps.restore-database.db_id}"
[steps.outputs]
endpoint = "DBInstances[0].Endpoint.Address"

[[steps]]
id     = "restore-data-volume"
phase  = "restore"
title  = "Restore the document volume from its newest copy"
action = "backup.start-restore"
after  = []
doc    = "x"
[steps.with]
backup_vault_name = "docstore-dr-vault"
resource_arn      = "arn:aws:ec2:${runbook.regions.primary}:${runbook.account}:volume/vol-0a1b2c3d4e5f60718"
iam_role_arn      = "arn:aws:iam::123456789012:role/service-role/AWSBackupDefaultServiceRole"
resource_type     = "EBS"
metadata          = { availabilityZone = "eu-central-1a", volumeType = "gp3", encrypted = "true", kmsKeyId = "arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab" }
[steps.outputs]
volume_id = "CreatedResourceId"
point     = "RecoveryPointArn"
`
	tr := startRun(t, restoreRunbook("eu-west-1", "eu-central-1", "2h", steps), string(scenario), runOptions{})
	db := stepOutputs(t, tr, "restore-database")
	if db["db_id"] != "docstore-db-dr" ||
		db["point"] != "arn:aws:rds:eu-central-1:123456789012:snapshot:awsbackup:copy-c0000000-0000-4000-8000-000000000028" {
		t.Errorf("restore-database outputs %v", db)
	}
	if out := stepOutputs(t, tr, "db-available"); out["endpoint"] != "docstore-db-dr.c0sandbox0.eu-central-1.rds.amazonaws.com" {
		t.Errorf("db-available outputs %v", out)
	}
	vol := stepOutputs(t, tr, "restore-data-volume")
	volumeID, _ := vol["volume_id"].(string)
	if vol["point"] != "arn:aws:ec2:eu-central-1::snapshot/snap-0a00000000000e230" || !strings.HasPrefix(volumeID, "vol-") {
		t.Fatalf("restore-data-volume outputs %v", vol)
	}
	found := respFirst(readBack(t, tr, "ec2", "eu-central-1", "DescribeVolumes", map[string]any{"VolumeIds": []any{volumeID}}), "Volumes")
	if respString(found, "AvailabilityZone") != "eu-central-1a" || respString(found, "State") != "available" {
		t.Errorf("the restored volume: %v", found)
	}
	tr.verify()
}

func TestARNResourceID(t *testing.T) {
	t.Parallel()
	for arn, want := range map[string]string{
		"arn:aws:rds:eu-central-1:123456789012:db:docs-db-dr":                  "docs-db-dr",
		"arn:aws:ec2:eu-central-1:123456789012:volume/vol-0abc":                "vol-0abc",
		"arn:aws:dynamodb:us-west-2:123456789012:table/carts":                  "carts",
		"arn:aws:rds:eu-central-1:123456789012:cluster:docs-aurora":            "docs-aurora",
		"arn:aws:elasticfilesystem:eu-central-1:123456789012:file-system/fs-1": "fs-1",
		"vol-0abc": "", "": "", "arn:aws:rds:eu-central-1:1:": "",
	} {
		if got := arnResourceID(arn); got != want {
			t.Errorf("arnResourceID(%q) = %q, want %q", arn, got, want)
		}
	}
}

// The helpers below serve the tests of every restore action.

// restoreRunbook is a runbook of the given steps between two Regions.
func restoreRunbook(primary, recovery, rpo string, steps ...string) string {
	return fmt.Sprintf(`format = 1
[runbook]
id      = "restore-test"
title   = "Restore test"
account = "123456789012"
rto     = "4h"
rpo     = %q
[runbook.regions]
primary  = %q
recovery = %q
`, rpo, primary, recovery) + strings.Join(steps, "\n")
}

// stepOutputs returns a step's outputs, failing the test unless it is done.
func stepOutputs(t *testing.T, tr *testRun, step string) map[string]any {
	t.Helper()
	done := tr.rec.of(EventStepDone, step)
	if len(done) != 1 {
		t.Fatalf("step %s is %s, not done: %s", step, tr.status(step), stepError(tr))
	}
	return done[0].Outputs
}

// stepError is the last failure of any step, or "".
func stepError(tr *testRun) string {
	failed := tr.rec.of(EventStepFailed, "")
	if len(failed) == 0 {
		return ""
	}
	return failed[len(failed)-1].Error
}

func stepNotes(tr *testRun, step string) []string {
	var out []string
	for _, e := range tr.rec.of(EventNote, step) {
		out = append(out, e.Message)
	}
	return out
}

func hasNote(tr *testRun, step, text string) bool {
	for _, n := range stepNotes(tr, step) {
		if strings.Contains(n, text) {
			return true
		}
	}
	return false
}

// countRequests counts the requests for an operation the sandbox answered,
// in one Region or ("") all.
func countRequests(tr *testRun, operation, region string) int {
	entries, _ := tr.sb.Journal().Entries()
	n := 0
	for _, e := range entries {
		if e.Operation == operation && (region == "" || e.Region == region) {
			n++
		}
	}
	return n
}

// readBack reads the sandbox through the run's own clients.
func readBack(t *testing.T, tr *testRun, service, region, operation string, in map[string]any) map[string]any {
	t.Helper()
	resp, err := tr.exec.opts.Clients.Invoke(context.Background(), service, region, operation, in)
	if err != nil {
		t.Fatalf("%s:%s: %v", service, operation, err)
	}
	return resp.Output
}

// injectFault is POST /_sandbox/faults.
func injectFault(t *testing.T, endpoint string, f sandbox.Fault) {
	body, _ := json.Marshal(f)
	resp, err := http.Post(endpoint+"/_sandbox/faults", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Error(err)
		return
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("fault %s: %s", body, resp.Status)
	}
}
