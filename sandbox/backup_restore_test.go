package sandbox

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/backup"
	backuptypes "github.com/aws/aws-sdk-go-v2/service/backup/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
)

// The restores below run in us-west-2 from recovery points of us-east-1's
// resources copied into us-west-2's vault dr-vault: a failover's restore.
const (
	restoreDBSource     = "arn:aws:rds:us-east-1:123456789012:db:orders"
	restoreVolumeSource = "arn:aws:ec2:us-east-1:123456789012:volume/vol-0a1b2c3d4e5f60718"
	restoreTableSource  = "arn:aws:dynamodb:us-east-1:123456789012:table/carts"
)

// restoreClients are the clients of one Region that a restore touches.
type restoreClients struct {
	backup *backup.Client
	rds    *rds.Client
	ec2    *ec2.Client
	ddb    *dynamodb.Client
}

func newRestoreClients(t *testing.T, url, region string) restoreClients {
	cfg := awsConfig(t, url, region)
	return restoreClients{backup.NewFromConfig(cfg), rds.NewFromConfig(cfg), ec2.NewFromConfig(cfg), dynamodb.NewFromConfig(cfg)}
}

// seedRestorePoint puts a COMPLETED copy of resource, six hours old, in
// us-west-2's dr-vault.
func seedRestorePoint(sb *Sandbox, resource string) string {
	return seedRecoveryPoint(sb, "us-west-2", "dr-vault", resource, "", sb.clock.Now().Add(-6*time.Hour))
}

// startRestore starts a restore job of point in us-west-2, or fails the
// test.
func startRestore(t *testing.T, c restoreClients, point string, meta map[string]string) string {
	t.Helper()
	out, err := c.backup.StartRestoreJob(ctx(t), &backup.StartRestoreJobInput{RecoveryPointArn: aws.String(point),
		IamRoleArn: aws.String(backupTestRole), Metadata: meta})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.RestoreJobId)
}

// restoreStep is a moment of a restore: the simulated time since the last
// step, then the job's status and its resource's state.
type restoreStep struct {
	advance  time.Duration
	job      backuptypes.RestoreJobStatus
	resource string
}

// walkRestoreSteps advances the clock step by step and checks the job and,
// through state, the resource it makes.
func walkRestoreSteps(t *testing.T, sb *Sandbox, client *backup.Client, jobID string, steps []restoreStep, state func() string) {
	t.Helper()
	var elapsed time.Duration
	for _, step := range steps {
		sb.clock.Advance(step.advance)
		elapsed += step.advance
		job, resource := backupRestoreState(t, client, jobID).Status, state()
		if job != step.job || resource != step.resource {
			t.Fatalf("after %v: job %s and resource %s, want %s and %s", elapsed, job, resource, step.job, step.resource)
		}
	}
}

// TestBackupRestoreRDSInstance: the restore job makes the DB instance its
// Metadata names as it starts, with the recovery point's engine and storage
// (as its restore metadata says) and the class and Multi-AZ asked for;
// creating for the job's 20 minutes, then backing-up for 5, then
// available, named by the job's CreatedResourceArn.
func TestBackupRestoreRDSInstance(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{})
	c := newRestoreClients(t, url, "us-west-2")
	point := seedRestorePoint(sb, restoreDBSource)
	meta, err := c.backup.GetRecoveryPointRestoreMetadata(ctx(t), &backup.GetRecoveryPointRestoreMetadataInput{
		BackupVaultName: aws.String("dr-vault"), RecoveryPointArn: aws.String(point)})
	if err != nil {
		t.Fatal(err)
	}
	jobID := startRestore(t, c, point, map[string]string{"DBInstanceIdentifier": "orders-dr",
		"DBInstanceClass": "db.m6g.xlarge", "MultiAZ": "true"})
	db := describe(t, c.rds, "orders-dr")
	storage := strconv.Itoa(int(aws.ToInt32(db.AllocatedStorage)))
	if aws.ToString(db.Engine) != meta.RestoreMetadata["Engine"] || storage != meta.RestoreMetadata["AllocatedStorage"] ||
		aws.ToString(db.DBInstanceClass) != "db.m6g.xlarge" || !aws.ToBool(db.MultiAZ) || db.Endpoint != nil {
		t.Fatalf("restored instance %+v; the point's metadata %v", db, meta.RestoreMetadata)
	}
	walkRestoreSteps(t, sb, c.backup, jobID, []restoreStep{
		{0, "PENDING", "creating"}, {2 * time.Minute, "RUNNING", "creating"}, {17 * time.Minute, "RUNNING", "creating"},
		{2 * time.Minute, "COMPLETED", "backing-up"}, {3 * time.Minute, "COMPLETED", "backing-up"},
		{2 * time.Minute, "COMPLETED", "available"},
	}, func() string { return aws.ToString(describe(t, c.rds, "orders-dr").DBInstanceStatus) })
	db = describe(t, c.rds, "orders-dr")
	if job := backupRestoreState(t, c.backup, jobID); aws.ToString(job.CreatedResourceArn) != aws.ToString(db.DBInstanceArn) ||
		db.Endpoint == nil || !strings.HasPrefix(aws.ToString(db.Endpoint.Address), "orders-dr.") {
		t.Fatalf("the job created %s; the instance is %s at %+v", aws.ToString(job.CreatedResourceArn),
			aws.ToString(db.DBInstanceArn), db.Endpoint)
	}
}

// TestBackupRestoreEBSVolume: the restore job makes a volume of the
// recovery point's size in the zone its Metadata names, which a runbook
// finds by zone while the job runs; creating until the job completes at 15
// minutes, then available, with the id in the job's CreatedResourceArn.
func TestBackupRestoreEBSVolume(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{})
	c := newRestoreClients(t, url, "us-west-2")
	point := seedRestorePoint(sb, restoreVolumeSource)
	jobID := startRestore(t, c, point, map[string]string{"availabilityZone": "us-west-2c", "volumeType": "io2"})
	volumes := func() []ec2types.Volume {
		out, err := c.ec2.DescribeVolumes(ctx(t), &ec2.DescribeVolumesInput{Filters: []ec2types.Filter{
			{Name: aws.String("availability-zone"), Values: []string{"us-west-2c"}}}})
		if err != nil || len(out.Volumes) != 1 {
			t.Fatalf("volumes in us-west-2c: %+v %v", out, err)
		}
		return out.Volumes
	}
	v := volumes()[0]
	wantSize := backupSize(restoreVolumeSource) >> 30
	if int64(aws.ToInt32(v.Size)) != wantSize || v.VolumeType != ec2types.VolumeTypeIo2 ||
		!strings.HasPrefix(aws.ToString(v.SnapshotId), "snap-") || !strings.HasSuffix(point, aws.ToString(v.SnapshotId)) {
		t.Fatalf("restored volume %+v, want %d GiB from %s", v, wantSize, point)
	}
	walkRestoreSteps(t, sb, c.backup, jobID, []restoreStep{
		{0, "PENDING", "creating"}, {2 * time.Minute, "RUNNING", "creating"}, {12 * time.Minute, "RUNNING", "creating"},
		{2 * time.Minute, "COMPLETED", "available"},
	}, func() string { return string(volumes()[0].State) })
	created := aws.ToString(backupRestoreState(t, c.backup, jobID).CreatedResourceArn)
	if want := "arn:aws:ec2:us-west-2:123456789012:volume/" + aws.ToString(v.VolumeId); created != want {
		t.Fatalf("the job created %s, the volume is %s", created, want)
	}
}

// TestBackupRestoreDynamoDBTable: the restore job makes the table its
// Metadata names, with the source table's key schema, CREATING (restore in
// progress) for the job's 20 minutes, then ACTIVE.
func TestBackupRestoreDynamoDBTable(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{})
	c := newRestoreClients(t, url, "us-west-2")
	createRestoreSourceTable(t, url)
	point := seedRestorePoint(sb, restoreTableSource)
	jobID := startRestore(t, c, point, map[string]string{"targetTableName": "carts-dr"})
	describeTable := func() *ddbtypes.TableDescription {
		out, err := c.ddb.DescribeTable(ctx(t), &dynamodb.DescribeTableInput{TableName: aws.String("carts-dr")})
		if err != nil {
			t.Fatal(err)
		}
		return out.Table
	}
	tb := describeTable()
	if len(tb.KeySchema) != 1 || aws.ToString(tb.KeySchema[0].AttributeName) != "cart_id" || tb.RestoreSummary == nil ||
		!aws.ToBool(tb.RestoreSummary.RestoreInProgress) || aws.ToString(tb.RestoreSummary.SourceBackupArn) != point {
		t.Fatalf("restored table %+v, restore %+v", tb, tb.RestoreSummary)
	}
	walkRestoreSteps(t, sb, c.backup, jobID, []restoreStep{
		{0, "PENDING", "CREATING"}, {2 * time.Minute, "RUNNING", "CREATING"}, {17 * time.Minute, "RUNNING", "CREATING"},
		{2 * time.Minute, "COMPLETED", "ACTIVE"},
	}, func() string { return string(describeTable().TableStatus) })
	tb = describeTable()
	if job := backupRestoreState(t, c.backup, jobID); aws.ToString(job.CreatedResourceArn) != aws.ToString(tb.TableArn) ||
		aws.ToBool(tb.RestoreSummary.RestoreInProgress) {
		t.Fatalf("the job created %s, the table is %s", aws.ToString(job.CreatedResourceArn), aws.ToString(tb.TableArn))
	}
}

// createRestoreSourceTable creates the table restoreTableSource names, in
// us-east-1.
func createRestoreSourceTable(t *testing.T, url string) {
	t.Helper()
	if _, err := dynamodb.NewFromConfig(awsConfig(t, url, "us-east-1")).CreateTable(ctx(t), &dynamodb.CreateTableInput{
		TableName:            aws.String("carts"),
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("cart_id"), KeyType: ddbtypes.KeyTypeHash}},
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("cart_id"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		BillingMode:          ddbtypes.BillingModePayPerRequest,
	}); err != nil {
		t.Fatal(err)
	}
}

// TestBackupRestoreWaiters: on a fast clock, a runbook's way — start the
// three restores, wait for each resource with the SDK's own waiter — ends
// with every job COMPLETED and every resource the one its job names.
func TestBackupRestoreWaiters(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{TimeScale: 6000}) // 25 simulated minutes in 0.25 s
	c := newRestoreClients(t, url, "us-west-2")
	createRestoreSourceTable(t, url)
	dbJob := startRestore(t, c, seedRestorePoint(sb, restoreDBSource), map[string]string{"DBInstanceIdentifier": "orders-dr"})
	volumeJob := startRestore(t, c, seedRestorePoint(sb, restoreVolumeSource), map[string]string{"availabilityZone": "us-west-2b"})
	tableJob := startRestore(t, c, seedRestorePoint(sb, restoreTableSource), map[string]string{"targetTableName": "carts-dr"})
	volumes, err := c.ec2.DescribeVolumes(ctx(t), &ec2.DescribeVolumesInput{Filters: []ec2types.Filter{
		{Name: aws.String("availability-zone"), Values: []string{"us-west-2b"}}}})
	if err != nil || len(volumes.Volumes) != 1 {
		t.Fatalf("the volume being restored: %+v %v", volumes, err)
	}
	volumeID := aws.ToString(volumes.Volumes[0].VolumeId)
	fast := func(min, max *time.Duration) { *min, *max = 20*time.Millisecond, 100*time.Millisecond }
	if err := rds.NewDBInstanceAvailableWaiter(c.rds, func(o *rds.DBInstanceAvailableWaiterOptions) { fast(&o.MinDelay, &o.MaxDelay) }).
		Wait(ctx(t), &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String("orders-dr")}, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := ec2.NewVolumeAvailableWaiter(c.ec2, func(o *ec2.VolumeAvailableWaiterOptions) { fast(&o.MinDelay, &o.MaxDelay) }).
		Wait(ctx(t), &ec2.DescribeVolumesInput{VolumeIds: []string{volumeID}}, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := dynamodb.NewTableExistsWaiter(c.ddb, func(o *dynamodb.TableExistsWaiterOptions) { fast(&o.MinDelay, &o.MaxDelay) }).
		Wait(ctx(t), &dynamodb.DescribeTableInput{TableName: aws.String("carts-dr")}, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	for job, want := range map[string]string{
		dbJob:     "arn:aws:rds:us-west-2:123456789012:db:orders-dr",
		volumeJob: "arn:aws:ec2:us-west-2:123456789012:volume/" + volumeID,
		tableJob:  "arn:aws:dynamodb:us-west-2:123456789012:table/carts-dr",
	} {
		if got := backupRestoreState(t, c.backup, job); got.Status != backuptypes.RestoreJobStatusCompleted ||
			aws.ToString(got.CreatedResourceArn) != want {
			t.Fatalf("once its resource is ready, the job is %s and created %s; want COMPLETED and %s",
				got.Status, aws.ToString(got.CreatedResourceArn), want)
		}
	}
}

// TestBackupRestoreRefusesAnExistingTarget: a restore into a DB instance or
// table that exists, or into a volume zone of another Region, is refused
// at StartRestoreJob, starts no job and leaves what exists as it was. A
// restore's own target exists from its start, so a second restore into it
// is refused too, while the first one retried (same token) is the same job.
func TestBackupRestoreRefusesAnExistingTarget(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{})
	c := newRestoreClients(t, url, "us-west-2")
	if _, err := c.rds.CreateDBInstance(ctx(t), &rds.CreateDBInstanceInput{DBInstanceIdentifier: aws.String("orders"),
		DBInstanceClass: aws.String("db.t4g.medium"), Engine: aws.String("mysql"), AllocatedStorage: aws.Int32(20)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ddb.CreateTable(ctx(t), &dynamodb.CreateTableInput{TableName: aws.String("carts"),
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: ddbtypes.KeyTypeHash}},
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
	}); err != nil {
		t.Fatal(err)
	}
	dbPoint := seedRestorePoint(sb, restoreDBSource)
	restore := func(point string, meta map[string]string, token string) (*backup.StartRestoreJobOutput, error) {
		return c.backup.StartRestoreJob(ctx(t), &backup.StartRestoreJobInput{RecoveryPointArn: aws.String(point),
			IamRoleArn: aws.String(backupTestRole), Metadata: meta, IdempotencyToken: aws.String(token)})
	}
	for _, tc := range []struct {
		name, point string
		meta        map[string]string
		invalid     bool // InvalidRequestException, else InvalidParameterValueException
	}{
		{"DB instance exists", dbPoint, map[string]string{"DBInstanceIdentifier": "orders"}, true},
		{"table exists", seedRestorePoint(sb, restoreTableSource), map[string]string{"targetTableName": "carts"}, true},
		{"zone of another Region", seedRestorePoint(sb, restoreVolumeSource), map[string]string{"availabilityZone": "us-east-1a"}, false},
	} {
		_, err := restore(tc.point, tc.meta, tc.name)
		if tc.invalid != errorAs[*backuptypes.InvalidRequestException](err) ||
			!tc.invalid && !errorAs[*backuptypes.InvalidParameterValueException](err) || awsHTTPStatus(err) != 400 {
			t.Fatalf("%s: %v (HTTP %d)", tc.name, err, awsHTTPStatus(err))
		}
	}
	if db := describe(t, c.rds, "orders"); aws.ToString(db.Engine) != "mysql" || aws.ToString(db.DBInstanceClass) != "db.t4g.medium" {
		t.Fatalf("the existing instance changed: %+v", db)
	}
	if tb, err := c.ddb.DescribeTable(ctx(t), &dynamodb.DescribeTableInput{TableName: aws.String("carts")}); err != nil || tb.Table.RestoreSummary != nil {
		t.Fatalf("the existing table changed: %+v %v", tb, err)
	}
	if vols, err := c.ec2.DescribeVolumes(ctx(t), &ec2.DescribeVolumesInput{}); err != nil || len(vols.Volumes) != 0 {
		t.Fatalf("a refused restore made a volume: %+v %v", vols, err)
	}
	if jobs := sb.dumpState()["backup/us-west-2"].(map[string]any)["restore_jobs"].(map[string]any); len(jobs) != 0 {
		t.Fatalf("refused restores started jobs: %v", jobs)
	}

	first, err := restore(dbPoint, map[string]string{"DBInstanceIdentifier": "orders-dr"}, "failover-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := restore(dbPoint, map[string]string{"DBInstanceIdentifier": "orders-dr"}, "failover-2"); !errorAs[*backuptypes.InvalidRequestException](err) {
		t.Fatalf("a second restore into the instance a running one makes: %v", err)
	}
	again, err := restore(dbPoint, map[string]string{"DBInstanceIdentifier": "orders-dr"}, "failover-1")
	if err != nil || aws.ToString(again.RestoreJobId) != aws.ToString(first.RestoreJobId) {
		t.Fatalf("the first restore retried: %+v %v", again, err)
	}
}

// TestBackupRestoreOtherTypesNameOnly: an EC2 or Aurora restore completes
// and names its resource, which is not simulated: the EC2 and RDS
// simulations do not have it.
func TestBackupRestoreOtherTypesNameOnly(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{})
	c := newRestoreClients(t, url, "us-west-2")
	instanceJob := startRestore(t, c, seedRestorePoint(sb, "arn:aws:ec2:us-east-1:123456789012:instance/i-0a1b2c3d4e5f60718"), map[string]string{})
	clusterJob := startRestore(t, c, seedRestorePoint(sb, "arn:aws:rds:us-east-1:123456789012:cluster:ledger"),
		map[string]string{"DBClusterIdentifier": "ledger-dr"})
	sb.clock.Advance(21 * time.Minute)
	instance := aws.ToString(backupRestoreState(t, c.backup, instanceJob).CreatedResourceArn)
	if _, err := c.ec2.DescribeInstances(ctx(t), &ec2.DescribeInstancesInput{InstanceIds: []string{backupResourceName(instance)}}); apiCode(err) != "InvalidInstanceID.NotFound" {
		t.Fatalf("the restored instance %s: %v", instance, err)
	}
	if got := aws.ToString(backupRestoreState(t, c.backup, clusterJob).CreatedResourceArn); !strings.HasSuffix(got, ":cluster:ledger-dr") {
		t.Fatalf("the restored cluster is %s", got)
	}
	if _, err := c.rds.DescribeDBClusters(ctx(t), &rds.DescribeDBClustersInput{DBClusterIdentifier: aws.String("ledger-dr")}); !errorAs[*rdstypes.DBClusterNotFoundFault](err) {
		t.Fatalf("the restored cluster: %v", err)
	}
}

// TestBackupListRestoreJobs lists restore jobs as a resumed
// backup.start-restore does to find the one it started: newest first, in
// DescribeRestoreJob's shape, by creation and completion time and status.
func TestBackupListRestoreJobs(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{})
	c := newRestoreClients(t, url, "us-west-2")
	older := startRestore(t, c, seedRestorePoint(sb, "arn:aws:ec2:us-east-1:123456789012:instance/i-0a1b2c3d4e5f60718"), map[string]string{})
	sb.clock.Advance(30 * time.Minute) // the instance's restore completes after 15
	cut := sb.clock.Now()
	sb.clock.Advance(time.Minute)
	newer := startRestore(t, c, seedRestorePoint(sb, "arn:aws:rds:us-east-1:123456789012:cluster:ledger"), map[string]string{"DBClusterIdentifier": "ledger-dr"})
	list := func(in *backup.ListRestoreJobsInput) []string {
		t.Helper()
		out, err := c.backup.ListRestoreJobs(ctx(t), in)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, j := range out.RestoreJobs {
			ids = append(ids, aws.ToString(j.RestoreJobId)+" "+string(j.Status)+" "+aws.ToString(j.SourceResourceArn))
		}
		return ids
	}
	all := list(&backup.ListRestoreJobsInput{})
	want := []string{newer + " PENDING arn:aws:rds:us-east-1:123456789012:cluster:ledger",
		older + " COMPLETED arn:aws:ec2:us-east-1:123456789012:instance/i-0a1b2c3d4e5f60718"}
	if !slices.Equal(all, want) {
		t.Fatalf("all restore jobs %v, want %v", all, want)
	}
	if got := list(&backup.ListRestoreJobsInput{ByCreatedAfter: aws.Time(cut)}); !slices.Equal(got, want[:1]) {
		t.Errorf("created after %v: %v", cut, got)
	}
	if got := list(&backup.ListRestoreJobsInput{ByCreatedBefore: aws.Time(cut), ByStatus: "COMPLETED"}); !slices.Equal(got, want[1:]) {
		t.Errorf("completed, created before %v: %v", cut, got)
	}
	if got := list(&backup.ListRestoreJobsInput{ByCompleteAfter: aws.Time(cut.Add(-time.Hour))}); !slices.Equal(got, want[1:]) {
		t.Errorf("completed after %v: %v", cut.Add(-time.Hour), got)
	}
	if got := list(&backup.ListRestoreJobsInput{ByResourceType: aws.String("EC2"), MaxResults: aws.Int32(1)}); !slices.Equal(got, want[1:]) {
		t.Errorf("EC2 jobs: %v", got)
	}
	page, err := c.backup.ListRestoreJobs(ctx(t), &backup.ListRestoreJobsInput{MaxResults: aws.Int32(1)})
	if err != nil || len(page.RestoreJobs) != 1 || page.NextToken == nil {
		t.Fatalf("a page of one: %+v, %v", page, err)
	}
}
