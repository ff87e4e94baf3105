package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/drpilot/drpilot/audit"
	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/team"
)

// resumeFrom returns the run directory resume continues: the one given,
// or, for the s3:// address of a run's copy in the team's audit bucket
// (another machine's run, whose laptop is gone), a new directory the copy
// is downloaded into: --audit-dir, else the runs directory's RUN_ID.
// The runbook comes from --runbook, since the path the run started with
// was on the other machine; the bucket's Region is the runbook's team
// Region.
func resumeFrom(ctx context.Context, opts runOptions, location string) (string, error) {
	if !team.IsURL(location) {
		return location, nil
	}
	bucket, prefix, err := team.ParseURL(location)
	if err != nil {
		return "", badInput("%v", err)
	}
	if opts.runbook == "" {
		return "", badInput("resuming from %s needs the runbook: give --runbook FILE (your copy of it, unchanged since the run began)", location)
	}
	_, plan, err := loadAndPlan(opts.runbook, opts.stderr, func(*runbooks.Runbook) error { return nil })
	if err != nil {
		return "", err
	}
	cfg, ok := teamConfig(plan)
	if !ok {
		return "", badInput("%s has no [runbook.team]: its runs are not copied to an audit bucket", opts.runbook)
	}
	dir := opts.auditDir
	if dir == "" {
		runs, err := defaultRunsDir()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(runs, filepath.Base(strings.TrimSuffix(prefix, "/")))
	}
	if _, err := os.Stat(filepath.Join(dir, audit.EventsFile)); err == nil {
		return "", badInput("%s holds a run's log already: resume it (drpilot resume %s), or give another --audit-dir for the copy of %s", dir, dir, location)
	}
	store, err := openAuditBucket(ctx, bucket, s3Flags{profile: opts.profile, region: cfg.Region})
	if err != nil {
		return "", err
	}
	lines, err := store.Download(ctx, prefix, dir)
	if err != nil {
		os.RemoveAll(dir)
		return "", downloadError(location, bucket, cfg.Region, err)
	}
	fmt.Fprintf(opts.stderr, "drpilot: the %d lines of the run's log copied to %s are in %s\n", lines, location, dir)
	return dir, nil
}
