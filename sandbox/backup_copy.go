package sandbox

import (
	"strings"
	"time"
)

// backupCopyTime is how long a cross-Region copy of a recovery point takes
// in simulated time.
const backupCopyTime = 10 * time.Minute

// copyJob copies a recovery point into a vault, usually of the recovery
// Region: how a backup-and-restore strategy gets its backups out of the
// Region that may fail. The copy keeps the source's ResourceArn, so a
// runbook finds "the newest point of this resource" in the recovery vault.
type copyJob struct {
	ID, SourcePoint, SourceVault, DestVaultARN, DestPoint, ResourceArn, ResourceType, IamRole string
	Created                                                                                   time.Time
	Size                                                                                      int64
	job                                                                                       *backupJob // the state the destination point follows
}

// backupStartCopyJob copies a COMPLETED recovery point of the call's
// Region into the vault DestinationBackupVaultArn names, in any Region.
func backupStartCopyJob(c *call) (any, error) {
	r := backupState(c.sb, c.region)
	token := str(c.input, "IdempotencyToken")
	if id, ok := r.tokens["copy/"+token]; ok && token != "" {
		return copyStarted(r.copies[id]), nil
	}
	pointARN, srcVault := str(c.input, "RecoveryPointArn"), str(c.input, "SourceBackupVaultName")
	destVaultARN, role := str(c.input, "DestinationBackupVaultArn"), str(c.input, "IamRoleArn")
	if pointARN == "" || srcVault == "" || destVaultARN == "" || role == "" {
		return nil, errorf("MissingParameterValueException", "RecoveryPointArn, SourceBackupVaultName, DestinationBackupVaultArn and IamRoleArn are required")
	}
	p, status, err := c.backupPoint(r, pointARN, srcVault)
	if err != nil {
		return nil, err
	}
	if status != "COMPLETED" {
		return nil, errorf("InvalidRequestException", "Recovery point %s is %s; only a COMPLETED point can be copied", pointARN, status)
	}
	destRegion := arnRegion(destVaultARN)
	destName := destVaultARN[strings.LastIndex(destVaultARN, ":")+1:]
	dest := backupState(c.sb, destRegion)
	if _, ok := dest.vaults[destName]; !ok || destRegion == "" {
		return nil, errorf("ResourceNotFoundException", "Backup vault %s not found", destVaultARN)
	}
	id := "COPY-" + strings.ToUpper(c.requestID)
	j := &backupJob{ID: id, Vault: destName, ResourceArn: p.ResourceArn, ResourceType: p.ResourceType, IamRole: role,
		Created: c.now, done: c.now.Add(backupCopyTime), Size: p.Size}
	j.state.set(c.now, "CREATED", backupJobCreated, "RUNNING", backupCopyTime-backupJobCreated, "COMPLETED")
	j.PointARN = c.idOr(backupPointARN(destRegion, c.account(), p.ResourceType, p.ResourceArn, id, c.now))
	cj := &copyJob{ID: id, SourcePoint: pointARN, SourceVault: srcVault, DestVaultARN: destVaultARN, DestPoint: j.PointARN,
		ResourceArn: p.ResourceArn, ResourceType: p.ResourceType, IamRole: role, Created: c.now, Size: p.Size, job: j}
	dest.points[j.PointARN] = &recoveryPoint{ARN: j.PointARN, Vault: destName, ResourceArn: p.ResourceArn,
		ResourceType: p.ResourceType, IamRole: role, Created: c.now, Size: p.Size, job: j}
	r.copies[id] = cj
	if token != "" {
		r.tokens["copy/"+token] = id
	}
	return copyStarted(cj), nil
}

func copyStarted(cj *copyJob) map[string]any {
	return map[string]any{"CopyJobId": cj.ID, "CreationDate": cj.Created, "IsParent": false}
}

func backupDescribeCopyJob(c *call) (any, error) {
	id := str(c.input, "CopyJobId")
	cj, ok := backupState(c.sb, c.region).copies[id]
	if !ok {
		return nil, errorf("ResourceNotFoundException", "Copy job %s not found", id)
	}
	state := c.backupJobState(cj.ID, &cj.job.state)
	v := map[string]any{"CopyJobId": cj.ID, "AccountId": c.account(), "State": state, "CreationDate": cj.Created,
		"SourceBackupVaultArn": backupVaultARN(c.region, c.account(), cj.SourceVault), "SourceRecoveryPointArn": cj.SourcePoint,
		"DestinationBackupVaultArn": cj.DestVaultARN, "DestinationRecoveryPointArn": cj.DestPoint,
		"ResourceArn": cj.ResourceArn, "ResourceType": cj.ResourceType, "IamRoleArn": cj.IamRole, "IsParent": false}
	if state == "COMPLETED" {
		v["CompletionDate"], v["BackupSizeInBytes"] = backupNotAfter(cj.job.done, c.now), cj.Size
	}
	return map[string]any{"CopyJob": v}, nil
}
