package sandbox

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
)

// TestRDSDeleteAndEvents: a read replica is deleted (its source keeps
// running, without it), then the source with a final snapshot; each is
// deleting, then gone. DescribeEvents lists what happened, by instance,
// by window and in pages. A delete without a final snapshot's name, of a
// replica with one, and of an unknown instance are refused.
func TestRDSDeleteAndEvents(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{})
	client := rds.NewFromConfig(awsConfig(t, url, "us-west-2"))
	advance := func(d time.Duration) {
		if err := sb.Clock().Advance(d); err != nil {
			t.Fatal(err)
		}
	}
	start := sb.Clock().Now()
	if _, err := client.CreateDBInstance(ctx(t), &rds.CreateDBInstanceInput{DBInstanceIdentifier: aws.String("orders"),
		DBInstanceClass: aws.String("db.r6g.large"), Engine: aws.String("postgres"), AllocatedStorage: aws.Int32(100)}); err != nil {
		t.Fatal(err)
	}
	advance(rdsCreate + rdsBackingUp)
	if _, err := client.CreateDBInstanceReadReplica(ctx(t), &rds.CreateDBInstanceReadReplicaInput{DBInstanceIdentifier: aws.String("orders-ro"),
		SourceDBInstanceIdentifier: aws.String("orders")}); err != nil {
		t.Fatal(err)
	}
	advance(rdsReplica)
	if _, err := client.RebootDBInstance(ctx(t), &rds.RebootDBInstanceInput{DBInstanceIdentifier: aws.String("orders")}); err != nil {
		t.Fatal(err)
	}
	advance(rdsReboot)
	if _, err := client.DeleteDBInstance(ctx(t), &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String("orders-ro"),
		FinalDBSnapshotIdentifier: aws.String("ro-final")}); apiCode(err) != "InvalidParameterCombination" {
		t.Fatalf("a final snapshot of a replica: %v", err)
	}
	del, err := client.DeleteDBInstance(ctx(t), &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String("orders-ro")})
	if err != nil || aws.ToString(del.DBInstance.DBInstanceStatus) != "deleting" {
		t.Fatalf("delete the replica: %+v %v", del, err)
	}
	if src := describe(t, client, "orders"); len(src.ReadReplicaDBInstanceIdentifiers) != 0 || aws.ToString(src.DBInstanceStatus) != "available" {
		t.Fatalf("the source after its replica's deletion: %+v", src)
	}
	if _, err := client.DeleteDBInstance(ctx(t), &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String("orders")}); apiCode(err) != "InvalidParameterCombination" {
		t.Fatalf("a delete without a final snapshot's name: %v", err)
	}
	if _, err := client.DeleteDBInstance(ctx(t), &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String("nope"), SkipFinalSnapshot: aws.Bool(true)}); apiCode(err) != "DBInstanceNotFound" {
		t.Fatalf("an unknown instance: %v", err)
	}
	if _, err := client.DeleteDBInstance(ctx(t), &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String("orders"),
		FinalDBSnapshotIdentifier: aws.String("orders-final")}); err != nil {
		t.Fatal(err)
	}
	advance(rdsDelete)
	if _, err := client.DescribeDBInstances(ctx(t), &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String("orders")}); apiCode(err) != "DBInstanceNotFound" {
		t.Fatalf("a deleted instance: %v", err)
	}
	all, err := client.DescribeDBInstances(ctx(t), &rds.DescribeDBInstancesInput{})
	if err != nil || len(all.DBInstances) != 0 {
		t.Fatalf("instances left: %+v %v", all, err)
	}
	snap, err := client.DescribeDBSnapshots(ctx(t), &rds.DescribeDBSnapshotsInput{DBSnapshotIdentifier: aws.String("orders-final")})
	if err != nil || aws.ToString(snap.DBSnapshots[0].Status) != "available" || aws.ToString(snap.DBSnapshots[0].DBInstanceIdentifier) != "orders" {
		t.Fatalf("the final snapshot: %+v %v", snap, err)
	}

	// The last hour by default: the instance's creation, over twenty
	// simulated minutes ago, is in it; a window from the start lists all.
	messages := func(in *rds.DescribeEventsInput) []string {
		var out []string
		p := rds.NewDescribeEventsPaginator(client, in)
		for p.HasMorePages() {
			page, err := p.NextPage(ctx(t))
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range page.Events {
				out = append(out, aws.ToString(e.SourceIdentifier)+": "+aws.ToString(e.Message))
			}
		}
		return out
	}
	got := messages(&rds.DescribeEventsInput{SourceType: rdstypes.SourceTypeDbInstance, SourceIdentifier: aws.String("orders")})
	want := []string{"orders: DB instance created", "orders: Backing up DB instance", "orders: Finished DB Instance backup",
		"orders: DB instance restarted", "orders: DB instance deleting", "orders: DB instance deleted"}
	if !slices.Equal(got, want) {
		t.Fatalf("orders' events:\n%q\nwant\n%q", got, want)
	}
	if got := messages(&rds.DescribeEventsInput{StartTime: aws.Time(start), MaxRecords: aws.Int32(20)}); len(got) != 12 {
		t.Fatalf("every event: %q", got)
	}
	// The deletions and the final snapshot finished just now.
	if got := messages(&rds.DescribeEventsInput{Duration: aws.Int32(1)}); len(got) != 3 {
		t.Fatalf("the last minute: %q", got)
	}
	if got := messages(&rds.DescribeEventsInput{SourceType: rdstypes.SourceTypeDbSnapshot}); !slices.Equal(got,
		[]string{"orders-final: Creating manual snapshot", "orders-final: Manual snapshot created"}) {
		t.Fatalf("snapshot events: %q", got)
	}
	if _, err := client.DescribeEvents(ctx(t), &rds.DescribeEventsInput{SourceIdentifier: aws.String("orders")}); apiCode(err) != "InvalidParameterCombination" {
		t.Fatalf("a source without its type: %v", err)
	}
	if _, err := client.DescribeEvents(ctx(t), &rds.DescribeEventsInput{MaxRecords: aws.Int32(5)}); apiCode(err) != "InvalidParameterValue" {
		t.Fatalf("a page of 5: %v", err)
	}
}

// TestRDSDeleteSourceOfCrossRegionReplica: deleting a source whose replica
// is in another Region makes that replica standalone (no source, an event
// saying why); deleting a cross-Region replica leaves its source without
// it.
func TestRDSDeleteSourceOfCrossRegionReplica(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{})
	east := rds.NewFromConfig(awsConfig(t, url, "us-east-1"))
	west := rds.NewFromConfig(awsConfig(t, url, "us-west-2"))
	if _, err := east.CreateDBInstance(ctx(t), &rds.CreateDBInstanceInput{DBInstanceIdentifier: aws.String("orders"),
		DBInstanceClass: aws.String("db.r6g.large"), Engine: aws.String("postgres"), AllocatedStorage: aws.Int32(100)}); err != nil {
		t.Fatal(err)
	}
	if err := sb.Clock().Advance(rdsCreate + rdsBackingUp); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"orders-a", "orders-b"} {
		if _, err := west.CreateDBInstanceReadReplica(ctx(t), &rds.CreateDBInstanceReadReplicaInput{DBInstanceIdentifier: aws.String(id),
			SourceDBInstanceIdentifier: aws.String("arn:aws:rds:us-east-1:123456789012:db:orders")}); err != nil {
			t.Fatal(err)
		}
	}
	if err := sb.Clock().Advance(rdsReplica); err != nil {
		t.Fatal(err)
	}
	if _, err := west.DeleteDBInstance(ctx(t), &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String("orders-a")}); err != nil {
		t.Fatal(err)
	}
	if src := describe(t, east, "orders"); len(src.ReadReplicaDBInstanceIdentifiers) != 1 ||
		src.ReadReplicaDBInstanceIdentifiers[0] != "arn:aws:rds:us-west-2:123456789012:db:orders-b" {
		t.Fatalf("the source's replicas after one's deletion: %v", src.ReadReplicaDBInstanceIdentifiers)
	}
	if _, err := east.DeleteDBInstance(ctx(t), &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String("orders"), SkipFinalSnapshot: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	if b := describe(t, west, "orders-b"); b.ReadReplicaSourceDBInstanceIdentifier != nil || aws.ToString(b.DBInstanceStatus) != "available" {
		t.Fatalf("the replica of a deleted source: %+v", b)
	}
	ev, err := west.DescribeEvents(ctx(t), &rds.DescribeEventsInput{SourceType: rdstypes.SourceTypeDbInstance, SourceIdentifier: aws.String("orders-b"),
		EventCategories: []string{"read replica"}})
	if err != nil || len(ev.Events) != 2 || !strings.Contains(aws.ToString(ev.Events[1].Message), "source DB instance was deleted") {
		t.Fatalf("orders-b's read replica events: %+v %v", ev, err)
	}
}
