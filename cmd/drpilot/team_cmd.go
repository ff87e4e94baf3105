package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/drpilot/drpilot/policy"
	"github.com/drpilot/drpilot/runbooks"
)

func newTeamCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "team",
		Short: "Create a team's lock table and audit bucket",
		Long: `A runbook with [runbook.team] coordinates its engineers through AWS in the
team Region: a DynamoDB lock table (the run lock and the approvals) and an S3
bucket with Object Lock (a copy of every run's audit log). See docs/team.md.`,
	}
	cmd.AddCommand(newTeamInitCommand())
	return cmd
}

func newTeamInitCommand() *cobra.Command {
	var profile string
	cmd := &cobra.Command{
		Use:   "init FILE",
		Short: "Create the lock table and the audit bucket, and print the IAM policy they need",
		Long: `team init creates, in the runbook's team Region, the lock table (partition key
"pk", a string; on-demand; time to live on "ttl") and the audit bucket (with
Object Lock, hence versioning), and prints the IAM policy the engineers who run,
approve and watch need on them. A table or bucket that exists is checked, never
changed: a table with another key schema, or a bucket without Object Lock, is
an error that says what to do.

Exit codes: 0 ready, 2 bad input, a resource that cannot be used, or AWS
that cannot be reached (the message says where, and what to check).`,
		Example: `  drpilot team init runbooks/store-region-failover.toml`,
		Args:    argsExactly(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTeamInit(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), profile, args[0])
		},
	}
	cmd.Flags().StringVar(&profile, "profile", "", profileUsage)
	return cmd
}

func runTeamInit(ctx context.Context, stdout, stderr io.Writer, profile, file string) error {
	rb, plan, err := loadAndPlan(file, stderr, func(*runbooks.Runbook) error { return nil })
	if err != nil {
		return err
	}
	store, err := openTeamStore(ctx, rb, plan, profile, "team init")
	if err != nil {
		return err
	}
	report, err := store.Init(ctx)
	for _, line := range report {
		fmt.Fprintln(stdout, line)
	}
	if err != nil {
		if why := awsUnreachable(err, store.Config().Region); why != "" {
			// The store's errors begin with the resource: "lock table T
			// in R" or "audit bucket B".
			what, _, _ := strings.Cut(err.Error(), ": ")
			return badInput("team init %s: %s: %s (running team init again is safe: it creates what is missing and checks what exists)", file, what, why)
		}
		return badInput("%v", err)
	}
	doc, _ := json.MarshalIndent(policy.Team(plan).Policy, "", "  ")
	fmt.Fprintf(stdout, "\nThe engineers who run, approve and watch %s need this on them (drpilot policy %s includes it):\n%s\n", rb.ID, file, doc)
	return nil
}
