package sandbox

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
)

// TestKMSMultiRegionKeys: what a DR check asks of KMS. A multi-Region key
// made in the primary Region is replicated to the recovery Region under
// the same id; both Regions describe the primary and its replica; an
// alias finds the key; a disabled key says so; a primary with replicas
// cannot be deleted before them; a key deleted after its waiting period
// is gone; a replica into a Region that is out fails.
func TestKMSMultiRegionKeys(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{})
	east, west := kms.NewFromConfig(awsConfig(t, url, "us-east-1")), kms.NewFromConfig(awsConfig(t, url, "us-west-2"))
	created, err := east.CreateKey(ctx(t), &kms.CreateKeyInput{Description: aws.String("orders data"), MultiRegion: aws.Bool(true)})
	if err != nil || !strings.HasPrefix(aws.ToString(created.KeyMetadata.KeyId), "mrk-") || created.KeyMetadata.KeyState != kmstypes.KeyStateEnabled {
		t.Fatalf("create: %+v %v", created, err)
	}
	id := aws.ToString(created.KeyMetadata.KeyId)
	if _, err := east.CreateAlias(ctx(t), &kms.CreateAliasInput{AliasName: aws.String("alias/orders"), TargetKeyId: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	replica, err := east.ReplicateKey(ctx(t), &kms.ReplicateKeyInput{KeyId: aws.String("alias/orders"), ReplicaRegion: aws.String("us-west-2")})
	if err != nil || aws.ToString(replica.ReplicaKeyMetadata.KeyId) != id || !strings.Contains(aws.ToString(replica.ReplicaKeyMetadata.Arn), ":us-west-2:") {
		t.Fatalf("replicate: %+v %v", replica, err)
	}
	if _, err := east.ReplicateKey(ctx(t), &kms.ReplicateKeyInput{KeyId: aws.String(id), ReplicaRegion: aws.String("us-west-2")}); apiCode(err) != "AlreadyExistsException" {
		t.Fatalf("a second replica in a Region: %v", err)
	}
	described, err := west.DescribeKey(ctx(t), &kms.DescribeKeyInput{KeyId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	mr := described.KeyMetadata.MultiRegionConfiguration
	if mr == nil || mr.MultiRegionKeyType != kmstypes.MultiRegionKeyTypeReplica || aws.ToString(mr.PrimaryKey.Region) != "us-east-1" || len(mr.ReplicaKeys) != 1 {
		t.Fatalf("the replica's configuration: %+v", mr)
	}
	keys, err := west.ListKeys(ctx(t), &kms.ListKeysInput{})
	if err != nil || len(keys.Keys) != 1 {
		t.Fatalf("the recovery Region's keys: %+v %v", keys, err)
	}
	aliases, err := east.ListAliases(ctx(t), &kms.ListAliasesInput{KeyId: aws.String(id)})
	if err != nil || len(aliases.Aliases) != 1 || aws.ToString(aliases.Aliases[0].AliasName) != "alias/orders" {
		t.Fatalf("aliases: %+v %v", aliases, err)
	}
	if _, err := west.DescribeKey(ctx(t), &kms.DescribeKeyInput{KeyId: aws.String("alias/orders")}); apiCode(err) != "NotFoundException" {
		t.Fatalf("an alias of another Region: %v", err)
	}
	if _, err := east.ScheduleKeyDeletion(ctx(t), &kms.ScheduleKeyDeletionInput{KeyId: aws.String(id)}); apiCode(err) != "KMSInvalidStateException" {
		t.Fatalf("deleting a primary with replicas: %v", err)
	}
	if _, err := west.DisableKey(ctx(t), &kms.DisableKeyInput{KeyId: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	if d, err := west.DescribeKey(ctx(t), &kms.DescribeKeyInput{KeyId: aws.String(id)}); err != nil || d.KeyMetadata.Enabled || d.KeyMetadata.KeyState != kmstypes.KeyStateDisabled {
		t.Fatalf("a disabled replica: %+v %v", d, err)
	}
	if _, err := west.ScheduleKeyDeletion(ctx(t), &kms.ScheduleKeyDeletionInput{KeyId: aws.String(id), PendingWindowInDays: aws.Int32(7)}); err != nil {
		t.Fatal(err)
	}
	if err := sb.Clock().Advance(7 * 24 * time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := west.DescribeKey(ctx(t), &kms.DescribeKeyInput{KeyId: aws.String(id)}); apiCode(err) != "NotFoundException" {
		t.Fatalf("a deleted replica: %v", err)
	}
	if d, err := east.DescribeKey(ctx(t), &kms.DescribeKeyInput{KeyId: aws.String(id)}); err != nil || len(d.KeyMetadata.MultiRegionConfiguration.ReplicaKeys) != 0 {
		t.Fatalf("the primary once its replica is gone: %+v %v", d, err)
	}
	if err := sb.faults.apply(Fault{Outage: &Outage{Region: "eu-west-1"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := east.ReplicateKey(ctx(t), &kms.ReplicateKeyInput{KeyId: aws.String(id), ReplicaRegion: aws.String("eu-west-1")}); apiCode(err) != "KMSInternalException" {
		t.Fatalf("a replica into a Region that is out: %v", err)
	}
	single, err := east.CreateKey(ctx(t), &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := east.ReplicateKey(ctx(t), &kms.ReplicateKeyInput{KeyId: single.KeyMetadata.KeyId, ReplicaRegion: aws.String("us-west-2")}); apiCode(err) != "UnsupportedOperationException" {
		t.Fatalf("replicating a single-Region key: %v", err)
	}
}
