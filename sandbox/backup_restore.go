package sandbox

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// Restores: a recovery point's restore metadata, and restore jobs that
// create a new resource from it.

// backupRestoreMetadataOf is what a restore of the point needs, under the
// keys StartRestoreJob's Metadata takes for its resource type.
func backupRestoreMetadataOf(region string, p *recoveryPoint) map[string]any {
	name, gib := backupResourceName(p.ResourceArn), strconv.FormatInt(p.Size>>30, 10)
	switch p.ResourceType {
	case "EBS":
		return map[string]any{"volumeId": name, "volumeSize": gib, "volumeType": "gp3", "encrypted": "true", "availabilityZone": region + "a"}
	case "EC2":
		return map[string]any{"InstanceType": "m6i.large", "AvailabilityZone": region + "a"}
	case "RDS":
		return map[string]any{"DBInstanceIdentifier": name, "DBInstanceClass": "db.r6g.large", "Engine": "postgres",
			"AllocatedStorage": gib, "Port": "5432", "MultiAZ": "false", "AvailabilityZone": region + "a"}
	case "Aurora":
		return map[string]any{"DBClusterIdentifier": name, "Engine": "aurora-postgresql", "Port": "5432"}
	case "DynamoDB":
		return map[string]any{"targetTableName": name, "encryptionType": "Default"}
	case "EFS":
		return map[string]any{"file-system-id": name, "Encrypted": "true", "PerformanceMode": "generalPurpose", "newFileSystem": "true"}
	}
	return map[string]any{}
}

func backupRestoreMetadata(c *call) (any, error) {
	r, vault, aerr := c.backupVaultOf()
	if aerr != nil {
		return nil, aerr
	}
	p, _, err := c.backupPoint(r, str(c.input, "RecoveryPointArn"), vault)
	if err != nil {
		return nil, err
	}
	return map[string]any{"BackupVaultArn": backupVaultARN(c.region, c.account(), vault), "RecoveryPointArn": p.ARN,
		"ResourceType": p.ResourceType, "RestoreMetadata": backupRestoreMetadataOf(c.region, p)}, nil
}

// backupRestoredARN is the ARN of the resource a restore job creates: named by
// the Metadata where the resource type takes a name, else generated.
func (c *call) backupRestoredARN(p *recoveryPoint, meta map[string]any, jobID string) string {
	hex := strings.ToLower(strings.ReplaceAll(jobID, "-", ""))
	name := func(key string) string {
		if n := str(meta, key); n != "" {
			return n
		}
		return "restore-" + hex[len(hex)-8:]
	}
	switch p.ResourceType {
	case "EBS":
		return arn("ec2", c.region, c.account(), "volume/vol-"+hex[len(hex)-17:])
	case "EC2":
		return arn("ec2", c.region, c.account(), "instance/i-"+hex[len(hex)-17:])
	case "RDS":
		return arn("rds", c.region, c.account(), "db:"+name("DBInstanceIdentifier"))
	case "Aurora":
		return arn("rds", c.region, c.account(), "cluster:"+name("DBClusterIdentifier"))
	case "DynamoDB":
		return arn("dynamodb", c.region, c.account(), "table/"+name("targetTableName"))
	}
	return arn("elasticfilesystem", c.region, c.account(), "file-system/fs-"+hex[len(hex)-17:])
}

// backupStartRestoreJob restores a COMPLETED recovery point of the call's
// Region; a point of another Region must first be copied there
// (StartCopyJob). An RDS, EBS or DynamoDB restore makes its resource as the
// job starts (backup_restore_create.go), or is refused and starts no job.
func backupStartRestoreJob(c *call) (any, error) {
	r := backupState(c.sb, c.region)
	token := str(c.input, "IdempotencyToken")
	if id, ok := r.tokens["restore/"+token]; ok && token != "" {
		return map[string]any{"RestoreJobId": id}, nil
	}
	pointARN, err := required(c.input, "RecoveryPointArn", "MissingParameterValueException")
	if err != nil {
		return nil, err
	}
	if _, region, _, ok := backupARNParts(pointARN); !ok || region != c.region {
		return nil, errorf("InvalidParameterValueException",
			"Recovery point %s is not in %s: restore in its Region, or copy it to %s first", pointARN, c.region, c.region)
	}
	p, status, err := c.backupPoint(r, pointARN, "")
	if err != nil {
		return nil, err
	}
	if status != "COMPLETED" {
		return nil, errorf("InvalidRequestException", "Recovery point %s is %s; only a COMPLETED recovery point can be restored", pointARN, status)
	}
	if t := str(c.input, "ResourceType"); t != "" && t != p.ResourceType {
		return nil, errorf("InvalidParameterValueException", "ResourceType %s does not match the recovery point's %s", t, p.ResourceType)
	}
	id := strings.ToUpper(c.requestID)
	total := backupRestoreDuration(p.ResourceType)
	j := &restoreJob{ID: id, PointARN: p.ARN, Vault: p.Vault, SourceArn: p.ResourceArn, ResourceType: p.ResourceType,
		IamRole: str(c.input, "IamRoleArn"), CreatedArn: c.backupRestoredARN(p, obj(c.input, "Metadata"), id),
		Created: c.now, PointCreated: p.Created, done: c.now.Add(total), Size: p.Size}
	if aerr := c.backupRestoreTarget(p, obj(c.input, "Metadata"), j.CreatedArn, total); aerr != nil {
		return nil, aerr
	}
	j.state.set(c.now, "PENDING", restoreJobPending, "RUNNING", total-restoreJobPending, "COMPLETED")
	r.restores[id] = j
	if token != "" {
		r.tokens["restore/"+token] = id
	}
	return map[string]any{"RestoreJobId": id}, nil
}

func backupDescribeRestoreJob(c *call) (any, error) {
	id := str(c.input, "RestoreJobId")
	j, ok := backupState(c.sb, c.region).restores[id]
	if !ok {
		return nil, errorf("ResourceNotFoundException", "Restore job %s not found", id)
	}
	return c.restoreJobValue(j, c.backupJobState(id, &j.state)), nil
}

// backupListRestoreJobs lists the Region's restore jobs, newest first, in
// DescribeRestoreJob's shape, with ListRestoreJobs' filters.
func backupListRestoreJobs(c *call) (any, error) {
	keep, aerr := restoreJobFilter(c)
	if aerr != nil {
		return nil, aerr
	}
	r := backupState(c.sb, c.region)
	var items []any
	for _, id := range sortedKeys(r.restores) {
		j := r.restores[id]
		if v := c.restoreJobValue(j, c.backupJobState(id, &j.state)); keep(j, v) {
			items = append(items, v)
		}
	}
	slices.SortStableFunc(items, func(a, b any) int {
		return asMap(b)["CreationDate"].(time.Time).Compare(asMap(a)["CreationDate"].(time.Time))
	})
	page, next, err := paginate(c.input, "maxResults", "nextToken", items, backupPages)
	if err != nil {
		return nil, errorf("InvalidParameterValueException", "%s", asAWSError(err).Message)
	}
	out := map[string]any{"RestoreJobs": append([]any{}, page...)}
	if next != "" {
		out["NextToken"] = next
	}
	return out, nil
}

// restoreJobFilter reads ListRestoreJobs' filters, query parameters all
// (timestamps ISO 8601): createdAfter, createdBefore, completeAfter,
// completeBefore, status, resourceType, accountId. No simulated job is a
// restore test's or has a parent, so filtering by either matches none.
func restoreJobFilter(c *call) (func(j *restoreJob, v map[string]any) bool, *awsError) {
	var times [4]time.Time
	for i, key := range []string{"createdAfter", "createdBefore", "completeAfter", "completeBefore"} {
		if v := str(c.input, key); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return nil, errorf("InvalidParameterValueException", "%s %q is not an ISO 8601 timestamp", key, v)
			}
			times[i] = t
		}
	}
	between := func(t time.Time, ok bool, after, before time.Time) bool {
		if after.IsZero() && before.IsZero() {
			return true
		}
		return ok && (after.IsZero() || t.After(after)) && (before.IsZero() || t.Before(before))
	}
	status, resourceType, account := str(c.input, "status"), str(c.input, "resourceType"), str(c.input, "accountId")
	none := str(c.input, "restoreTestingPlanArn") != "" || str(c.input, "parentJobId") != "" || (account != "" && account != c.account())
	return func(j *restoreJob, v map[string]any) bool {
		completed, done := v["CompletionDate"].(time.Time)
		return !none && between(j.Created, true, times[0], times[1]) && between(completed, done, times[2], times[3]) &&
			(status == "" || v["Status"] == status) && (resourceType == "" || j.ResourceType == resourceType)
	}, nil
}

// restoreJobValue is a restore job as AWS Backup describes it, in the
// status it has now.
func (c *call) restoreJobValue(j *restoreJob, status string) map[string]any {
	v := map[string]any{
		"AccountId": c.account(), "RestoreJobId": j.ID, "RecoveryPointArn": j.PointARN, "SourceResourceArn": j.SourceArn,
		"BackupVaultArn": backupVaultARN(c.region, c.account(), j.Vault), "CreationDate": j.Created, "Status": status,
		"PercentDone":       backupPercent(status, j.Created.Add(restoreJobPending), j.done, c.now),
		"BackupSizeInBytes": j.Size, "ExpectedCompletionTimeMinutes": int64(j.done.Sub(j.Created) / time.Minute),
		"ResourceType": j.ResourceType, "RecoveryPointCreationDate": j.PointCreated, "IsParent": false,
	}
	if j.IamRole != "" {
		v["IamRoleArn"] = j.IamRole
	}
	if status == "COMPLETED" {
		v["CompletionDate"], v["CreatedResourceArn"] = backupNotAfter(j.done, c.now), j.CreatedArn
	}
	return v
}
