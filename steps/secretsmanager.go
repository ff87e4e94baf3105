package steps

import "github.com/drpilot/drpilot/runbooks"

// secretsmanagerActions are the AWS Secrets Manager actions (IAM prefix
// secretsmanager). None reads a secret's value: a step that needs one
// uses aws.call, whose answer is redacted (secrets.go).
func secretsmanagerActions() []Action {
	return []Action{secretsmanagerPromoteReplica().runs(runSecretsManagerPromoteReplica)}
}

// secretsmanagerPromoteReplica makes a replica secret in the recovery
// Region a secret of its own, so that it can be rotated and changed there
// while the primary Region is out.
func secretsmanagerPromoteReplica() Action {
	return Action{
		spec: runbooks.ActionSpec{
			Name:     "secretsmanager.promote-replica",
			Summary:  "Promote a replica secret in the step's Region to a standalone secret (StopReplicationToReplica) and wait until it stands alone.",
			Phases:   []string{"reintegrate"},
			Mutating: true,
			Calls: []runbooks.Call{
				act("secretsmanager:StopReplicationToReplica"),
				waitOn("secretsmanager:DescribeSecret"),
			},
			Params: []runbooks.Param{
				inStepRegion(required(str("secret_id", "SecretId",
					"The replica's name or ARN. A replica's ARN names the replica's Region, which must be the step's: the call is made there, and works while the primary's Region is out."))),
			},
			Outputs: []string{"ARN", "Name", "FormerPrimaryRegion"},
			Idempotency: "Check-before-act: DescribeSecret shows whether the secret still names a PrimaryRegion; when it names none it already stands alone " +
				"(promoted by an earlier attempt or by hand, or never a replica) and StopReplicationToReplica is not sent. The secret's value is never read.",
			Wait: "Polls DescribeSecret until the secret names no PrimaryRegion. The response is that last DescribeSecret response " +
				"(ARN, Name, no value) plus FormerPrimaryRegion, the Region of the primary it was a replica of (empty when it already stood alone).",
			Expect:  runbooks.Minutes(1),
			Timeout: runbooks.Minutes(10),
		},
		example: example{
			id: "promote-db-secret", phase: "reintegrate", title: "Make the database credentials a secret of the recovery Region",
			with:    []setting{{"secret_id", `"prod/orders-db"`}},
			outputs: []setting{{"secret_arn", `"ARN"`}},
		},
	}
}
