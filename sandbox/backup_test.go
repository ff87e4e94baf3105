package sandbox

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/backup"
	backuptypes "github.com/aws/aws-sdk-go-v2/service/backup/types"
)

const backupTestRole = "arn:aws:iam::123456789012:role/service-role/AWSBackupDefaultServiceRole"

// awsHTTPStatus is the HTTP status an SDK error came with, or 0.
func awsHTTPStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

func backupTestVault(t *testing.T, client *backup.Client, name string) {
	t.Helper()
	if _, err := client.CreateBackupVault(ctx(t), &backup.CreateBackupVaultInput{BackupVaultName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
}

func backupJobState(t *testing.T, client *backup.Client, id string) *backup.DescribeBackupJobOutput {
	t.Helper()
	out, err := client.DescribeBackupJob(ctx(t), &backup.DescribeBackupJobInput{BackupJobId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func backupRestoreState(t *testing.T, client *backup.Client, id string) *backup.DescribeRestoreJobOutput {
	t.Helper()
	out, err := client.DescribeRestoreJob(ctx(t), &backup.DescribeRestoreJobInput{RestoreJobId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestBackupJobThenRestore walks a backup and a restore through their
// states by jumping simulated time (the clock runs at real speed, so
// nothing moves between jumps but the jumps): a backup job CREATED →
// RUNNING → COMPLETED in 10 minutes, its recovery point CREATING until
// then, and a restore PENDING → RUNNING → COMPLETED in the resource type's
// time, creating the resource the Metadata names.
func TestBackupJobThenRestore(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		typ, resource, pointPrefix, metaKey string
		metadata                            map[string]string
		restore                             time.Duration
		created                             string
	}{
		{"EBS", "arn:aws:ec2:us-west-2:123456789012:volume/vol-0a1b2c3d4e5f60718", "arn:aws:ec2:us-west-2::snapshot/snap-",
			"volumeId", map[string]string{"availabilityZone": "us-west-2b"}, 15 * time.Minute,
			"arn:aws:ec2:us-west-2:123456789012:volume/vol-"},
		{"RDS", "arn:aws:rds:us-west-2:123456789012:db:orders", "arn:aws:rds:us-west-2:123456789012:snapshot:awsbackup:job-",
			"DBInstanceIdentifier", map[string]string{"DBInstanceIdentifier": "orders-restored"}, 20 * time.Minute,
			"arn:aws:rds:us-west-2:123456789012:db:orders-restored"},
		{"DynamoDB", "arn:aws:dynamodb:us-west-2:123456789012:table/carts", "arn:aws:dynamodb:us-west-2:123456789012:table/carts/backup/",
			"targetTableName", map[string]string{}, 20 * time.Minute, "arn:aws:dynamodb:us-west-2:123456789012:table/restore-"},
	} {
		t.Run(tc.typ, func(t *testing.T) {
			t.Parallel()
			sb, url := startSandbox(t, Options{})
			client := backup.NewFromConfig(awsConfig(t, url, "us-west-2"))
			backupTestVault(t, client, "dr-vault")
			started, err := client.StartBackupJob(ctx(t), &backup.StartBackupJobInput{BackupVaultName: aws.String("dr-vault"),
				ResourceArn: aws.String(tc.resource), IamRoleArn: aws.String(backupTestRole)})
			if err != nil {
				t.Fatal(err)
			}
			point := aws.ToString(started.RecoveryPointArn)
			if !strings.HasPrefix(point, tc.pointPrefix) {
				t.Fatalf("recovery point %s, want %s...", point, tc.pointPrefix)
			}
			jobID := aws.ToString(started.BackupJobId)
			if job := backupJobState(t, client, jobID); job.State != backuptypes.BackupJobStateCreated || aws.ToString(job.ResourceType) != tc.typ {
				t.Fatalf("a new job: %s %s", job.State, aws.ToString(job.ResourceType))
			}
			sb.clock.Advance(2 * time.Minute)
			if job := backupJobState(t, client, jobID); job.State != backuptypes.BackupJobStateRunning || job.CompletionDate != nil {
				t.Fatalf("after 2 min: %s", job.State)
			}
			rp := backupDescribePoint(t, client, point)
			if rp.Status != backuptypes.RecoveryPointStatusCreating {
				t.Fatalf("the point of a running job is %s", rp.Status)
			}
			_, err = client.StartRestoreJob(ctx(t), &backup.StartRestoreJobInput{RecoveryPointArn: aws.String(point), Metadata: map[string]string{}})
			var invalid *backuptypes.InvalidRequestException
			if !errors.As(err, &invalid) {
				t.Fatalf("restore from a point being created: %v", err)
			}
			sb.clock.Advance(9 * time.Minute)
			job := backupJobState(t, client, jobID)
			if job.State != backuptypes.BackupJobStateCompleted || job.CompletionDate == nil || aws.ToInt64(job.BackupSizeInBytes) == 0 {
				t.Fatalf("after 11 min: %s, completed %v", job.State, job.CompletionDate)
			}
			rp = backupDescribePoint(t, client, point)
			if rp.Status != backuptypes.RecoveryPointStatusCompleted || aws.ToString(rp.ResourceArn) != tc.resource ||
				aws.ToString(rp.ResourceType) != tc.typ || rp.CompletionDate == nil || aws.ToInt64(rp.BackupSizeInBytes) == 0 ||
				!rp.CreationDate.Equal(aws.ToTime(started.CreationDate)) {
				t.Fatalf("completed point: %+v", rp)
			}
			meta, err := client.GetRecoveryPointRestoreMetadata(ctx(t), &backup.GetRecoveryPointRestoreMetadataInput{
				BackupVaultName: aws.String("dr-vault"), RecoveryPointArn: aws.String(point)})
			if err != nil || aws.ToString(meta.ResourceType) != tc.typ || meta.RestoreMetadata[tc.metaKey] == "" {
				t.Fatalf("restore metadata: %+v, %v", meta, err)
			}
			restore, err := client.StartRestoreJob(ctx(t), &backup.StartRestoreJobInput{RecoveryPointArn: aws.String(point),
				Metadata: tc.metadata, IamRoleArn: aws.String(backupTestRole), ResourceType: aws.String(tc.typ)})
			if err != nil {
				t.Fatal(err)
			}
			backupWalkRestore(t, sb, client, aws.ToString(restore.RestoreJobId), point, tc.resource, tc.created, tc.restore)
		})
	}
}

// backupWalkRestore steps a restore job through PENDING, RUNNING (until a
// minute before its time) and COMPLETED, when it names what it created.
func backupWalkRestore(t *testing.T, sb *Sandbox, client *backup.Client, id, point, resource, created string, restore time.Duration) {
	t.Helper()
	for _, step := range []struct {
		advance time.Duration
		want    backuptypes.RestoreJobStatus
	}{{0, "PENDING"}, {2 * time.Minute, "RUNNING"}, {restore - 3*time.Minute, "RUNNING"}, {2 * time.Minute, "COMPLETED"}} {
		sb.clock.Advance(step.advance)
		got := backupRestoreState(t, client, id)
		arn := aws.ToString(got.CreatedResourceArn)
		if got.Status != step.want {
			t.Fatalf("restore is %s, want %s", got.Status, step.want)
		}
		done := step.want == backuptypes.RestoreJobStatusCompleted
		if done != (got.CompletionDate != nil) || done != strings.HasPrefix(arn, created) || !done && arn != "" {
			t.Fatalf("%s restore: completed %v, created %q", got.Status, got.CompletionDate, arn)
		}
		if aws.ToString(got.RecoveryPointArn) != point || aws.ToString(got.SourceResourceArn) != resource {
			t.Fatalf("restore of %s from %s", aws.ToString(got.SourceResourceArn), aws.ToString(got.RecoveryPointArn))
		}
	}
}

func backupDescribePoint(t *testing.T, client *backup.Client, point string) *backup.DescribeRecoveryPointOutput {
	t.Helper()
	out, err := client.DescribeRecoveryPoint(ctx(t), &backup.DescribeRecoveryPointInput{
		BackupVaultName: aws.String("dr-vault"), RecoveryPointArn: aws.String(point)})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestBackupListRecoveryPoints pages through seeded points with the SDK's
// paginators, newest first, and filters them as the query parameters say.
func TestBackupListRecoveryPoints(t *testing.T) {
	t.Parallel()
	start := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	sb, url := startSandbox(t, Options{Start: start.Add(48 * time.Hour)})
	orders := "arn:aws:rds:us-east-1:123456789012:db:orders"
	volume := "arn:aws:ec2:us-east-1:123456789012:volume/vol-0123456789abcdef0"
	for i := range 25 {
		resource := orders
		if i%5 == 0 {
			resource = volume
		}
		seedRecoveryPoint(sb, "us-east-1", "dr-vault", resource, "", start.Add(time.Duration(i)*time.Hour))
	}
	seedRecoveryPoint(sb, "us-east-1", "other-vault", orders, "RDS", start)
	seedRecoveryPoint(sb, "us-west-2", "dr-vault", orders, "RDS", start) // another Region's: never listed here
	client := backup.NewFromConfig(awsConfig(t, url, "us-east-1"))

	pages, points := 0, []backuptypes.RecoveryPointByBackupVault{}
	p := backup.NewListRecoveryPointsByBackupVaultPaginator(client, &backup.ListRecoveryPointsByBackupVaultInput{
		BackupVaultName: aws.String("dr-vault")}, func(o *backup.ListRecoveryPointsByBackupVaultPaginatorOptions) { o.Limit = 10 })
	for p.HasMorePages() {
		out, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		pages++
		points = append(points, out.RecoveryPoints...)
	}
	if pages != 3 || len(points) != 25 {
		t.Fatalf("%d pages of %d points, want 3 of 25", pages, len(points))
	}
	for i := 1; i < len(points); i++ {
		if !points[i-1].CreationDate.After(*points[i].CreationDate) || points[i].Status != backuptypes.RecoveryPointStatusCompleted {
			t.Fatalf("points are not newest first and COMPLETED at %d: %v, %v", i, points[i-1].CreationDate, points[i].CreationDate)
		}
	}
	for _, tc := range []struct {
		name string
		in   backup.ListRecoveryPointsByBackupVaultInput
		want int
	}{
		{"by resource", backup.ListRecoveryPointsByBackupVaultInput{ByResourceArn: aws.String(volume)}, 5},
		{"by type", backup.ListRecoveryPointsByBackupVaultInput{ByResourceType: aws.String("RDS")}, 20},
		{"created after", backup.ListRecoveryPointsByBackupVaultInput{ByCreatedAfter: aws.Time(start.Add(19*time.Hour + 30*time.Minute))}, 5},
		{"created before", backup.ListRecoveryPointsByBackupVaultInput{ByCreatedBefore: aws.Time(start.Add(2 * time.Hour))}, 2},
		{"between, by type", backup.ListRecoveryPointsByBackupVaultInput{ByResourceType: aws.String("EBS"),
			ByCreatedAfter: aws.Time(start.Add(time.Hour)), ByCreatedBefore: aws.Time(start.Add(11 * time.Hour))}, 2},
		{"by plan", backup.ListRecoveryPointsByBackupVaultInput{ByBackupPlanId: aws.String("plan-1")}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			in.BackupVaultName = aws.String("dr-vault")
			out, err := client.ListRecoveryPointsByBackupVault(ctx(t), &in)
			if err != nil || len(out.RecoveryPoints) != tc.want || out.NextToken != nil {
				t.Fatalf("%d points, next %v, %v; want %d", len(out.RecoveryPoints), out.NextToken, err, tc.want)
			}
		})
	}

	byResource, pages := 0, 0
	rp := backup.NewListRecoveryPointsByResourcePaginator(client, &backup.ListRecoveryPointsByResourceInput{
		ResourceArn: aws.String(orders), MaxResults: aws.Int32(7)})
	for rp.HasMorePages() {
		out, err := rp.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, pt := range out.RecoveryPoints {
			if aws.ToInt64(pt.BackupSizeBytes) == 0 || pt.Status != backuptypes.RecoveryPointStatusCompleted {
				t.Fatalf("by resource: %+v", pt)
			}
			byResource++
		}
	}
	if pages != 3 || byResource != 21 { // 20 in dr-vault, 1 in other-vault
		t.Fatalf("by resource: %d points in %d pages, want 21 in 3", byResource, pages)
	}
}

// TestBackupCrossRegionRestore: in the recovery Region a restore starts
// from that Region's recovery point while the primary Region is out, and a
// point of the primary Region is refused (it would have to be copied
// first). It runs on a fast clock and polls, as a runbook waits.
func TestBackupCrossRegionRestore(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{TimeScale: 6000}) // 20 simulated minutes in 0.2 s
	created := sb.clock.Now().Add(-6 * time.Hour)
	primaryPoint := seedRecoveryPoint(sb, "us-east-1", "dr-vault", "arn:aws:rds:us-east-1:123456789012:db:orders", "", created)
	copyPoint := seedRecoveryPoint(sb, "us-west-2", "dr-vault-copy", "arn:aws:rds:us-east-1:123456789012:db:orders", "RDS", created)
	if err := sb.faults.apply(Fault{Outage: &Outage{Region: "us-east-1"}}); err != nil {
		t.Fatal(err)
	}
	recovery := backup.NewFromConfig(awsConfig(t, url, "us-west-2"))
	_, err := recovery.StartRestoreJob(ctx(t), &backup.StartRestoreJobInput{RecoveryPointArn: aws.String(primaryPoint), Metadata: map[string]string{}})
	var invalid *backuptypes.InvalidParameterValueException
	if !errors.As(err, &invalid) {
		t.Fatalf("restore in us-west-2 from a us-east-1 point: %v", err)
	}
	if _, err := backup.NewFromConfig(awsConfig(t, url, "us-east-1")).DescribeRestoreJob(ctx(t),
		&backup.DescribeRestoreJobInput{RestoreJobId: aws.String("x")}); apiCode(err) != "ServiceUnavailable" {
		t.Fatalf("the primary Region is out: %v", err)
	}
	out, err := recovery.StartRestoreJob(ctx(t), &backup.StartRestoreJobInput{RecoveryPointArn: aws.String(copyPoint),
		Metadata: map[string]string{"DBInstanceIdentifier": "orders"}, IdempotencyToken: aws.String("failover-1")})
	if err != nil {
		t.Fatal(err)
	}
	again, err := recovery.StartRestoreJob(ctx(t), &backup.StartRestoreJobInput{RecoveryPointArn: aws.String(copyPoint),
		Metadata: map[string]string{"DBInstanceIdentifier": "orders"}, IdempotencyToken: aws.String("failover-1")})
	if err != nil || aws.ToString(again.RestoreJobId) != aws.ToString(out.RestoreJobId) {
		t.Fatalf("a retried restore (same token) is another job: %v, %v", again, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		job := backupRestoreState(t, recovery, aws.ToString(out.RestoreJobId))
		if job.Status == backuptypes.RestoreJobStatusCompleted {
			if got := aws.ToString(job.CreatedResourceArn); got != "arn:aws:rds:us-west-2:123456789012:db:orders" {
				t.Fatalf("restored %s", got)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("restore still %s", job.Status)
		}
		time.Sleep(20 * time.Millisecond)
	}
	state := sb.dumpState()["backup/us-west-2"].(map[string]any)
	if len(state["restore_jobs"].(map[string]any)) != 1 || len(state["vaults"].(map[string]any)["dr-vault-copy"].([]any)) != 1 {
		t.Fatalf("state dump: %v", state)
	}
}

// TestBackupStuckJob: a stuck fault holds a backup job RUNNING, and its
// recovery point CREATING, however long it has been.
func TestBackupStuckJob(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{})
	client := backup.NewFromConfig(awsConfig(t, url, "eu-west-1"))
	backupTestVault(t, client, "dr-vault")
	started, err := client.StartBackupJob(ctx(t), &backup.StartBackupJobInput{BackupVaultName: aws.String("dr-vault"),
		ResourceArn: aws.String("arn:aws:rds:eu-west-1:123456789012:cluster:ledger"), IamRoleArn: aws.String(backupTestRole),
		IdempotencyToken: aws.String("nightly")})
	if err != nil {
		t.Fatal(err)
	}
	again, err := client.StartBackupJob(ctx(t), &backup.StartBackupJobInput{BackupVaultName: aws.String("dr-vault"),
		ResourceArn: aws.String("arn:aws:rds:eu-west-1:123456789012:cluster:ledger"), IamRoleArn: aws.String(backupTestRole),
		IdempotencyToken: aws.String("nightly")})
	if err != nil || aws.ToString(again.BackupJobId) != aws.ToString(started.BackupJobId) {
		t.Fatalf("a retried backup (same token) is another job: %v, %v", again, err)
	}
	id := aws.ToString(started.BackupJobId)
	sb.faults.apply(Fault{Stuck: &Stuck{Service: "backup", Region: "eu-west-1", ID: id, State: "RUNNING"}})
	sb.clock.Advance(time.Hour)
	if job := backupJobState(t, client, id); job.State != backuptypes.BackupJobStateRunning {
		t.Fatalf("stuck job is %s", job.State)
	}
	if rp := backupDescribePoint(t, client, aws.ToString(started.RecoveryPointArn)); rp.Status != backuptypes.RecoveryPointStatusCreating {
		t.Fatalf("stuck job's point is %s", rp.Status)
	}
	sb.faults.apply(Fault{Stuck: &Stuck{Service: "backup", Region: "eu-west-1", ID: id, State: "FAILED"}})
	if _, err := client.DescribeRecoveryPoint(ctx(t), &backup.DescribeRecoveryPointInput{BackupVaultName: aws.String("dr-vault"),
		RecoveryPointArn: started.RecoveryPointArn}); apiCode(err) != "ResourceNotFoundException" {
		t.Fatalf("a failed job leaves no recovery point: %v", err)
	}
}

func TestBackupErrorsAreTyped(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{})
	client := backup.NewFromConfig(awsConfig(t, url, "us-east-1"))
	backupTestVault(t, client, "dr-vault")
	seeded := seedRecoveryPoint(sb, "us-east-1", "dr-vault", "arn:aws:ec2:us-east-1:123456789012:volume/vol-1", "", sb.clock.Now())
	var (
		notFound *backuptypes.ResourceNotFoundException
		invalid  *backuptypes.InvalidParameterValueException
		exists   *backuptypes.AlreadyExistsException
	)
	createVault := func(name string) error {
		_, err := client.CreateBackupVault(ctx(t), &backup.CreateBackupVaultInput{BackupVaultName: aws.String(name)})
		return err
	}
	startJob := func(vault, resource string) error {
		_, err := client.StartBackupJob(ctx(t), &backup.StartBackupJobInput{BackupVaultName: aws.String(vault),
			ResourceArn: aws.String(resource), IamRoleArn: aws.String(backupTestRole)})
		return err
	}
	for _, tc := range []struct {
		name string
		call func() error
		want any
	}{
		{"vault name", func() error { return createVault("x") }, &invalid},
		{"vault twice", func() error { return createVault("dr-vault") }, &exists},
		{"job, no vault", func() error { return startJob("nope", "arn:aws:rds:us-east-1:123456789012:db:orders") }, &notFound},
		{"job, unsupported", func() error { return startJob("dr-vault", "arn:aws:sqs:us-east-1:123456789012:queue") }, &invalid},
		{"job, other Region", func() error { return startJob("dr-vault", "arn:aws:rds:us-west-2:123456789012:db:orders") }, &invalid},
		{"describe job", func() error {
			_, err := client.DescribeBackupJob(ctx(t), &backup.DescribeBackupJobInput{BackupJobId: aws.String("nope")})
			return err
		}, &notFound},
		{"describe restore", func() error {
			_, err := client.DescribeRestoreJob(ctx(t), &backup.DescribeRestoreJobInput{RestoreJobId: aws.String("nope")})
			return err
		}, &notFound},
		{"describe point", func() error {
			_, err := client.DescribeRecoveryPoint(ctx(t), &backup.DescribeRecoveryPointInput{BackupVaultName: aws.String("dr-vault"),
				RecoveryPointArn: aws.String("arn:aws:backup:us-east-1:123456789012:recovery-point:nope")})
			return err
		}, &notFound},
		{"point, other vault", func() error {
			backupTestVault(t, client, "other")
			_, err := client.GetRecoveryPointRestoreMetadata(ctx(t), &backup.GetRecoveryPointRestoreMetadataInput{
				BackupVaultName: aws.String("other"), RecoveryPointArn: aws.String(seeded)})
			return err
		}, &notFound},
		{"list, no vault", func() error {
			_, err := client.ListRecoveryPointsByBackupVault(ctx(t), &backup.ListRecoveryPointsByBackupVaultInput{BackupVaultName: aws.String("nope")})
			return err
		}, &notFound},
		{"list, page size", func() error {
			_, err := client.ListRecoveryPointsByBackupVault(ctx(t), &backup.ListRecoveryPointsByBackupVaultInput{
				BackupVaultName: aws.String("dr-vault"), MaxResults: aws.Int32(1001)})
			return err
		}, &invalid},
		{"restore, wrong type", func() error {
			_, err := client.StartRestoreJob(ctx(t), &backup.StartRestoreJobInput{RecoveryPointArn: aws.String(seeded),
				Metadata: map[string]string{}, ResourceType: aws.String("RDS")})
			return err
		}, &invalid},
		{"restore, no point", func() error {
			_, err := client.StartRestoreJob(ctx(t), &backup.StartRestoreJobInput{Metadata: map[string]string{},
				RecoveryPointArn: aws.String("arn:aws:ec2:us-east-1::snapshot/snap-0000000000000000f")})
			return err
		}, &notFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Every AWS Backup error is a 400, not found included.
			if err := tc.call(); !errors.As(err, tc.want) || awsHTTPStatus(err) != 400 {
				t.Fatalf("got %v (HTTP %d), want %T (HTTP 400)", err, awsHTTPStatus(err), tc.want)
			}
		})
	}
}

// TestBackupThrottled: ThrottlingException is not modelled in the Backup
// SDK, so it is a generic API error, which the SDK's retryer knows by its
// code.
func TestBackupThrottled(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{})
	sb.faults.apply(Fault{Throttle: &Throttle{Service: "backup", Rate: 1}})
	_, err := backup.NewFromConfig(awsConfig(t, url, "us-east-1")).DescribeBackupJob(ctx(t),
		&backup.DescribeBackupJobInput{BackupJobId: aws.String("x")})
	if apiCode(err) != "ThrottlingException" {
		t.Fatalf("throttled: %v", err)
	}
}
