package sandbox

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/backup"
	backuptypes "github.com/aws/aws-sdk-go-v2/service/backup/types"
)

// TestBackupListVaultsJobsAndPlans: vaults, jobs (filtered by resource
// type) and plans are listed; a plan naming a vault that does not exist is
// refused, and so is a second plan of a name.
func TestBackupListVaultsJobsAndPlans(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t, Options{})
	client := backup.NewFromConfig(awsConfig(t, url, "us-west-2"))
	backupTestVault(t, client, "dr-vault")
	backupTestVault(t, client, "archive")
	for _, res := range []string{"arn:aws:rds:us-west-2:123456789012:db:orders", "arn:aws:dynamodb:us-west-2:123456789012:table/carts"} {
		if _, err := client.StartBackupJob(ctx(t), &backup.StartBackupJobInput{BackupVaultName: aws.String("dr-vault"),
			ResourceArn: aws.String(res), IamRoleArn: aws.String(backupTestRole)}); err != nil {
			t.Fatal(err)
		}
	}
	vaults, err := client.ListBackupVaults(ctx(t), &backup.ListBackupVaultsInput{})
	if err != nil || len(vaults.BackupVaultList) != 2 || aws.ToString(vaults.BackupVaultList[1].BackupVaultName) != "dr-vault" {
		t.Fatalf("vaults: %+v %v", vaults, err)
	}
	jobs, err := client.ListBackupJobs(ctx(t), &backup.ListBackupJobsInput{ByResourceType: aws.String("DynamoDB")})
	if err != nil || len(jobs.BackupJobs) != 1 || aws.ToString(jobs.BackupJobs[0].ResourceArn) != "arn:aws:dynamodb:us-west-2:123456789012:table/carts" {
		t.Fatalf("jobs: %+v %v", jobs, err)
	}
	rule := backuptypes.BackupRuleInput{RuleName: aws.String("nightly"), TargetBackupVaultName: aws.String("dr-vault"),
		ScheduleExpression: aws.String("cron(0 3 * * ? *)")}
	plan, err := client.CreateBackupPlan(ctx(t), &backup.CreateBackupPlanInput{BackupPlan: &backuptypes.BackupPlanInput{
		BackupPlanName: aws.String("daily"), Rules: []backuptypes.BackupRuleInput{rule}}})
	if err != nil || aws.ToString(plan.BackupPlanId) == "" {
		t.Fatalf("plan: %+v %v", plan, err)
	}
	if _, err := client.CreateBackupPlan(ctx(t), &backup.CreateBackupPlanInput{BackupPlan: &backuptypes.BackupPlanInput{
		BackupPlanName: aws.String("daily"), Rules: []backuptypes.BackupRuleInput{rule}}}); apiCode(err) != "AlreadyExistsException" {
		t.Fatalf("a second plan of a name: %v", err)
	}
	rule.TargetBackupVaultName = aws.String("nope")
	if _, err := client.CreateBackupPlan(ctx(t), &backup.CreateBackupPlanInput{BackupPlan: &backuptypes.BackupPlanInput{
		BackupPlanName: aws.String("other"), Rules: []backuptypes.BackupRuleInput{rule}}}); apiCode(err) != "InvalidParameterValueException" {
		t.Fatalf("a plan into a missing vault: %v", err)
	}
	plans, err := client.ListBackupPlans(ctx(t), &backup.ListBackupPlansInput{})
	if err != nil || len(plans.BackupPlansList) != 1 || aws.ToString(plans.BackupPlansList[0].BackupPlanName) != "daily" {
		t.Fatalf("plans: %+v %v", plans, err)
	}
}
