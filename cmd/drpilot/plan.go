package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/steps"
	"github.com/spf13/cobra"
)

type planOptions struct {
	json           bool
	vars           []string
	stdout, stderr io.Writer
}

func newPlanCommand() *cobra.Command {
	opts := planOptions{}
	cmd := &cobra.Command{
		Use:   "plan FILE",
		Short: "Show what a runbook would do, calling no AWS",
		Long: `plan validates a runbook and prints what it will do: the phases in order; for
each step its gate, the AWS calls it will make in which Region with the
parameters known before the run, its preconditions and expected duration; the
levels of steps that may run in parallel; and the RTO budget (the critical path
by expected durations against the runbook's rto).

--var overrides a runbook var as run --var does, so that the plan shows
what that run would send. plan makes no AWS call. Exit code 0, or 2 when the
runbook is not valid or a --var does not fit it.`,
		Example: `  drpilot plan runbooks/store-region-failover.toml
  drpilot plan --json runbooks/store-region-failover.toml | jq .budget
  drpilot plan failover.toml --var db_replica=replica-2`,
		Args: argsExactly(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.stdout, opts.stderr = cmd.OutOrStdout(), cmd.ErrOrStderr()
			return runPlan(cmd.Context(), opts, args)
		},
	}
	cmd.Flags().BoolVar(&opts.json, "json", false, "print the plan as JSON")
	cmd.Flags().StringArrayVar(&opts.vars, "var", nil, "override a runbook var, as NAME=VALUE (repeatable)")
	return cmd
}

func runPlan(_ context.Context, opts planOptions, args []string) error {
	cat := steps.Default()
	rb, diags := runbooks.Check(args[0], cat)
	var plan *runbooks.RunPlan
	if rb != nil && !diags.HasErrors() {
		// The same override as run's, so that the plan is that run's.
		if err := overrideVars(rb, opts.vars); err != nil {
			return err
		}
		plan, diags = runbooks.Plan(rb, cat)
	}
	if plan == nil {
		if opts.json {
			// Scripts read stdout: the same shape check --json prints.
			enc := json.NewEncoder(opts.stdout)
			enc.SetIndent("", "  ")
			if err := enc.Encode([]checkResult{{File: args[0], Valid: false, Diagnostics: diags}}); err != nil {
				return err
			}
		}
		printDiagnostics(opts.stderr, diags)
		return silentExit(exitBadInput)
	}
	if opts.json {
		enc := json.NewEncoder(opts.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(plan)
	}
	return plan.WriteText(opts.stdout)
}

func printDiagnostics(w io.Writer, diags runbooks.Diagnostics) {
	for _, d := range diags {
		fmt.Fprintln(w, d.String())
	}
	if n := len(diags.Errors()); n > 0 {
		fmt.Fprintf(w, "%s: fix them and run again; drpilot check FILE lists them all\n", plural(n, "error"))
	}
}
