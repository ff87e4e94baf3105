package team

import "fmt"

// PolicyStatement is one statement of an IAM policy document.
type PolicyStatement struct {
	Sid      string   `json:"Sid"`
	Effect   string   `json:"Effect"`
	Action   []string `json:"Action"`
	Resource []string `json:"Resource"`
}

// Policy is the IAM policy document a team run needs on the lock table
// and the audit bucket: the lease, the gates and approvals, and the log's
// copy under drpilot/. account may be empty (any account).
func Policy(cfg Config, account string) map[string]any {
	return map[string]any{"Version": "2012-10-17", "Statement": PolicyStatements(cfg, account)}
}

// PolicyStatements are Policy's statements, for a policy that has others.
func PolicyStatements(cfg Config, account string) []PolicyStatement {
	if account == "" {
		account = "*"
	}
	table := fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s", cfg.Region, account, cfg.LockTable)
	bucket := "arn:aws:s3:::" + cfg.AuditBucket
	return []PolicyStatement{
		{Sid: "DrpilotTeamLockTable", Effect: "Allow", Resource: []string{table},
			Action: []string{"dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"}},
		{Sid: "DrpilotTeamAuditLog", Effect: "Allow", Resource: []string{bucket + "/drpilot/*"},
			Action: []string{"s3:GetObject", "s3:PutObject", "s3:PutObjectRetention"}},
		{Sid: "DrpilotTeamAuditBucket", Effect: "Allow", Resource: []string{bucket},
			Action: []string{"s3:GetBucketObjectLockConfiguration", "s3:ListBucket"}},
	}
}
