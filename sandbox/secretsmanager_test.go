package sandbox

import (
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

// TestSecretsManagerReplicaPromotion: a secret made with a replica is a
// secret of the replica's Region too, naming its primary; promoted while
// the primary's Region is out, it stands alone after a short while.
func TestSecretsManagerReplicaPromotion(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{})
	primary := secretsmanager.NewFromConfig(awsConfig(t, url, "eu-west-1"))
	recovery := secretsmanager.NewFromConfig(awsConfig(t, url, "eu-central-1"))
	made, err := primary.CreateSecret(ctx(t), &secretsmanager.CreateSecretInput{Name: aws.String("prod/db"), SecretString: aws.String(`{"password":"x"}`),
		AddReplicaRegions: []smtypes.ReplicaRegionType{{Region: aws.String("eu-central-1")}}})
	if err != nil || len(made.ReplicationStatus) != 1 || made.ReplicationStatus[0].Status != smtypes.StatusTypeInProgress {
		t.Fatalf("create: %+v %v", made, err)
	}
	sb.clock.Advance(time.Minute)
	desc, err := primary.DescribeSecret(ctx(t), &secretsmanager.DescribeSecretInput{SecretId: made.ARN})
	if err != nil || desc.PrimaryRegion != nil || desc.ReplicationStatus[0].Status != smtypes.StatusTypeInSync {
		t.Fatalf("the primary: %+v %v", desc, err)
	}
	replica, err := recovery.DescribeSecret(ctx(t), &secretsmanager.DescribeSecretInput{SecretId: aws.String("prod/db")})
	if err != nil || aws.ToString(replica.PrimaryRegion) != "eu-west-1" || aws.ToString(replica.ARN)[len(*replica.ARN)-7:] != aws.ToString(made.ARN)[len(*made.ARN)-7:] {
		t.Fatalf("the replica: %+v %v", replica, err)
	}
	value, err := recovery.GetSecretValue(ctx(t), &secretsmanager.GetSecretValueInput{SecretId: replica.ARN})
	if err != nil || aws.ToString(value.SecretString) != `{"password":"x"}` {
		t.Fatalf("the replica's value: %v", err)
	}
	var invalid *smtypes.InvalidRequestException
	if _, err := primary.StopReplicationToReplica(ctx(t), &secretsmanager.StopReplicationToReplicaInput{SecretId: made.ARN}); !errors.As(err, &invalid) {
		t.Fatalf("promoting a primary: %v", err)
	}
	sb.faults.apply(Fault{Outage: &Outage{Region: "eu-west-1"}})
	if _, err := recovery.StopReplicationToReplica(ctx(t), &secretsmanager.StopReplicationToReplicaInput{SecretId: aws.String("prod/db")}); err != nil {
		t.Fatal(err)
	}
	if d, _ := recovery.DescribeSecret(ctx(t), &secretsmanager.DescribeSecretInput{SecretId: aws.String("prod/db")}); aws.ToString(d.PrimaryRegion) != "eu-west-1" {
		t.Errorf("the replica at once stands alone: %+v", d)
	}
	sb.clock.Advance(15 * time.Second)
	if d, _ := recovery.DescribeSecret(ctx(t), &secretsmanager.DescribeSecretInput{SecretId: aws.String("prod/db")}); d.PrimaryRegion != nil {
		t.Errorf("promoted: still a replica of %s", aws.ToString(d.PrimaryRegion))
	}
	listed, err := recovery.ListSecrets(ctx(t), &secretsmanager.ListSecretsInput{})
	if err != nil || len(listed.SecretList) != 1 {
		t.Fatalf("list: %+v %v", listed, err)
	}
	if _, err := primary.ReplicateSecretToRegions(ctx(t), &secretsmanager.ReplicateSecretToRegionsInput{SecretId: aws.String("prod/db"),
		AddReplicaRegions: []smtypes.ReplicaRegionType{{Region: aws.String("us-east-1")}}}); err == nil {
		t.Error("a replica added while the primary's Region is out")
	}
	sb.faults.apply(Fault{Outage: &Outage{Region: "eu-west-1", Clear: true}})
	added, err := primary.ReplicateSecretToRegions(ctx(t), &secretsmanager.ReplicateSecretToRegionsInput{SecretId: aws.String("prod/db"),
		AddReplicaRegions: []smtypes.ReplicaRegionType{{Region: aws.String("us-east-1")}}})
	if err != nil || len(added.ReplicationStatus) != 1 || aws.ToString(added.ReplicationStatus[0].Region) != "us-east-1" {
		t.Fatalf("replicate to us-east-1 (the promoted eu-central-1 is no longer listed): %+v %v", added, err)
	}
	var exists *smtypes.ResourceExistsException
	if _, err := recovery.CreateSecret(ctx(t), &secretsmanager.CreateSecretInput{Name: aws.String("prod/db"), SecretString: aws.String("y")}); !errors.As(err, &exists) {
		t.Errorf("a second secret of the same name: %v", err)
	}
	var nf *smtypes.ResourceNotFoundException
	if _, err := recovery.DescribeSecret(ctx(t), &secretsmanager.DescribeSecretInput{SecretId: aws.String("prod/nope")}); !errors.As(err, &nf) {
		t.Errorf("a missing secret: %v", err)
	}
}
