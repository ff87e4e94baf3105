package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"github.com/drpilot/drpilot/internal/moto"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	neturl "net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/drpilot/drpilot/sandbox"
	"github.com/drpilot/drpilot/team"
)

// startMoto starts a moto_server for one test, or skips saying why.
func startMoto(t *testing.T) string {
	return moto.Start(t, "drpilot's team flow and s3:// copies are not checked against an independent emulator")
}

// s3Backend is an AWS-compatible endpoint the s3:// commands are run
// against, and a client on it that plays the run's uploader.
type s3Backend struct {
	name, endpoint string
	s3             *s3.Client
	store          *team.Store
}

func newS3Backend(t *testing.T, name, endpoint, bucket string) s3Backend {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion("us-west-2"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKIDAUDIT", "audit-secret", "")),
		config.WithSharedConfigFiles([]string{}), config.WithSharedCredentialsFiles([]string{}),
		config.WithBaseEndpoint(endpoint), config.WithRetryMaxAttempts(1))
	if err != nil {
		t.Fatal(err)
	}
	cfg.HTTPClient = plainBodies{cfg.HTTPClient}
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	tc := team.Config{Region: "us-west-2", LockTable: "runs-" + bucket, AuditBucket: bucket, Retention: 24 * time.Hour}
	return s3Backend{name: name, endpoint: endpoint, s3: s3c, store: team.New(tc, dynamodb.NewFromConfig(cfg), s3c)}
}

// plainBodies hides a request body's WriteTo, as the client factory does.
type plainBodies struct{ inner aws.HTTPClient }

func (c plainBodies) Do(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = struct{ io.ReadCloser }{r.Body}
	}
	return c.inner.Do(r)
}

// must fails the test on err, except that on the sandbox an S3 operation
// it does not serve yet skips the test, naming the operation: the
// sandbox's S3 (Object Lock, ListObjectsV2, GetObject) is being completed
// on another branch.
func (b s3Backend) must(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var op *smithy.OperationError
	var api smithy.APIError
	if b.name == "sandbox" && errors.As(err, &op) && errors.As(err, &api) &&
		(api.ErrorCode() == "MethodNotAllowed" || api.ErrorCode() == "NotImplemented" || strings.Contains(err.Error(), "no S3 operation")) {
		t.Skipf("the sandbox does not serve S3 %s yet (%s: %v): the s3:// copy is checked against moto_server only", op.OperationName, what, err)
	}
	t.Fatalf("%s: %v", what, err)
}

// TestAuditS3Copy: verify and export read a team run's copy in its audit
// bucket, name the s3:// address, leave no temporary directory behind,
// and say what to do when the copy cannot be read. Not parallel: it sets
// the AWS environment the commands read.
func TestAuditS3Copy(t *testing.T) {
	t.Run("moto", func(t *testing.T) {
		testAuditS3Copy(t, newS3Backend(t, "moto", startMoto(t), "audit-moto"))
	})
	t.Run("sandbox", func(t *testing.T) {
		srv := httptest.NewServer(sandbox.New(sandbox.Options{TimeScale: 1000}))
		t.Cleanup(srv.Close)
		testAuditS3Copy(t, newS3Backend(t, "sandbox", srv.URL, "audit-sandbox"))
	})
}

func testAuditS3Copy(t *testing.T, b s3Backend) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	_, err := b.store.Init(ctx)
	b.must(t, "team init", err)
	r := newApprovedRun(t)
	prefix := team.LogPrefix("store-region-failover", "run-team")
	u, err := b.store.NewUploader(ctx, r.dir, prefix)
	b.must(t, "the uploader", err)
	b.must(t, "the upload", u.Sync(ctx))
	_, err = b.store.Download(ctx, prefix, filepath.Join(t.TempDir(), "probe"))
	b.must(t, "a download", err)
	tmp := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL": b.endpoint, "AWS_ACCESS_KEY_ID": "AKIDAUDIT", "AWS_SECRET_ACCESS_KEY": "audit-secret",
		"AWS_SESSION_TOKEN": "", "AWS_PROFILE": "", "AWS_REGION": "", "AWS_DEFAULT_REGION": "",
		"AWS_CONFIG_FILE": filepath.Join(tmp, "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(tmp, "none"),
		"TMPDIR": tmp,
	} {
		t.Setenv(k, v)
	}
	url := "s3://" + b.store.Config().AuditBucket + "/" + prefix
	checkS3Reads(t, r, url, tmp)
	checkS3Errors(ctx, t, b, r, url)
	checkUnreadablePart(t, b, r, url)
	if left, _ := filepath.Glob(filepath.Join(tmp, "drpilot-audit-*")); len(left) > 0 {
		t.Errorf("temporary directories left behind: %v", left)
	}
}

// checkS3Reads: verify and export of a good copy name its address.
func checkS3Reads(t *testing.T, r approvedRun, url, tmp string) {
	code, out, errOut := drpilot(t, "audit", "verify", url, "--pub", r.pub, "--region", "us-west-2")
	if code != exitOK || !strings.HasPrefix(out, "VALID") || !strings.Contains(out, url+": run run-team · 4 lines") ||
		!strings.Contains(out, "approvals: promote-replica: alice ("+r.fpAlice+") approve, bob ("+r.fpBob+") approve") || strings.Contains(out, tmp) {
		t.Fatalf("verify %s: exit %d\n%s%s", url, code, out, errOut)
	}
	t.Setenv("AWS_REGION", "us-west-2")
	defer t.Setenv("AWS_REGION", "")
	code, out, errOut = drpilot(t, "audit", "verify", "--json", strings.TrimSuffix(url, "/"), "--pub", r.pub)
	if code != exitOK || !strings.Contains(out, `"approver": "bob"`) {
		t.Fatalf("verify --json without the trailing slash: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = drpilot(t, "audit", "export", url, "--pub", r.pub, "--format", "json")
	var rec struct{ Run, Verdict string }
	if code != exitOK || json.Unmarshal([]byte(out), &rec) != nil || rec.Run != "run-team" || rec.Verdict != "VALID" {
		t.Fatalf("export: exit %d\n%s%s", code, out, errOut)
	}
	code, _, errOut = drpilot(t, "audit", "export", url, "--format", "md")
	if code != exitFailed || !strings.Contains(errOut, "the log in "+url+" is UNTRUSTED KEY") {
		t.Fatalf("export without --pub: exit %d\n%s", code, errOut)
	}
}

// checkS3Errors: what cannot be read exits 2 and says what to do.
func checkS3Errors(ctx context.Context, t *testing.T, b s3Backend, r approvedRun, url string) {
	bucket := b.store.Config().AuditBucket
	// A gap between two parts: the copy is not the log.
	gap := "drpilot/store-region-failover/run-gap/"
	lines := bytes.SplitAfter(readFile(t, filepath.Join(r.dir, "events.jsonl")), []byte("\n"))
	putPart(ctx, t, b, gap+"events/000000-000000.jsonl", lines[0])
	putPart(ctx, t, b, gap+"events/000002-000002.jsonl", lines[2])
	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{"audit", "verify", url}, "no Region for the audit bucket " + bucket + ": give --region"},
		{[]string{"audit", "verify", "s3://no-such-bucket-" + b.name + "/drpilot/a/b/", "--region", "us-west-2"}, "the bucket no-such-bucket-" + b.name + " does not exist (in us-west-2): check the address"},
		{[]string{"audit", "verify", "s3://" + bucket + "/drpilot/store-region-failover/no-run/", "--region", "us-west-2"}, "holds no drpilot run (no events parts under it): check the runbook id and run id"},
		{[]string{"audit", "export", "s3://" + bucket + "/" + gap, "--region", "us-west-2"}, "the copy's parts are not contiguous: no part holds line 1 (the next is events/000002-000002.jsonl): a part is missing"},
		{[]string{"audit", "verify", "s3://" + bucket, "--region", "us-west-2"}, "is not an s3://BUCKET/PREFIX/ address"},
	} {
		code, out, errOut := drpilot(t, bad.args...)
		if code != exitBadInput || !strings.Contains(errOut, bad.want) {
			t.Errorf("%v: exit %d, want 2 saying %q\n%s%s", bad.args, code, bad.want, out, errOut)
		}
	}
}

// checkUnreadablePart: a proxy in front of the endpoint denies GetObject
// on the events parts and lets everything else through; the part that
// cannot be read is named.
func checkUnreadablePart(t *testing.T, b s3Backend, r approvedRun, url string) {
	target, _ := neturl.Parse(b.endpoint)
	proxy := httputil.NewSingleHostReverseProxy(target)
	deny := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/events/") {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	defer deny.Close()
	t.Setenv("AWS_ENDPOINT_URL", deny.URL)
	defer t.Setenv("AWS_ENDPOINT_URL", b.endpoint)
	code, out, errOut := drpilot(t, "audit", "verify", url, "--pub", r.pub, "--region", "us-west-2")
	want := url + ": a part of the copy cannot be read: audit bucket " + b.store.Config().AuditBucket + ": GetObject drpilot/store-region-failover/run-team/events/000000-000003.jsonl"
	if code != exitBadInput || !strings.Contains(errOut, want) || !strings.Contains(errOut, "check s3:GetObject") {
		t.Errorf("an unreadable part: exit %d\n%s%s\nwant %q", code, out, errOut, want)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// putPart writes an object as the uploader would, under Object Lock.
func putPart(ctx context.Context, t *testing.T, b s3Backend, key string, data []byte) {
	t.Helper()
	_, err := b.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b.store.Config().AuditBucket), Key: aws.String(key),
		Body: bytes.NewReader(data), ContentLength: aws.Int64(int64(len(data))),
		ObjectLockMode: s3types.ObjectLockModeCompliance, ObjectLockRetainUntilDate: aws.Time(time.Now().Add(time.Hour)),
		ChecksumAlgorithm: s3types.ChecksumAlgorithmSha256})
	b.must(t, "PutObject "+key, err)
}
