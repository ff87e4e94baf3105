package steps

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/drpilot/drpilot/steps/awsclient"
)

// The Amazon RDS and Aurora actions: two restores, a replica promotion, a
// global database failover (globaldb_run.go, shared with DocumentDB) and a
// wait. None of these operations takes a
// client token, so each checks before it acts: a restore whose target
// instance exists, a replica that has no source any more and a cluster that
// is already the writer are what a retried or resumed step finds, and the
// step then only waits.

// A global failover takes a minute or two; the SDK has no waiter for it.
const (
	gdbPollInterval    = 10 * time.Second
	gdbPollMaxInterval = 30 * time.Second
)

// dbStuckStates are DB instance states that waiting does not end: the
// instance needs a person (or was removed) before it can be available.
var dbStuckStates = map[string]bool{
	"failed": true, "deleting": true, "stopped": true, "stopping": true, "restore-error": true,
	"incompatible-restore": true, "incompatible-parameters": true, "incompatible-network": true,
	"incompatible-option-group": true, "inaccessible-encryption-credentials": true,
}

// runRDSRestoreToPointInTime restores a source instance's automated
// backups as a new instance, at restore_time or the latest restorable
// time.
func runRDSRestoreToPointInTime(ctx context.Context, s *StepRun) (map[string]any, error) {
	target := s.String("target_db_instance_identifier")
	if t := s.String("restore_time"); t != "" {
		if _, err := time.Parse(time.RFC3339, t); err != nil {
			return nil, fmt.Errorf("restore_time %q is not an RFC 3339 timestamp such as 2026-03-01T09:30:00Z", t)
		}
	}
	// The step names its source in exactly one of three ways (OneOf).
	source := s.String("source_db_instance_identifier") + s.String("source_db_instance_automated_backups_arn") + s.String("source_dbi_resource_id")
	point := time.Time{}
	out, err := restoreDBInstance(ctx, s, target, func() error {
		point = pointInTime(ctx, s)
		in := s.Input()
		if _, err := s.Mutate(ctx, "rds:RestoreDBInstanceToPointInTime", in, simulatedDBInstance(target, in)); err != nil {
			return fmt.Errorf("restore %s to a point in time as DB instance %s: %w", source, target, err)
		}
		return nil
	})
	if err == nil {
		s.RecoveredTo(point, "point-in-time restore of "+source)
	}
	return out, err
}

// pointInTime is the moment a point-in-time restore brings the data back
// to: restore_time, or the source instance's latest restorable time just
// before the restore; zero when it cannot be known (a source named by ARN
// or resource id, or a read that fails), and the RPO is then not measured.
func pointInTime(ctx context.Context, s *StepRun) time.Time {
	if t, err := time.Parse(time.RFC3339, s.String("restore_time")); err == nil {
		return t
	}
	source := s.String("source_db_instance_identifier")
	if source == "" {
		return time.Time{}
	}
	db, err := describeDBInstance(ctx, s, source)
	if err != nil || db == nil {
		return time.Time{}
	}
	t, _ := respTime(db, "LatestRestorableTime")
	return t
}

// restoreDBInstance is what both restores share: look for the target
// instance first, call restore only when it does not exist, and wait
// until it is available. The response is {DBInstance} from the wait's
// last read, so it has the new instance's Endpoint.
func restoreDBInstance(ctx context.Context, s *StepRun, target string, restore func() error) (map[string]any, error) {
	db, err := describeDBInstance(ctx, s, target)
	if err != nil {
		return nil, err
	}
	if db != nil {
		s.Note("DB instance %s already exists (%s), as after a retried or resumed step: waiting on it instead of restoring again",
			target, respString(db, "DBInstanceStatus"))
	} else if err := restore(); err != nil {
		return nil, err
	}
	out, err := waitDBInstance(ctx, s, target, false)
	if err != nil {
		return nil, err
	}
	return dbInstanceResponse(s, out), nil
}

// runRDSPromoteReadReplica promotes a replica unless it has no replication
// source any more (promoted by an earlier attempt, or by hand), then waits
// until it is available and standalone.
func runRDSPromoteReadReplica(ctx context.Context, s *StepRun) (map[string]any, error) {
	id := s.String("db_instance_identifier")
	db, err := describeDBInstance(ctx, s, id)
	if err != nil {
		return nil, err
	}
	if db == nil {
		return nil, fmt.Errorf("DB instance %s does not exist in %s: check db_instance_identifier and the step's region", id, s.Region())
	}
	var lag time.Duration = -1
	if source := respString(db, "ReadReplicaSourceDBInstanceIdentifier"); source == "" {
		s.Note("DB instance %s has no replication source: it is already standalone (promoted earlier?), so it is not promoted again; waiting until it is available", id)
	} else {
		lag = replicaLag(ctx, s, id)
		if _, err := s.Mutate(ctx, "rds:PromoteReadReplica", s.Input(), simulatedPromotion(db, s.Input())); err != nil {
			return nil, fmt.Errorf("promote read replica %s (of %s): %w", id, source, err)
		}
	}
	out, err := waitDBInstance(ctx, s, id, true)
	if err != nil {
		return nil, err
	}
	if lag >= 0 {
		s.RecoveredTo(s.started.Add(-lag), fmt.Sprintf("replica %s was %s behind its source when promoted (CloudWatch ReplicaLag)", id, lag))
	}
	return dbInstanceResponse(s, out), nil
}

// simulatedPromotion is dry-run's guess at PromoteReadReplica's answer,
// which is also the step's response in dry-run. Promotion keeps the
// instance and its endpoint, so the guess is the instance as it is,
// modifying and standalone, less what promotion changes and the input does
// not say: the replication status and the backup settings read before it
// would otherwise pass for the promoted instance's.
func simulatedPromotion(db, in map[string]any) map[string]any {
	guess := maps.Clone(db)
	guess["DBInstanceStatus"] = "modifying"
	for _, k := range []string{"ReadReplicaSourceDBInstanceIdentifier", "StatusInfos", "ReplicaMode",
		"BackupRetentionPeriod", "PreferredBackupWindow", "LatestRestorableTime"} {
		delete(guess, k)
	}
	for _, k := range []string{"BackupRetentionPeriod", "PreferredBackupWindow"} {
		if v, ok := in[k]; ok {
			guess[k] = v
		}
	}
	return map[string]any{"DBInstance": guess}
}

// replicaLag is how far a read replica is behind its source, from
// CloudWatch's ReplicaLag of the last five minutes: the writes its
// promotion loses. It is -1 when CloudWatch has no datapoint (or cannot be
// reached), and the promotion's RPO is then not measured; that never stops
// the promotion.
func replicaLag(ctx context.Context, s *StepRun, id string) time.Duration {
	v, ok := latestMetric(ctx, s, s.Region(), "AWS/RDS", "ReplicaLag", "DBInstanceIdentifier", id)
	if !ok {
		return -1
	}
	return time.Duration(v * float64(time.Second)).Round(time.Second)
}

// latestMetric reads the newest Maximum of a metric (AWS/RDS, AWS/DocDB) of one
// resource over the last five minutes. When CloudWatch cannot say (an
// error, no datapoint), it notes that the RPO is unknown and reports false.
func latestMetric(ctx context.Context, s *StepRun, region, namespace, metric, dimension, id string) (float64, bool) {
	now := s.exec.now().UTC()
	out, err := s.ReadIn(ctx, region, "cloudwatch:GetMetricStatistics", map[string]any{
		"Namespace": namespace, "MetricName": metric,
		"Dimensions": []any{map[string]any{"Name": dimension, "Value": id}},
		"StartTime":  now.Add(-5 * time.Minute).Format(time.RFC3339), "EndTime": now.Format(time.RFC3339),
		"Period": 60, "Statistics": []any{"Maximum"},
	})
	if err != nil {
		s.Note("%s of %s not measured (%v): the data this step loses is unknown", metric, id, shortError(err))
		return 0, false
	}
	var newest time.Time
	value, found := 0.0, false
	for _, item := range respList(out, "Datapoints") {
		p, _ := item.(map[string]any)
		at, _ := respTime(p, "Timestamp")
		if v, ok := numeric(p["Maximum"]); ok && !at.Before(newest) {
			newest, value, found = at, v, true
		}
	}
	if !found {
		s.Note("CloudWatch has no %s for %s in the last five minutes: the data this step loses is unknown", metric, id)
	}
	return value, found
}

// runRDSWaitAvailable waits for an instance and answers with the last
// DescribeDBInstances response.
func runRDSWaitAvailable(ctx context.Context, s *StepRun) (map[string]any, error) {
	id := s.String("db_instance_identifier")
	out, err := waitDBInstance(ctx, s, id, false)
	if err != nil && missingInDryRun(s, err, "DB instance "+id) {
		return simulateAbsent(s, map[string]any{"DBInstances": []any{map[string]any{"DBInstanceIdentifier": id}}}), nil
	}
	return out, err
}

// describeDBInstance returns the instance, or nil when it does not exist.
func describeDBInstance(ctx context.Context, s *StepRun, id string) (map[string]any, error) {
	out, err := s.Read(ctx, "rds:DescribeDBInstances", map[string]any{"DBInstanceIdentifier": id})
	if errorCode(err) == "DBInstanceNotFound" || notSent(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("look up DB instance %s: %w", id, err)
	}
	return respFirst(out, "DBInstances"), nil
}

// waitDBInstance polls until the instance is available and, when
// standalone is set, has no replication source; it returns the last
// DescribeDBInstances response.
func waitDBInstance(ctx context.Context, s *StepRun, id string, standalone bool) (map[string]any, error) {
	out, err := s.Wait(ctx, WaitSpec{
		Operation: "rds:DescribeDBInstances", Input: map[string]any{"DBInstanceIdentifier": id},
		Check: dbInstanceAvailable(id, standalone), Delays: dbInstanceDelays,
	})
	if errorCode(err) == "DBInstanceNotFound" {
		return nil, fmt.Errorf("DB instance %s does not exist in %s: check the identifier and the step's region: %w", id, s.Region(), err)
	}
	return out, err
}

// dbInstanceAvailable is the Check of an instance wait.
func dbInstanceAvailable(id string, standalone bool) func(map[string]any) (string, bool, error) {
	return func(out map[string]any) (string, bool, error) {
		db := respFirst(out, "DBInstances")
		if db == nil {
			return "not listed", false, fmt.Errorf("DescribeDBInstances did not list DB instance %s", id)
		}
		status := respString(db, "DBInstanceStatus")
		if dbStuckStates[status] {
			return status, false, fmt.Errorf("DB instance %s is %s, which it does not leave on its own: read its events "+
				"(RDS console, the instance's Logs & events), fix the cause, then retry the step", id, status)
		}
		if source := respString(db, "ReadReplicaSourceDBInstanceIdentifier"); standalone && source != "" {
			return status + ", still a replica of " + source, false, nil
		}
		return status, status == "available", nil
	}
}

// dbInstanceResponse is the response of an action that makes or changes
// an instance: {DBInstance} refreshed from the wait's last read, or in
// dry-run the simulated answer as it is.
func dbInstanceResponse(s *StepRun, out map[string]any) map[string]any {
	if s.Simulated() {
		return out
	}
	return map[string]any{"DBInstance": respFirst(out, "DBInstances")}
}

// simulatedDBInstance is dry-run's guess at a restore's answer: the new
// instance, creating, with what the input says of it.
func simulatedDBInstance(id string, in map[string]any) map[string]any {
	db := map[string]any{"DBInstanceIdentifier": id, "DBInstanceStatus": "creating"}
	for _, k := range []string{"DBInstanceClass", "DBSubnetGroupName", "MultiAZ", "DeletionProtection"} {
		if v, ok := in[k]; ok {
			db[k] = v
		}
	}
	return map[string]any{"DBInstance": db}
}

// The helpers below read the JSON-shaped responses and errors of every
// restore action (RDS, AWS Backup, DynamoDB, EC2).

// respMap returns v as a JSON object, or nil.
func respMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// respList returns the array member key of m, or nil.
func respList(m map[string]any, key string) []any {
	list, _ := m[key].([]any)
	return list
}

// respFirst returns the first element of the array member key of m as an
// object, or nil: the resource of a Describe call that names one.
func respFirst(m map[string]any, key string) map[string]any {
	if list := respList(m, key); len(list) > 0 {
		return respMap(list[0])
	}
	return nil
}

// respString returns the string member key of m, or "".
func respString(m map[string]any, key string) string {
	str, _ := m[key].(string)
	return str
}

// respTime reads a timestamp member: RFC 3339, as the SDK's types marshal.
func respTime(m map[string]any, key string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, respString(m, key))
	return t, err == nil
}

// errorCode is the AWS error code of err, or "".
func errorCode(err error) string {
	var ce *awsclient.CallError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return ""
}

// notFoundCodes are the error codes with which these actions' services
// say that a resource does not exist (or, for an EC2 id that is not one,
// cannot exist).
var notFoundCodes = map[string]bool{
	"DBInstanceNotFound": true, "ResourceNotFoundException": true, "TableNotFoundException": true,
	"InvalidVolume.NotFound": true, "InvalidVolumeID.Malformed": true,
	"InvalidSnapshot.NotFound": true, "InvalidSnapshotID.Malformed": true,
}

// missingInDryRun reports whether err says a resource does not exist, or
// that its read was not sent because its name is a simulated marker,
// during a dry run, and notes that the step goes on without it. In a
// dry run the restore that would have made it was only simulated, so its
// absence is expected, and stopping the rehearsal there would hide every
// later step.
func missingInDryRun(s *StepRun, err error, what string) bool {
	if notSent(err) && s.DryRun() {
		// Not asked at all: its name is what a simulated change makes, and
		// the read has said so in a note.
		return true
	}
	if !s.DryRun() || !notFoundCodes[errorCode(err)] {
		return false
	}
	s.Note("dry-run: %s does not exist; an earlier step whose change was simulated may be what creates it, "+
		"so this step goes on as if it did. A live run fails here if it still does not exist", what)
	return true
}

// simulateAbsent answers a read-only wait on a resource missing in a dry
// run with guess, marked simulated, as a simulated change is: the step's
// outputs then name their source instead of a made-up value.
func simulateAbsent(s *StepRun, guess map[string]any) map[string]any {
	s.simulated = guess
	return guess
}
