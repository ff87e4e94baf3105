package sandbox

import (
	"bytes"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func putLocked(t *testing.T, client *s3.Client, bucket, key, body string, mode s3types.ObjectLockMode, until time.Time) (*s3.PutObjectOutput, error) {
	t.Helper()
	in := &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader([]byte(body))}
	if mode != "" {
		in.ObjectLockMode, in.ObjectLockRetainUntilDate = mode, aws.Time(until)
	}
	return client.PutObject(ctx(t), in)
}

func wantS3Error(t *testing.T, what string, err error, code, message string) {
	t.Helper()
	if apiCode(err) != code || !strings.Contains(err.Error(), message) {
		t.Fatalf("%s: %v, want %s %q", what, err, code, message)
	}
}

// TestS3ObjectLockRefusals: what S3 refuses around Object Lock: lock
// headers on a bucket without it, one header without the other, a past
// date, a put without a checksum, and reading a configuration that is not
// there; suspending versioning on a lock bucket.
func TestS3ObjectLockRefusals(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{})
	client := s3Client(t, url, "us-east-1")
	for _, in := range []*s3.CreateBucketInput{{Bucket: aws.String("plain")}, {Bucket: aws.String("audit"), ObjectLockEnabledForBucket: aws.Bool(true)}} {
		if _, err := client.CreateBucket(ctx(t), in); err != nil {
			t.Fatal(err)
		}
	}
	later := sb.Clock().Now().Add(24 * time.Hour)
	_, err := client.GetObjectLockConfiguration(ctx(t), &s3.GetObjectLockConfigurationInput{Bucket: aws.String("plain")})
	wantS3Error(t, "lock configuration of a plain bucket", err, "ObjectLockConfigurationNotFoundError", "Object Lock configuration does not exist")
	_, err = putLocked(t, client, "plain", "a", "x", s3types.ObjectLockModeGovernance, later)
	wantS3Error(t, "retention in a plain bucket", err, "InvalidRequest", "Bucket is missing Object Lock Configuration")
	_, err = client.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("audit"), Key: aws.String("a"), Body: strings.NewReader("x"),
		ObjectLockMode: s3types.ObjectLockModeGovernance})
	wantS3Error(t, "a mode without a date", err, "InvalidArgument", "must both be supplied")
	_, err = putLocked(t, client, "audit", "a", "x", s3types.ObjectLockModeGovernance, sb.Clock().Now().Add(-time.Hour))
	wantS3Error(t, "a date in the past", err, "InvalidArgument", "The retain until date must be in the future!")
	bare := s3.NewFromConfig(awsConfig(t, url, "us-east-1"), func(o *s3.Options) {
		o.UsePathStyle = true
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
	})
	_, err = putLocked(t, bare, "audit", "a", "x", s3types.ObjectLockModeGovernance, later)
	wantS3Error(t, "retention without a checksum", err, "InvalidRequest", "Content-MD5 OR x-amz-checksum- HTTP header is required")
	if _, err := putLocked(t, bare, "audit", "b", "x", "", time.Time{}); err != nil {
		t.Fatalf("a put without retention needs no checksum: %v", err)
	}
	_, err = client.PutBucketVersioning(ctx(t), &s3.PutBucketVersioningInput{Bucket: aws.String("audit"),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusSuspended}})
	wantS3Error(t, "suspending versioning under Object Lock", err, "InvalidBucketState", "versioning state cannot be changed")
	_, err = client.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("audit"), Key: aws.String("b"), VersionId: aws.String("nope")})
	wantS3Error(t, "an unknown version", err, "NoSuchVersion", "The specified version does not exist.")
	_, err = client.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("audit"), Key: aws.String("none")})
	wantS3Error(t, "an unknown key", err, "NoSuchKey", "The specified key does not exist.")
}

// TestS3ObjectLockCompliance: the audit bucket. A record put with
// COMPLIANCE retention (the SDK's default put, with its checksum) is a
// version that cannot be deleted nor have its retention shortened, even
// with the bypass header; a delete without a version id adds a delete
// marker and the version stays readable; once the date passes, the
// version can be deleted.
func TestS3ObjectLockCompliance(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{})
	client := s3Client(t, url, "us-east-1")
	if _, err := client.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String("audit"), ObjectLockEnabledForBucket: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	if v, err := client.GetBucketVersioning(ctx(t), &s3.GetBucketVersioningInput{Bucket: aws.String("audit")}); err != nil || v.Status != s3types.BucketVersioningStatusEnabled {
		t.Fatalf("versioning of a lock bucket: %+v %v", v, err)
	}
	until := sb.Clock().Now().Add(48 * time.Hour).Truncate(time.Second)
	put, err := putLocked(t, client, "audit", "runs/1.json", `{"step":1}`, s3types.ObjectLockModeCompliance, until)
	if err != nil || aws.ToString(put.VersionId) == "" {
		t.Fatalf("put with retention: %+v %v", put, err)
	}
	v1 := put.VersionId
	head, err := client.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String("audit"), Key: aws.String("runs/1.json")})
	if err != nil || head.ObjectLockMode != s3types.ObjectLockModeCompliance || !aws.ToTime(head.ObjectLockRetainUntilDate).Equal(until) ||
		aws.ToString(head.VersionId) != aws.ToString(v1) {
		t.Fatalf("head: %+v %v", head, err)
	}
	deleteVersion := func(bypass bool) error {
		_, err := client.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: aws.String("audit"), Key: aws.String("runs/1.json"), VersionId: v1,
			BypassGovernanceRetention: aws.Bool(bypass)})
		return err
	}
	wantS3Error(t, "deleting a retained version", deleteVersion(false), "AccessDenied", "Access Denied because object protected by object lock.")
	wantS3Error(t, "bypassing COMPLIANCE", deleteVersion(true), "AccessDenied", "object protected by object lock")
	retain := func(mode s3types.ObjectLockRetentionMode, until time.Time, bypass bool) error {
		_, err := client.PutObjectRetention(ctx(t), &s3.PutObjectRetentionInput{Bucket: aws.String("audit"), Key: aws.String("runs/1.json"),
			Retention: &s3types.ObjectLockRetention{Mode: mode, RetainUntilDate: aws.Time(until)}, BypassGovernanceRetention: aws.Bool(bypass)})
		return err
	}
	wantS3Error(t, "shortening COMPLIANCE", retain(s3types.ObjectLockRetentionModeCompliance, until.Add(-time.Hour), true), "AccessDenied", "Access Denied")
	wantS3Error(t, "COMPLIANCE to GOVERNANCE", retain(s3types.ObjectLockRetentionModeGovernance, until.Add(time.Hour), true), "AccessDenied", "Access Denied")
	if err := retain(s3types.ObjectLockRetentionModeCompliance, until.Add(24*time.Hour), false); err != nil {
		t.Fatalf("extending COMPLIANCE: %v", err)
	}
	del, err := client.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: aws.String("audit"), Key: aws.String("runs/1.json")})
	if err != nil || !aws.ToBool(del.DeleteMarker) || aws.ToString(del.VersionId) == "" {
		t.Fatalf("a delete marker: %+v %v", del, err)
	}
	_, err = client.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("audit"), Key: aws.String("runs/1.json")})
	wantS3Error(t, "reading past a delete marker", err, "NoSuchKey", "The specified key does not exist.")
	got, err := client.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("audit"), Key: aws.String("runs/1.json"), VersionId: v1})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(got.Body)
	got.Body.Close()
	if string(body) != `{"step":1}` || aws.ToInt64(got.ContentLength) != int64(len(body)) || aws.ToString(got.VersionId) != aws.ToString(v1) {
		t.Fatalf("the retained version: %q %+v", body, got)
	}
	ret, err := client.GetObjectRetention(ctx(t), &s3.GetObjectRetentionInput{Bucket: aws.String("audit"), Key: aws.String("runs/1.json"), VersionId: v1})
	if err != nil || ret.Retention.Mode != s3types.ObjectLockRetentionModeCompliance || !aws.ToTime(ret.Retention.RetainUntilDate).Equal(until.Add(24*time.Hour)) {
		t.Fatalf("retention: %+v %v", ret, err)
	}
	list, err := client.ListObjectVersions(ctx(t), &s3.ListObjectVersionsInput{Bucket: aws.String("audit"), Prefix: aws.String("runs/")})
	if err != nil || len(list.Versions) != 1 || len(list.DeleteMarkers) != 1 || !aws.ToBool(list.DeleteMarkers[0].IsLatest) || aws.ToBool(list.Versions[0].IsLatest) {
		t.Fatalf("versions: %+v %v", list, err)
	}
	if err := sb.Clock().Advance(73 * time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := deleteVersion(false); err != nil {
		t.Fatalf("deleting a version whose retention has passed: %v", err)
	}
}

// TestS3ObjectLockGovernance: a default GOVERNANCE retention applies to a
// put that gives none; deleting the version or shortening its retention
// needs the bypass header; ListObjectVersions pages by key and version
// markers.
func TestS3ObjectLockGovernance(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t, Options{})
	client := s3Client(t, url, "us-east-1")
	if _, err := client.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String("approvals")}); err != nil {
		t.Fatal(err)
	}
	lock := &s3.PutObjectLockConfigurationInput{Bucket: aws.String("approvals"), ObjectLockConfiguration: &s3types.ObjectLockConfiguration{
		ObjectLockEnabled: s3types.ObjectLockEnabledEnabled,
		Rule:              &s3types.ObjectLockRule{DefaultRetention: &s3types.DefaultRetention{Mode: s3types.ObjectLockRetentionModeGovernance, Days: aws.Int32(1)}}}}
	_, err := client.PutObjectLockConfiguration(ctx(t), lock)
	wantS3Error(t, "Object Lock on an unversioned bucket", err, "InvalidBucketState", "Versioning must be 'Enabled'")
	enableVersioning(t, client, "approvals")
	if _, err := client.PutObjectLockConfiguration(ctx(t), lock); err != nil {
		t.Fatal(err)
	}
	conf, err := client.GetObjectLockConfiguration(ctx(t), &s3.GetObjectLockConfigurationInput{Bucket: aws.String("approvals")})
	if err != nil || conf.ObjectLockConfiguration.Rule.DefaultRetention.Mode != s3types.ObjectLockRetentionModeGovernance ||
		aws.ToInt32(conf.ObjectLockConfiguration.Rule.DefaultRetention.Days) != 1 {
		t.Fatalf("lock configuration: %+v %v", conf, err)
	}
	bare := s3.NewFromConfig(awsConfig(t, url, "us-east-1"), func(o *s3.Options) {
		o.UsePathStyle = true
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
	})
	_, err = putLocked(t, bare, "approvals", "change-0", "x", "", time.Time{})
	wantS3Error(t, "a put under default retention without a checksum", err, "InvalidRequest", "Content-MD5 OR x-amz-checksum- HTTP header is required")
	var ids []string
	for i := range 3 {
		put, err := putLocked(t, client, "approvals", "change-1", strings.Repeat("v", i+1), "", time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, aws.ToString(put.VersionId))
	}
	head, err := client.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String("approvals"), Key: aws.String("change-1"), VersionId: aws.String(ids[0])})
	if err != nil || head.ObjectLockMode != s3types.ObjectLockModeGovernance || aws.ToInt64(head.ContentLength) != 1 {
		t.Fatalf("the default retention: %+v %v", head, err)
	}
	del := func(bypass bool) error {
		_, err := client.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: aws.String("approvals"), Key: aws.String("change-1"),
			VersionId: aws.String(ids[0]), BypassGovernanceRetention: aws.Bool(bypass)})
		return err
	}
	wantS3Error(t, "deleting a GOVERNANCE version", del(false), "AccessDenied", "object protected by object lock")
	if err := del(true); err != nil {
		t.Fatalf("bypassing GOVERNANCE: %v", err)
	}
	_, err = client.PutObjectRetention(ctx(t), &s3.PutObjectRetentionInput{Bucket: aws.String("approvals"), Key: aws.String("change-1"),
		Retention: &s3types.ObjectLockRetention{}})
	wantS3Error(t, "removing GOVERNANCE without bypass", err, "AccessDenied", "Access Denied")
	if _, err := client.PutObjectRetention(ctx(t), &s3.PutObjectRetentionInput{Bucket: aws.String("approvals"), Key: aws.String("change-1"),
		Retention: &s3types.ObjectLockRetention{}, BypassGovernanceRetention: aws.Bool(true)}); err != nil {
		t.Fatalf("removing GOVERNANCE with bypass: %v", err)
	}
	var listed []string
	in := &s3.ListObjectVersionsInput{Bucket: aws.String("approvals"), MaxKeys: aws.Int32(1)}
	for range 5 {
		page, err := client.ListObjectVersions(ctx(t), in)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range page.Versions {
			listed = append(listed, aws.ToString(v.VersionId))
		}
		if !aws.ToBool(page.IsTruncated) {
			break
		}
		in.KeyMarker, in.VersionIdMarker = page.NextKeyMarker, page.NextVersionIdMarker
	}
	if strings.Join(listed, ",") != ids[2]+","+ids[1] {
		t.Fatalf("versions newest first, in pages: %v (put %v)", listed, ids)
	}
}

// TestS3ChecksumsOnPut: over TLS the SDK streams an unseekable body
// aws-chunked with its CRC32 in a trailer; that counts as the checksum an
// Object Lock put needs, and the body is stored without the framing. A
// checksum that does not match the body is BadDigest.
func TestS3ChecksumsOnPut(t *testing.T) {
	t.Parallel()
	sb := New(Options{})
	srv := httptest.NewTLSServer(sb)
	t.Cleanup(srv.Close)
	cfg := awsConfig(t, srv.URL, "us-east-1")
	cfg.HTTPClient = readOnlyBodies{srv.Client()}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := client.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String("audit"), ObjectLockEnabledForBucket: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	body := strings.Repeat("audit line\n", 1000)
	_, err := client.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("audit"), Key: aws.String("log"),
		Body: struct{ io.Reader }{strings.NewReader(body)}, ContentLength: aws.Int64(int64(len(body))),
		ObjectLockMode: s3types.ObjectLockModeGovernance, ObjectLockRetainUntilDate: aws.Time(sb.Clock().Now().Add(time.Hour))})
	if err != nil {
		t.Fatalf("an aws-chunked put with a trailing checksum: %v", err)
	}
	got, err := client.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("audit"), Key: aws.String("log")})
	if err != nil {
		t.Fatal(err)
	}
	read, _ := io.ReadAll(got.Body)
	got.Body.Close()
	if string(read) != body || got.ObjectLockMode != s3types.ObjectLockModeGovernance {
		t.Fatalf("the object: %d bytes, %+v", len(read), got)
	}
	_, err = client.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("audit"), Key: aws.String("bad"),
		Body: strings.NewReader("x"), ChecksumCRC32: aws.String("AAAAAA==")})
	wantS3Error(t, "a wrong CRC32", err, "BadDigest", "The CRC32 you specified did not match the calculated checksum.")
}

// TestS3TrailerChecksumChecked: a trailing checksum that does not match
// the aws-chunked body is caught, as a header's is.
func TestS3TrailerChecksumChecked(t *testing.T) {
	body, trailers, err := decodeAWSChunkedTrailers([]byte("5\r\nhello\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n"))
	if err != nil || string(body) != "hello" || trailers["x-amz-checksum-crc32"] != "AAAAAA==" {
		t.Fatalf("decode: %q %v %v", body, trailers, err)
	}
	if _, _, e := verifyChecksums(nil, trailers, body); e == nil || e.Code != "BadDigest" {
		t.Fatalf("a wrong trailing CRC32: %v", e)
	}
	trailers["x-amz-checksum-crc32"] = "NhCmhg=="
	if name, value, e := verifyChecksums(nil, trailers, body); e != nil || name != "x-amz-checksum-crc32" || value != "NhCmhg==" {
		t.Fatalf("the right trailing CRC32: %s %s %v", name, value, e)
	}
}

// TestS3GetObjectGivesTheChecksumBack: a read that asks for checksums
// (as the SDK's GetObject does by default) gets the one the put gave,
// which the SDK then checks against the body, as with S3.
func TestS3GetObjectGivesTheChecksumBack(t *testing.T) {
	_, url := startSandbox(t, Options{})
	client := s3.NewFromConfig(awsConfig(t, url, "us-west-2"), func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := client.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String("sums"),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: "us-west-2"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("sums"), Key: aws.String("k"),
		Body: strings.NewReader("hello"), ChecksumAlgorithm: s3types.ChecksumAlgorithmSha256}); err != nil {
		t.Fatal(err)
	}
	out, err := client.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("sums"), Key: aws.String("k"), ChecksumMode: s3types.ChecksumModeEnabled})
	if err != nil {
		t.Fatal(err)
	}
	io.ReadAll(out.Body)
	out.Body.Close()
	if aws.ToString(out.ChecksumSHA256) != "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=" {
		t.Fatalf("checksum given back: %q", aws.ToString(out.ChecksumSHA256))
	}
}
