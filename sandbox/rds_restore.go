package sandbox

import (
	"net/http"
	"time"
)

// RDS snapshot and restore durations in simulated time: a restore, from a
// snapshot or to a point in time, takes about twenty minutes.
const (
	rdsSnapshot       = 5 * time.Minute
	rdsRestoreCreate  = 15 * time.Minute
	rdsRestoreBacking = 5 * time.Minute
	// rdsLatestLag is how far behind now the latest restorable time is.
	rdsLatestLag = 5 * time.Minute
)

type dbSnapshot struct {
	ID, Instance, Engine string
	Type                 string // SnapshotType: manual, or automated (automatedSnapshots)
	Storage              int64
	Created              time.Time
	status               timeline
}

func (c *call) dbSnapshots() map[string]*dbSnapshot {
	r := c.rds()
	if r.snapshots == nil {
		r.snapshots = map[string]*dbSnapshot{}
	}
	return r.snapshots
}

func (c *call) dbSnapshotValue(sn *dbSnapshot) map[string]any {
	status := sn.status.state(c.now)
	progress := 100
	if status == "creating" {
		progress = int(100 * c.now.Sub(sn.Created) / rdsSnapshot)
	}
	return map[string]any{"DBSnapshotIdentifier": sn.ID, "DBInstanceIdentifier": sn.Instance, "Engine": sn.Engine,
		"AllocatedStorage": sn.Storage, "Status": status, "SnapshotType": sn.Type, "SnapshotCreateTime": sn.Created,
		"PercentProgress": progress, "Port": 5432, "AvailabilityZone": c.region + "a", "Encrypted": false,
		"DBSnapshotArn": arn("rds", c.region, c.account(), "snapshot:"+sn.ID)}
}

func rdsCreateDBSnapshot(c *call) (any, error) {
	id, err := required(c.input, "DBSnapshotIdentifier", "InvalidParameterValue")
	if err != nil {
		return nil, err
	}
	instID, err := required(c.input, "DBInstanceIdentifier", "InvalidParameterValue")
	if err != nil {
		return nil, err
	}
	db, ok := c.rds().instances[instID]
	if !ok {
		return nil, notFound("DBInstanceNotFound", "DBInstance %s not found.", instID)
	}
	if st := c.dbStatus(db); st != "available" {
		return nil, errorf("InvalidDBInstanceState", "DB instance %s is in state %s, not available.", instID, st)
	}
	if _, exists := c.dbSnapshots()[id]; exists {
		return nil, errorf("DBSnapshotAlreadyExists", "Cannot create the snapshot because a snapshot with the identifier %s already exists.", id)
	}
	sn := &dbSnapshot{ID: id, Type: "manual", Instance: instID, Engine: db.Engine, Storage: db.Storage, Created: c.now}
	sn.status.set(c.now, "creating", rdsSnapshot, "available")
	c.dbSnapshots()[id] = sn
	c.snapshotEvent(id, 0, "creation", "Creating manual snapshot")
	c.snapshotEvent(id, rdsSnapshot, "creation", "Manual snapshot created")
	c.dbEvent(instID, 0, "backup", "Backing up DB instance")
	c.dbEvent(instID, rdsSnapshot, "backup", "Finished DB Instance backup")
	return map[string]any{"DBSnapshot": c.dbSnapshotValue(sn)}, nil
}

// restoredInstance makes the new instance of an RDS restore, of the call's
// DBInstanceClass and MultiAZ, creating → backing-up → available over
// about twenty minutes.
func (c *call) restoredInstance(id, engine string, storage int64) (*dbInstance, *awsError) {
	multiAZ, _ := boolean(c.input, "MultiAZ")
	db := &dbInstance{ID: id, Class: str(c.input, "DBInstanceClass"), Engine: engine, Storage: storage, MultiAZ: multiAZ}
	return c.addRestoredInstance(db, rdsRestoreCreate)
}

// addRestoredInstance adds a restored instance to the call's Region:
// creating for the given time, then backing-up, then available. RDS's own
// restores take rdsRestoreCreate; an AWS Backup restore passes its job's
// time, so that the instance is creating for as long as the job runs.
func (c *call) addRestoredInstance(db *dbInstance, creating time.Duration) (*dbInstance, *awsError) {
	r := c.rds()
	if _, exists := r.instances[db.ID]; exists {
		return nil, errorf("DBInstanceAlreadyExists", "DB instance %s already exists", db.ID)
	}
	if db.Class == "" {
		db.Class = "db.r6g.large"
	}
	db.Created, db.BackupRetention = c.now, 1
	db.status.set(c.now, "creating", creating, "backing-up", rdsRestoreBacking, "available")
	r.instances[db.ID] = db
	r.order = append(r.order, db.ID)
	c.dbEvent(db.ID, 0, "creation", "DB instance created")
	c.dbEvent(db.ID, creating, "restoration", "Restored from snapshot or point in time")
	return db, nil
}

func rdsRestoreFromSnapshot(c *call) (any, error) {
	id, err := required(c.input, "DBInstanceIdentifier", "InvalidParameterValue")
	if err != nil {
		return nil, err
	}
	snapID, err := required(c.input, "DBSnapshotIdentifier", "InvalidParameterValue")
	if err != nil {
		return nil, err
	}
	sn := c.findDBSnapshot(snapID)
	if sn == nil {
		return nil, notFound("DBSnapshotNotFound", "DBSnapshot %s not found.", snapID)
	}
	if st := sn.status.state(c.now); st != "available" {
		return nil, errorf("InvalidDBSnapshotState", "Snapshot %s is in state %s, not available.", snapID, st)
	}
	db, aerr := c.restoredInstance(id, sn.Engine, sn.Storage)
	if aerr != nil {
		return nil, aerr
	}
	return map[string]any{"DBInstance": c.dbInstanceValue(db)}, nil
}

// rdsRestoreToPointInTime restores a new instance from an instance's
// automated backups, at RestoreTime or the latest restorable time.
func rdsRestoreToPointInTime(c *call) (any, error) {
	target, err := required(c.input, "TargetDBInstanceIdentifier", "InvalidParameterValue")
	if err != nil {
		return nil, err
	}
	src := c.pitrSource()
	if src == nil {
		return nil, notFound("DBInstanceNotFound", "the source DB instance was not found: name it with SourceDBInstanceIdentifier or SourceDbiResourceId")
	}
	if src.BackupRetention == 0 {
		return nil, errorf("PointInTimeRestoreNotEnabled", "Point-in-time restore is not enabled for %s: its backup retention period is 0.", src.ID)
	}
	latest := c.now.Add(-rdsLatestLag)
	if use, _ := boolean(c.input, "UseLatestRestorableTime"); !use {
		at, ok := restoreTime(c.input["RestoreTime"])
		if !ok {
			return nil, errorf("InvalidParameterCombination", "give RestoreTime or UseLatestRestorableTime")
		}
		if at.Before(src.Created) || at.After(latest) {
			return nil, &awsError{Code: "InvalidRestoreFault", Status: http.StatusBadRequest,
				Message: "RestoreTime must be between the earliest and the latest restorable time"}
		}
	}
	db, aerr := c.restoredInstance(target, src.Engine, src.Storage)
	if aerr != nil {
		return nil, aerr
	}
	return map[string]any{"DBInstance": c.dbInstanceValue(db)}, nil
}

func (c *call) pitrSource() *dbInstance {
	r := c.rds()
	if id := str(c.input, "SourceDBInstanceIdentifier"); id != "" {
		return r.instances[id]
	}
	if rid := str(c.input, "SourceDbiResourceId"); rid != "" {
		for _, db := range r.instances {
			if resourceID("db-", c.region+db.ID) == rid {
				return db
			}
		}
	}
	return nil
}

// restoreTime reads a query timestamp (ISO 8601) or a JSON epoch.
func restoreTime(v any) (time.Time, bool) {
	switch x := v.(type) {
	case string:
		t, err := time.Parse(time.RFC3339Nano, x)
		return t, err == nil
	case float64:
		return time.UnixMilli(int64(x * 1000)).UTC(), true
	}
	return time.Time{}, false
}
