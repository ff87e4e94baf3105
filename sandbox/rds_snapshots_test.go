package sandbox

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
)

// TestRDSAutomatedSnapshots: an instance that keeps backups has one
// automated snapshot a day for its retention period, listed with the
// manual ones, narrowed by SnapshotType, instance and Filters, in pages,
// and restorable by identifier and by ARN.
func TestRDSAutomatedSnapshots(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{})
	client := rds.NewFromConfig(awsConfig(t, url, "eu-west-1"))
	for id, retention := range map[string]int32{"orders": 30, "audit": 0} {
		if _, err := client.CreateDBInstance(ctx(t), &rds.CreateDBInstanceInput{DBInstanceIdentifier: aws.String(id),
			DBInstanceClass: aws.String("db.t4g.micro"), Engine: aws.String("postgres"), AllocatedStorage: aws.Int32(20), BackupRetentionPeriod: aws.Int32(retention)}); err != nil {
			t.Fatal(err)
		}
	}
	sb.clock.Advance(40*24*time.Hour + time.Hour)
	if _, err := client.CreateDBSnapshot(ctx(t), &rds.CreateDBSnapshotInput{DBInstanceIdentifier: aws.String("orders"),
		DBSnapshotIdentifier: aws.String("orders-pre-upgrade")}); err != nil {
		t.Fatal(err)
	}
	list := func(in *rds.DescribeDBSnapshotsInput) []rdstypes.DBSnapshot {
		t.Helper()
		out, err := client.DescribeDBSnapshots(ctx(t), in)
		if err != nil {
			t.Fatal(err)
		}
		return out.DBSnapshots
	}
	automated := list(&rds.DescribeDBSnapshotsInput{DBInstanceIdentifier: aws.String("orders"), SnapshotType: aws.String("automated")})
	if len(automated) != 30 {
		t.Fatalf("%d automated snapshots of orders, want 30 (its retention)", len(automated))
	}
	newest := automated[29]
	if id := aws.ToString(newest.DBSnapshotIdentifier); !strings.HasPrefix(id, "rds:orders-") || aws.ToString(newest.Status) != "available" {
		t.Errorf("newest automated snapshot %s is %s", id, aws.ToString(newest.Status))
	}
	if all := list(&rds.DescribeDBSnapshotsInput{}); len(all) != 31 {
		t.Errorf("%d snapshots in all, want 30 automated and 1 manual (audit keeps none)", len(all))
	}
	filtered := list(&rds.DescribeDBSnapshotsInput{Filters: []rdstypes.Filter{
		{Name: aws.String("snapshot-type"), Values: []string{"manual"}}, {Name: aws.String("db-instance-id"), Values: []string{"orders"}}}})
	if len(filtered) != 1 || aws.ToString(filtered[0].Status) != "creating" {
		t.Errorf("manual snapshots of orders by filter: %d", len(filtered))
	}
	if _, err := client.DescribeDBSnapshots(ctx(t), &rds.DescribeDBSnapshotsInput{Filters: []rdstypes.Filter{
		{Name: aws.String("colour"), Values: []string{"red"}}}}); err == nil {
		t.Error("an unknown filter was accepted")
	}
	byARN := list(&rds.DescribeDBSnapshotsInput{DBSnapshotIdentifier: newest.DBSnapshotArn})
	if len(byARN) != 1 || aws.ToString(byARN[0].DBSnapshotIdentifier) != aws.ToString(newest.DBSnapshotIdentifier) {
		t.Errorf("automated snapshot by ARN: %+v", byARN)
	}
	if _, err := client.RestoreDBInstanceFromDBSnapshot(ctx(t), &rds.RestoreDBInstanceFromDBSnapshotInput{
		DBInstanceIdentifier: aws.String("orders-dr"), DBSnapshotIdentifier: newest.DBSnapshotArn}); err != nil {
		t.Errorf("restore from an automated snapshot: %v", err)
	}
	paged := rds.NewDescribeDBSnapshotsPaginator(client, &rds.DescribeDBSnapshotsInput{MaxRecords: aws.Int32(20)})
	pages, seen := 0, 0
	for paged.HasMorePages() {
		page, err := paged.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		pages, seen = pages+1, seen+len(page.DBSnapshots)
	}
	if pages != 2 || seen != 31 {
		t.Errorf("%d snapshots in %d pages of 20, want 31 in 2", seen, pages)
	}
}
