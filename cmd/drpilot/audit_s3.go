package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/smithy-go"
	"github.com/spf13/cobra"

	"github.com/drpilot/drpilot/team"
)

// s3Flags are the AWS options of the audit commands, for a run's copy in
// an audit bucket.
type s3Flags struct {
	profile, region string
}

func (f *s3Flags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.profile, "profile", "", profileUsage+"; for an s3:// copy")
	cmd.Flags().StringVar(&f.region, "region", "", "the audit bucket's Region, for an s3:// copy (default: the AWS configuration's)")
}

// s3ReadAttempts is how many times a read of the copy is tried: a
// reviewer at a terminal is better served by a quick, clear failure than
// by the run's patient retries.
const s3ReadAttempts = 3

// localRun returns a run directory for location: location itself, or,
// for an s3:// address, a temporary directory the copy is downloaded
// into, which cleanup removes. Verify and export then check the copy
// exactly as they check a directory: the parts put end to end are
// events.jsonl byte for byte, so nothing is verified differently.
func localRun(ctx context.Context, location string, f s3Flags) (dir string, cleanup func(), err error) {
	if !team.IsURL(location) {
		return location, func() {}, nil
	}
	bucket, prefix, err := team.ParseURL(location)
	if err != nil {
		return "", nil, badInput("%v", err)
	}
	store, err := openAuditBucket(ctx, bucket, f)
	if err != nil {
		return "", nil, err
	}
	tmp, err := os.MkdirTemp("", "drpilot-audit-*")
	if err != nil {
		return "", nil, err
	}
	cleanup = func() { os.RemoveAll(tmp) }
	dir = filepath.Join(tmp, "run")
	if _, err := store.Download(ctx, prefix, dir); err != nil {
		cleanup()
		return "", nil, downloadError(location, bucket, store.Config().Region, err)
	}
	return dir, cleanup, nil
}

// openAuditBucket returns a team Store for the bucket alone, on the
// standard AWS configuration: --profile (else $AWS_PROFILE), credentials
// as the AWS CLI finds them, and AWS_ENDPOINT_URL, with which the client
// factory addresses S3 path-style.
func openAuditBucket(ctx context.Context, bucket string, f s3Flags) (*team.Store, error) {
	region := f.region
	if region == "" {
		region = defaultRegion(ctx, f.profile)
	}
	if region == "" {
		return nil, badInput("no Region for the audit bucket %s: give --region (the bucket's Region, the team Region of the runbook's [runbook.team]), or set AWS_REGION", bucket)
	}
	return openStore(ctx, f.profile, team.Config{AuditBucket: bucket, Region: region}, s3ReadAttempts)
}

// downloadError says what went wrong with a copy, and what to do, for
// each way a download fails.
func downloadError(location, bucket, region string, err error) error {
	var api smithy.APIError
	code := ""
	if errors.As(err, &api) {
		code = api.ErrorCode()
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "GetObject"):
		// Before the codes: a part that cannot be read is named, whatever
		// the reason.
		return badInput("%s: a part of the copy cannot be read: %v; check s3:GetObject on the bucket's drpilot/* objects (and, if they are encrypted with KMS, kms:Decrypt), and try again", location, err)
	case strings.Contains(msg, "retrieve credentials"):
		return badInput("%s: no AWS credentials to read the copy with: give --profile, or set AWS_PROFILE or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY: %v", location, err)
	case code == "NoSuchBucket":
		return badInput("%s: the bucket %s does not exist (in %s): check the address, and give the bucket's Region with --region", location, bucket, region)
	case code == "AccessDenied" || code == "Forbidden" || code == "InvalidAccessKeyId" || code == "SignatureDoesNotMatch":
		return badInput("%s: AWS refused to read the copy (%s): the reader needs s3:ListBucket on %s and s3:GetObject on its drpilot/* objects, with the credentials of --profile or the environment: %v", location, code, bucket, err)
	case code == "PermanentRedirect" || code == "AuthorizationHeaderMalformed":
		return badInput("%s: the bucket %s is not in %s: give its Region with --region: %v", location, bucket, region, err)
	case strings.Contains(msg, "holds no drpilot run"):
		return badInput("%s holds no drpilot run (no events parts under it): check the runbook id and run id, e.g. with: aws s3 ls s3://%s/drpilot/ --recursive | grep events/ | head", location, bucket)
	case strings.Contains(msg, "not contiguous"):
		return badInput("%v: a part is missing, so the copy is not the run's log; list the parts with: aws s3 ls %sevents/ — a run still being copied catches up within seconds, so try again; otherwise verify the run directory on the operator's machine", err, location)
	}
	return badInput("%s: cannot read the copy: %v", location, err)
}
