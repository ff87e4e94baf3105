package sandbox

import (
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// itemsAndLocks reads what recordItemsAndLocks made: the lock's fence, the
// partition's sort keys, and the audit bucket's versions with their
// retention.
func itemsAndLocks(t *testing.T, url string) string {
	t.Helper()
	ddb := dynamodb.NewFromConfig(awsConfig(t, url, "us-east-1"))
	got, err := ddb.GetItem(ctx(t), &dynamodb.GetItemInput{TableName: aws.String("locks"), Key: map[string]av{"id": avS("failover")}})
	if err != nil {
		t.Fatal(err)
	}
	out := "fence=" + nOf(t, got.Item, "fence")
	client := s3Client(t, url, "us-east-1")
	list, err := client.ListObjectVersions(ctx(t), &s3.ListObjectVersionsInput{Bucket: aws.String("audit")})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range list.Versions {
		ret, err := client.GetObjectRetention(ctx(t), &s3.GetObjectRetentionInput{Bucket: aws.String("audit"), Key: v.Key, VersionId: v.VersionId})
		if err != nil {
			t.Fatal(err)
		}
		out += fmt.Sprintf(" %s@%s:%s:%s", aws.ToString(v.Key), aws.ToString(v.VersionId), ret.Retention.Mode, aws.ToTime(ret.Retention.RetainUntilDate).Format(time.RFC3339))
	}
	for _, m := range list.DeleteMarkers {
		out += fmt.Sprintf(" marker %s@%s", aws.ToString(m.Key), aws.ToString(m.VersionId))
	}
	return out
}

// TestRecordItemsAndObjectLock: conditional item writes and Object Lock
// changes are recorded and rebuilt: the same fence, the same version ids,
// the same retention and delete markers.
func TestRecordItemsAndObjectLock(t *testing.T) {
	t.Parallel()
	original := New(Options{TimeScale: 1})
	dir := filepath.Join(t.TempDir(), "sandbox")
	rec, err := original.StartRecording(dir, RecordOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, url := startSandboxFor(t, original)
	ddb := dynamodb.NewFromConfig(awsConfig(t, url, "us-east-1"))
	createTableNoWait(t, ddb, "locks")
	for i := range 3 {
		_, err := ddb.UpdateItem(ctx(t), &dynamodb.UpdateItemInput{TableName: aws.String("locks"), Key: map[string]av{"id": avS("failover")},
			UpdateExpression:          aws.String("SET fence = if_not_exists(fence, :zero) + :one, expires = :until"),
			ConditionExpression:       aws.String("attribute_not_exists(id) OR expires < :now"),
			ExpressionAttributeValues: map[string]av{":zero": avN(0), ":one": avN(1), ":until": avN(int64(i*100 + 50)), ":now": avN(int64(i * 100))}})
		if err != nil {
			t.Fatal(err)
		}
	}
	client := s3Client(t, url, "us-east-1")
	if _, err := client.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String("audit"), ObjectLockEnabledForBucket: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	until := original.Clock().Now().Add(time.Hour).Truncate(time.Second)
	for _, key := range []string{"a", "a", "b"} {
		if _, err := putLocked(t, client, "audit", key, "x", s3types.ObjectLockModeGovernance, until); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := client.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: aws.String("audit"), Key: aws.String("b")}); err != nil {
		t.Fatal(err)
	}
	want := itemsAndLocks(t, url)
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	rebuilt, _ := rebuild(t, dir)
	rebuilt.clock.release()
	_, rebuiltURL := startSandboxFor(t, rebuilt)
	if got := itemsAndLocks(t, rebuiltURL); got != want || !strings.Contains(want, "fence=3") || !strings.Contains(want, "marker b@") {
		t.Fatalf("rebuilt:\n%s\nrecorded:\n%s", got, want)
	}
}

func startSandboxFor(t *testing.T, sb *Sandbox) (*Sandbox, string) {
	t.Helper()
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	return sb, srv.URL
}
