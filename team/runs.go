package team

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// ParseBucketURL splits s3://BUCKET[/PREFIX] into the bucket and a prefix
// that ends with a slash; without one, the prefix is "drpilot/", under
// which every run's copy is kept (LogPrefix).
func ParseBucketURL(url string) (bucket, prefix string, err error) {
	rest, ok := strings.CutPrefix(url, "s3://")
	bucket, prefix, _ = strings.Cut(rest, "/")
	if !ok || bucket == "" || strings.ContainsAny(bucket, " \t") {
		return "", "", fmt.Errorf("%q is not an s3://BUCKET[/PREFIX] address of an audit bucket (e.g. s3://acme-dr-audit, or s3://acme-dr-audit/drpilot/RUNBOOK_ID/)", url)
	}
	if prefix = strings.Trim(prefix, "/"); prefix == "" {
		return bucket, "drpilot/", nil
	}
	return bucket, prefix + "/", nil
}

// RunPrefixes lists the copies of runs under prefix: the key prefix
// (…/RUN_ID/) of each that holds an events part, sorted. A run's copy is
// found whatever prefix it was listed under: the bucket's, a runbook's
// (drpilot/RUNBOOK_ID/) or the run's own.
func (s *Store) RunPrefixes(ctx context.Context, prefix string) ([]string, error) {
	names, err := s.list(ctx, prefix)
	if err != nil {
		return nil, err
	}
	var runs []string
	for _, name := range names {
		i := strings.LastIndex(name, partsDir)
		if i < 0 || (i > 0 && name[i-1] != '/') || strings.Contains(name[i+len(partsDir):], "/") || !strings.HasSuffix(name, ".jsonl") {
			continue
		}
		if run := prefix + name[:i]; !slices.Contains(runs, run) {
			runs = append(runs, run)
		}
	}
	slices.Sort(runs)
	return runs, nil
}
