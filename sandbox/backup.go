package sandbox

import (
	"fmt"
	"hash/fnv"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// AWS Backup durations in simulated time, as docs/sandbox.md lists them. A
// backup job is CREATED, then RUNNING, then COMPLETED about ten minutes
// after it started; a restore job is PENDING, then RUNNING, then COMPLETED
// after its resource type's restore time.
const (
	backupJobCreated  = 1 * time.Minute
	backupJobRunning  = 9 * time.Minute
	restoreJobPending = 1 * time.Minute
	restoreEBS        = 15 * time.Minute // EBS, EC2 and EFS
	restoreRDS        = 20 * time.Minute // RDS, Aurora and DynamoDB
	// backupStartWindow is how long a job may wait to start, by default.
	backupStartWindow = 8 * time.Hour
)

// backupPages bounds a page of AWS Backup's lists, as the API does.
var backupPages = pageLimits{def: 1000, min: 1, max: 1000}

// backupDefaultRole is the role a seeded recovery point was made with: the
// one AWS Backup's console creates.
const backupDefaultRole = "service-role/AWSBackupDefaultServiceRole"

type backupRegion struct {
	vaults   map[string]*backupVault
	points   map[string]*recoveryPoint // by ARN
	jobs     map[string]*backupJob
	restores map[string]*restoreJob
	copies   map[string]*copyJob
	plans    map[string]*backupPlan // by id; made on first use
	tokens   map[string]string      // "backup/", "restore/" or "copy/" + IdempotencyToken → job id
}

type backupVault struct {
	Name    string
	Created time.Time
	token   string // CreatorRequestId, so that a retried create succeeds
}

// recoveryPoint is a backup in a vault. One made by a backup job follows
// the job (CREATING until it completes); a seeded one is COMPLETED.
type recoveryPoint struct {
	ARN, Vault, ResourceArn, ResourceType, IamRole string
	Created                                        time.Time
	Size                                           int64
	job                                            *backupJob
}

type backupJob struct {
	ID, Vault, ResourceArn, ResourceType, IamRole, PointARN string
	Created, StartBy, done                                  time.Time
	Size                                                    int64
	state                                                   timeline
}

type restoreJob struct {
	ID, PointARN, Vault, SourceArn, ResourceType, IamRole, CreatedArn string
	Created, PointCreated, done                                       time.Time
	Size                                                              int64
	state                                                             timeline
}

func (r *backupRegion) dump(now time.Time) any {
	vaults, jobs, restores := map[string]any{}, map[string]any{}, map[string]any{}
	for name := range r.vaults {
		vaults[name] = []any{}
	}
	for _, arn := range sortedKeys(r.points) { // a vault's points in a stable order
		p := r.points[arn]
		status, ok := "COMPLETED", true
		if p.job != nil {
			status, ok = recoveryPointStatus(p.job.state.state(now))
		}
		if ok {
			vaults[p.Vault] = append(vaults[p.Vault].([]any), map[string]any{"arn": p.ARN, "status": status,
				"resource": p.ResourceArn, "type": p.ResourceType, "created": p.Created})
		}
	}
	for id, j := range r.jobs {
		jobs[id] = map[string]any{"state": j.state.state(now), "resource": j.ResourceArn, "recovery_point": j.PointARN}
	}
	for id, j := range r.restores {
		restores[id] = map[string]any{"status": j.state.state(now), "recovery_point": j.PointARN, "creates": j.CreatedArn}
	}
	return map[string]any{"vaults": vaults, "backup_jobs": jobs, "restore_jobs": restores}
}

func backupState(s *Sandbox, region string) *backupRegion {
	return stateOf(s, "backup", region, func() *backupRegion {
		return &backupRegion{vaults: map[string]*backupVault{}, points: map[string]*recoveryPoint{},
			jobs: map[string]*backupJob{}, restores: map[string]*restoreJob{}, copies: map[string]*copyJob{}, tokens: map[string]string{}}
	})
}

func registerBackup(s *Sandbox) {
	const rp = "/backup-vaults/{BackupVaultName}/recovery-points"
	s.addService(&service{name: "backup", protocol: restJSONProtocol{}, throttleCode: "ThrottlingException"},
		&operation{name: "CreateBackupVault", mutating: true, method: "PUT", path: "/backup-vaults/{BackupVaultName}", handler: backupCreateVault},
		&operation{name: "StartBackupJob", mutating: true, method: "PUT", path: "/backup-jobs", handler: backupStartBackupJob},
		&operation{name: "ListBackupVaults", method: "GET", path: "/backup-vaults", handler: backupListVaults},
		&operation{name: "DescribeBackupVault", method: "GET", path: "/backup-vaults/{BackupVaultName}", handler: backupDescribeVault},
		&operation{name: "ListBackupJobs", method: "GET", path: "/backup-jobs", handler: backupListJobs},
		&operation{name: "CreateBackupPlan", mutating: true, method: "PUT", path: "/backup/plans", handler: backupCreatePlan},
		&operation{name: "ListBackupPlans", method: "GET", path: "/backup/plans", handler: backupListPlans},
		&operation{name: "DescribeBackupJob", method: "GET", path: "/backup-jobs/{BackupJobId}", handler: backupDescribeBackupJob},
		&operation{name: "ListRecoveryPointsByBackupVault", method: "GET", path: rp, handler: backupListByVault},
		&operation{name: "ListRecoveryPointsByResource", method: "GET", path: "/resources/{ResourceArn}/recovery-points", handler: backupListByResource},
		&operation{name: "DescribeRecoveryPoint", method: "GET", path: rp + "/{RecoveryPointArn}", handler: backupDescribeRecoveryPoint},
		&operation{name: "GetRecoveryPointRestoreMetadata", method: "GET", path: rp + "/{RecoveryPointArn}/restore-metadata", handler: backupRestoreMetadata},
		&operation{name: "StartRestoreJob", mutating: true, method: "PUT", path: "/restore-jobs", handler: backupStartRestoreJob},
		&operation{name: "DescribeRestoreJob", method: "GET", path: "/restore-jobs/{RestoreJobId}", handler: backupDescribeRestoreJob},
		&operation{name: "ListRestoreJobs", method: "GET", path: "/restore-jobs", handler: backupListRestoreJobs},
		&operation{name: "StartCopyJob", mutating: true, method: "PUT", path: "/copy-jobs", handler: backupStartCopyJob},
		&operation{name: "DescribeCopyJob", method: "GET", path: "/copy-jobs/{CopyJobId}", handler: backupDescribeCopyJob},
	)
}

// seedRecoveryPoint puts a COMPLETED recovery point of a resource in a
// vault of a Region, as a scenario's backups taken before the game day
// began, making the vault if need be, and returns the point's ARN. An empty
// resourceType is read from the resource's ARN. It takes the store lock:
// callers must not hold it.
func seedRecoveryPoint(s *Sandbox, region, vault, resourceArn, resourceType string, created time.Time) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := backupState(s, region)
	if resourceType == "" {
		resourceType = backupResourceType(resourceArn)
	}
	if _, ok := r.vaults[vault]; !ok {
		r.vaults[vault] = &backupVault{Name: vault, Created: created}
	}
	id := strings.ToUpper(s.newRequestID())
	p := &recoveryPoint{ARN: backupPointARN(region, s.account, resourceType, resourceArn, id, created), Vault: vault,
		ResourceArn: resourceArn, ResourceType: resourceType, IamRole: arn("iam", "", s.account, "role/"+backupDefaultRole),
		Created: created, Size: backupSize(resourceArn)}
	r.points[p.ARN] = p
	return p.ARN
}

// backupARNParts splits an ARN into its service, Region and resource.
func backupARNParts(a string) (svc, region, resource string, ok bool) {
	parts := strings.SplitN(a, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[5] == "" {
		return "", "", "", false
	}
	return parts[2], parts[3], parts[5], true
}

// backupTypes are the resource types AWS Backup (as simulated) protects:
// how their ARNs look, and how long a restore takes.
var backupTypes = []struct {
	name, service, prefix string
	restore               time.Duration
}{
	{"EBS", "ec2", "volume/", restoreEBS}, {"EC2", "ec2", "instance/", restoreEBS},
	{"RDS", "rds", "db:", restoreRDS}, {"Aurora", "rds", "cluster:", restoreRDS},
	{"DynamoDB", "dynamodb", "table/", restoreRDS}, {"EFS", "elasticfilesystem", "file-system/", restoreEBS},
}

// backupResourceType names the resource type of a resource ARN, or "" for
// one AWS Backup (as simulated) cannot protect.
func backupResourceType(resourceArn string) string {
	svc, _, res, _ := backupARNParts(resourceArn)
	for _, t := range backupTypes {
		if svc == t.service && strings.HasPrefix(res, t.prefix) {
			return t.name
		}
	}
	return ""
}

// backupResourceName is the resource's own name: "orders" of
// arn:aws:rds:...:db:orders, "vol-0abc" of arn:aws:ec2:...:volume/vol-0abc.
func backupResourceName(resourceArn string) string {
	_, _, res, _ := backupARNParts(resourceArn)
	if i := strings.IndexAny(res, "/:"); i >= 0 {
		return res[i+1:]
	}
	return res
}

// backupPointARN makes a recovery point's ARN the way AWS Backup does for
// the resource type: an EBS snapshot, an AMI, an RDS snapshot, a DynamoDB
// backup, or a Backup recovery point. Every form names its Region.
func backupPointARN(region, account, resourceType, resourceArn, id string, created time.Time) string {
	hex := strings.ToLower(strings.ReplaceAll(id, "-", ""))
	switch resourceType {
	case "EBS":
		return arn("ec2", region, "", "snapshot/snap-"+hex[len(hex)-17:])
	case "EC2":
		return arn("ec2", region, "", "image/ami-"+hex[len(hex)-17:])
	case "RDS":
		return arn("rds", region, account, "snapshot:awsbackup:job-"+strings.ToLower(id))
	case "Aurora":
		return arn("rds", region, account, "cluster-snapshot:awsbackup:job-"+strings.ToLower(id))
	case "DynamoDB":
		return arn("dynamodb", region, account, fmt.Sprintf("table/%s/backup/%014d-%s",
			backupResourceName(resourceArn), created.UnixMilli(), hex[len(hex)-8:]))
	}
	return arn("backup", region, account, "recovery-point:"+id)
}

func backupVaultARN(region, account, name string) string {
	return arn("backup", region, account, "backup-vault:"+name)
}

// backupSize is a resource's backup size: stable per resource, 8 to 127
// GiB.
func backupSize(resourceArn string) int64 {
	h := fnv.New32a()
	h.Write([]byte(resourceArn))
	return int64(8+h.Sum32()%120) << 30
}

func backupRestoreDuration(resourceType string) time.Duration {
	for _, t := range backupTypes {
		if t.name == resourceType {
			return t.restore
		}
	}
	return restoreEBS
}

// backupVaultOf returns the call's Region's state and the vault its
// BackupVaultName names, which must exist.
func (c *call) backupVaultOf() (*backupRegion, string, *awsError) {
	r := backupState(c.sb, c.region)
	vault := str(c.input, "BackupVaultName")
	if _, ok := r.vaults[vault]; !ok {
		return nil, "", errorf("ResourceNotFoundException", "Backup vault %s does not exist", vault)
	}
	return r, vault, nil
}

var backupVaultNameRE = regexp.MustCompile(`^[a-zA-Z0-9\-_]{2,50}$`)

func backupCreateVault(c *call) (any, error) {
	name, err := required(c.input, "BackupVaultName", "MissingParameterValueException")
	if err != nil {
		return nil, err
	}
	if !backupVaultNameRE.MatchString(name) {
		return nil, errorf("InvalidParameterValueException",
			"Invalid backup vault name %q: 2 to 50 letters, digits, hyphens and underscores", name)
	}
	r := backupState(c.sb, c.region)
	token := str(c.input, "CreatorRequestId")
	v, exists := r.vaults[name]
	if exists && (token == "" || token != v.token) {
		return nil, errorf("AlreadyExistsException", "Backup vault with the same name already exists")
	}
	if !exists {
		v = &backupVault{Name: name, Created: c.now, token: token}
		r.vaults[name] = v
	}
	return map[string]any{"BackupVaultName": name, "BackupVaultArn": backupVaultARN(c.region, c.account(), name),
		"CreationDate": v.Created}, nil
}

func backupJobStarted(j *backupJob) map[string]any {
	return map[string]any{"BackupJobId": j.ID, "RecoveryPointArn": j.PointARN, "CreationDate": j.Created, "IsParent": false}
}

// backupStartBackupJob starts a job that backs a resource of the call's
// Region up into a vault; its recovery point exists from the start,
// CREATING until the job completes. The resource itself is not looked up.
func backupStartBackupJob(c *call) (any, error) {
	r := backupState(c.sb, c.region)
	token := str(c.input, "IdempotencyToken")
	if id, ok := r.tokens["backup/"+token]; ok && token != "" {
		return backupJobStarted(r.jobs[id]), nil
	}
	vault, resource, role := str(c.input, "BackupVaultName"), str(c.input, "ResourceArn"), str(c.input, "IamRoleArn")
	if vault == "" || resource == "" || role == "" {
		return nil, errorf("MissingParameterValueException", "BackupVaultName, ResourceArn and IamRoleArn are required")
	}
	if _, _, err := c.backupVaultOf(); err != nil {
		return nil, err
	}
	typ := backupResourceType(resource)
	if typ == "" {
		return nil, errorf("InvalidParameterValueException", "Invalid ARN or unsupported resource type: %s", resource)
	}
	if _, region, _, _ := backupARNParts(resource); region != c.region {
		return nil, errorf("InvalidParameterValueException",
			"Resource %s is in %s; a backup job runs in the Region of its resource, not %s", resource, region, c.region)
	}
	id := strings.ToUpper(c.requestID)
	j := &backupJob{ID: id, Vault: vault, ResourceArn: resource, ResourceType: typ, IamRole: role, Created: c.now,
		StartBy: c.now.Add(backupStartWindow), done: c.now.Add(backupJobCreated + backupJobRunning),
		PointARN: c.idOr(backupPointARN(c.region, c.account(), typ, resource, id, c.now)), Size: backupSize(resource)}
	j.state.set(c.now, "CREATED", backupJobCreated, "RUNNING", backupJobRunning, "COMPLETED")
	r.jobs[id] = j
	r.points[j.PointARN] = &recoveryPoint{ARN: j.PointARN, Vault: vault, ResourceArn: resource, ResourceType: typ,
		IamRole: role, Created: c.now, Size: j.Size, job: j}
	if token != "" {
		r.tokens["backup/"+token] = id
	}
	return backupJobStarted(j), nil
}

// backupJobState is a backup or restore job's state: its timeline's,
// unless a stuck fault holds it (by BackupJobId or RestoreJobId).
func (c *call) backupJobState(id string, t *timeline) string {
	if st := c.sb.faults.stuckState("backup", c.region, id); st != "" {
		return st
	}
	return t.state(c.now)
}

// recoveryPointStatus is the status of the recovery point a job in the
// given state makes; a failed or aborted job leaves none.
func recoveryPointStatus(jobState string) (string, bool) {
	switch jobState {
	case "COMPLETED":
		return "COMPLETED", true
	case "PARTIAL":
		return "PARTIAL", true
	case "FAILED", "ABORTED", "ABORTING", "EXPIRED":
		return "", false
	}
	return "CREATING", true
}

// backupPercent is a job's PercentDone: the share of its RUNNING time
// gone by.
func backupPercent(state string, from, to, now time.Time) string {
	switch state {
	case "COMPLETED":
		return "100.0"
	case "RUNNING":
		f := now.Sub(from).Seconds() / to.Sub(from).Seconds()
		return strconv.FormatFloat(100*min(max(f, 0), 0.99), 'f', 1, 64)
	}
	return "0.0"
}

func backupNotAfter(t, now time.Time) time.Time {
	if t.After(now) {
		return now
	}
	return t
}

func backupDescribeBackupJob(c *call) (any, error) {
	id := str(c.input, "BackupJobId")
	j, ok := backupState(c.sb, c.region).jobs[id]
	if !ok {
		return nil, errorf("ResourceNotFoundException", "Backup job %s not found", id)
	}
	return c.backupJobValue(j), nil
}

func (c *call) backupJobValue(j *backupJob) map[string]any {
	state := c.backupJobState(j.ID, &j.state)
	v := map[string]any{
		"AccountId": c.account(), "BackupJobId": j.ID, "BackupVaultName": j.Vault,
		"BackupVaultArn": backupVaultARN(c.region, c.account(), j.Vault), "RecoveryPointArn": j.PointARN,
		"ResourceArn": j.ResourceArn, "ResourceType": j.ResourceType, "ResourceName": backupResourceName(j.ResourceArn),
		"CreationDate": j.Created, "InitiationDate": j.Created, "State": state, "IamRoleArn": j.IamRole,
		"PercentDone":            backupPercent(state, j.Created.Add(backupJobCreated), j.done, c.now),
		"ExpectedCompletionDate": j.done, "StartBy": j.StartBy, "IsParent": false, "VaultType": "BACKUP_VAULT",
		"BytesTransferred": int64(0),
	}
	if state == "COMPLETED" {
		v["CompletionDate"], v["BackupSizeInBytes"], v["BytesTransferred"] = backupNotAfter(j.done, c.now), j.Size, j.Size
	}
	return v
}

// backupPoint finds a recovery point of the call's Region (in vault, unless
// vault is "") and its status.
func (c *call) backupPoint(r *backupRegion, pointARN, vault string) (*recoveryPoint, string, *awsError) {
	p, ok := r.points[pointARN]
	status := "COMPLETED"
	if ok && p.job != nil {
		status, ok = recoveryPointStatus(c.backupJobState(p.job.ID, &p.job.state))
	}
	if !ok || (vault != "" && p.Vault != vault) {
		return nil, "", errorf("ResourceNotFoundException", "Recovery point %s not found", pointARN)
	}
	return p, status, nil
}

// backupPointValue is a recovery point as ListRecoveryPointsByBackupVault and
// DescribeRecoveryPoint give it.
func (c *call) backupPointValue(p *recoveryPoint, status string) map[string]any {
	v := map[string]any{
		"RecoveryPointArn": p.ARN, "BackupVaultName": p.Vault, "BackupVaultArn": backupVaultARN(c.region, c.account(), p.Vault),
		"ResourceArn": p.ResourceArn, "ResourceType": p.ResourceType, "ResourceName": backupResourceName(p.ResourceArn),
		"IamRoleArn": p.IamRole, "Status": status, "CreationDate": p.Created, "InitiationDate": p.Created,
		"IsEncrypted": true, "IsParent": false, "VaultType": "BACKUP_VAULT",
	}
	if status == "COMPLETED" {
		v["CompletionDate"], v["BackupSizeInBytes"] = p.Created, p.Size // a seeded point completed as it was made
		if p.job != nil {
			v["CompletionDate"] = backupNotAfter(p.job.done, c.now)
		}
	}
	return v
}

type backupListed struct {
	p      *recoveryPoint
	status string
}

// backupPoints returns the Region's recovery points that keep accepts,
// newest first.
func (c *call) backupPoints(r *backupRegion, keep func(*recoveryPoint) bool) []backupListed {
	var out []backupListed
	for a, p := range r.points {
		if _, status, err := c.backupPoint(r, a, ""); err == nil && keep(p) {
			out = append(out, backupListed{p, status})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].p, out[j].p
		if !a.Created.Equal(b.Created) {
			return a.Created.After(b.Created)
		}
		return a.ARN < b.ARN
	})
	return out
}

// backupListOut pages a list of recovery points into a list operation's
// output, with AWS Backup's error code.
func backupListOut(in map[string]any, items []any) (any, error) {
	page, next, err := paginate(in, "maxResults", "nextToken", items, backupPages)
	if err != nil {
		return nil, errorf("InvalidParameterValueException", "%s", asAWSError(err).Message)
	}
	out := map[string]any{"RecoveryPoints": append([]any{}, page...)}
	if next != "" {
		out["NextToken"] = next
	}
	return out, nil
}

// backupFilter reads ListRecoveryPointsByBackupVault's filters, query
// parameters all; timestamps are ISO 8601, as the SDKs and the CLI send
// them. No simulated point has a backup plan or a parent, so filtering by
// either matches none.
func backupFilter(in map[string]any) (func(*recoveryPoint) bool, *awsError) {
	var times [2]time.Time // createdAfter, createdBefore
	for i, key := range []string{"createdAfter", "createdBefore"} {
		if v := str(in, key); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return nil, errorf("InvalidParameterValueException", "%s %q is not an ISO 8601 timestamp", key, v)
			}
			times[i] = t
		}
	}
	after, before := times[0], times[1]
	byArn, byType := str(in, "resourceArn"), str(in, "resourceType")
	none := str(in, "backupPlanId") != "" || str(in, "parentRecoveryPointArn") != ""
	return func(p *recoveryPoint) bool {
		return !none && (byArn == "" || p.ResourceArn == byArn) && (byType == "" || p.ResourceType == byType) &&
			(after.IsZero() || p.Created.After(after)) && (before.IsZero() || p.Created.Before(before))
	}, nil
}

func backupListByVault(c *call) (any, error) {
	r, vault, aerr := c.backupVaultOf()
	if aerr != nil {
		return nil, aerr
	}
	keep, aerr := backupFilter(c.input)
	if aerr != nil {
		return nil, aerr
	}
	var items []any
	for _, ps := range c.backupPoints(r, func(p *recoveryPoint) bool { return p.Vault == vault && keep(p) }) {
		items = append(items, c.backupPointValue(ps.p, ps.status))
	}
	return backupListOut(c.input, items)
}

// backupListByResource lists a resource's recovery points in every vault
// of the call's Region.
func backupListByResource(c *call) (any, error) {
	resource := str(c.input, "ResourceArn")
	var items []any
	for _, ps := range c.backupPoints(backupState(c.sb, c.region), func(p *recoveryPoint) bool { return p.ResourceArn == resource }) {
		v := map[string]any{"RecoveryPointArn": ps.p.ARN, "CreationDate": ps.p.Created, "Status": ps.status,
			"BackupVaultName": ps.p.Vault, "ResourceName": backupResourceName(resource), "IsParent": false, "VaultType": "BACKUP_VAULT"}
		if ps.status == "COMPLETED" {
			v["BackupSizeBytes"] = ps.p.Size
		}
		items = append(items, v)
	}
	return backupListOut(c.input, items)
}

func backupDescribeRecoveryPoint(c *call) (any, error) {
	r, vault, aerr := c.backupVaultOf()
	if aerr != nil {
		return nil, aerr
	}
	p, status, err := c.backupPoint(r, str(c.input, "RecoveryPointArn"), vault)
	if err != nil {
		return nil, err
	}
	v := c.backupPointValue(p, status)
	v["StorageClass"] = "WARM"
	return v, nil
}
