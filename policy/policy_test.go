package policy

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/steps"
	"github.com/drpilot/drpilot/steps/awsclient"
)

func plan(t *testing.T, file string, src []byte) *runbooks.RunPlan {
	t.Helper()
	rb, diags := runbooks.Parse(file, src)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if diags := runbooks.Validate(rb, steps.Default()); diags.HasErrors() {
		t.Fatal(diags)
	}
	p, diags := runbooks.Plan(rb, steps.Default())
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return p
}

func shippedPlans(t *testing.T) []*runbooks.RunPlan {
	t.Helper()
	paths, _ := filepath.Glob("../runbooks/*.toml")
	if len(paths) == 0 {
		t.Fatal("no shipped runbooks")
	}
	var plans []*runbooks.RunPlan
	for _, path := range paths {
		rb, diags := runbooks.Check(path, steps.Default())
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		p, diags := runbooks.Plan(rb, steps.Default())
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		plans = append(plans, p)
	}
	return plans
}

// allowed reports whether the document allows action at all.
func allowed(doc Document, action string) bool {
	for _, s := range doc.Statement {
		if s.Effect == "Allow" && slices.Contains(s.Action, action) {
			return true
		}
	}
	return false
}

// TestEveryPlannedCallIsGranted: for every shipped runbook, every call its
// plan makes and every precondition it reads is an action of its live
// policy; the dry-run policy grants the reads and no change.
func TestEveryPlannedCallIsGranted(t *testing.T) {
	t.Parallel()
	for _, p := range shippedPlans(t) {
		live := For([]*runbooks.RunPlan{p}, ModeLive).Policy
		dry := For([]*runbooks.RunPlan{p}, ModeDryRun).Policy
		for _, ps := range p.Steps {
			ops := map[string]bool{}
			for _, c := range ps.Calls {
				ops[c.Operation] = c.Mutating
			}
			for _, r := range ps.Requires {
				ops[r.Call] = false
			}
			for op, mutating := range ops {
				service, name, _ := strings.Cut(op, ":")
				svc, _ := awsclient.Lookup(service)
				action := svc.IAMAction(iamOperation(svc.Prefix, name))
				if !allowed(live, action) {
					t.Errorf("%s/%s: %s is not in the live policy", p.ID, ps.ID, action)
				}
				if allowed(dry, action) == mutating {
					t.Errorf("%s/%s: %s (mutating %v) is wrongly in or out of the dry-run policy", p.ID, ps.ID, action, mutating)
				}
			}
		}
	}
}

const scopedRunbook = `format = 1
[runbook]
id = "scoped"
title = "Scoped"
account = "123456789012"
rto = "1h"
[runbook.regions]
primary = "eu-west-1"
recovery = "eu-west-2"

[[steps]]
id = "freeze"
phase = "freeze"
action = "ssm.put-parameter"
doc = "x"
[steps.with]
name = "/shop/maintenance"
value = "on"
[steps.outputs]
version = "Version"
[[steps.require]]
call = "route53:GetHealthCheckStatus"
input = { HealthCheckId = "hc-1" }
query = "length(HealthCheckObservations)"
gt = 0

[[steps]]
id = "mark"
phase = "restore"
action = "ssm.put-parameter"
doc = "Its name is known only during the run."
[steps.with]
name = "/shop/v${steps.freeze.version}"
value = "on"
[[steps.require]]
call = "ssm:GetParameter"
input = { Name = "/shop/maintenance" }
query = "Parameter.Value"
equals = "on"

[[steps]]
id = "restore"
phase = "restore"
action = "backup.start-restore"
doc = "x"
[steps.with]
backup_vault_name = "dr-vault"
resource_arn = "arn:aws:rds:eu-west-1:123456789012:db:orders"
iam_role_arn = "arn:aws:iam::123456789012:role/dr-restore"
metadata = { DBInstanceIdentifier = "orders-dr" }
[[steps.require]]
call = "backup:DescribeBackupVault"
input = { BackupVaultName = "dr-vault" }
query = "BackupVaultName"
exists = true
`

// TestResourcesAndRegionsAreScoped: a change is granted on the ARN the
// plan knows, or on every resource when the ARN is known only during the
// run; a passed role is granted to the one service it is passed to; a
// Regional call is conditioned on its Region, a global one is not.
func TestResourcesAndRegionsAreScoped(t *testing.T) {
	t.Parallel()
	r := For([]*runbooks.RunPlan{plan(t, "scoped.toml", []byte(scopedRunbook))}, ModeLive)
	find := func(action string, resources ...string) *Permission {
		for i, p := range r.Permissions {
			if p.Action == action && slices.Equal(p.Resources, resources) {
				return &r.Permissions[i]
			}
		}
		t.Errorf("no permission %s on %v in %+v", action, resources, r.Permissions)
		return &Permission{}
	}
	if p := find("ssm:PutParameter", "arn:aws:ssm:eu-west-2:123456789012:parameter/shop/maintenance"); !slices.Equal(p.Regions, []string{"eu-west-2"}) || !slices.Contains(p.Why, "scoped/freeze (action)") {
		t.Errorf("the known parameter: %+v", p)
	}
	find("ssm:PutParameter", "*")
	if p := find("iam:PassRole", "arn:aws:iam::123456789012:role/dr-restore"); p.Conditions["StringEquals"]["iam:PassedToService"][0] != "backup.amazonaws.com" {
		t.Errorf("PassRole is not limited to AWS Backup: %+v", p)
	}
	find("backup:StartRestoreJob", "*")
	if p := find("route53:GetHealthCheckStatus", "*"); len(p.Regions) != 0 {
		t.Errorf("a global service's read is conditioned on Regions: %+v", p)
	}
	if p := find("ssm:GetParameter", "*"); !slices.Equal(p.Regions, []string{"eu-west-2"}) {
		t.Errorf("a precondition's read: %+v", p)
	}
	for _, s := range r.Policy.Statement {
		if len(s.Action) == 0 || len(s.Resource) == 0 || s.Sid == "" || s.Effect != "Allow" {
			t.Errorf("malformed statement %+v", s)
		}
	}
	dry := For([]*runbooks.RunPlan{plan(t, "scoped.toml", []byte(scopedRunbook))}, ModeDryRun)
	if allowed(dry.Policy, "ssm:PutParameter") || allowed(dry.Policy, "iam:PassRole") || !allowed(dry.Policy, "ssm:GetParameter") {
		t.Errorf("dry-run policy: %+v", dry.Policy)
	}
}

// TestStackDeploymentIsScoped: a change set is granted on its stack, its
// template object is readable, and its service role is passed to
// CloudFormation only.
func TestStackDeploymentIsScoped(t *testing.T) {
	t.Parallel()
	// The scoped runbook's header, and one step of its own.
	src := scopedRunbook[:strings.Index(scopedRunbook, "[[steps]]")] + `[[steps]]
id = "network"
phase = "restore"
action = "cloudformation.deploy-stack"
doc = "x"
[steps.with]
stack_name = "shop-network"
template_url = "https://dr-templates.s3.eu-west-2.amazonaws.com/network.yaml"
role_arn = "arn:aws:iam::123456789012:role/cfn-deploy"
`
	r := For([]*runbooks.RunPlan{plan(t, "stacks.toml", []byte(src))}, ModeLive)
	want := map[string]string{
		"cloudformation:CreateChangeSet": "arn:aws:cloudformation:eu-west-2:123456789012:stack/shop-network/*",
		"s3:GetObject":                   "arn:aws:s3:::dr-templates/network.yaml",
		"iam:PassRole":                   "arn:aws:iam::123456789012:role/cfn-deploy",
	}
	for _, p := range r.Permissions {
		if w, ok := want[p.Action]; ok {
			if !slices.Equal(p.Resources, []string{w}) {
				t.Errorf("%s on %v, want %s", p.Action, p.Resources, w)
			}
			if p.Action == "iam:PassRole" && p.Conditions["StringEquals"]["iam:PassedToService"][0] != "cloudformation.amazonaws.com" {
				t.Errorf("PassRole is not limited to CloudFormation: %+v", p)
			}
			delete(want, p.Action)
		}
	}
	if len(want) > 0 {
		t.Errorf("not granted: %v in %+v", want, r.Permissions)
	}
}

// TestARunbookWithoutAnAccountMatchesAny: ARNs of a runbook that names no
// account hold a wildcard there, never an empty account that matches none.
func TestARunbookWithoutAnAccountMatchesAny(t *testing.T) {
	t.Parallel()
	src := strings.Replace(scopedRunbook, `account = "123456789012"`+"\n", "", 1)
	r := For([]*runbooks.RunPlan{plan(t, "noaccount.toml", []byte(src))}, ModeLive)
	for _, p := range r.Permissions {
		for _, res := range p.Resources {
			if strings.Contains(res, "::table") || strings.Contains(res, ":ssm:eu-west-2::") {
				t.Errorf("%s on %s: an empty account", p.Action, res)
			}
		}
		if p.Action == "ssm:PutParameter" && !slices.Contains(p.Resources, "*") && !slices.Contains(p.Resources, "arn:aws:ssm:eu-west-2:*:parameter/shop/maintenance") {
			t.Errorf("PutParameter on %v", p.Resources)
		}
	}
}

// TestS3IsNotHeldToRegions: an S3 request goes to its bucket's Region,
// which a plan does not always know (s3.check-replication reads the
// destination bucket elsewhere): S3 permissions carry no Region condition.
func TestS3IsNotHeldToRegions(t *testing.T) {
	t.Parallel()
	seen := 0
	for _, p := range For(shippedPlans(t), ModeLive).Permissions {
		if strings.HasPrefix(p.Action, "s3:") {
			seen++
			if len(p.Regions) > 0 {
				t.Errorf("%s is held to %v", p.Action, p.Regions)
			}
		}
	}
	if seen == 0 {
		t.Fatal("no shipped runbook calls S3: the test checks nothing")
	}
}

// TestTeamRunbookPolicy: a runbook with [runbook.team] needs its lock
// table's items and its own prefix of the audit bucket, in the team
// Region, and nothing of them in a dry run.
func TestTeamRunbookPolicy(t *testing.T) {
	src := []byte(`format = 1
[runbook]
id = "team-book"
title = "t"
account = "123456789012"
[runbook.regions]
primary = "us-east-1"
recovery = "us-west-2"
[runbook.team]
lock_table = "drpilot-runs"
audit_bucket = "acme-dr-audit"
retention = "400d"
[[steps]]
id = "note"
phase = "declare"
action = "manual"
`)
	p := plan(t, "team.toml", src)
	live := For([]*runbooks.RunPlan{p}, ModeLive)
	want := map[string]string{
		"dynamodb:UpdateItem":   "arn:aws:dynamodb:us-west-2:123456789012:table/drpilot-runs",
		"dynamodb:GetItem":      "arn:aws:dynamodb:us-west-2:123456789012:table/drpilot-runs",
		"s3:PutObject":          "arn:aws:s3:::acme-dr-audit/drpilot/team-book/*",
		"s3:PutObjectRetention": "arn:aws:s3:::acme-dr-audit/drpilot/team-book/*",
		"s3:ListBucket":         "arn:aws:s3:::acme-dr-audit",
	}
	for action, resource := range want {
		found := false
		for _, perm := range live.Permissions {
			if perm.Action == action && slices.Contains(perm.Resources, resource) {
				found = true
				if strings.HasPrefix(action, "dynamodb:") && !slices.Equal(perm.Regions, []string{"us-west-2"}) {
					t.Errorf("%s is not held to the team Region: %v", action, perm.Regions)
				}
			}
		}
		if !found {
			t.Errorf("the live policy lacks %s on %s", action, resource)
		}
	}
	if got := Team(p).Permissions; len(got) != 9 {
		t.Errorf("team init's policy has %d permissions, want 9", len(got))
	}
	for _, perm := range For([]*runbooks.RunPlan{p}, ModeDryRun).Permissions {
		if strings.Contains(strings.Join(perm.Resources, ","), "drpilot-runs") || strings.Contains(strings.Join(perm.Resources, ","), "acme-dr-audit") {
			t.Errorf("a dry run takes no lock and copies nothing, yet needs %s on %v", perm.Action, perm.Resources)
		}
	}
}
