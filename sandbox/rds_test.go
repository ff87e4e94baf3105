package sandbox

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func TestSTSGetCallerIdentity(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t, Options{Account: "210987654321"})
	out, err := sts.NewFromConfig(awsConfig(t, url, "eu-west-1")).GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.Account) != "210987654321" || aws.ToString(out.Arn) != "arn:aws:iam::210987654321:user/drpilot-sandbox" {
		t.Fatalf("identity = %+v", out)
	}
}

// TestRDSCrossRegionReplicaPromotion walks the pilot-light path: a primary
// in one Region, a replica in the other, replication that breaks when the
// primary Region goes down, and promotion through its real states, waited
// for with the SDK's own waiter.
func TestRDSCrossRegionReplicaPromotion(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{TimeScale: 1200})
	primary := rds.NewFromConfig(awsConfig(t, url, "us-east-1"))
	recovery := rds.NewFromConfig(awsConfig(t, url, "us-west-2"))
	c := ctx(t)
	if _, err := primary.CreateDBInstance(c, &rds.CreateDBInstanceInput{DBInstanceIdentifier: aws.String("orders"),
		DBInstanceClass: aws.String("db.r6g.large"), Engine: aws.String("postgres"), AllocatedStorage: aws.Int32(100)}); err != nil {
		t.Fatal(err)
	}
	waitAvailable(t, primary, "orders")
	src := "arn:aws:rds:us-east-1:123456789012:db:orders"
	created, err := recovery.CreateDBInstanceReadReplica(c, &rds.CreateDBInstanceReadReplicaInput{
		DBInstanceIdentifier: aws.String("orders-replica"), SourceDBInstanceIdentifier: aws.String(src), MultiAZ: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(created.DBInstance.DBInstanceStatus); got != "creating" {
		t.Fatalf("a new replica is %q, want creating", got)
	}
	replica := waitAvailable(t, recovery, "orders-replica")
	if aws.ToString(replica.ReadReplicaSourceDBInstanceIdentifier) != src || aws.ToString(replica.StatusInfos[0].Status) != "replicating" {
		t.Fatalf("replica = source %v, status infos %+v", replica.ReadReplicaSourceDBInstanceIdentifier, replica.StatusInfos)
	}
	if !aws.ToBool(replica.MultiAZ) {
		t.Error("a replica created with MultiAZ is not Multi-AZ")
	}
	if err := sb.faults.apply(Fault{Outage: &Outage{Region: "us-east-1"}}); err != nil {
		t.Fatal(err)
	}
	if replica = describe(t, recovery, "orders-replica"); aws.ToString(replica.StatusInfos[0].Status) != "error" {
		t.Errorf("with the source Region down, replication is %q, want error", aws.ToString(replica.StatusInfos[0].Status))
	}
	promoted, err := recovery.PromoteReadReplica(c, &rds.PromoteReadReplicaInput{DBInstanceIdentifier: aws.String("orders-replica")})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(promoted.DBInstance.DBInstanceStatus); got != "modifying" {
		t.Fatalf("promotion starts in %q, want modifying", got)
	}
	final := waitAvailable(t, recovery, "orders-replica")
	if final.ReadReplicaSourceDBInstanceIdentifier != nil || len(final.StatusInfos) != 0 || final.Endpoint == nil || !aws.ToBool(final.MultiAZ) {
		t.Fatalf("after promotion: %+v", final)
	}
}

func describe(t *testing.T, client *rds.Client, id string) rdstypes.DBInstance {
	t.Helper()
	out, err := client.DescribeDBInstances(ctx(t), &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)})
	if err != nil || len(out.DBInstances) != 1 {
		t.Fatalf("describe %s: %v", id, err)
	}
	return out.DBInstances[0]
}

func waitAvailable(t *testing.T, client *rds.Client, id string) rdstypes.DBInstance {
	t.Helper()
	w := rds.NewDBInstanceAvailableWaiter(client, func(o *rds.DBInstanceAvailableWaiterOptions) {
		o.MinDelay, o.MaxDelay = 50*time.Millisecond, 200*time.Millisecond
	})
	out, err := w.WaitForOutput(ctx(t), &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)}, 20*time.Second)
	if err != nil {
		t.Fatalf("wait for %s: %v", id, err)
	}
	return out.DBInstances[0]
}

func TestRDSErrorsAreTyped(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t, Options{})
	client := rds.NewFromConfig(awsConfig(t, url, "us-west-2"))
	_, err := client.DescribeDBInstances(ctx(t), &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String("missing")})
	var nf *rdstypes.DBInstanceNotFoundFault
	if !errors.As(err, &nf) {
		t.Fatalf("describe a missing instance: %v, want DBInstanceNotFoundFault", err)
	}
	client.CreateDBInstance(ctx(t), &rds.CreateDBInstanceInput{DBInstanceIdentifier: aws.String("solo"),
		DBInstanceClass: aws.String("db.t4g.micro"), Engine: aws.String("mysql")})
	_, err = client.PromoteReadReplica(ctx(t), &rds.PromoteReadReplicaInput{DBInstanceIdentifier: aws.String("solo")})
	var state *rdstypes.InvalidDBInstanceStateFault
	if !errors.As(err, &state) {
		t.Fatalf("promote a primary: %v, want InvalidDBInstanceStateFault", err)
	}
	_, err = client.CreateDBInstance(ctx(t), &rds.CreateDBInstanceInput{DBInstanceIdentifier: aws.String("solo"),
		DBInstanceClass: aws.String("db.t4g.micro"), Engine: aws.String("mysql")})
	var exists *rdstypes.DBInstanceAlreadyExistsFault
	if !errors.As(err, &exists) {
		t.Fatalf("create twice: %v, want DBInstanceAlreadyExistsFault", err)
	}
}

func TestRDSDescribePaginates(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t, Options{})
	client := rds.NewFromConfig(awsConfig(t, url, "eu-central-1"))
	for i := 0; i < 45; i++ {
		if _, err := client.CreateDBInstance(ctx(t), &rds.CreateDBInstanceInput{DBInstanceIdentifier: aws.String(fmt.Sprintf("db-%02d", i)),
			DBInstanceClass: aws.String("db.t4g.micro"), Engine: aws.String("postgres")}); err != nil {
			t.Fatal(err)
		}
	}
	pages, ids := 0, map[string]bool{}
	p := rds.NewDescribeDBInstancesPaginator(client, &rds.DescribeDBInstancesInput{MaxRecords: aws.Int32(20)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, db := range out.DBInstances {
			ids[aws.ToString(db.DBInstanceIdentifier)] = true
		}
	}
	if pages != 3 || len(ids) != 45 {
		t.Fatalf("%d pages, %d instances; want 3 pages of 45", pages, len(ids))
	}
}
