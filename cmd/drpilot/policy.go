package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/drpilot/drpilot/policy"
	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/steps"
	"github.com/spf13/cobra"
)

type policyOptions struct {
	mode           string
	json           bool
	stdout, stderr io.Writer
}

func newPolicyCommand() *cobra.Command {
	opts := policyOptions{}
	cmd := &cobra.Command{
		Use:   "policy FILE...",
		Short: "Print the least-privilege IAM policy to run",
		Long: `policy prints the IAM identity-based policy that lets the runbooks run, and
nothing more: every IAM action their steps may call — each action's own
operations, its waits and checks, aws.call's operation, every precondition,
the notifications its recipients' channels take — with resources scoped to
the ARNs known before the run where the API authorizes on them, and calls to
a Regional service conditioned on the Regions the plan sends them to
(aws:RequestedRegion). It reads the runbooks only: no AWS call.

--mode dry-run gives the read-only subset a tabletop rehearsal needs (a dry
run never sends a mutating call). --json prints the policy with, for each
permission, its resources, Regions and the steps it comes from.

Attach it to the role the on-call engineer assumes for the incident:
  drpilot policy runbooks/*.toml > drpilot-policy.json
  aws iam create-policy --policy-name drpilot-dr --policy-document file://drpilot-policy.json

Exit code 0, or 2 when a runbook is not valid.`,
		Example: `  drpilot policy runbooks/store-region-failover.toml
  drpilot policy --mode dry-run runbooks/*.toml
  drpilot policy --json runbooks/store-region-failover.toml | jq '.permissions[] | select(.mutating)'`,
		Args: argsAtLeast(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.stdout, opts.stderr = cmd.OutOrStdout(), cmd.ErrOrStderr()
			return runPolicy(cmd.Context(), opts, args)
		},
	}
	cmd.Flags().StringVar(&opts.mode, "mode", string(policy.ModeLive), "live (everything the runbooks send) or dry-run (only what they read)")
	cmd.Flags().BoolVar(&opts.json, "json", false, "print the policy with each permission's resources, Regions and steps")
	return cmd
}

func runPolicy(_ context.Context, opts policyOptions, args []string) error {
	mode := policy.Mode(opts.mode)
	if mode != policy.ModeLive && mode != policy.ModeDryRun {
		return badInput("--mode %q: give live or dry-run", opts.mode)
	}
	cat := steps.Default()
	var plans []*runbooks.RunPlan
	for _, file := range args {
		rb, diags := runbooks.Check(file, cat)
		var plan *runbooks.RunPlan
		if rb != nil && !diags.HasErrors() {
			plan, diags = runbooks.Plan(rb, cat)
		}
		if plan == nil {
			printDiagnostics(opts.stderr, diags)
			return silentExit(exitBadInput)
		}
		plans = append(plans, plan)
	}
	result := policy.For(plans, mode)
	enc := json.NewEncoder(opts.stdout)
	enc.SetIndent("", "  ")
	if opts.json {
		return enc.Encode(result)
	}
	if err := enc.Encode(result.Policy); err != nil {
		return fmt.Errorf("write the policy: %w", err)
	}
	return nil
}
