package steps

import (
	"encoding/json"
	"strings"
	"testing"
)

// smValue is the value of prod/orders-db, which nothing may show.
const smValue = "Orders-Db-Pw-5521"

// smScenario: prod/orders-db, made in Ireland with a replica in Frankfurt;
// prod/legacy, a secret of Frankfurt only. Ireland is down.
const smScenario = `
account = "123456789012"

[[create]]
service = "secretsmanager"
region = "eu-west-1"
operation = "CreateSecret"
ago = "100h"
input = { Name = "prod/orders-db", SecretString = "` + smValue + `", AddReplicaRegions = [{ Region = "eu-central-1" }] }

[[create]]
service = "secretsmanager"
region = "eu-central-1"
operation = "CreateSecret"
ago = "100h"
input = { Name = "prod/legacy", SecretString = "legacy" }

[[faults]]
outage = { region = "eu-west-1" }
`

// smStep is a secretsmanager.promote-replica step of secret id.
func smStep(id string) string {
	outputs := `arn = "ARN"` + "\n" + `former = "FormerPrimaryRegion"`
	return strings.Replace(rdsStep("p", "secretsmanager.promote-replica", `secret_id = "`+id+`"`, outputs), `phase = "restore"`, `phase = "reintegrate"`, 1)
}

const smReplicaARN = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:prod/orders-db-"

// TestSecretsManagerPromoteReplica: the replica is promoted once, by name
// or by its ARN, while its primary's Region is out; a second run finds it
// standing alone and sends nothing; a dry run sends nothing.
func TestSecretsManagerPromoteReplica(t *testing.T) {
	t.Parallel()
	src := restoreRunbook("eu-west-1", "eu-central-1", "1h", smStep("prod/orders-db"))
	approver := &scriptedApprover{}
	tr := startRun(t, src, smScenario, runOptions{approver: approver})
	out := stepOutputs(t, tr, "p")
	if !strings.HasPrefix(out["arn"].(string), smReplicaARN) || out["former"] != "eu-west-1" {
		t.Errorf("outputs %v", out)
	}
	desc := readBack(t, tr, "secretsmanager", "eu-central-1", "DescribeSecret", map[string]any{"SecretId": "prod/orders-db"})
	if p, ok := desc["PrimaryRegion"]; ok && p != nil && p != "" {
		t.Errorf("after the promotion the secret names primary %v", p)
	}
	if n := countRequests(tr, "StopReplicationToReplica", "eu-central-1"); n != 1 {
		t.Errorf("%d StopReplicationToReplica requests, want 1", n)
	}
	if n := countRequests(tr, "GetSecretValue", ""); n != 0 {
		t.Errorf("the action read the secret's value %d times", n)
	}
	checkGatesShowWhatIsSent(t, tr, approver)
	tr.verify()

	byARN := strings.Replace(src, `"prod/orders-db"`, `"`+out["arn"].(string)+`"`, 1)
	again := startRun(t, byARN, "", runOptions{on: tr})
	if out := stepOutputs(t, again, "p"); out["former"] != "" || !hasNote(again, "p", "already stands alone") {
		t.Errorf("second run: outputs %v, notes %v", out, stepNotes(again, "p"))
	}
	if n := countRequests(again, "StopReplicationToReplica", ""); n != 1 {
		t.Errorf("%d StopReplicationToReplica requests in all, want 1", n)
	}

	dry := startRun(t, src, smScenario, runOptions{mode: ModeDryRun})
	if n := len(dry.mutatingRequests()); n != 0 {
		t.Errorf("dry-run sent %d mutating requests", n)
	}
	if done := dry.rec.of(EventStepDone, "p"); len(done) != 1 || !done[0].Simulated {
		t.Errorf("dry-run step: %+v, error %s", done, stepError(dry))
	}
	dry.verify()
}

// readSecretName is a step that reads the secret's name during the run:
// check refuses the primary's ARN written in secret_id, so only one made
// at run time reaches the action's own refusal.
const readSecretName = `
[[steps]]
id = "read"
phase = "reintegrate"
title = "Read the secret's name"
doc = "The name of the replica secret."
action = "aws.call"
[steps.with]
call = "secretsmanager:DescribeSecret"
input = { SecretId = "prod/orders-db" }
[steps.outputs]
name = "Name"
`

func TestSecretsManagerPromoteReplicaRefuses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, id, want string }{
		{"a secret that does not exist", "prod/nope", "secret prod/nope does not exist in eu-central-1"},
		{"the primary's ARN", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:${steps.read.name}",
			"secret_id is the ARN of a secret in eu-west-1, but the step runs in eu-central-1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tr := startRun(t, restoreRunbook("eu-west-1", "eu-central-1", "1h", readSecretName, smStep(tc.id)), smScenario, runOptions{})
			if err := stepError(tr); !strings.Contains(err, tc.want) {
				t.Errorf("error %q, want it to say %q", err, tc.want)
			}
			if n := len(tr.mutatingRequests()); n != 0 {
				t.Errorf("%d mutating requests", n)
			}
		})
	}
}

// TestSecretsManagerStandaloneSecret: a secret that was never a replica
// is left as it is.
func TestSecretsManagerStandaloneSecret(t *testing.T) {
	t.Parallel()
	tr := startRun(t, restoreRunbook("eu-west-1", "eu-central-1", "1h", smStep("prod/legacy")), smScenario, runOptions{})
	if out := stepOutputs(t, tr, "p"); out["former"] != "" || len(tr.mutatingRequests()) != 0 || !hasNote(tr, "p", "already stands alone") {
		t.Errorf("outputs %v, notes %v", out, stepNotes(tr, "p"))
	}
}

// TestSecretsManagerPromotedValueIsNeverShown: the promoted secret's value,
// read from the sandbox with aws.call into a step output, reaches neither
// the events nor the audit log.
func TestSecretsManagerPromotedValueIsNeverShown(t *testing.T) {
	t.Parallel()
	read := `
[[steps]]
id = "read"
phase = "reintegrate"
title = "read"
action = "aws.call"
doc = "x"
after = ["p"]
[steps.with]
call = "secretsmanager:GetSecretValue"
input = { SecretId = "prod/orders-db" }
[steps.outputs]
secret = "SecretString"
`
	tr := startRun(t, restoreRunbook("eu-west-1", "eu-central-1", "1h", smStep("prod/orders-db"), read), smScenario, runOptions{approver: &scriptedApprover{}})
	succeeded(t, tr)
	if n := countRequests(tr, "GetSecretValue", "eu-central-1"); n != 1 {
		t.Fatalf("%d GetSecretValue requests, want 1", n)
	}
	events, _ := json.Marshal(tr.rec.all())
	for name, text := range map[string]string{"the events": string(events), "the audit log": strings.Join(auditEvents(t, tr), "\n")} {
		if strings.Contains(text, smValue) {
			t.Errorf("%s show the secret's value", name)
		}
	}
}
