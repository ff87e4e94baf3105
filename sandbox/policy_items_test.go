package sandbox

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestPolicyObjectLockBypass: deleting a version is s3:DeleteObjectVersion
// on the object; bypassing GOVERNANCE retention also needs
// s3:BypassGovernanceRetention, as S3 asks; without the bypass the policy
// lets the request through to Object Lock, which refuses it.
func TestPolicyObjectLockBypass(t *testing.T) {
	t.Parallel()
	_, endpoint, cfg := startWithPolicy(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow",
		"Action":["s3:DeleteObject","s3:DeleteObjectVersion"],"Resource":"arn:aws:s3:::audit/*"}}`, "us-east-1")
	admin := s3Client(t, endpoint, "us-east-1")
	if _, err := admin.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String("audit"), ObjectLockEnabledForBucket: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	put, err := putLocked(t, admin, "audit", "k", "x", s3types.ObjectLockModeGovernance, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	held := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	del := func(bypass bool) error {
		_, err := held.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: aws.String("audit"), Key: aws.String("k"), VersionId: put.VersionId,
			BypassGovernanceRetention: aws.Bool(bypass)})
		return err
	}
	wantDenied(t, del(true), "AccessDenied", "s3:BypassGovernanceRetention", "arn:aws:s3:::audit/k")
	if err := del(false); apiCode(err) != "AccessDenied" || !strings.Contains(err.Error(), "protected by object lock") {
		t.Fatalf("a delete the policy allows, refused by Object Lock: %v", err)
	}
	if _, err := held.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: aws.String("audit"), Key: aws.String("k")}); err != nil {
		t.Fatalf("a delete marker: %v", err)
	}
}

// TestPolicyDynamoDBItems: each item operation is its own action on the
// table's ARN.
func TestPolicyDynamoDBItems(t *testing.T) {
	t.Parallel()
	_, endpoint, cfg := startWithPolicy(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow",
		"Action":["dynamodb:PutItem","dynamodb:Query"],"Resource":"arn:aws:dynamodb:us-east-1:123456789012:table/locks"}}`, "us-east-1")
	createTableNoWait(t, dynamodb.NewFromConfig(awsConfig(t, endpoint, "us-east-1")), "locks")
	held := dynamodb.NewFromConfig(cfg)
	key := map[string]av{"id": avS("a")}
	if _, err := held.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: aws.String("locks"), Item: key}); err != nil {
		t.Fatalf("allowed PutItem: %v", err)
	}
	if _, err := held.Query(ctx(t), &dynamodb.QueryInput{TableName: aws.String("locks"), KeyConditionExpression: aws.String("id = :a"),
		ExpressionAttributeValues: map[string]av{":a": avS("a")}}); err != nil {
		t.Fatalf("allowed Query: %v", err)
	}
	table := "arn:aws:dynamodb:us-east-1:123456789012:table/locks"
	_, err := held.UpdateItem(ctx(t), &dynamodb.UpdateItemInput{TableName: aws.String("locks"), Key: key})
	wantDenied(t, err, "AccessDeniedException", "dynamodb:UpdateItem", table)
	_, err = held.DeleteItem(ctx(t), &dynamodb.DeleteItemInput{TableName: aws.String("locks"), Key: key})
	wantDenied(t, err, "AccessDeniedException", "dynamodb:DeleteItem", table)
	_, err = held.Scan(ctx(t), &dynamodb.ScanInput{TableName: aws.String("locks")})
	wantDenied(t, err, "AccessDeniedException", "dynamodb:Scan", table)
}
