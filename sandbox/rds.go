package sandbox

import (
	"fmt"
	"strings"
	"time"
)

// RDS durations in simulated time, as docs/sandbox.md lists them.
const (
	rdsCreate    = 8 * time.Minute
	rdsBackingUp = 2 * time.Minute
	rdsReplica   = 10 * time.Minute
	rdsPromote   = 3 * time.Minute
)

type rdsRegion struct {
	instances map[string]*dbInstance
	order     []string // creation order, for stable Describe output
	snapshots map[string]*dbSnapshot
	clusters  map[string]*dbCluster
	tags      map[string][]resourceTag // by resource ARN
	events    []rdsEvent               // in the order recorded (rds_events.go)
}

type dbInstance struct {
	ID, Class, Engine string
	Storage           int64
	MultiAZ           bool
	Created           time.Time
	Source            string // ReadReplicaSourceDBInstanceIdentifier (an ARN across Regions)
	Replicas          []string
	BackupRetention   int64
	status            timeline
}

func (r *rdsRegion) dump(now time.Time) any {
	out := map[string]any{}
	for id, db := range r.instances {
		if db.status.state(now) == "" && len(db.status.steps) > 1 {
			continue // deleted, not yet swept by a call
		}
		out[id] = map[string]any{"status": db.status.state(now), "source": db.Source, "replicas": db.Replicas, "engine": db.Engine}
	}
	return map[string]any{"db_instances": out}
}

func (c *call) rds() *rdsRegion {
	return rdsRegionOf(c.sb, c.region, c.now)
}

func registerRDS(s *Sandbox) {
	s.addService(&service{name: "rds", protocol: queryProtocol{}, xmlns: "http://rds.amazonaws.com/doc/2014-10-31/",
		version: "2014-10-31", throttleCode: "Throttling"},
		&operation{name: "CreateDBInstance", mutating: true, handler: rdsCreateDBInstance},
		&operation{name: "CreateDBInstanceReadReplica", mutating: true, handler: rdsCreateReadReplica},
		&operation{name: "DescribeDBInstances", handler: rdsDescribeDBInstances},
		&operation{name: "ModifyDBInstance", mutating: true, handler: rdsModifyDBInstance},
		&operation{name: "RebootDBInstance", mutating: true, handler: rdsRebootDBInstance},
		&operation{name: "DeleteDBInstance", mutating: true, handler: rdsDeleteDBInstance},
		&operation{name: "DescribeEvents", handler: rdsDescribeEvents},
		&operation{name: "DescribeDBInstanceAutomatedBackups", handler: rdsDescribeAutomatedBackups},
		&operation{name: "PromoteReadReplica", mutating: true, handler: rdsPromoteReadReplica},
		&operation{name: "CreateDBSnapshot", mutating: true, handler: rdsCreateDBSnapshot},
		&operation{name: "DescribeDBSnapshots", handler: rdsDescribeDBSnapshots},
		&operation{name: "RestoreDBInstanceFromDBSnapshot", mutating: true, handler: rdsRestoreFromSnapshot},
		&operation{name: "RestoreDBInstanceToPointInTime", mutating: true, handler: rdsRestoreToPointInTime},
		&operation{name: "CreateDBCluster", mutating: true, handler: rdsCreateDBCluster},
		&operation{name: "DescribeDBClusters", handler: rdsDescribeDBClusters},
		&operation{name: "CreateGlobalCluster", mutating: true, handler: rdsCreateGlobalCluster},
		&operation{name: "DescribeGlobalClusters", handler: rdsDescribeGlobalClusters},
		&operation{name: "FailoverGlobalCluster", mutating: true, handler: rdsFailoverGlobalCluster},
		&operation{name: "AddTagsToResource", mutating: true, handler: rdsAddTagsToResource},
		&operation{name: "RemoveTagsFromResource", mutating: true, handler: rdsRemoveTagsFromResource},
		&operation{name: "ListTagsForResource", handler: rdsListTagsForResource},
	)
}

func (c *call) dbStatus(db *dbInstance) string {
	if st := c.sb.faults.stuckState("rds", c.region, db.ID); st != "" {
		return st
	}
	return db.status.state(c.now)
}

func (c *call) dbInstanceValue(db *dbInstance) map[string]any {
	status := c.dbStatus(db)
	dbARN := arn("rds", c.region, c.account(), "db:"+db.ID)
	v := map[string]any{
		"DBInstanceIdentifier":  db.ID,
		"DBInstanceClass":       db.Class,
		"Engine":                db.Engine,
		"DBInstanceStatus":      status,
		"AllocatedStorage":      db.Storage,
		"MultiAZ":               db.MultiAZ,
		"InstanceCreateTime":    db.Created,
		"DBInstanceArn":         dbARN,
		"TagList":               c.rdsTagList(dbARN),
		"DbiResourceId":         resourceID("db-", c.region+db.ID),
		"AvailabilityZone":      c.region + "a",
		"BackupRetentionPeriod": db.BackupRetention,
		"LatestRestorableTime":  c.now.Add(-5 * time.Minute),
	}
	if status != "creating" {
		v["Endpoint"] = map[string]any{
			"Address":      fmt.Sprintf("%s.c0sandbox0.%s.rds.amazonaws.com", db.ID, c.region),
			"Port":         5432,
			"HostedZoneId": "Z2R2ITUGPM61AM",
		}
	}
	if db.Source != "" {
		v["ReadReplicaSourceDBInstanceIdentifier"] = db.Source
		replication := "replicating"
		if srcRegion := arnRegion(db.Source); srcRegion != "" && c.sb.faults.downFor(srcRegion, "rds") {
			replication = "error"
		}
		v["StatusInfos"] = named("DBInstanceStatusInfo", []any{map[string]any{
			"StatusType": "read replication", "Status": replication, "Normal": replication == "replicating",
		}})
	}
	if len(db.Replicas) > 0 {
		ids := make([]any, len(db.Replicas))
		for i, r := range db.Replicas {
			ids[i] = r
		}
		v["ReadReplicaDBInstanceIdentifiers"] = named("ReadReplicaDBInstanceIdentifier", ids)
	}
	return v
}

// arnRegion returns the Region field of an ARN, or "".
func arnRegion(a string) string {
	parts := strings.SplitN(a, ":", 6)
	if len(parts) == 6 && parts[0] == "arn" {
		return parts[3]
	}
	return ""
}

func rdsCreateDBInstance(c *call) (any, error) {
	id, err := required(c.input, "DBInstanceIdentifier", "InvalidParameterValue")
	if err != nil {
		return nil, err
	}
	r := c.rds()
	if _, exists := r.instances[id]; exists {
		return nil, errorf("DBInstanceAlreadyExists", "DB instance %s already exists", id)
	}
	storage, _, aerr := integer(c.input, "AllocatedStorage")
	if aerr != nil {
		return nil, aerr
	}
	retention, set, aerr := integer(c.input, "BackupRetentionPeriod")
	if aerr != nil {
		return nil, aerr
	}
	if !set {
		retention = 1
	}
	multiAZ, _ := boolean(c.input, "MultiAZ")
	db := &dbInstance{ID: id, Class: str(c.input, "DBInstanceClass"), Engine: str(c.input, "Engine"),
		Storage: storage, MultiAZ: multiAZ, Created: c.now, BackupRetention: retention}
	if db.Engine == "" {
		return nil, errorf("InvalidParameterValue", "Engine is required")
	}
	if err := c.addRDSTags(arn("rds", c.region, c.account(), "db:"+id), list(c.input, "Tags")); err != nil {
		return nil, err
	}
	db.status.set(c.now, "creating", rdsCreate, "backing-up", rdsBackingUp, "available")
	c.dbEvent(id, 0, "creation", "DB instance created")
	c.dbEvent(id, rdsCreate, "backup", "Backing up DB instance")
	c.dbEvent(id, rdsCreate+rdsBackingUp, "backup", "Finished DB Instance backup")
	r.instances[id] = db
	r.order = append(r.order, id)
	return map[string]any{"DBInstance": c.dbInstanceValue(db)}, nil
}

// rdsCreateReadReplica creates a replica in the call's Region of an
// instance given by identifier (same Region) or ARN (any Region).
func rdsCreateReadReplica(c *call) (any, error) {
	id, err := required(c.input, "DBInstanceIdentifier", "InvalidParameterValue")
	if err != nil {
		return nil, err
	}
	srcID, err := required(c.input, "SourceDBInstanceIdentifier", "InvalidParameterValue")
	if err != nil {
		return nil, err
	}
	srcRegion, srcName := c.region, srcID
	if strings.HasPrefix(srcID, "arn:") {
		srcRegion, srcName = arnRegion(srcID), srcID[strings.LastIndex(srcID, ":")+1:]
	}
	srcState := rdsRegionOf(c.sb, srcRegion, c.now)
	src, ok := srcState.instances[srcName]
	if !ok {
		return nil, notFound("DBInstanceNotFound", "DBInstance %s not found", srcID)
	}
	r := c.rds()
	if _, exists := r.instances[id]; exists {
		return nil, errorf("DBInstanceAlreadyExists", "DB instance %s already exists", id)
	}
	class := str(c.input, "DBInstanceClass")
	if class == "" {
		class = src.Class
	}
	// A replica is Multi-AZ only when asked, whatever its source is.
	multiAZ, _ := boolean(c.input, "MultiAZ")
	db := &dbInstance{ID: id, Class: class, Engine: src.Engine, Storage: src.Storage, MultiAZ: multiAZ, Created: c.now,
		Source: srcID, BackupRetention: 0}
	if srcRegion != c.region {
		db.Source = arn("rds", srcRegion, c.account(), "db:"+srcName)
	}
	db.status.set(c.now, "creating", rdsReplica, "available")
	c.dbEvent(id, 0, "creation", "DB instance created")
	c.dbEvent(id, rdsReplica, "read replica", "Replication for the Read Replica resumed")
	r.instances[id] = db
	r.order = append(r.order, id)
	replicaRef := id
	if srcRegion != c.region {
		replicaRef = arn("rds", c.region, c.account(), "db:"+id)
	}
	src.Replicas = append(src.Replicas, replicaRef)
	return map[string]any{"DBInstance": c.dbInstanceValue(db)}, nil
}

func rdsDescribeDBInstances(c *call) (any, error) {
	r := c.rds()
	keep, ferr := dbInstanceFilter(c.input)
	if ferr != nil {
		return nil, ferr
	}
	if id := str(c.input, "DBInstanceIdentifier"); id != "" {
		// An identifier or the instance's ARN, as RDS accepts both.
		db, ok := r.instances[id[strings.LastIndex(id, ":")+1:]]
		if !ok || (strings.HasPrefix(id, "arn:") && arnRegion(id) != c.region) {
			return nil, notFound("DBInstanceNotFound", "DBInstance %s not found.", id)
		}
		items := []any{}
		if keep(c.dbInstanceFields(db)) {
			items = append(items, c.dbInstanceValue(db))
		}
		return map[string]any{"DBInstances": named("DBInstance", items)}, nil
	}
	items := make([]any, 0, len(r.order))
	for _, id := range r.order {
		if db := r.instances[id]; keep(c.dbInstanceFields(db)) {
			items = append(items, c.dbInstanceValue(db))
		}
	}
	return rdsPage(c, "DBInstances", "DBInstance", items)
}

// rdsPage answers one page of an RDS list: the items as key's members
// named member, MaxRecords from 20 to 100, and Marker.
func rdsPage(c *call, key, member string, items []any) (any, error) {
	page, marker, err := paginate(c.input, "MaxRecords", "Marker", items, pageLimits{def: 100, min: 20, max: 100})
	if err != nil {
		return nil, err
	}
	out := map[string]any{key: named(member, page)}
	if marker != "" {
		out["Marker"] = marker
	}
	return out, nil
}

// dbInstanceFields are the values DescribeDBInstances' filters match.
func (c *call) dbInstanceFields(db *dbInstance) map[string][]string {
	return map[string][]string{
		"db-instance-id":  {db.ID, arn("rds", c.region, c.account(), "db:"+db.ID)},
		"dbi-resource-id": {resourceID("db-", c.region+db.ID)},
		"engine":          {db.Engine},
	}
}

func rdsPromoteReadReplica(c *call) (any, error) {
	id, err := required(c.input, "DBInstanceIdentifier", "InvalidParameterValue")
	if err != nil {
		return nil, err
	}
	db, ok := c.rds().instances[id]
	if !ok {
		return nil, notFound("DBInstanceNotFound", "DBInstance %s not found.", id)
	}
	if db.Source == "" {
		return nil, errorf("InvalidDBInstanceState", "DB instance %s is not a read replica.", id)
	}
	if st := c.dbStatus(db); st != "available" {
		return nil, errorf("InvalidDBInstanceState", "DB instance %s is in state %s, not available.", id, st)
	}
	if retention, set, aerr := integer(c.input, "BackupRetentionPeriod"); aerr != nil {
		return nil, aerr
	} else if set {
		db.BackupRetention = retention
	} else {
		db.BackupRetention = 1
	}
	db.Source = ""
	db.status.set(c.now, "modifying", rdsPromote, "backing-up", rdsBackingUp, "available")
	c.dbEvent(id, 0, "read replica", "Promoted Read Replica to a stand-alone database instance")
	c.dbEvent(id, rdsPromote+rdsBackingUp, "read replica", "Completed promotion of Read Replica")
	return map[string]any{"DBInstance": c.dbInstanceValue(db)}, nil
}
