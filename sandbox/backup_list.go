package sandbox

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Listing what AWS Backup holds: vaults, backup jobs and plans. A plan
// is kept as given; the sandbox does not run its schedules.

type backupPlan struct {
	ID, Name, Version string
	Created           time.Time
	Rules             []any
}

// backupPage answers one page with Backup's maxResults and nextToken.
func backupPage(c *call, key string, items []any) (any, error) {
	page, next, err := paginate(c.input, "maxResults", "nextToken", items, backupPages)
	if err != nil {
		return nil, errorf("InvalidParameterValueException", "%s", asAWSError(err).Message)
	}
	out := map[string]any{key: append([]any{}, page...)}
	if next != "" {
		out["NextToken"] = next
	}
	return out, nil
}

func (c *call) vaultValue(r *backupRegion, v *backupVault) map[string]any {
	points := 0
	for _, p := range r.points {
		if p.Vault == v.Name {
			points++
		}
	}
	return map[string]any{"BackupVaultName": v.Name, "BackupVaultArn": backupVaultARN(c.region, c.account(), v.Name),
		"CreationDate": v.Created, "NumberOfRecoveryPoints": points, "Locked": false, "VaultType": "BACKUP_VAULT",
		"VaultState": "AVAILABLE", "EncryptionKeyArn": arn("kms", c.region, c.account(), "key/aws-backup"),
		"CreatorRequestId": v.token}
}

func backupListVaults(c *call) (any, error) {
	r := backupState(c.sb, c.region)
	items := []any{}
	for _, name := range sortedKeys(r.vaults) {
		items = append(items, c.vaultValue(r, r.vaults[name]))
	}
	return backupPage(c, "BackupVaultList", items)
}

func backupDescribeVault(c *call) (any, error) {
	r := backupState(c.sb, c.region)
	name := str(c.input, "BackupVaultName")
	v, ok := r.vaults[name]
	if !ok {
		return nil, errorf("ResourceNotFoundException", "Backup vault %s not found", name)
	}
	return c.vaultValue(r, v), nil
}

// backupListJobs lists backup jobs newest first, filtered by the query
// parameters state, resourceArn, backupVaultName and resourceType.
func backupListJobs(c *call) (any, error) {
	r := backupState(c.sb, c.region)
	want := map[string]string{"State": str(c.input, "state"), "ResourceArn": str(c.input, "resourceArn"),
		"BackupVaultName": str(c.input, "backupVaultName"), "ResourceType": str(c.input, "resourceType")}
	items := []any{}
	for _, id := range sortedKeys(r.jobs) {
		v := c.backupJobValue(r.jobs[id])
		keep := true
		for k, w := range want {
			keep = keep && (w == "" || v[k] == w)
		}
		if keep {
			items = append(items, v)
		}
	}
	slices.SortStableFunc(items, func(a, b any) int {
		return asMap(b)["CreationDate"].(time.Time).Compare(asMap(a)["CreationDate"].(time.Time))
	})
	return backupPage(c, "BackupJobs", items)
}

func backupCreatePlan(c *call) (any, error) {
	doc := obj(c.input, "BackupPlan")
	name := str(doc, "BackupPlanName")
	if name == "" {
		return nil, errorf("MissingParameterValueException", "BackupPlan.BackupPlanName is required")
	}
	rules := list(doc, "Rules")
	if len(rules) == 0 {
		return nil, errorf("InvalidParameterValueException", "BackupPlan.Rules must hold at least one rule")
	}
	r := backupState(c.sb, c.region)
	if r.plans == nil {
		r.plans = map[string]*backupPlan{}
	}
	for _, p := range r.plans {
		if p.Name == name {
			return nil, errorf("AlreadyExistsException", "Backup plan with the same name %s already exists", name)
		}
	}
	for _, rule := range rules {
		if vault := str(asMap(rule), "TargetBackupVaultName"); r.vaults[vault] == nil {
			return nil, errorf("InvalidParameterValueException", "Rule %q: backup vault %q does not exist", str(asMap(rule), "RuleName"), vault)
		}
	}
	h := strings.ToLower(resourceID("", c.requestID+name))
	p := &backupPlan{ID: fmt.Sprintf("%s-%s-%s-%s-%s", h[:8], h[8:12], h[12:16], h[16:20], h[20:26]+"000000"),
		Name: name, Created: c.now, Rules: rules, Version: strings.ToUpper(h[:8])}
	p.ID = c.idOr(p.ID)
	r.plans[p.ID] = p
	return map[string]any{"BackupPlanId": p.ID, "BackupPlanArn": arn("backup", c.region, c.account(), "backup-plan:"+p.ID),
		"CreationDate": p.Created, "VersionId": p.Version}, nil
}

func backupListPlans(c *call) (any, error) {
	r := backupState(c.sb, c.region)
	items := []any{}
	for _, id := range sortedKeys(r.plans) {
		p := r.plans[id]
		items = append(items, map[string]any{"BackupPlanId": p.ID, "BackupPlanName": p.Name, "CreationDate": p.Created,
			"VersionId": p.Version, "BackupPlanArn": arn("backup", c.region, c.account(), "backup-plan:"+p.ID)})
	}
	return backupPage(c, "BackupPlansList", items)
}
