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

type checkOptions struct {
	json   bool
	stdout io.Writer
}

func newCheckCommand() *cobra.Command {
	opts := checkOptions{}
	cmd := &cobra.Command{
		Use:   "check FILE...",
		Short: "Validate runbooks: every error and warning",
		Long: `check loads and validates each runbook against the format (docs/runbook-format.md)
and the action catalogue (docs/actions.md). It prints every problem it finds as
file:line:col: path: message (hint), errors and warnings alike.

Exit code 0 when every file is valid (warnings do not fail), 2 otherwise.`,
		Example: `  drpilot check runbooks/*.toml
  drpilot check --json runbooks/store-region-failover.toml`,
		Args: argsAtLeast(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.stdout = cmd.OutOrStdout()
			return runCheck(cmd.Context(), opts, args)
		},
	}
	cmd.Flags().BoolVar(&opts.json, "json", false, "print the result as JSON")
	return cmd
}

// checkResult is one file's result in check --json.
type checkResult struct {
	File        string               `json:"file"`
	Valid       bool                 `json:"valid"`
	Diagnostics runbooks.Diagnostics `json:"diagnostics"`
}

func runCheck(_ context.Context, opts checkOptions, files []string) error {
	cat := steps.Default()
	results := make([]checkResult, 0, len(files))
	valid := true
	for _, f := range files {
		_, diags := runbooks.Check(f, cat)
		if diags == nil {
			diags = runbooks.Diagnostics{}
		}
		ok := !diags.HasErrors()
		valid = valid && ok
		results = append(results, checkResult{File: f, Valid: ok, Diagnostics: diags})
	}
	if opts.json {
		enc := json.NewEncoder(opts.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(results); err != nil {
			return err
		}
	} else {
		printCheck(opts.stdout, results)
	}
	if !valid {
		return silentExit(exitBadInput)
	}
	return nil
}

func printCheck(w io.Writer, results []checkResult) {
	for _, r := range results {
		for _, d := range r.Diagnostics {
			fmt.Fprintln(w, d.String())
		}
		errs, warns := len(r.Diagnostics.Errors()), len(r.Diagnostics.Warnings())
		switch {
		case errs > 0:
			fmt.Fprintf(w, "%s: INVALID: %s, %s\n", r.File, plural(errs, "error"), plural(warns, "warning"))
		default:
			fmt.Fprintf(w, "%s: ok (%s)\n", r.File, plural(warns, "warning"))
		}
	}
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
