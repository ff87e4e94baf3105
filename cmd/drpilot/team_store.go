package main

import (
	"context"
	"errors"
	"strings"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/steps"
	"github.com/drpilot/drpilot/steps/awsclient"
	"github.com/drpilot/drpilot/team"
)

// openStore is the one way the commands other than run reach a team's
// lock table and audit bucket: the standard AWS configuration (the
// profile, else $AWS_PROFILE; credentials as the AWS CLI finds them;
// AWS_ENDPOINT_URL, with which S3 is addressed path-style), in the
// team's Region, through the client factory every AWS call goes through.
// attempts is the SDK's tries per call; 0 is the factory's default.
func openStore(ctx context.Context, profile string, cfg team.Config, attempts int) (*team.Store, error) {
	options := []func(*config.LoadOptions) error{}
	if profile != "" {
		options = append(options, config.WithSharedConfigProfile(profile))
	}
	if cfg.Region != "" {
		options = append(options, config.WithRegion(cfg.Region))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, options...)
	var missing config.SharedConfigProfileNotExistError
	switch {
	case errors.As(err, &missing):
		return nil, badInput("AWS profile %q is in none of the files read: %s; check its name with 'aws configure list-profiles'",
			missing.Profile, strings.Join(sharedConfigFiles(), ", "))
	case err != nil:
		return nil, badInput("AWS configuration: %v", err)
	}
	factory, err := awsclient.NewFactory(awsclient.Options{Config: awsCfg, ReadOnly: steps.ReadOnly, MaxAttempts: attempts})
	if err != nil {
		return nil, err
	}
	return team.Open(factory, cfg)
}

// openTeamStore opens the lock table and bucket of a runbook's
// [runbook.team].
func openTeamStore(ctx context.Context, rb *runbooks.Runbook, plan *runbooks.RunPlan, profile, command string) (*team.Store, error) {
	cfg, ok := teamConfig(plan)
	if !ok {
		return nil, badInput("%s: runbook %s has no [runbook.team]: %s works through the team's lock table (docs/team.md)", rb.File, rb.ID, command)
	}
	return openStore(ctx, profile, cfg, 0)
}

// defaultRegion is the Region of the standard AWS configuration, for an
// s3:// copy read without its runbook's [runbook.team].
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
