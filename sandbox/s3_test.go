package sandbox

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func s3Client(t *testing.T, url, region string) *s3.Client {
	return s3.NewFromConfig(awsConfig(t, url, region), func(o *s3.Options) { o.UsePathStyle = true })
}

// TestS3ReplicationCanary: the e-commerce runbook's replication check. A
// canary object put in the primary bucket is PENDING, then COMPLETED,
// and appears in the recovery bucket as a REPLICA; while the recovery
// Region is out, a new canary stays PENDING.
func TestS3ReplicationCanary(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{})
	primary, recovery := s3Client(t, url, "us-east-1"), s3Client(t, url, "us-west-2")
	if _, err := primary.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String("shop-assets")}); err != nil {
		t.Fatal(err)
	}
	if _, err := recovery.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String("shop-assets-dr"),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraintUsWest2}}); err != nil {
		t.Fatal(err)
	}
	var noConfig interface{ ErrorCode() string }
	if _, err := primary.GetBucketReplication(ctx(t), &s3.GetBucketReplicationInput{Bucket: aws.String("shop-assets")}); !errors.As(err, &noConfig) ||
		noConfig.ErrorCode() != "ReplicationConfigurationNotFoundError" {
		t.Fatalf("replication before it is configured: %v", err)
	}
	enableVersioning(t, primary, "shop-assets", "shop-assets-dr")
	_, err := primary.PutBucketReplication(ctx(t), &s3.PutBucketReplicationInput{Bucket: aws.String("shop-assets"),
		ReplicationConfiguration: &s3types.ReplicationConfiguration{Role: aws.String("arn:aws:iam::123456789012:role/s3-replication"),
			Rules: []s3types.ReplicationRule{{ID: aws.String("all"), Status: s3types.ReplicationRuleStatusEnabled, Priority: aws.Int32(1),
				Filter:                  &s3types.ReplicationRuleFilter{Prefix: aws.String("")},
				DeleteMarkerReplication: &s3types.DeleteMarkerReplication{Status: s3types.DeleteMarkerReplicationStatusDisabled},
				Destination:             &s3types.Destination{Bucket: aws.String("arn:aws:s3:::shop-assets-dr")}}}}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := primary.GetBucketReplication(ctx(t), &s3.GetBucketReplicationInput{Bucket: aws.String("shop-assets")})
	if err != nil || len(got.ReplicationConfiguration.Rules) != 1 || got.ReplicationConfiguration.Rules[0].Status != s3types.ReplicationRuleStatusEnabled ||
		aws.ToString(got.ReplicationConfiguration.Rules[0].Destination.Bucket) != "arn:aws:s3:::shop-assets-dr" {
		t.Fatalf("replication: %+v %v", got, err)
	}
	put, err := primary.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("shop-assets"), Key: aws.String("canary/dr-check.txt"),
		Body: bytes.NewReader([]byte("canary " + strings.Repeat("x", 100)))})
	if err != nil || aws.ToString(put.ETag) == "" {
		t.Fatalf("put: %+v %v", put, err)
	}
	head := func(client *s3.Client, bucket string) *s3.HeadObjectOutput {
		out, err := client.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("canary/dr-check.txt")})
		if err != nil {
			return nil
		}
		return out
	}
	if h := head(primary, "shop-assets"); h == nil || h.ReplicationStatus != s3types.ReplicationStatusPending || aws.ToInt64(h.ContentLength) != 107 {
		t.Fatalf("just put: %+v", h)
	}
	if head(recovery, "shop-assets-dr") != nil {
		t.Fatal("the replica exists before replication has had time")
	}
	sb.clock.Advance(20 * time.Second)
	if h := head(primary, "shop-assets"); h.ReplicationStatus != s3types.ReplicationStatusCompleted {
		t.Fatalf("after replication: %s", h.ReplicationStatus)
	}
	if h := head(recovery, "shop-assets-dr"); h == nil || h.ReplicationStatus != s3types.ReplicationStatusReplica || aws.ToString(h.ETag) != aws.ToString(put.ETag) {
		t.Fatalf("the replica: %+v", h)
	}
	var nf *s3types.NotFound
	if _, err := recovery.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String("shop-assets-dr"), Key: aws.String("nope")}); !errors.As(err, &nf) {
		t.Fatalf("a missing object: %v", err)
	}
	// PutObject models no NoSuchBucket error type: the code is what clients see.
	if _, err := recovery.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("nope-bucket"), Key: aws.String("k"), Body: strings.NewReader("x")}); apiCode(err) != "NoSuchBucket" {
		t.Fatalf("put into a missing bucket: %v", err)
	}
	sb.faults.apply(Fault{Outage: &Outage{Region: "us-west-2"}})
	primary.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("shop-assets"), Key: aws.String("canary/dr-check.txt"), Body: strings.NewReader("again")})
	sb.clock.Advance(time.Minute)
	if h := head(primary, "shop-assets"); h.ReplicationStatus != s3types.ReplicationStatusPending {
		t.Fatalf("replicating into an out Region: %s", h.ReplicationStatus)
	}
}

func TestAWSChunkedBodies(t *testing.T) {
	t.Parallel()
	body := "5;chunk-signature=abc\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:AAAA\r\n\r\n"
	got, err := decodeAWSChunked([]byte(body))
	if err != nil || string(got) != "hello world" {
		t.Fatalf("decode: %q %v", got, err)
	}
	for _, bad := range []string{"zz\r\nhello", "5\r\nhel", "5\r\nhelloXX0\r\n", "-1\r\n"} {
		if _, err := decodeAWSChunked([]byte(bad)); err == nil {
			t.Errorf("%q decoded without error", bad)
		}
	}
}

func TestVirtualHostBucket(t *testing.T) {
	t.Parallel()
	for host, want := range map[string]string{
		"127.0.0.1:4566":                 "",
		"localhost:4566":                 "",
		"[::1]:4566":                     "",
		"shop-assets.localhost:4566":     "shop-assets",
		"shop-assets.s3.localhost":       "shop-assets",
		"s3.us-east-1.amazonaws.com:443": "",
	} {
		if got := virtualHostBucket(host); got != want {
			t.Errorf("virtualHostBucket(%q) = %q, want %q", host, got, want)
		}
	}
}
