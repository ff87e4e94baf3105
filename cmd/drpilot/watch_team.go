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
func teamConfigOf(rb *runbooks.Runbook) (team.Config, bool) {
	// filled in when runbooks.Runbook.Team lands
	_ = rb
	return team.Config{}, false
}

// mayWaitForApprovals reports whether a waiting step may wait at a gate
// for approvals, which the watch then reads from the lock table.
func mayWaitForApprovals(rb *runbooks.Runbook, step string) bool {
	// Every step until the runbook's steps carry Approvals (another
	// branch); then those with approvals > 1, and any step the runbook
	// does not list (the watch's tests give a runbook without steps).
	_, _ = rb, step
	return true
}

// openTeamStore is a Store on the standard AWS configuration (profile,
// credentials, AWS_ENDPOINT_URL) for the team's Region: a watcher reads
// the lock table and the audit bucket with their own credentials, through
// the same client factory as a run's calls.
func openTeamStore(ctx context.Context, profile string, cfg team.Config) (*team.Store, error) {
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
