package sandbox

import (
	"bytes"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestS3ListBucketsAndKeys: what aws s3 ls does. The buckets of every
// Region are listed; a bucket's keys are listed with the ones under a
// "/" rolled into common prefixes, page by page with either ListObjects
// flavour; a missing bucket is NoSuchBucket and, to HeadBucket, NotFound.
func TestS3ListBucketsAndKeys(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t, Options{})
	east, west := s3Client(t, url, "us-east-1"), s3Client(t, url, "us-west-2")
	if _, err := east.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String("assets")}); err != nil {
		t.Fatal(err)
	}
	if _, err := west.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String("assets-dr"),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraintUsWest2}}); err != nil {
		t.Fatal(err)
	}
	buckets, err := east.ListBuckets(ctx(t), &s3.ListBucketsInput{})
	if err != nil || len(buckets.Buckets) != 2 || aws.ToString(buckets.Buckets[1].Name) != "assets-dr" ||
		aws.ToString(buckets.Buckets[1].BucketRegion) != "us-west-2" || buckets.Buckets[0].CreationDate == nil {
		t.Fatalf("buckets: %+v %v", buckets, err)
	}
	for _, key := range []string{"a.txt", "logs/1", "logs/2", "z.txt"} {
		if _, err := east.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("assets"), Key: aws.String(key),
			Body: bytes.NewReader([]byte(key))}); err != nil {
			t.Fatal(err)
		}
	}
	var keys, prefixes []string
	pages := s3.NewListObjectsV2Paginator(east, &s3.ListObjectsV2Input{Bucket: aws.String("assets"), Delimiter: aws.String("/"), MaxKeys: aws.Int32(1)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
		for _, p := range page.CommonPrefixes {
			prefixes = append(prefixes, aws.ToString(p.Prefix))
		}
	}
	if len(keys) != 2 || keys[0] != "a.txt" || keys[1] != "z.txt" || len(prefixes) != 1 || prefixes[0] != "logs/" {
		t.Fatalf("v2 listing: keys %v prefixes %v", keys, prefixes)
	}
	v1, err := east.ListObjects(ctx(t), &s3.ListObjectsInput{Bucket: aws.String("assets"), Prefix: aws.String("logs/"), MaxKeys: aws.Int32(1)})
	if err != nil || len(v1.Contents) != 1 || !aws.ToBool(v1.IsTruncated) || aws.ToString(v1.NextMarker) != "logs/1" {
		t.Fatalf("v1 listing: %+v %v", v1, err)
	}
	v1, err = east.ListObjects(ctx(t), &s3.ListObjectsInput{Bucket: aws.String("assets"), Prefix: aws.String("logs/"), Marker: v1.NextMarker})
	if err != nil || len(v1.Contents) != 1 || aws.ToString(v1.Contents[0].Key) != "logs/2" || aws.ToBool(v1.IsTruncated) {
		t.Fatalf("v1 second page: %+v %v", v1, err)
	}
	loc, err := east.GetBucketLocation(ctx(t), &s3.GetBucketLocationInput{Bucket: aws.String("assets-dr")})
	if err != nil || loc.LocationConstraint != s3types.BucketLocationConstraintUsWest2 {
		t.Fatalf("location: %+v %v", loc, err)
	}
	head, err := east.HeadBucket(ctx(t), &s3.HeadBucketInput{Bucket: aws.String("assets-dr")})
	if err != nil || aws.ToString(head.BucketRegion) != "us-west-2" {
		t.Fatalf("head: %+v %v", head, err)
	}
	if _, err := east.HeadBucket(ctx(t), &s3.HeadBucketInput{Bucket: aws.String("nope-bucket")}); apiCode(err) != "NotFound" {
		t.Fatalf("head of a missing bucket: %v", err)
	}
	if _, err := east.ListObjects(ctx(t), &s3.ListObjectsInput{Bucket: aws.String("nope-bucket")}); apiCode(err) != "NoSuchBucket" {
		t.Fatalf("listing a missing bucket: %v", err)
	}
	if _, err := east.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: aws.String("assets"), ContinuationToken: aws.String("!!")}); apiCode(err) != "InvalidArgument" {
		t.Fatalf("a token the sandbox never gave: %v", err)
	}
}
