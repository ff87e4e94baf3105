package sandbox

import (
	"strings"
	"time"
)

// rdsAutomatedEvery is how often RDS takes an automated snapshot of an
// instance that keeps backups: once a day, in its backup window.
const rdsAutomatedEvery = 24 * time.Hour

// automatedSnapshots are the automated snapshots RDS keeps of the
// instances of the call's Region: the first when the new instance backs
// up, then one a day, for as many days as its backup retention period.
// They are derived from the clock rather than stored, so that a scenario's
// instance made long ago has its week of snapshots without replaying
// each day; a read replica keeps none (its retention is 0).
func (c *call) automatedSnapshots() []*dbSnapshot {
	r := c.rds()
	var out []*dbSnapshot
	for _, id := range r.order {
		db := r.instances[id]
		if db.BackupRetention <= 0 {
			continue
		}
		first := db.Created.Add(rdsCreate)
		if c.now.Before(first) {
			continue
		}
		days := int64(c.now.Sub(first) / rdsAutomatedEvery)
		for d := max(days-db.BackupRetention+1, 0); d <= days; d++ {
			at := first.Add(time.Duration(d) * rdsAutomatedEvery)
			sn := &dbSnapshot{ID: "rds:" + db.ID + at.UTC().Format("-2006-01-02-15-04"), Type: "automated",
				Instance: db.ID, Engine: db.Engine, Storage: db.Storage, Created: at}
			sn.status.set(at, "creating", rdsBackingUp, "available")
			out = append(out, sn)
		}
	}
	return out
}

// findDBSnapshot finds a manual or automated snapshot by identifier or by
// ARN (whose identifier may hold a colon, as rds:orders-2026-01-01-03-00
// does), or returns nil.
func (c *call) findDBSnapshot(id string) *dbSnapshot {
	if strings.HasPrefix(id, "arn:") {
		if arnRegion(id) != c.region {
			return nil
		}
		_, id, _ = strings.Cut(id, ":snapshot:")
	}
	if sn, ok := c.dbSnapshots()[id]; ok {
		return sn
	}
	for _, sn := range c.automatedSnapshots() {
		if sn.ID == id {
			return sn
		}
	}
	return nil
}

// rdsDescribeDBSnapshots lists snapshots: one by identifier or ARN, or
// every manual and automated one (SnapshotType narrows them, as do
// DBInstanceIdentifier and the Filters db-instance-id, db-snapshot-id,
// snapshot-type and engine), the automated ones first, in pages.
func rdsDescribeDBSnapshots(c *call) (any, error) {
	if id := str(c.input, "DBSnapshotIdentifier"); id != "" {
		sn := c.findDBSnapshot(id)
		if sn == nil {
			return nil, notFound("DBSnapshotNotFound", "DBSnapshot %s not found.", id)
		}
		return map[string]any{"DBSnapshots": named("DBSnapshot", []any{c.dbSnapshotValue(sn)})}, nil
	}
	keep, ferr := rdsFilter(c.input, "db-instance-id", "db-snapshot-id", "snapshot-type", "engine")
	if ferr != nil {
		return nil, ferr
	}
	kind := str(c.input, "SnapshotType")
	switch kind {
	case "", "manual", "automated":
	case "shared", "public", "awsbackup":
		// The sandbox has no other account and keeps AWS Backup's
		// snapshots in its vaults: there are none of these to list.
	default:
		return nil, errorf("InvalidParameterValue", "SnapshotType %q is not one of automated, manual, shared, public, awsbackup", kind)
	}
	inst := str(c.input, "DBInstanceIdentifier")
	snaps := c.dbSnapshots()
	all := c.automatedSnapshots()
	for _, id := range sortedKeys(snaps) {
		all = append(all, snaps[id])
	}
	var items []any
	for _, sn := range all {
		fields := map[string][]string{"db-instance-id": {sn.Instance, arn("rds", c.region, c.account(), "db:"+sn.Instance)},
			"db-snapshot-id": {sn.ID, arn("rds", c.region, c.account(), "snapshot:"+sn.ID)}, "snapshot-type": {sn.Type}, "engine": {sn.Engine}}
		if (kind == "" || kind == sn.Type) && (inst == "" || inst == sn.Instance) && keep(fields) {
			items = append(items, c.dbSnapshotValue(sn))
		}
	}
	return rdsPage(c, "DBSnapshots", "DBSnapshot", items)
}
