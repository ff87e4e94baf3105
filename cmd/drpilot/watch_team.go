package main

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/steps/awsclient"
	"github.com/drpilot/drpilot/team"
)

// teamConfigOf is a runbook's [runbook.team], its Region resolved, and
// whether it has one.
func teamConfigOf(plan *runbooks.RunPlan) (team.Config, bool) {
	if plan == nil {
		return team.Config{}, false
	}
	return teamConfig(plan)
}

// mayWaitForApprovals reports whether a waiting step may wait at a gate
// for approvals, which the watch then reads from the lock table: a step
// with approvals > 1, or one the plan does not list (the watch's tests
// give none).
func mayWaitForApprovals(plan *runbooks.RunPlan, step string) bool {
	if plan == nil {
		return true
	}
	ps := plan.Step(step)
	return ps == nil || ps.Approvals > 1
}

// openWatchStore is a Store on the standard AWS configuration (profile,
// credentials, AWS_ENDPOINT_URL) for a team's Region, or for an audit
// bucket alone: a watcher reads the lock table and the bucket with their
// own credentials, through the same client factory as a run's calls.
func openWatchStore(ctx context.Context, profile string, cfg team.Config) (*team.Store, error) {
	options := []func(*config.LoadOptions) error{config.WithRegion(cfg.Region)}
	if profile != "" {
		options = append(options, config.WithSharedConfigProfile(profile))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, options...)
	if err != nil {
		return nil, badInput("AWS configuration: %v", err)
	}
	clients, err := awsclient.NewFactory(awsclient.Options{Config: awsCfg})
	if err != nil {
		return nil, err
	}
	return team.Open(clients, cfg)
}

// defaultRegion is the Region of the standard AWS configuration, for an
// s3:// copy watched without its runbook's [runbook.team].
func defaultRegion(ctx context.Context, profile string) string {
	var options []func(*config.LoadOptions) error
	if profile != "" {
		options = append(options, config.WithSharedConfigProfile(profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, options...)
	if err != nil {
		return ""
	}
	return cfg.Region
}
