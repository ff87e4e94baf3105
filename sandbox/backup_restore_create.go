package sandbox

import (
	"strconv"
	"strings"
	"time"
)

// What a restore job makes. A runbook restores with AWS Backup and then
// waits for the new resource through that resource's own service
// (DescribeDBInstances, DescribeVolumes, DescribeTable, or the SDKs'
// waiters), so a restore of an RDS instance, an EBS volume or a DynamoDB
// table puts its resource into that service's simulation, in the call's
// Region, as the job starts — as in AWS, where the resource appears while
// the job runs. It stays in its creating state until the job completes, so
// that nothing can use it sooner. Aurora, EC2 and EFS restores only name
// their resource (CreatedResourceArn).

// backupRestoreTarget makes the resource a restore job of p creates, the
// one createdArn names, over took (the job's time). When it fails nothing
// is made and the job must not start: AWS Backup never restores over a DB
// instance or table that exists.
func (c *call) backupRestoreTarget(p *recoveryPoint, meta map[string]any, createdArn string, took time.Duration) *awsError {
	// The point's own restore metadata, as GetRecoveryPointRestoreMetadata
	// gives it, fills the keys the call leaves out, so that what a runbook
	// read there is what it gets.
	defaults := backupRestoreMetadataOf(c.region, p)
	setting := func(key string) string {
		if v := str(meta, key); v != "" {
			return v
		}
		return str(defaults, key)
	}
	name := backupResourceName(createdArn)
	switch p.ResourceType {
	case "RDS":
		return c.backupRestoreDB(name, defaults, setting, took)
	case "EBS":
		return c.backupRestoreVolume(p, name, defaults, setting, took)
	case "DynamoDB":
		return c.backupRestoreTable(p, name, took)
	}
	return nil
}

// backupRestoreDB makes the DB instance of an RDS restore. Its engine and
// storage are the recovery point's, since a snapshot restores as what it
// was; its class and Multi-AZ are what the Metadata asks. It is creating
// for as long as the job runs, then backing-up and available as any
// restored instance: available only after the job is COMPLETED, as the
// runbooks that wait for it after the job expect.
func (c *call) backupRestoreDB(id string, defaults map[string]any, setting func(string) string, took time.Duration) *awsError {
	if _, exists := c.rds().instances[id]; exists {
		return errorf("InvalidRequestException",
			"DB instance %s already exists in %s: a restore does not overwrite it; name another DBInstanceIdentifier", id, c.region)
	}
	storage, _ := strconv.ParseInt(str(defaults, "AllocatedStorage"), 10, 64)
	multiAZ, _ := strconv.ParseBool(setting("MultiAZ"))
	_, err := c.addRestoredInstance(&dbInstance{ID: id, Class: setting("DBInstanceClass"), Engine: str(defaults, "Engine"),
		Storage: storage, MultiAZ: multiAZ}, took)
	return err
}

// backupRestoreVolume makes the volume of an EBS restore, with the id the
// job's CreatedResourceArn names and the recovery point's size, in the
// Availability Zone the Metadata names: a volume attaches only to an
// instance of its own zone, so the zone must be one of the call's Region.
func (c *call) backupRestoreVolume(p *recoveryPoint, id string, defaults map[string]any, setting func(string) string, took time.Duration) *awsError {
	az := setting("availabilityZone")
	if len(az) <= len(c.region) || !strings.HasPrefix(az, c.region) {
		return errorf("InvalidParameterValueException",
			"availabilityZone %q is not an Availability Zone of %s, where the volume is restored", az, c.region)
	}
	size, _ := strconv.ParseInt(str(defaults, "volumeSize"), 10, 64)
	v := &volume{ID: id, AZ: az, Type: setting("volumeType"), Size: size}
	// An EBS recovery point is a snapshot, which the volume names as its
	// source, as a volume restored by AWS Backup does.
	if _, _, res, ok := backupARNParts(p.ARN); ok && strings.HasPrefix(res, "snapshot/") {
		v.Snapshot = strings.TrimPrefix(res, "snapshot/")
	}
	c.addRestoredVolume(v, took)
	return nil
}

// backupRestoreTable makes the table of a DynamoDB restore, CREATING until
// the job completes, with a RestoreSummary naming the backup. A backup
// holds its table's key schema and billing mode: the sandbox reads them
// from the source table when the DynamoDB simulation has it.
func (c *call) backupRestoreTable(p *recoveryPoint, name string, took time.Duration) *awsError {
	r := c.dynamo(c.region)
	if _, exists := r.tables[name]; exists {
		return errorf("InvalidRequestException",
			"Table %s already exists in %s: a restore does not overwrite it; name another targetTableName", name, c.region)
	}
	t := &table{Name: name, Created: c.now, KeySchema: []any{}, Attrs: []any{}, Billing: "PROVISIONED",
		Restore: map[string]any{"SourceBackupArn": p.ARN, "SourceTableArn": p.ResourceArn, "RestoreDateTime": p.Created}}
	if region := arnRegion(p.ResourceArn); region != "" {
		if src, ok := c.dynamo(region).tables[backupResourceName(p.ResourceArn)]; ok {
			t.KeySchema, t.Attrs, t.Billing = src.KeySchema, src.Attrs, src.Billing
		}
	}
	t.status.set(c.now, "CREATING", took, "ACTIVE")
	r.tables[name] = t
	return nil
}
