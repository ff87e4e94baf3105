package sandbox

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/backup"
	backuptypes "github.com/aws/aws-sdk-go-v2/service/backup/types"
)

// TestBackupCrossRegionCopyThenRestore: a backup in the primary Region is
// copied into the recovery Region's vault, where — with the primary out —
// the newest point of the resource is found and restored.
func TestBackupCrossRegionCopyThenRestore(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{})
	ireland := backup.NewFromConfig(awsConfig(t, url, "eu-west-1"))
	frankfurt := backup.NewFromConfig(awsConfig(t, url, "eu-central-1"))
	for client, vault := range map[*backup.Client]string{ireland: "docstore-vault", frankfurt: "docstore-dr-vault"} {
		if _, err := client.CreateBackupVault(ctx(t), &backup.CreateBackupVaultInput{BackupVaultName: aws.String(vault)}); err != nil {
			t.Fatal(err)
		}
	}
	db := "arn:aws:rds:eu-west-1:123456789012:db:docstore-db"
	role := aws.String("arn:aws:iam::123456789012:role/backup")
	job, err := ireland.StartBackupJob(ctx(t), &backup.StartBackupJobInput{BackupVaultName: aws.String("docstore-vault"), ResourceArn: aws.String(db), IamRoleArn: role})
	if err != nil {
		t.Fatal(err)
	}
	destVault := aws.String("arn:aws:backup:eu-central-1:123456789012:backup-vault:docstore-dr-vault")
	copyInput := &backup.StartCopyJobInput{RecoveryPointArn: job.RecoveryPointArn, SourceBackupVaultName: aws.String("docstore-vault"),
		DestinationBackupVaultArn: destVault, IamRoleArn: role}
	if _, err := ireland.StartCopyJob(ctx(t), copyInput); apiCode(err) != "InvalidRequestException" {
		t.Fatalf("copy of a point still CREATING: %v", err)
	}
	sb.clock.Advance(11 * time.Minute)
	started, err := ireland.StartCopyJob(ctx(t), copyInput)
	if err != nil {
		t.Fatal(err)
	}
	sb.clock.Advance(11 * time.Minute)
	desc, err := ireland.DescribeCopyJob(ctx(t), &backup.DescribeCopyJobInput{CopyJobId: started.CopyJobId})
	if err != nil || desc.CopyJob.State != backuptypes.CopyJobStateCompleted || aws.ToString(desc.CopyJob.ResourceArn) != db {
		t.Fatalf("copy job: %+v %v", desc, err)
	}
	sb.faults.apply(Fault{Outage: &Outage{Region: "eu-west-1"}})
	points, err := frankfurt.ListRecoveryPointsByBackupVault(ctx(t), &backup.ListRecoveryPointsByBackupVaultInput{
		BackupVaultName: aws.String("docstore-dr-vault"), ByResourceArn: aws.String(db)})
	if err != nil || len(points.RecoveryPoints) != 1 || points.RecoveryPoints[0].Status != backuptypes.RecoveryPointStatusCompleted {
		t.Fatalf("points in the recovery vault: %+v %v", points, err)
	}
	point := points.RecoveryPoints[0].RecoveryPointArn
	if aws.ToString(point) != aws.ToString(desc.CopyJob.DestinationRecoveryPointArn) || arnRegion(aws.ToString(point)) != "eu-central-1" {
		t.Fatalf("the copy is %s", aws.ToString(point))
	}
	if _, err := frankfurt.StartRestoreJob(ctx(t), &backup.StartRestoreJobInput{RecoveryPointArn: point, IamRoleArn: role,
		Metadata: map[string]string{"DBInstanceIdentifier": "docstore-db-dr"}}); err != nil {
		t.Fatalf("restore from the copy: %v", err)
	}
	// A fresh input: the SDK wrote its idempotency token into copyInput,
	// and the same token returns the same copy job, as in AWS.
	sb.faults.apply(Fault{Outage: &Outage{Region: "eu-west-1", Clear: true}})
	if _, err := ireland.StartCopyJob(ctx(t), &backup.StartCopyJobInput{RecoveryPointArn: job.RecoveryPointArn,
		SourceBackupVaultName: aws.String("docstore-vault"), IamRoleArn: role,
		DestinationBackupVaultArn: aws.String("arn:aws:backup:eu-central-1:123456789012:backup-vault:nope")}); !errorAs[*backuptypes.ResourceNotFoundException](err) {
		t.Fatalf("copy into a missing vault: %v", err)
	}
	again, err := ireland.StartCopyJob(ctx(t), copyInput)
	if err != nil || aws.ToString(again.CopyJobId) != aws.ToString(started.CopyJobId) {
		t.Fatalf("the same idempotency token: %+v %v", again, err)
	}
}
