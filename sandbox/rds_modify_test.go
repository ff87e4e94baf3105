package sandbox

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
)

// TestRDSModifyRebootAndAutomatedBackups: an instance is modified (class,
// Multi-AZ, retention), rebooted with a failover once Multi-AZ, and its
// automated backups show the window it can be restored to. A change to an
// instance that is not available, shrinking storage, and forcing a
// failover on a Single-AZ instance are refused.
func TestRDSModifyRebootAndAutomatedBackups(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{})
	client := rds.NewFromConfig(awsConfig(t, url, "us-east-1"))
	if _, err := client.CreateDBInstance(ctx(t), &rds.CreateDBInstanceInput{DBInstanceIdentifier: aws.String("orders"), BackupRetentionPeriod: aws.Int32(7),
		DBInstanceClass: aws.String("db.r6g.large"), Engine: aws.String("postgres"), AllocatedStorage: aws.Int32(100)}); err != nil {
		t.Fatal(err)
	}
	_, err := client.ModifyDBInstance(ctx(t), &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("orders"), DBInstanceClass: aws.String("db.r6g.xlarge")})
	if apiCode(err) != "InvalidDBInstanceState" {
		t.Fatalf("modifying an instance being created: %v", err)
	}
	advance := func(d time.Duration) {
		if err := sb.Clock().Advance(d); err != nil {
			t.Fatal(err)
		}
	}
	advance(3 * 24 * time.Hour)
	if _, err := client.RebootDBInstance(ctx(t), &rds.RebootDBInstanceInput{DBInstanceIdentifier: aws.String("orders"), ForceFailover: aws.Bool(true)}); apiCode(err) != "InvalidParameterCombination" {
		t.Fatalf("a forced failover of a Single-AZ instance: %v", err)
	}
	if _, err := client.ModifyDBInstance(ctx(t), &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("orders"), AllocatedStorage: aws.Int32(50)}); apiCode(err) != "InvalidParameterCombination" {
		t.Fatalf("shrinking storage: %v", err)
	}
	mod, err := client.ModifyDBInstance(ctx(t), &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("orders"), DBInstanceClass: aws.String("db.r6g.xlarge"),
		MultiAZ: aws.Bool(true), ApplyImmediately: aws.Bool(true)})
	if err != nil || aws.ToString(mod.DBInstance.DBInstanceStatus) != "modifying" || aws.ToString(mod.DBInstance.DBInstanceClass) != "db.r6g.xlarge" ||
		!aws.ToBool(mod.DBInstance.MultiAZ) {
		t.Fatalf("modify: %+v %v", mod, err)
	}
	advance(rdsModify)
	reboot, err := client.RebootDBInstance(ctx(t), &rds.RebootDBInstanceInput{DBInstanceIdentifier: aws.String("orders"), ForceFailover: aws.Bool(true)})
	if err != nil || aws.ToString(reboot.DBInstance.DBInstanceStatus) != "rebooting" {
		t.Fatalf("reboot: %+v %v", reboot, err)
	}
	advance(rdsReboot)
	if got := aws.ToString(describe(t, client, "orders").DBInstanceStatus); got != "available" {
		t.Fatalf("after the reboot: %s", got)
	}
	backups, err := client.DescribeDBInstanceAutomatedBackups(ctx(t), &rds.DescribeDBInstanceAutomatedBackupsInput{DBInstanceIdentifier: aws.String("orders")})
	if err != nil || len(backups.DBInstanceAutomatedBackups) != 1 {
		t.Fatalf("automated backups: %+v %v", backups, err)
	}
	b := backups.DBInstanceAutomatedBackups[0]
	if w := b.RestoreWindow; aws.ToString(b.Status) != "active" || w == nil || w.LatestTime.Sub(*w.EarliestTime) < 3*24*time.Hour-time.Hour {
		t.Fatalf("automated backup: %+v %+v", b, b.RestoreWindow)
	}
	if _, err := client.DescribeDBInstanceAutomatedBackups(ctx(t), &rds.DescribeDBInstanceAutomatedBackupsInput{DBInstanceIdentifier: aws.String("nope")}); apiCode(err) != "DBInstanceAutomatedBackupNotFound" {
		t.Fatalf("an unknown instance's backups: %v", err)
	}
}
