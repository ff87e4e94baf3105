package steps

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// The Amazon DynamoDB actions: a point-in-time restore into a new table,
// in this Region from a table of this one or (cross-Region) of another,
// and a wait until a table is ACTIVE.

// tableStuckStates are table states that waiting does not end.
var tableStuckStates = map[string]bool{
	"DELETING": true, "ARCHIVING": true, "ARCHIVED": true, "INACCESSIBLE_ENCRYPTION_CREDENTIALS": true,
}

// runDynamoDBRestoreToPointInTime restores unless the target table
// exists (a retried or resumed step), after checking that the source's
// point-in-time recovery covers the moment, in the source's own Region.
func runDynamoDBRestoreToPointInTime(ctx context.Context, s *StepRun) (map[string]any, error) {
	target := s.String("target_table_name")
	at, err := restoreDateTime(s)
	if err != nil {
		return nil, err
	}
	srcRegion, srcName, err := sourceTable(s)
	if err != nil {
		return nil, err
	}
	existing, err := describeTable(ctx, s, s.Region(), target)
	if err != nil {
		return nil, err
	}
	if existing != nil {
		s.Note("table %s already exists in %s (%s), as after a retried or resumed step: waiting on it instead of restoring again",
			target, s.Region(), respString(existing, "TableStatus"))
	} else {
		if err := checkPointInTimeRecovery(ctx, s, srcRegion, srcName, at); err != nil {
			return nil, err
		}
		in := s.Input()
		guess := map[string]any{"TableDescription": map[string]any{"TableName": target, "TableStatus": "CREATING",
			"RestoreSummary": map[string]any{"RestoreInProgress": true}}}
		if _, err := s.Mutate(ctx, "dynamodb:RestoreTableToPointInTime", in, guess); err != nil {
			return nil, fmt.Errorf("restore table %s of %s into %s: %w", srcName, srcRegion, target, err)
		}
	}
	out, err := waitTableActive(ctx, s, s.Region(), target)
	if err != nil || s.Simulated() {
		return out, err
	}
	table := respMap(out["Table"])
	if at, ok := respTime(respMap(table["RestoreSummary"]), "RestoreDateTime"); ok {
		s.RecoveredTo(at, "point-in-time restore of "+srcName+" in "+srcRegion)
	}
	return map[string]any{"TableDescription": table}, nil
}

// runDynamoDBWaitActive waits for a table named by name (in the step's
// Region) or by ARN (in the ARN's), and answers with the last
// DescribeTable response.
func runDynamoDBWaitActive(ctx context.Context, s *StepRun) (map[string]any, error) {
	region, name := s.Region(), s.String("table_name")
	if strings.HasPrefix(name, "arn:") {
		r, n, ok := tableARN(name)
		if !ok {
			return nil, fmt.Errorf("table_name %q is neither a table name nor a table ARN (arn:aws:dynamodb:REGION:ACCOUNT:table/NAME)", name)
		}
		region, name = r, n
	}
	out, err := waitTableActive(ctx, s, region, name)
	if err != nil && missingInDryRun(s, err, "table "+name) {
		return simulateAbsent(s, map[string]any{"Table": map[string]any{"TableName": name}}), nil
	}
	return out, err
}

// restoreDateTime is the step's restore_date_time, or nil when it
// restores to the latest restorable time.
func restoreDateTime(s *StepRun) (*time.Time, error) {
	v := s.String("restore_date_time")
	if v == "" {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return nil, fmt.Errorf("restore_date_time %q is not an RFC 3339 timestamp such as 2026-03-01T09:30:00Z", v)
	}
	return &t, nil
}

// sourceTable is the Region and name of the table to restore from: the
// ARN's for source_table_arn (a cross-Region restore when its Region is
// not the step's), else the step's Region and source_table_name.
func sourceTable(s *StepRun) (region, name string, err error) {
	a := s.String("source_table_arn")
	if a == "" {
		return s.Region(), s.String("source_table_name"), nil
	}
	region, name, ok := tableARN(a)
	if !ok {
		return "", "", fmt.Errorf("source_table_arn %q is not a table ARN (arn:aws:dynamodb:REGION:ACCOUNT:table/NAME)", a)
	}
	return region, name, nil
}

// tableARN splits arn:aws:dynamodb:REGION:ACCOUNT:table/NAME.
func tableARN(a string) (region, name string, ok bool) {
	parts := strings.SplitN(a, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "dynamodb" || parts[3] == "" {
		return "", "", false
	}
	name, found := strings.CutPrefix(parts[5], "table/")
	if !found || name == "" || strings.Contains(name, "/") {
		return "", "", false
	}
	return parts[3], name, true
}

// checkPointInTimeRecovery reads the source table's continuous backups in
// the source's Region, which for a cross-Region restore is the Region
// that may be down: better to learn it here, with a clear message, than
// from the restore.
func checkPointInTimeRecovery(ctx context.Context, s *StepRun, region, table string, at *time.Time) error {
	out, err := s.ReadIn(ctx, region, "dynamodb:DescribeContinuousBackups", map[string]any{"TableName": table})
	if err != nil {
		if notFoundCodes[errorCode(err)] {
			return fmt.Errorf("source table %s does not exist in %s: check source_table_name or source_table_arn", table, region)
		}
		hint := ""
		if region != s.Region() {
			hint = fmt.Sprintf("; a cross-Region restore reads the source's backups, so DynamoDB in %s must answer", region)
		}
		return fmt.Errorf("check the point-in-time recovery of source table %s in %s: %w%s", table, region, err, hint)
	}
	pitr := respMap(respMap(out["ContinuousBackupsDescription"])["PointInTimeRecoveryDescription"])
	if status := respString(pitr, "PointInTimeRecoveryStatus"); status != "ENABLED" {
		return fmt.Errorf("point-in-time recovery of table %s in %s is %s, not ENABLED: it cannot be restored to a point in time; restore one of its backups instead",
			table, region, status)
	}
	earliest, _ := respTime(pitr, "EarliestRestorableDateTime")
	latest, ok := respTime(pitr, "LatestRestorableDateTime")
	window := fmt.Sprintf("%s to %s", earliest.UTC().Format(time.RFC3339), latest.UTC().Format(time.RFC3339))
	switch {
	case at == nil && ok:
		s.Note("restoring table %s of %s to its latest restorable time, %s", table, region, latest.UTC().Format(time.RFC3339))
	case at != nil && ok && (at.Before(earliest) || at.After(latest)):
		return fmt.Errorf("restore_date_time %s is outside the restorable window of table %s in %s (%s)",
			at.UTC().Format(time.RFC3339), table, region, window)
	}
	return nil
}

// describeTable returns a table's description, or nil when it does not
// exist.
func describeTable(ctx context.Context, s *StepRun, region, name string) (map[string]any, error) {
	out, err := s.ReadIn(ctx, region, "dynamodb:DescribeTable", map[string]any{"TableName": name})
	if errorCode(err) == "ResourceNotFoundException" || notSent(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("look up table %s in %s: %w", name, region, err)
	}
	return respMap(out["Table"]), nil
}

// waitTableActive polls DescribeTable until the table is ACTIVE and
// returns the last response.
func waitTableActive(ctx context.Context, s *StepRun, region, name string) (map[string]any, error) {
	out, err := s.Wait(ctx, WaitSpec{
		Operation: "dynamodb:DescribeTable", Region: region, Input: map[string]any{"TableName": name},
		Check: tableActive(name), Delays: tableExistsDelays,
	})
	if errorCode(err) == "ResourceNotFoundException" {
		return nil, fmt.Errorf("table %s does not exist in %s: check the name and the Region: %w", name, region, err)
	}
	return out, err
}

// tableActive is the Check of a table wait.
func tableActive(name string) func(map[string]any) (string, bool, error) {
	return func(out map[string]any) (string, bool, error) {
		t := respMap(out["Table"])
		status := respString(t, "TableStatus")
		if tableStuckStates[status] {
			return status, false, fmt.Errorf("table %s is %s and will not become ACTIVE by waiting: look at it in the DynamoDB console", name, status)
		}
		if restoring, _ := respMap(t["RestoreSummary"])["RestoreInProgress"].(bool); restoring {
			return status + ", restore in progress", false, nil
		}
		return status, status == "ACTIVE", nil
	}
}
