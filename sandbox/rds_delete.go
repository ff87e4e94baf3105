package sandbox

import (
	"strings"
	"time"
)

// rdsDelete is how long an instance is deleting before it is gone.
const rdsDelete = 5 * time.Minute

// rdsRegionOf returns a Region's RDS state without the instances whose
// deletion has finished: every call then finds a deleted instance no more
// than one never created.
func rdsRegionOf(sb *Sandbox, region string, now time.Time) *rdsRegion {
	r := stateOf(sb, "rds", region, func() *rdsRegion { return &rdsRegion{instances: map[string]*dbInstance{}} })
	order := r.order[:0]
	for _, id := range r.order {
		db := r.instances[id]
		if n := len(db.status.steps); n > 0 && db.status.steps[n-1].state == "" && !db.status.steps[n-1].at.After(now) {
			delete(r.instances, id)
			for key := range r.tags {
				if strings.HasSuffix(key, ":db:"+id) {
					delete(r.tags, key) // its tags go with it
				}
			}
			continue
		}
		order = append(order, id)
	}
	r.order = order
	return r
}

// rdsDeleteDBInstance deletes an instance: deleting, then gone. Unless
// SkipFinalSnapshot, a final manual snapshot named
// FinalDBSnapshotIdentifier is taken first (a read replica takes none:
// RDS refuses one). A deleted replica leaves its source, which stays as
// it is; the replicas of a deleted source are promoted to standalone
// instances, as RDS does for MySQL and PostgreSQL.
func rdsDeleteDBInstance(c *call) (any, error) {
	db, err := c.dbInstanceOf()
	if err != nil {
		return nil, err
	}
	st := c.dbStatus(db)
	if st == "deleting" {
		return nil, errorf("InvalidDBInstanceState", "DB instance %s is already being deleted.", db.ID)
	}
	if st == "creating" {
		return nil, errorf("InvalidDBInstanceState", "DB instance %s is in state creating; it can be deleted once available.", db.ID)
	}
	skip, _ := boolean(c.input, "SkipFinalSnapshot")
	final := str(c.input, "FinalDBSnapshotIdentifier")
	switch {
	case db.Source != "" && final != "":
		return nil, errorf("InvalidParameterCombination", "FinalDBSnapshotIdentifier can not be specified when deleting a replica instance")
	case db.Source == "" && !skip && final == "":
		return nil, errorf("InvalidParameterCombination", "FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.")
	case skip && final != "":
		return nil, errorf("InvalidParameterCombination", "FinalDBSnapshotIdentifier can not be specified when SkipFinalSnapshot is set.")
	}
	if final != "" {
		if _, exists := c.dbSnapshots()[final]; exists {
			return nil, errorf("DBSnapshotAlreadyExists", "Cannot create the snapshot because a snapshot with the identifier %s already exists.", final)
		}
		sn := &dbSnapshot{ID: final, Type: "manual", Instance: db.ID, Engine: db.Engine, Storage: db.Storage, Created: c.now}
		sn.status.set(c.now, "creating", rdsSnapshot, "available")
		c.dbSnapshots()[final] = sn
		c.snapshotEvent(final, 0, "creation", "Creating manual snapshot")
		c.snapshotEvent(final, rdsSnapshot, "creation", "Manual snapshot created")
	}
	if db.Source != "" {
		c.leaveSource(db)
	}
	for _, ref := range db.Replicas {
		c.promoteOrphan(ref)
	}
	db.Replicas = nil
	db.status.set(c.now, "deleting", rdsDelete, "")
	c.dbEvent(db.ID, 0, "deletion", "DB instance deleting")
	c.dbEvent(db.ID, rdsDelete, "deletion", "DB instance deleted")
	return map[string]any{"DBInstance": c.dbInstanceValue(db)}, nil
}

// rdsRegionOfRef returns the Region and identifier of an instance given
// by identifier (the call's Region) or ARN.
func (c *call) rdsRegionOfRef(ref string) (*rdsRegion, string) {
	region, id := c.region, ref
	if strings.HasPrefix(ref, "arn:") {
		region, id = arnRegion(ref), ref[strings.LastIndex(ref, ":")+1:]
	}
	return rdsRegionOf(c.sb, region, c.now), id
}

// leaveSource removes a deleted replica from its source's replicas.
func (c *call) leaveSource(db *dbInstance) {
	r, srcID := c.rdsRegionOfRef(db.Source)
	src := r.instances[srcID]
	if src == nil {
		return
	}
	kept := src.Replicas[:0]
	for _, ref := range src.Replicas {
		if ref != db.ID && !strings.HasSuffix(ref, ":db:"+db.ID) {
			kept = append(kept, ref)
		}
	}
	src.Replicas = kept
}

// promoteOrphan makes the replica of a deleted source standalone.
func (c *call) promoteOrphan(ref string) {
	r, id := c.rdsRegionOfRef(ref)
	if replica := r.instances[id]; replica != nil {
		replica.Source = ""
		r.events = append(r.events, rdsEvent{At: c.now, Source: id, SourceType: "db-instance", Categories: []string{"read replica"},
			Message: "Replication for the Read Replica was stopped: its source DB instance was deleted; the instance is now standalone."})
	}
}
