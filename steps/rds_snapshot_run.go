package steps

import (
	"context"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/drpilot/drpilot/runbooks"
)

// rds.restore-from-snapshot: choose the snapshot (the one named, or the
// newest available one of an instance or a name pattern) before the gate,
// so that the approver sees which snapshot is restored and how old it is,
// then restore it unless the new instance already exists, and wait.

// maxDBSnapshotPages bounds the listing of a Region's snapshots: 100 pages
// of 100 is more than RDS lets an account keep in a Region.
const maxDBSnapshotPages = 100

// runRDSRestoreFromSnapshot restores the snapshot planned for the step
// (see planRDSRestoreFromSnapshot) as a new instance, once, and answers
// with the instance and the snapshot restored.
func runRDSRestoreFromSnapshot(ctx context.Context, s *StepRun) (map[string]any, error) {
	target := s.String("db_instance_identifier")
	var snapshot map[string]any
	out, err := restoreDBInstance(ctx, s, target, func() error {
		r, _, err := s.plannedRequest(ctx)
		if err != nil {
			return err
		}
		id, _ := r.Input["DBSnapshotIdentifier"].(string)
		if _, err := s.send(ctx, r); err != nil {
			return fmt.Errorf("restore DB instance %s from snapshot %s: %w", target, id, err)
		}
		snapshot = respMap(r.simulated["DBSnapshot"])
		return nil
	})
	if err != nil {
		return nil, err
	}
	if snapshot == nil {
		// The instance was there already: which snapshot an earlier
		// attempt restored is not recorded with it, so the RPO is unknown.
		s.Note("the snapshot DB instance %s was made from is not known to this attempt: the step's recovery point is not measured", target)
		return out, nil
	}
	id := respString(snapshot, "DBSnapshotIdentifier")
	out["DBSnapshotIdentifier"], out["SnapshotCreateTime"] = id, snapshot["SnapshotCreateTime"]
	if created, ok := respTime(snapshot, "SnapshotCreateTime"); ok {
		s.RecoveredTo(created, "DB snapshot "+id)
	}
	return out, nil
}

// planRDSRestoreFromSnapshot chooses the snapshot and checks it is
// available: the request the gate shows, and the action sends, names it.
// Dry-run's answer carries the snapshot (DBSnapshot), which the run
// function reads back for the recovery point.
func planRDSRestoreFromSnapshot(ctx context.Context, s *StepRun) ([]request, error) {
	var snapshot map[string]any
	var err error
	if named := s.String("db_snapshot_identifier"); named != "" {
		if s.String("snapshot_type") != "" {
			return nil, fmt.Errorf("snapshot_type chooses among snapshots for newest_snapshot_of or newest_snapshot_matching; " +
				"leave it out with db_snapshot_identifier, which names one")
		}
		snapshot, err = checkDBSnapshot(ctx, s, named)
	} else {
		snapshot, err = newestDBSnapshot(ctx, s)
	}
	if err != nil {
		return nil, err
	}
	noteSnapshotAge(s, snapshot)
	target := s.String("db_instance_identifier")
	in := s.Input()
	if in["DBSnapshotIdentifier"] == nil {
		in["DBSnapshotIdentifier"] = respString(snapshot, "DBSnapshotIdentifier")
	}
	simulated := simulatedDBInstance(target, in)
	simulated["DBSnapshot"] = snapshot
	return []request{s.primaryRequest("rds:RestoreDBInstanceFromDBSnapshot", in, simulated)}, nil
}

// checkDBSnapshot refuses a snapshot that is not available (a copy from
// the primary Region may still be running) and returns it.
func checkDBSnapshot(ctx context.Context, s *StepRun, snapshot string) (map[string]any, error) {
	in := map[string]any{"DBSnapshotIdentifier": snapshot}
	if strings.HasPrefix(snapshot, "arn:") {
		in["IncludeShared"] = true // an ARN names a snapshot another account may share
	}
	out, err := s.Read(ctx, "rds:DescribeDBSnapshots", in)
	if errorCode(err) == "DBSnapshotNotFound" {
		return nil, fmt.Errorf("DB snapshot %s does not exist in %s: check db_snapshot_identifier (a copied snapshot has the name given to the copy)", snapshot, s.Region())
	}
	if err != nil {
		return nil, fmt.Errorf("check DB snapshot %s: %w", snapshot, err)
	}
	sn := respFirst(out, "DBSnapshots")
	if status := respString(sn, "Status"); status != "available" {
		return nil, fmt.Errorf("DB snapshot %s is %q, not available: wait until it is (a copy may still be running), then retry the step", snapshot, status)
	}
	return sn, nil
}

// snapshotChoice is what newest_snapshot_of, newest_snapshot_matching and
// snapshot_type ask for, in words for the notes and errors.
func snapshotChoice(s *StepRun) string {
	what := "DB snapshot"
	if kind := s.String("snapshot_type"); kind != "" {
		what = kind + " " + what
	}
	if of := s.String("newest_snapshot_of"); of != "" {
		what += " of DB instance " + of
	}
	if pattern := s.String("newest_snapshot_matching"); pattern != "" {
		what += fmt.Sprintf(" matching %q", pattern)
	}
	return what
}

// newestDBSnapshot lists every page of the Region's snapshots that the
// step asks for and returns the available one created last. One still
// being created or copied is passed over: it cannot be restored yet.
func newestDBSnapshot(ctx context.Context, s *StepRun) (map[string]any, error) {
	pattern := s.String("newest_snapshot_matching")
	if _, err := path.Match(pattern, ""); err != nil {
		return nil, fmt.Errorf("newest_snapshot_matching %q is not a pattern: use * for any characters, ? for one, [a-z] for a class", pattern)
	}
	in := map[string]any{"MaxRecords": 100}
	if of := s.String("newest_snapshot_of"); of != "" {
		in["DBInstanceIdentifier"] = of
	}
	if kind := s.String("snapshot_type"); kind != "" {
		in["SnapshotType"] = kind
	}
	var newest map[string]any
	var newestAt time.Time
	unavailable := 0
	for page := 0; page < maxDBSnapshotPages; page++ {
		out, err := s.Read(ctx, "rds:DescribeDBSnapshots", in)
		if err != nil {
			return nil, fmt.Errorf("list the DB snapshots in %s: %w", s.Region(), err)
		}
		for _, item := range respList(out, "DBSnapshots") {
			sn := respMap(item)
			if ok, _ := path.Match(pattern, respString(sn, "DBSnapshotIdentifier")); pattern != "" && !ok {
				continue
			}
			created, ok := respTime(sn, "SnapshotCreateTime")
			switch {
			case respString(sn, "Status") != "available":
				unavailable++
			case ok && (newest == nil || created.After(newestAt)):
				newest, newestAt = sn, created
			}
		}
		if in["Marker"] = respString(out, "Marker"); in["Marker"] == "" {
			break
		}
	}
	if newest != nil {
		return newest, nil
	}
	why := ""
	if unavailable > 0 {
		why = fmt.Sprintf(" (%d not available yet: a snapshot or a copy may still be running)", unavailable)
	}
	return nil, fmt.Errorf("there is no available %s in %s%s: check the step's region and the snapshot copies, or name one with db_snapshot_identifier",
		snapshotChoice(s), s.Region(), why)
}

// noteSnapshotAge tells the approver which snapshot is restored and how
// much data restoring it loses, against the runbook's rpo when it has one.
func noteSnapshotAge(s *StepRun, sn map[string]any) {
	id := respString(sn, "DBSnapshotIdentifier")
	created, ok := respTime(sn, "SnapshotCreateTime")
	if !ok {
		s.Note("DB snapshot %s has no creation time: the step's recovery point is not measured", id)
		return
	}
	age := max(s.exec.now().Sub(created), 0).Round(time.Second)
	what := fmt.Sprintf("%s (%s, of %s), created %s (%s ago)", id, respString(sn, "SnapshotType"),
		respString(sn, "DBInstanceIdentifier"), created.UTC().Format(time.RFC3339), runbooks.FormatDuration(age))
	if s.String("db_snapshot_identifier") == "" {
		what = fmt.Sprintf("the newest available %s is %s", snapshotChoice(s), what)
	} else {
		what = "DB snapshot " + what
	}
	noteAgainstRPO(s, what, age)
}

// noteAgainstRPO notes what a recovery point is, with its age held
// against the runbook's rpo when it has one: the approver reads how much
// data the restore loses before approving it.
func noteAgainstRPO(s *StepRun, what string, age time.Duration) {
	switch rpo := s.exec.opts.Runbook.RPO.Duration; {
	case rpo <= 0:
		s.Note("%s", what)
	case age > rpo:
		s.Note("%s: older than the runbook's rpo of %s, so restoring it loses more data than agreed", what, runbooks.FormatDuration(rpo))
	default:
		s.Note("%s, within the rpo of %s", what, runbooks.FormatDuration(rpo))
	}
}
