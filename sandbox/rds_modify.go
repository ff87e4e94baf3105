package sandbox

import (
	"time"
)

// The RDS calls around an instance a person makes during a game day:
// changing it, rebooting it (with a Multi-AZ failover), and looking at
// its automated backups.

const (
	rdsModify = 5 * time.Minute // modifying → available
	rdsReboot = time.Minute     // rebooting → available
)

// dbInstanceOf finds DBInstanceIdentifier's instance in the call's Region.
func (c *call) dbInstanceOf() (*dbInstance, *awsError) {
	id, err := required(c.input, "DBInstanceIdentifier", "InvalidParameterValue")
	if err != nil {
		return nil, err
	}
	db, ok := c.rds().instances[id]
	if !ok {
		return nil, notFound("DBInstanceNotFound", "DBInstance %s not found.", id)
	}
	return db, nil
}

// rdsModifyDBInstance changes an available instance's class, storage,
// Multi-AZ and backup retention. The sandbox applies every change at once,
// as with ApplyImmediately; the instance is modifying for a while.
func rdsModifyDBInstance(c *call) (any, error) {
	db, err := c.dbInstanceOf()
	if err != nil {
		return nil, err
	}
	if st := c.dbStatus(db); st != "available" {
		return nil, errorf("InvalidDBInstanceState", "DB instance %s is in state %s, not available.", db.ID, st)
	}
	storage, storageSet, aerr := integer(c.input, "AllocatedStorage")
	if aerr != nil {
		return nil, aerr
	}
	if storageSet && storage < db.Storage {
		return nil, errorf("InvalidParameterCombination", "Invalid storage size: AllocatedStorage can only grow, from %d GiB", db.Storage)
	}
	retention, retentionSet, aerr := integer(c.input, "BackupRetentionPeriod")
	if aerr != nil {
		return nil, aerr
	}
	if retentionSet && (retention < 0 || retention > 35) {
		return nil, errorf("InvalidParameterValue", "BackupRetentionPeriod must be from 0 to 35 days")
	}
	if retentionSet && retention == 0 && len(db.Replicas) > 0 {
		return nil, errorf("InvalidParameterCombination", "Cannot turn off automated backups of %s: it has read replicas", db.ID)
	}
	changed := false
	if class := str(c.input, "DBInstanceClass"); class != "" && class != db.Class {
		db.Class, changed = class, true
	}
	if storageSet && storage != db.Storage {
		db.Storage, changed = storage, true
	}
	if multiAZ, set := boolean(c.input, "MultiAZ"); set && multiAZ != db.MultiAZ {
		db.MultiAZ, changed = multiAZ, true
	}
	if retentionSet && retention != db.BackupRetention {
		db.BackupRetention, changed = retention, true
	}
	if changed {
		db.status.set(c.now, "modifying", rdsModify, "available")
		c.dbEvent(db.ID, 0, "configuration change", "Applying modification to database instance")
		c.dbEvent(db.ID, rdsModify, "configuration change", "Finished applying modification to DB instance")
	}
	return map[string]any{"DBInstance": c.dbInstanceValue(db)}, nil
}

// rdsRebootDBInstance reboots an available instance; ForceFailover fails a
// Multi-AZ instance over to its standby, and is refused on one without.
func rdsRebootDBInstance(c *call) (any, error) {
	db, err := c.dbInstanceOf()
	if err != nil {
		return nil, err
	}
	if st := c.dbStatus(db); st != "available" {
		return nil, errorf("InvalidDBInstanceState", "DB instance %s is in state %s, not available.", db.ID, st)
	}
	if force, _ := boolean(c.input, "ForceFailover"); force && !db.MultiAZ {
		return nil, errorf("InvalidParameterCombination", "Failover can only be forced on a Multi-AZ instance; %s is Single-AZ", db.ID)
	}
	db.status.set(c.now, "rebooting", rdsReboot, "available")
	if force, _ := boolean(c.input, "ForceFailover"); force {
		c.dbEvent(db.ID, 0, "failover", "Multi-AZ instance failover started.")
		c.dbEvent(db.ID, rdsReboot, "failover", "Multi-AZ instance failover completed")
	}
	c.dbEvent(db.ID, rdsReboot, "availability", "DB instance restarted")
	return map[string]any{"DBInstance": c.dbInstanceValue(db)}, nil
}

// rdsDescribeAutomatedBackups lists, per instance that keeps backups, the
// window it can be restored to: from its oldest automated snapshot to
// LatestRestorableTime.
func rdsDescribeAutomatedBackups(c *call) (any, error) {
	id, resource := str(c.input, "DBInstanceIdentifier"), str(c.input, "DbiResourceId")
	earliest := map[string]time.Time{}
	for _, sn := range c.automatedSnapshots() {
		if t, ok := earliest[sn.Instance]; !ok || sn.Created.Before(t) {
			earliest[sn.Instance] = sn.Created
		}
	}
	r := c.rds()
	items := []any{}
	for _, dbID := range r.order {
		db := r.instances[dbID]
		from, ok := earliest[dbID]
		dbi := resourceID("db-", c.region+db.ID)
		if !ok || id != "" && id != dbID || resource != "" && resource != dbi {
			continue
		}
		dbARN := arn("rds", c.region, c.account(), "db:"+db.ID)
		items = append(items, map[string]any{"DBInstanceArn": dbARN, "DbiResourceId": dbi, "Region": c.region,
			"DBInstanceIdentifier": db.ID, "Status": "active", "Engine": db.Engine, "AllocatedStorage": db.Storage,
			"InstanceCreateTime": db.Created, "BackupRetentionPeriod": db.BackupRetention,
			"DBInstanceAutomatedBackupsArn": arn("rds", c.region, c.account(), "auto-backup:ab-"+dbi[3:]),
			"RestoreWindow":                 map[string]any{"EarliestTime": from, "LatestTime": c.now.Add(-5 * time.Minute)}})
	}
	if len(items) == 0 && (id != "" || resource != "") {
		return nil, notFound("DBInstanceAutomatedBackupNotFound", "No automated backup found for %s%s.", id, resource)
	}
	return rdsPage(c, "DBInstanceAutomatedBackups", "DBInstanceAutomatedBackup", items)
}
