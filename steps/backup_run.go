package steps

import (
	"context"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/drpilot/drpilot/runbooks"
)

// backup.start-restore: choose a recovery point, check it is complete and
// young enough for the runbook's RPO, restore it with an idempotency token
// and wait for the restore job.

// A restore job takes from minutes (a small volume) to hours (a large
// database); AWS Backup has no waiter of its own to copy.
const (
	restoreJobPollInterval    = 30 * time.Second
	restoreJobPollMaxInterval = 60 * time.Second
	// maxRecoveryPointPages bounds the listing of a vault: 100 pages of
	// up to 1,000 points is far more than any vault keeps for a resource.
	maxRecoveryPointPages = 100
)

// runBackupStartRestore restores the recovery point planned for the step
// (see planBackupStartRestore) and answers with the finished job plus
// CreatedResourceId. When an earlier attempt may have started the job
// unbeknown to drpilot (killed after StartRestoreJob was sent), it first
// looks for that job (restoreStartedBefore) and sends nothing if it finds
// it: AWS Backup honours the idempotency token only for a while, and a
// second request is a second request.
func runBackupStartRestore(ctx context.Context, s *StepRun) (map[string]any, error) {
	r, _, err := s.plannedRequest(ctx)
	if err != nil {
		return nil, err
	}
	pointARN, _ := r.Input["RecoveryPointArn"].(string)
	jobID, err := restoreStartedBefore(ctx, s, r)
	if err != nil {
		return nil, err
	}
	if jobID == "" {
		started, err := s.send(ctx, r)
		if err != nil {
			return nil, fmt.Errorf("start the restore of recovery point %s: %w", pointARN, err)
		}
		jobID = respString(started, "RestoreJobId")
	}
	if jobID == "" && !s.Simulated() {
		return nil, fmt.Errorf("StartRestoreJob answered without a RestoreJobId: find the job of %s in the AWS Backup console (Jobs, Restore jobs)", pointARN)
	}
	out, err := s.Wait(ctx, WaitSpec{
		Operation: "backup:DescribeRestoreJob", Input: map[string]any{"RestoreJobId": jobID},
		Check: restoreJobDone(jobID, pointARN), Delays: pollDelays{restoreJobPollInterval, restoreJobPollMaxInterval},
	})
	if err != nil {
		return nil, err
	}
	if created, ok := respTime(out, "RecoveryPointCreationDate"); ok {
		s.RecoveredTo(created, "AWS Backup recovery point "+respString(out, "RecoveryPointArn"))
	}
	if id := arnResourceID(respString(out, "CreatedResourceArn")); id != "" {
		out["CreatedResourceId"] = id
	}
	return out, nil
}

// restoreStartedBefore finds the restore job an earlier attempt of the
// step started, when one may have (mayHaveSent), or returns "". AWS Backup
// keeps no token with a job, so it lists the Region's restore jobs created
// since the run started and keeps those of the planned recovery point or,
// since a resumed step may plan a newer point of the same resource, of
// that resource, with the step's role when it names one. More than one is
// for a person to sort out.
func restoreStartedBefore(ctx context.Context, s *StepRun, r request) (string, error) {
	if !s.mayHaveSent("backup:StartRestoreJob") {
		return "", nil
	}
	pointARN, _ := r.Input["RecoveryPointArn"].(string)
	source, _ := r.simulated["SourceResourceArn"].(string)
	role, _ := r.Input["IamRoleArn"].(string)
	in := map[string]any{"ByCreatedAfter": s.exec.opts.StartedAt.Add(-reconcileSlack)}
	var found []string
	for page := 0; page < maxRecoveryPointPages; page++ {
		out, err := s.Read(ctx, "backup:ListRestoreJobs", in)
		if err != nil {
			return "", fmt.Errorf("look for the restore job an earlier attempt of this step may have started: %w", err)
		}
		for _, item := range respList(out, "RestoreJobs") {
			j := respMap(item)
			ofPoint := respString(j, "RecoveryPointArn") == pointARN
			ofResource := source != "" && respString(j, "SourceResourceArn") == source
			if (ofPoint || ofResource) && (role == "" || respString(j, "IamRoleArn") == role) {
				found = append(found, respString(j, "RestoreJobId"))
			}
		}
		if in["NextToken"] = respString(out, "NextToken"); in["NextToken"] == "" {
			break
		}
	}
	switch len(found) {
	case 0:
		s.Note("no restore job of %s was started since the run started: StartRestoreJob is sent", pointARN)
		return "", nil
	case 1:
		s.Note("restore job %s was started by an earlier attempt of this step: StartRestoreJob is not sent again", found[0])
		return found[0], nil
	}
	return "", fmt.Errorf("an earlier attempt of this step may have started a restore job, and %d match it (%s): "+
		"find this run's in the AWS Backup console (Jobs, Restore jobs), then skip the step with its outputs", len(found), strings.Join(found, ", "))
}

// planBackupStartRestore chooses the recovery point (the one the step
// names, or the newest completed one of its resource), checks it is
// complete and within the rpo, and completes the restore settings with
// the point's own, before the gate: the approver sees which point is
// restored, and how old it is, in the request that is then sent.
func planBackupStartRestore(ctx context.Context, s *StepRun) ([]request, error) {
	vault := s.String("backup_vault_name")
	metadata, err := restoreMetadataParam(s)
	if err != nil {
		return nil, err
	}
	pointARN := s.String("recovery_point_arn")
	if pointARN == "" {
		if pointARN, err = newestRecoveryPoint(ctx, s, vault, s.String("resource_arn")); err != nil {
			return nil, err
		}
	}
	point, err := checkRecoveryPoint(ctx, s, vault, pointARN)
	if err != nil {
		return nil, err
	}
	restoreMetadata, err := fillRestoreMetadata(ctx, s, vault, pointARN, metadata)
	if err != nil {
		return nil, err
	}
	in := s.Input()
	in["RecoveryPointArn"], in["Metadata"], in["IdempotencyToken"] = pointARN, restoreMetadata, s.Token()
	return []request{s.primaryRequest("backup:StartRestoreJob", in, simulatedRestoreJob(point, in))}, nil
}

// newestRecoveryPoint finds the newest COMPLETED recovery point of a
// resource in a vault of the step's Region, reading every page.
func newestRecoveryPoint(ctx context.Context, s *StepRun, vault, resource string) (string, error) {
	var newest string
	var newestAt time.Time
	unfinished := 0
	in := map[string]any{"BackupVaultName": vault, "ByResourceArn": resource}
	for page := 0; page < maxRecoveryPointPages; page++ {
		out, err := s.Read(ctx, "backup:ListRecoveryPointsByBackupVault", in)
		if errorCode(err) == "ResourceNotFoundException" {
			return "", fmt.Errorf("backup vault %s does not exist in %s: check backup_vault_name and the step's region", vault, s.Region())
		}
		if err != nil {
			return "", fmt.Errorf("list the recovery points of %s in vault %s: %w", resource, vault, err)
		}
		for _, item := range respList(out, "RecoveryPoints") {
			p := respMap(item)
			created, ok := respTime(p, "CreationDate")
			switch {
			case respString(p, "Status") != "COMPLETED":
				unfinished++
			case ok && (newest == "" || created.After(newestAt)):
				newest, newestAt = respString(p, "RecoveryPointArn"), created
			}
		}
		next := respString(out, "NextToken")
		if next == "" {
			break
		}
		in["NextToken"] = next
	}
	if newest != "" {
		return newest, nil
	}
	why := ""
	if unfinished > 0 {
		why = fmt.Sprintf(" (%d not completed: a backup or copy job may still be running)", unfinished)
	}
	return "", fmt.Errorf("vault %s in %s holds no COMPLETED recovery point of %s%s: check the vault's backup and copy jobs, or name one with recovery_point_arn",
		vault, s.Region(), resource, why)
}

// checkRecoveryPoint refuses a recovery point that is not COMPLETED or is
// older than the runbook's rpo: restoring it would lose more data than
// the business agreed to, and that is the commander's call, not drpilot's.
// It returns the point as DescribeRecoveryPoint gives it.
func checkRecoveryPoint(ctx context.Context, s *StepRun, vault, pointARN string) (map[string]any, error) {
	p, err := s.Read(ctx, "backup:DescribeRecoveryPoint", map[string]any{"BackupVaultName": vault, "RecoveryPointArn": pointARN})
	if errorCode(err) == "ResourceNotFoundException" {
		return nil, fmt.Errorf("recovery point %s is not in vault %s in %s: check both (a point of another Region must be copied to this one first): %w",
			pointARN, vault, s.Region(), err)
	}
	if err != nil {
		return nil, fmt.Errorf("check recovery point %s: %w", pointARN, err)
	}
	if status := respString(p, "Status"); status != "COMPLETED" {
		return nil, fmt.Errorf("recovery point %s is %s, not COMPLETED: only a completed recovery point can be restored", pointARN, status)
	}
	created, ok := respTime(p, "CreationDate")
	if !ok {
		return nil, fmt.Errorf("recovery point %s has no creation date to check against the rpo", pointARN)
	}
	age := max(s.exec.now().Sub(created), 0).Round(time.Second)
	rpo := s.exec.opts.Runbook.RPO.Duration
	what := fmt.Sprintf("recovery point %s of %s, created %s (%s ago)", pointARN, respString(p, "ResourceArn"),
		created.UTC().Format(time.RFC3339), runbooks.FormatDuration(age))
	switch {
	case rpo <= 0:
		s.Note("%s; the runbook sets no rpo, so its age was not checked", what)
	case age > rpo:
		return nil, fmt.Errorf("%s is older than the runbook's rpo of %s: restoring it loses more data than agreed. "+
			"If the commander accepts that, restore it by hand and skip this step with the reason", what, runbooks.FormatDuration(rpo))
	default:
		s.Note("%s, within the rpo of %s", what, runbooks.FormatDuration(rpo))
	}
	return p, nil
}

// restoreMetadataParam is the step's metadata as AWS Backup takes it:
// string values. TOML lets a runbook write MultiAZ = false or
// volumeSize = 100, which mean the strings "false" and "100".
func restoreMetadataParam(s *StepRun) (map[string]string, error) {
	v, ok := s.Param("metadata")
	if !ok {
		return map[string]string{}, nil
	}
	table, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("metadata must be a table of restore settings, not %s", formatObserved(v))
	}
	out := make(map[string]string, len(table))
	for k, e := range table {
		switch x := e.(type) {
		case string:
			out[k] = x
		case bool:
			out[k] = strconv.FormatBool(x)
		case int64:
			out[k] = strconv.FormatInt(x, 10)
		case float64:
			out[k] = strconv.FormatFloat(x, 'f', -1, 64)
		default:
			return nil, fmt.Errorf("metadata.%s must be a string, number or boolean (AWS Backup's restore settings are strings), not %s", k, formatObserved(e))
		}
	}
	return out, nil
}

// fillRestoreMetadata completes the step's restore settings with the
// recovery point's own (GetRecoveryPointRestoreMetadata): a restore needs
// them all, and a runbook names only those that differ in the recovery
// Region.
func fillRestoreMetadata(ctx context.Context, s *StepRun, vault, pointARN string, given map[string]string) (map[string]any, error) {
	out, err := s.Read(ctx, "backup:GetRecoveryPointRestoreMetadata", map[string]any{"BackupVaultName": vault, "RecoveryPointArn": pointARN})
	if err != nil {
		return nil, fmt.Errorf("read the restore metadata of recovery point %s: %w", pointARN, err)
	}
	merged := map[string]any{}
	maps.Copy(merged, respMap(out["RestoreMetadata"]))
	for k, v := range given {
		merged[k] = v
	}
	return merged, nil
}

// restoreJobDone is the Check of the restore job wait.
func restoreJobDone(jobID, pointARN string) func(map[string]any) (string, bool, error) {
	return func(out map[string]any) (string, bool, error) {
		status := respString(out, "Status")
		switch status {
		case "COMPLETED":
			return status, true, nil
		case "ABORTED", "FAILED":
			why := respString(out, "StatusMessage")
			if why == "" {
				why = "AWS Backup gave no reason"
			}
			return status, false, fmt.Errorf("restore job %s of recovery point %s is %s: %s; see the job in the AWS Backup console (Jobs, Restore jobs)",
				jobID, pointARN, status, why)
		}
		if pct := respString(out, "PercentDone"); pct != "" && status == "RUNNING" {
			return fmt.Sprintf("%s, %s%% done", status, pct), false, nil
		}
		return status, false, nil
	}
}

// simulatedRestoreJob is dry-run's guess at the finished job: what the
// recovery point and the input say. The job id and the created resource
// are unknown, so later steps see where they would have come from.
func simulatedRestoreJob(point, in map[string]any) map[string]any {
	guess := map[string]any{"Status": "PENDING", "RecoveryPointArn": in["RecoveryPointArn"],
		"RecoveryPointCreationDate": point["CreationDate"], "ResourceType": point["ResourceType"],
		"SourceResourceArn": point["ResourceArn"]}
	if role, ok := in["IamRoleArn"]; ok {
		guess["IamRoleArn"] = role
	}
	return guess
}

// arnResourceID is the resource's own id at the end of an ARN, which its
// service's operations take: "orders" of arn:aws:rds:…:db:orders,
// "vol-0abc" of arn:aws:ec2:…:volume/vol-0abc, "carts" of
// arn:aws:dynamodb:…:table/carts. It is "" for what is not an ARN.
func arnResourceID(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[5] == "" {
		return ""
	}
	res := parts[5]
	if i := strings.IndexAny(res, "/:"); i >= 0 {
		return res[i+1:]
	}
	return res
}
