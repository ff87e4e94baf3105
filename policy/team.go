package policy

import (
	"fmt"

	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/steps/awsclient"
)

// teamAccess is what a team run (docs/team.md) does on its lock table and
// audit bucket: the lease and the approvals are items of the table, the
// log's copy is objects under drpilot/RUNBOOK_ID/ in the bucket, each put
// under Object Lock retention.
var teamAccess = []struct {
	action   string
	bucket   bool // on the bucket, not its objects or the table
	object   bool
	mutating bool
	why      string
}{
	{action: "dynamodb:DescribeTable", why: "team: check the lock table"},
	{action: "dynamodb:GetItem", why: "team: read the run lock, the gates and the approvals"},
	{action: "dynamodb:PutItem", mutating: true, why: "team: publish a gate, write an approval"},
	{action: "dynamodb:UpdateItem", mutating: true, why: "team: take, renew and release the run lock"},
	{action: "s3:ListBucket", bucket: true, why: "team: find the parts of the log's copy"},
	{action: "s3:GetBucketObjectLockConfiguration", bucket: true, why: "team: check the audit bucket's Object Lock"},
	{action: "s3:GetObject", object: true, why: "team: read the log's copy (resume, watch, verify)"},
	{action: "s3:PutObject", object: true, mutating: true, why: "team: copy the log"},
	{action: "s3:PutObjectRetention", object: true, mutating: true, why: "team: lock the log's copy"},
}

// team adds what a runbook with [runbook.team] needs for its lock table
// and audit bucket. A dry run takes no lock and copies nothing.
func (c *collector) team(p *runbooks.RunPlan, mode Mode) {
	t := p.Team
	if t == nil || mode == ModeDryRun {
		return
	}
	account := p.Account
	if account == "" {
		account = "*"
	}
	table := fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s", t.Region, account, t.LockTable)
	bucket := "arn:aws:s3:::" + t.AuditBucket
	ddb, _ := awsclient.Lookup("dynamodb")
	s3, _ := awsclient.Lookup("s3")
	for _, a := range teamAccess {
		at, resource := target{service: ddb, region: t.Region, account: account}, table
		switch {
		case a.bucket:
			at.service, resource = s3, bucket
		case a.object:
			at.service, resource = s3, bucket+"/drpilot/"+p.ID+"/*"
		}
		c.add(grant{action: a.action, resources: []string{resource}}, at, a.mutating, p.ID+" ("+a.why+")", "")
	}
}

// Team is the policy a runbook's team run needs on its lock table and
// audit bucket alone, for `drpilot team init`.
func Team(p *runbooks.RunPlan) Result {
	c := collector{perms: map[string]*Permission{}}
	c.team(p, ModeLive)
	perms := c.sorted()
	return Result{Policy: document(perms), Permissions: perms}
}
