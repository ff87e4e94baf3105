package main

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"

	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/team"
)

// auditBucket is where history looks for copies of runs: a bucket, the
// prefix under it, its Region ("" for the AWS configuration's), and why
// it is read (a runbook's [runbook.team], or --bucket).
type auditBucket struct {
	bucket, prefix, region, why string
}

func (b auditBucket) url() string { return "s3://" + b.bucket + "/" + b.prefix }

// historyBuckets are the buckets the runbook files given name in
// [runbook.team] — each for its runbook's runs alone — and those of
// --bucket. A file that cannot be read, or a bad address, is bad input.
func historyBuckets(files, urls []string, stderr io.Writer) ([]auditBucket, []string, error) {
	var out []auditBucket
	var ids []string
	for _, file := range files {
		rb, plan, err := loadAndPlan(file, stderr, func(*runbooks.Runbook) error { return nil })
		if err != nil {
			return nil, nil, err
		}
		ids = append(ids, rb.ID)
		if cfg, ok := teamConfig(plan); ok && cfg.AuditBucket != "" {
			out = append(out, auditBucket{bucket: cfg.AuditBucket, prefix: "drpilot/" + rb.ID + "/", region: cfg.Region,
				why: file + "'s [runbook.team]"})
		}
	}
	for _, u := range urls {
		bucket, prefix, err := team.ParseBucketURL(u)
		if err != nil {
			return nil, nil, badInput("--bucket: %v", err)
		}
		out = append(out, auditBucket{bucket: bucket, prefix: prefix, why: "--bucket"})
	}
	return out, ids, nil
}

// bucketRuns downloads the copies under each bucket into tmp and reads
// them as history reads a run directory. A bucket that cannot be read is
// a warning: the runs of this machine are listed all the same.
func bucketRuns(ctx context.Context, buckets []auditBucket, f s3Flags, tmp string, trusted ed25519.PublicKey, warn func(string)) []*pastRun {
	var runs []*pastRun
	for _, b := range buckets {
		flags := f
		if b.region != "" {
			flags.region = b.region
		}
		store, err := openAuditBucket(ctx, b.bucket, flags)
		if err != nil {
			warn(fmt.Sprintf("cannot read the audit bucket %s (%s): %v", b.url(), b.why, err))
			continue
		}
		prefixes, err := store.RunPrefixes(ctx, b.prefix)
		if err != nil {
			why := awsUnreachable(err, store.Config().Region)
			if why == "" { // AWS answered: a missing bucket, a refusal, a wrong Region
				why = downloadError(b.url(), b.bucket, store.Config().Region, err).Error()
			}
			warn(fmt.Sprintf("cannot read the audit bucket %s (%s): %s; listing the runs here only", b.url(), b.why, why))
			continue
		}
		dirs := map[string]string{} // local copy → its s3:// address
		for _, prefix := range prefixes {
			dir := filepath.Join(tmp, fmt.Sprintf("%d", len(dirs)), path.Base(prefix))
			url := "s3://" + b.bucket + "/" + prefix
			if _, err := store.Download(ctx, prefix, dir); err != nil {
				warn(fmt.Sprintf("skipping %s: %v", url, downloadError(url, b.bucket, store.Config().Region, err)))
				continue
			}
			dirs[dir] = url
		}
		for _, r := range loadDirs(slices.Sorted(maps.Keys(dirs)), trusted, warn) {
			r.Copy, r.Dir = dirs[r.Dir], ""
			runs = append(runs, r)
		}
	}
	return runs
}

// mergeRuns lists each run once: a run found here and in a bucket is
// this machine's directory (the copy lags it, if anything) with the
// copy's address, newest first.
func mergeRuns(local, copies []*pastRun) []*pastRun {
	byID := map[string]*pastRun{}
	for _, r := range local {
		byID[r.Rec.Run] = r
	}
	out := slices.Clone(local)
	for _, c := range copies {
		if r, ok := byID[c.Rec.Run]; ok {
			if r.Copy == "" {
				r.Copy = c.Copy
			}
			continue
		}
		byID[c.Rec.Run] = c
		out = append(out, c)
	}
	slices.SortStableFunc(out, func(a, b *pastRun) int { return b.Rec.Started.Compare(a.Rec.Started) })
	return out
}

// historyTemp is a directory for the copies read, removed when history ends.
func historyTemp() (string, func(), error) {
	tmp, err := os.MkdirTemp("", "drpilot-history-*")
	if err != nil {
		return "", nil, err
	}
	return tmp, func() { os.RemoveAll(tmp) }, nil
}
