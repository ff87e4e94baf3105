package steps

import "github.com/drpilot/drpilot/runbooks"

// backupActions are the AWS Backup actions (IAM prefix backup).
func backupActions() []Action {
	return []Action{backupStartRestore().runs(runBackupStartRestore).plans(planBackupStartRestore)}
}

// backupStartRestore restores a recovery point: the heart of a
// backup-and-restore strategy. It refuses a recovery point older than the
// runbook's rpo, because restoring one would silently lose more data than
// the business agreed to.
func backupStartRestore() Action {
	return Action{
		spec: runbooks.ActionSpec{
			Name: "backup.start-restore",
			Summary: "Restore an AWS Backup recovery point, given by ARN or as the newest completed one of a resource, " +
				"after checking its age against the runbook's rpo.",
			Phases:   []string{"restore"},
			Mutating: true,
			Calls: []runbooks.Call{
				lookup("backup:ListRecoveryPointsByBackupVault"),
				check("backup:DescribeRecoveryPoint"),
				lookup("backup:GetRecoveryPointRestoreMetadata"),
				check("backup:ListRestoreJobs"),
				act("backup:StartRestoreJob"),
				waitOn("backup:DescribeRestoreJob"),
			},
			Params: backupRestoreParams(),
			OneOf:  [][]string{{"recovery_point_arn", "resource_arn"}},
			Outputs: []string{
				"RestoreJobId", "CreatedResourceArn", "CreatedResourceId", "RecoveryPointArn", "RecoveryPointCreationDate",
			},
			Idempotency: "StartRestoreJob gets an IdempotencyToken derived from the run id and step id, so a retried step returns the same restore job. " +
				"When an earlier attempt may have started the job without drpilot seeing the answer (a resumed step whose StartRestoreJob was logged sent and never answered, or a retry), " +
				"ListRestoreJobs first looks for a job created since the run started, of the planned recovery point or its resource (and the step's role): one found is waited for and StartRestoreJob is not sent again; several fail the step for a person to choose.",
			Wait: "Before acting, DescribeRecoveryPoint must show the point COMPLETED and created no longer ago than runbook.rpo, or the step fails. " +
				"Then polls DescribeRestoreJob until the job is COMPLETED, and fails when it is ABORTED or FAILED, with AWS Backup's status message. " +
				"The response is that last DescribeRestoreJob response plus CreatedResourceId, the restored resource's own id from the end of CreatedResourceArn " +
				"(a DB instance identifier, a volume id, a table name), which the next steps' actions take.",
			Expect:  runbooks.Minutes(30),
			Timeout: runbooks.Minutes(180),
			Input:   backupRestoreInput,
		},
		example: example{
			id: "restore-orders-volume", phase: "restore", title: "Restore the orders volume in the recovery Region",
			with: []setting{
				{"backup_vault_name", `"dr-vault"`},
				{"resource_arn", `"arn:aws:ec2:${runbook.regions.primary}:${runbook.account}:volume/${vars.orders_volume}"`},
				{"iam_role_arn", `"arn:aws:iam::${runbook.account}:role/service-role/AWSBackupDefaultServiceRole"`},
				{"resource_type", `"EBS"`},
				{"metadata", `{ availabilityZone = "${runbook.regions.recovery}a" }`},
			},
			outputs: []setting{{"volume_arn", `"CreatedResourceArn"`}, {"volume_id", `"CreatedResourceId"`}},
		},
	}
}

// backupRestoreParams are the parameters of backup.start-restore. The vault
// and resource_arn feed the lookup of the recovery point rather than
// StartRestoreJob itself, which is why the action brings its own Input.
func backupRestoreParams() []runbooks.Param {
	return []runbooks.Param{
		required(str("backup_vault_name", "BackupVaultName",
			"The vault that holds the recovery point, in the step's Region.")),
		arn("recovery_point_arn", "RecoveryPointArn", "",
			"The ARN of the recovery point to restore."),
		arn("resource_arn", "", "",
			"Restore the newest completed recovery point of this resource in the vault instead of a given one."),
		required(arn("iam_role_arn", "IamRoleArn", "iam",
			"The role AWS Backup assumes to create the restored resource.")),
		str("resource_type", "ResourceType",
			"The type of resource to restore as AWS Backup names it, such as EBS, RDS, DynamoDB or EFS."),
		table("metadata", "Metadata",
			"Restore settings (AWS Backup's restore metadata keys); the recovery point's own restore metadata fills the keys left out."),
	}
}

// backupRestoreInput is StartRestoreJob's input. The vault is not part of
// it, and when the step names a resource instead of a recovery point the
// RecoveryPointArn is only known at run time, so the plan leaves it out.
func backupRestoreInput(with map[string]any) map[string]any {
	in := fillMembers(backupRestoreParams(), with)
	delete(in, "BackupVaultName")
	return in
}
