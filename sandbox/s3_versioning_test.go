package sandbox

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// enableVersioning turns versioning on in each bucket.
func enableVersioning(t *testing.T, client *s3.Client, buckets ...string) {
	t.Helper()
	for _, b := range buckets {
		if _, err := client.PutBucketVersioning(ctx(t), &s3.PutBucketVersioningInput{Bucket: aws.String(b),
			VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}); err != nil {
			t.Fatal(err)
		}
	}
}

// replicatedBuckets makes src in us-east-1 replicating the prefix data/
// to dst in us-west-2, both versioned.
func replicatedBuckets(t *testing.T, url, src, dst string) *s3.Client {
	t.Helper()
	client := s3Client(t, url, "us-east-1")
	for b, region := range map[string]string{src: "us-east-1", dst: "us-west-2"} {
		in := &s3.CreateBucketInput{Bucket: aws.String(b)}
		if region != "us-east-1" {
			in.CreateBucketConfiguration = &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(region)}
		}
		if _, err := client.CreateBucket(ctx(t), in); err != nil {
			t.Fatal(err)
		}
	}
	repl := &s3.PutBucketReplicationInput{Bucket: aws.String(src), ReplicationConfiguration: &s3types.ReplicationConfiguration{
		Role: aws.String("arn:aws:iam::123456789012:role/replication"),
		Rules: []s3types.ReplicationRule{{ID: aws.String("data"), Status: s3types.ReplicationRuleStatusEnabled, Priority: aws.Int32(1),
			Filter:                  &s3types.ReplicationRuleFilter{Prefix: aws.String("data/")},
			DeleteMarkerReplication: &s3types.DeleteMarkerReplication{Status: s3types.DeleteMarkerReplicationStatusDisabled},
			Destination:             &s3types.Destination{Bucket: aws.String("arn:aws:s3:::" + dst)}}}}}
	var ae smithy.APIError
	if _, err := client.PutBucketReplication(ctx(t), repl); !errors.As(err, &ae) || ae.ErrorCode() != "InvalidRequest" {
		t.Fatalf("replication of an unversioned bucket: %v", err)
	}
	enableVersioning(t, client, src, dst)
	if _, err := client.PutBucketReplication(ctx(t), repl); err != nil {
		t.Fatal(err)
	}
	return client
}

// TestS3VersioningListingAndReplicationStates: versioning as set, the
// listing in key order and in pages, and each replication outcome: only
// the keys a rule covers, COMPLETED, FAILED once the destination stops
// versioning, and held by a stuck fault.
func TestS3VersioningListingAndReplicationStates(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{})
	client := s3Client(t, url, "us-east-1")
	if _, err := client.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String("plain")}); err != nil {
		t.Fatal(err)
	}
	if v, err := client.GetBucketVersioning(ctx(t), &s3.GetBucketVersioningInput{Bucket: aws.String("plain")}); err != nil || v.Status != "" {
		t.Fatalf("versioning never set: %+v %v", v, err)
	}
	replicatedBuckets(t, url, "src-bucket", "dst-bucket")
	if v, err := client.GetBucketVersioning(ctx(t), &s3.GetBucketVersioningInput{Bucket: aws.String("src-bucket")}); err != nil || v.Status != s3types.BucketVersioningStatusEnabled {
		t.Fatalf("versioning enabled: %+v %v", v, err)
	}
	put := func(key string) {
		t.Helper()
		if _, err := client.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("src-bucket"), Key: aws.String(key), Body: bytes.NewReader([]byte(key))}); err != nil {
			t.Fatal(err)
		}
	}
	status := func(key string) s3types.ReplicationStatus {
		t.Helper()
		h, err := client.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String("src-bucket"), Key: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		return h.ReplicationStatus
	}
	for i := range 5 {
		put(fmt.Sprintf("data/%d", i))
	}
	put("logs/a")
	sb.clock.Advance(20 * time.Second)
	if status("data/4") != s3types.ReplicationStatusCompleted || status("logs/a") != "" {
		t.Errorf("data/4 %q, logs/a %q (no rule covers it)", status("data/4"), status("logs/a"))
	}
	pages := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: aws.String("dst-bucket"), Prefix: aws.String("data/"), MaxKeys: aws.Int32(2)})
	var keys []string
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	if fmt.Sprint(keys) != "[data/0 data/1 data/2 data/3 data/4]" {
		t.Errorf("replicas listed: %v", keys)
	}

	if err := sb.applyFault(Fault{Stuck: &Stuck{Service: "s3", Region: "us-east-1", ID: "src-bucket", State: "PENDING"}}, sb.clock.Now(), true); err != nil {
		t.Fatal(err)
	}
	put("data/stalled")
	sb.clock.Advance(time.Hour)
	if st := status("data/stalled"); st != s3types.ReplicationStatusPending {
		t.Errorf("stalled replication: %q", st)
	}
	if st := status("data/4"); st != s3types.ReplicationStatusCompleted {
		t.Errorf("an object replicated before the stall: %q", st)
	}
	if err := sb.applyFault(Fault{Stuck: &Stuck{Service: "s3", Region: "us-east-1", ID: "src-bucket"}}, sb.clock.Now(), true); err != nil {
		t.Fatal(err)
	}
	sb.clock.Advance(20 * time.Second)
	if st := status("data/stalled"); st != s3types.ReplicationStatusCompleted {
		t.Errorf("a stalled object once replication resumes: %q", st)
	}
	if _, err := client.PutBucketVersioning(ctx(t), &s3.PutBucketVersioningInput{Bucket: aws.String("dst-bucket"),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusSuspended}}); err != nil {
		t.Fatal(err)
	}
	put("data/failed")
	sb.clock.Advance(20 * time.Second)
	if st := status("data/failed"); st != s3types.ReplicationStatusFailed {
		t.Errorf("replication to an unversioned destination: %q", st)
	}
}
