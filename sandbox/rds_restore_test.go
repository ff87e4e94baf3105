package sandbox

import (
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
)

// TestRDSSnapshotAndRestores: a manual snapshot, a restore from it and a
// point-in-time restore, each through their states, and their errors.
func TestRDSSnapshotAndRestores(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{})
	client := rds.NewFromConfig(awsConfig(t, url, "eu-west-1"))
	if _, err := client.CreateDBInstance(ctx(t), &rds.CreateDBInstanceInput{DBInstanceIdentifier: aws.String("docs"),
		DBInstanceClass: aws.String("db.m6g.large"), Engine: aws.String("postgres"), AllocatedStorage: aws.Int32(50),
		BackupRetentionPeriod: aws.Int32(7)}); err != nil {
		t.Fatal(err)
	}
	var state *rdstypes.InvalidDBInstanceStateFault
	if _, err := client.CreateDBSnapshot(ctx(t), &rds.CreateDBSnapshotInput{DBInstanceIdentifier: aws.String("docs"),
		DBSnapshotIdentifier: aws.String("docs-early")}); !errors.As(err, &state) {
		t.Fatalf("snapshot of a creating instance: %v", err)
	}
	sb.clock.Advance(11 * time.Minute)
	snap, err := client.CreateDBSnapshot(ctx(t), &rds.CreateDBSnapshotInput{DBInstanceIdentifier: aws.String("docs"), DBSnapshotIdentifier: aws.String("docs-1")})
	if err != nil || aws.ToString(snap.DBSnapshot.Status) != "creating" {
		t.Fatalf("snapshot: %+v %v", snap, err)
	}
	var snapState *rdstypes.InvalidDBSnapshotStateFault
	restore := &rds.RestoreDBInstanceFromDBSnapshotInput{DBInstanceIdentifier: aws.String("docs-restored"), DBSnapshotIdentifier: aws.String("docs-1")}
	if _, err := client.RestoreDBInstanceFromDBSnapshot(ctx(t), restore); !errors.As(err, &snapState) {
		t.Fatalf("restore from a creating snapshot: %v", err)
	}
	sb.clock.Advance(6 * time.Minute)
	listed, err := client.DescribeDBSnapshots(ctx(t), &rds.DescribeDBSnapshotsInput{DBInstanceIdentifier: aws.String("docs"), SnapshotType: aws.String("manual")})
	if err != nil || len(listed.DBSnapshots) != 1 || aws.ToString(listed.DBSnapshots[0].Status) != "available" {
		t.Fatalf("snapshots: %+v %v", listed, err)
	}
	restored, err := client.RestoreDBInstanceFromDBSnapshot(ctx(t), restore)
	if err != nil || aws.ToString(restored.DBInstance.DBInstanceStatus) != "creating" {
		t.Fatalf("restore: %+v %v", restored, err)
	}
	pitr, err := client.RestoreDBInstanceToPointInTime(ctx(t), &rds.RestoreDBInstanceToPointInTimeInput{
		SourceDBInstanceIdentifier: aws.String("docs"), TargetDBInstanceIdentifier: aws.String("docs-pitr"), UseLatestRestorableTime: aws.Bool(true)})
	if err != nil || aws.ToString(pitr.DBInstance.DBInstanceIdentifier) != "docs-pitr" {
		t.Fatalf("point-in-time restore: %+v %v", pitr, err)
	}
	var badTime *rdstypes.InvalidRestoreFault
	if _, err := client.RestoreDBInstanceToPointInTime(ctx(t), &rds.RestoreDBInstanceToPointInTimeInput{
		SourceDBInstanceIdentifier: aws.String("docs"), TargetDBInstanceIdentifier: aws.String("docs-future"),
		RestoreTime: aws.Time(time.Now().Add(48 * time.Hour))}); !errors.As(err, &badTime) {
		t.Fatalf("a restore time in the future: %v", err)
	}
	sb.clock.Advance(21 * time.Minute)
	for _, id := range []string{"docs-restored", "docs-pitr"} {
		if st := aws.ToString(describe(t, client, id).DBInstanceStatus); st != "available" {
			t.Fatalf("%s after twenty minutes: %s", id, st)
		}
	}
	byARN, err := client.DescribeDBSnapshots(ctx(t), &rds.DescribeDBSnapshotsInput{
		DBSnapshotIdentifier: aws.String("arn:aws:rds:eu-west-1:" + sb.account + ":snapshot:docs-1"), IncludeShared: aws.Bool(true)})
	if err != nil || len(byARN.DBSnapshots) != 1 || aws.ToString(byARN.DBSnapshots[0].DBSnapshotIdentifier) != "docs-1" {
		t.Fatalf("a snapshot by ARN: %+v %v", byARN, err)
	}
	var nf *rdstypes.DBSnapshotNotFoundFault
	if _, err := client.DescribeDBSnapshots(ctx(t), &rds.DescribeDBSnapshotsInput{DBSnapshotIdentifier: aws.String("nope")}); !errors.As(err, &nf) {
		t.Fatalf("missing snapshot: %v", err)
	}
}

// TestRDSGlobalClusterFailover: with the writer's Region out, a switchover
// is refused and a failover that allows data loss moves the writer.
func TestRDSGlobalClusterFailover(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{})
	tokyo := rds.NewFromConfig(awsConfig(t, url, "ap-northeast-1"))
	osaka := rds.NewFromConfig(awsConfig(t, url, "ap-northeast-3"))
	if _, err := tokyo.CreateDBCluster(ctx(t), &rds.CreateDBClusterInput{DBClusterIdentifier: aws.String("stores-apne1"), Engine: aws.String("aurora-postgresql")}); err != nil {
		t.Fatal(err)
	}
	if _, err := tokyo.CreateGlobalCluster(ctx(t), &rds.CreateGlobalClusterInput{GlobalClusterIdentifier: aws.String("stores-global"),
		SourceDBClusterIdentifier: aws.String("arn:aws:rds:ap-northeast-1:123456789012:cluster:stores-apne1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := osaka.CreateDBCluster(ctx(t), &rds.CreateDBClusterInput{DBClusterIdentifier: aws.String("stores-apne3"),
		Engine: aws.String("aurora-postgresql"), GlobalClusterIdentifier: aws.String("stores-global")}); err != nil {
		t.Fatal(err)
	}
	sb.clock.Advance(11 * time.Minute)
	clusters, err := osaka.DescribeDBClusters(ctx(t), &rds.DescribeDBClustersInput{DBClusterIdentifier: aws.String("stores-apne3")})
	if err != nil || aws.ToString(clusters.DBClusters[0].Status) != "available" {
		t.Fatalf("secondary cluster: %+v %v", clusters, err)
	}
	writer := func() string {
		out, err := osaka.DescribeGlobalClusters(ctx(t), &rds.DescribeGlobalClustersInput{GlobalClusterIdentifier: aws.String("stores-global")})
		if err != nil || len(out.GlobalClusters) != 1 || len(out.GlobalClusters[0].GlobalClusterMembers) != 2 {
			t.Fatalf("global cluster: %+v %v", out, err)
		}
		for _, m := range out.GlobalClusters[0].GlobalClusterMembers {
			if aws.ToBool(m.IsWriter) {
				return aws.ToString(m.DBClusterArn)
			}
		}
		return ""
	}
	if w := writer(); w != "arn:aws:rds:ap-northeast-1:123456789012:cluster:stores-apne1" {
		t.Fatalf("writer before failover: %s", w)
	}
	sb.faults.apply(Fault{Outage: &Outage{Region: "ap-northeast-1"}})
	target := "arn:aws:rds:ap-northeast-3:123456789012:cluster:stores-apne3"
	var state *rdstypes.InvalidGlobalClusterStateFault
	if _, err := osaka.FailoverGlobalCluster(ctx(t), &rds.FailoverGlobalClusterInput{GlobalClusterIdentifier: aws.String("stores-global"),
		TargetDbClusterIdentifier: aws.String(target), Switchover: aws.Bool(true)}); !errors.As(err, &state) {
		t.Fatalf("a switchover with the writer's Region out: %v", err)
	}
	out, err := osaka.FailoverGlobalCluster(ctx(t), &rds.FailoverGlobalClusterInput{GlobalClusterIdentifier: aws.String("stores-global"),
		TargetDbClusterIdentifier: aws.String(target), AllowDataLoss: aws.Bool(true)})
	if err != nil || aws.ToString(out.GlobalCluster.Status) != "failing-over" || !aws.ToBool(out.GlobalCluster.FailoverState.IsDataLossAllowed) {
		t.Fatalf("failover: %+v %v", out, err)
	}
	sb.clock.Advance(3 * time.Minute)
	if w := writer(); w != target {
		t.Fatalf("writer after failover: %s", w)
	}
	var nf *rdstypes.GlobalClusterNotFoundFault
	if _, err := osaka.DescribeGlobalClusters(ctx(t), &rds.DescribeGlobalClustersInput{GlobalClusterIdentifier: aws.String("nope")}); !errors.As(err, &nf) {
		t.Fatalf("missing global cluster: %v", err)
	}
}
