package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"

	"github.com/spf13/cobra"

	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/steps"
)

type readyOptions struct {
	json, publish, sandbox bool
	scenario, profile      string
	stdout, stderr         io.Writer
}

func newReadyCommand() *cobra.Command {
	opts := readyOptions{}
	cmd := &cobra.Command{
		Use:   "ready FILE...",
		Short: "Check now, read-only, that runbooks could run",
		Long: `ready evaluates now, read-only, what can be known of each runbook before a
run: every precondition that reads no earlier step's output (within tests say
how fresh backups and replicas are against the RPO), who the caller is and that
the account is the runbook's, the team's lock table and audit bucket when the
runbook has [runbook.team], and that the caller may do what 'drpilot policy'
lists (IAM's policy simulator, iam:SimulatePrincipalPolicy: not checked where
it is not served or not allowed). Its clients are dry-run clients: nothing it
sends can change anything. It prints a board per runbook, worst first.

--publish puts the metrics ReadinessHeld and ReadinessTotal (namespace drpilot,
dimension Runbook) in the recovery Region, so that an alarm catches drift; that
one call is a write. --sandbox checks against the runbook's sandbox scenario.
Schedules and an alarm: docs/ready.md.

Exit code 0 when everything that must hold holds, 1 otherwise, 2 on bad input.`,
		Example: `  drpilot ready runbooks/*.toml
  drpilot ready --sandbox runbooks/ecommerce-pilot-light.toml
  drpilot ready --json --publish --profile dr runbooks/store-region-failover.toml`,
		Args: argsAtLeast(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.stdout, opts.stderr = cmd.OutOrStdout(), cmd.ErrOrStderr()
			return runReady(cmd.Context(), opts, args)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&opts.json, "json", false, "print the checks as JSON")
	f.BoolVar(&opts.publish, "publish", false, "put the readiness metrics in CloudWatch")
	f.BoolVar(&opts.sandbox, "sandbox", false, "check against the runbook's sandbox scenario")
	f.StringVar(&opts.scenario, "scenario", "", "the sandbox scenario (with --sandbox)")
	f.StringVar(&opts.profile, "profile", "", "the AWS profile (default $AWS_PROFILE)")
	return cmd
}

// Statuses of a readiness check, worst first.
const (
	readyFailed  = "failed"  // checked, and does not hold
	readyUnknown = "unknown" // could not be checked: a read failed
	readyLater   = "later"   // known only during the run
	// readyAfterChanges does not hold now, before an earlier step's
	// change that may make it hold: shown, not counted.
	readyAfterChanges = "after-changes"
	readyNotChecked   = "not-checked" // nothing can check it without trying it
	readyOK           = "ok"
)

// readyCheck is one line of the board.
type readyCheck struct {
	Status string `json:"status"`
	// Check says what was checked, Detail what was found.
	Check  string `json:"check"`
	Detail string `json:"detail"`
	Step   string `json:"step,omitempty"`
	Call   string `json:"call,omitempty"`
	Region string `json:"region,omitempty"`
}

// readyReport is one runbook's board.
type readyReport struct {
	File    string       `json:"file"`
	Runbook string       `json:"runbook"`
	Ready   bool         `json:"ready"`
	Held    int          `json:"held"`
	Total   int          `json:"total"`
	Checks  []readyCheck `json:"checks"`
	// Published is set when --publish put the metrics.
	Published bool `json:"published,omitempty"`
}

// mustHold reports whether a check counts: what is known only during the
// run, or not checked at all, neither holds nor fails now.
func mustHold(c readyCheck) bool {
	return c.Status != readyLater && c.Status != readyNotChecked && c.Status != readyAfterChanges
}

func rankReady(status string) int {
	return slices.Index([]string{readyFailed, readyUnknown, readyAfterChanges, readyLater, readyNotChecked, readyOK}, status)
}

// finish sorts the board, worst first, and counts it.
func (r *readyReport) finish() {
	slices.SortStableFunc(r.Checks, func(a, b readyCheck) int { return rankReady(a.Status) - rankReady(b.Status) })
	r.Held, r.Total = 0, 0
	for _, c := range r.Checks {
		if mustHold(c) {
			r.Total++
			if c.Status == readyOK {
				r.Held++
			}
		}
	}
	r.Ready = r.Held == r.Total
}

func runReady(ctx context.Context, opts readyOptions, files []string) error {
	if opts.scenario != "" && !opts.sandbox {
		return badInput("--scenario goes with --sandbox")
	}
	if opts.scenario != "" && len(files) > 1 {
		return badInput("--scenario is one runbook's scenario: give one FILE")
	}
	// Every file is checked before anything is sent: bad input stops the
	// whole command, as check does, rather than half a board.
	type loaded struct {
		rb   *runbooks.Runbook
		plan *runbooks.RunPlan
	}
	var all []loaded
	for _, f := range files {
		cat := steps.Default()
		rb, diags := runbooks.Check(f, cat)
		var plan *runbooks.RunPlan
		if rb != nil && !diags.HasErrors() {
			plan, diags = runbooks.Plan(rb, cat)
		}
		if plan == nil {
			printDiagnostics(opts.stderr, diags)
			return silentExit(exitBadInput)
		}
		all = append(all, loaded{rb, plan})
	}
	var reports []readyReport
	for i, l := range all {
		rep, err := readyRunbook(ctx, opts, files[i], l.rb, l.plan)
		if err != nil {
			return err
		}
		reports = append(reports, rep)
	}
	if opts.json {
		enc := json.NewEncoder(opts.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(reports); err != nil {
			return err
		}
	} else {
		printReady(opts.stdout, reports)
	}
	for _, r := range reports {
		if !r.Ready {
			return silentExit(exitFailed)
		}
	}
	return nil
}

// printReady prints the boards, as the start screen shows its own.
func printReady(w io.Writer, reports []readyReport) {
	marks := map[string]string{readyFailed: "✗", readyUnknown: "?", readyLater: "…", readyAfterChanges: "~", readyNotChecked: "-", readyOK: "✓"}
	for i, r := range reports {
		if i > 0 {
			fmt.Fprintln(w)
		}
		verdict := "READY"
		if !r.Ready {
			verdict = "NOT READY"
		}
		fmt.Fprintf(w, "%s (%s): %s, %d of %d hold\n", r.Runbook, r.File, verdict, r.Held, r.Total)
		for _, c := range r.Checks {
			where := c.Check
			if c.Step != "" {
				where = c.Step + " " + c.Call
			}
			fmt.Fprintf(w, "  %s %s: %s\n", marks[c.Status], where, c.Detail)
		}
		if r.Published {
			fmt.Fprintln(w, "  published drpilot ReadinessHeld and ReadinessTotal, Runbook="+r.Runbook)
		}
	}
}
