package main

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/drpilot/drpilot/audit"
	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/team"
)

type approveOptions struct {
	key, reason, profile string
	yes, deny            bool
	stdin                io.Reader
	stdout, stderr       io.Writer
}

func newApproveCommand() *cobra.Command {
	opts := approveOptions{}
	cmd := &cobra.Command{
		Use:   "approve FILE STEP",
		Short: "Approve or refuse a team run's step",
		Long: `approve answers a gate that needs the approval of several people (a step with
approvals = N in a runbook with [runbook.team]): it finds the run that holds the
runbook's lock, reads the gate the running executor published in the lock
table — exactly what the step will send, its preconditions and its doc — shows
it, asks you to type the step's id (--yes for scripts), and writes your signed
answer to the lock table, where the run picks it up within seconds.

Your signing key (--key, $DRPILOT_KEY, or the default path) must be one of the
team's keys (keys/NAME.pub next to the runbook) and, when the step names
approvers, one of them. --deny --reason TEXT refuses: the step does not run and
the run stops there, resumably. See docs/team.md.

Exit codes: 0 your answer is written, 2 bad input or nothing to approve.`,
		Example: `  drpilot approve runbooks/store-region-failover.toml promote-replica
  drpilot approve failover.toml switch-dns --deny --reason "the replica lags 40 minutes"`,
		Args: argsExactly(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.stdin, opts.stdout, opts.stderr = cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr()
			return runApprove(cmd.Context(), opts, args[0], args[1])
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.key, "key", "", "your signing key (default $DRPILOT_KEY, then the default path)")
	f.BoolVar(&opts.yes, "yes", false, "answer without typing the step's id (for scripts)")
	f.BoolVar(&opts.deny, "deny", false, "refuse the step: it does not run, and the run stops there, resumably")
	f.StringVar(&opts.reason, "reason", "", "why (required with --deny; recorded in the audit log)")
	f.StringVar(&opts.profile, "profile", "", profileUsage)
	return cmd
}

func runApprove(ctx context.Context, opts approveOptions, file, step string) error {
	if opts.deny && strings.TrimSpace(opts.reason) == "" {
		return badInput("--deny needs --reason: the refusal and why go into the run's audit log")
	}
	rb, plan, err := loadAndPlan(file, opts.stderr, func(*runbooks.Runbook) error { return nil })
	if err != nil {
		return err
	}
	store, err := openTeamStore(ctx, rb, plan, opts.profile, "approve")
	if err != nil {
		return err
	}
	me, key, err := approverKey(opts.key, rb, plan, step)
	if err != nil {
		return err
	}
	g, err := waitingGate(ctx, store, rb, step)
	if err != nil {
		return err
	}
	if len(g.Approvers) > 0 && !slices.Contains(g.Approvers, me.Name) {
		return badInput("step %s may be approved by %s only; your key is %s's", step, strings.Join(g.Approvers, ", "), me.Name)
	}
	showGate(opts.stdout, g, rb)
	showTally(ctx, opts.stdout, store, g, rb)
	verdict := team.Approve
	if opts.deny {
		verdict = team.Deny
	}
	if err := confirmAnswer(opts, step, verdict); err != nil {
		return err
	}
	if _, err := store.Answer(ctx, key, me.Name, g, verdict, strings.TrimSpace(opts.reason)); err != nil {
		if errors.Is(err, team.ErrAnswered) {
			return badInput("%s has answered this gate already: an answer is not replaced", me.Name)
		}
		return badInput("%v", err)
	}
	fmt.Fprintf(opts.stdout, "%s: your %s of step %s of run %s is in the lock table; the run picks it up within seconds\n",
		me.Name, map[string]string{team.Approve: "approval", team.Deny: "refusal"}[verdict], step, g.Run)
	return nil
}

// approverKey finds the approver's signing key among the team's keys.
func approverKey(flag string, rb *runbooks.Runbook, plan *runbooks.RunPlan, step string) (team.TrustedKey, ed25519.PrivateKey, error) {
	ps := plan.Step(step)
	if ps == nil {
		return team.TrustedKey{}, nil, badInput("runbook %s has no step %q", rb.ID, step)
	}
	if ps.Approvals <= 1 {
		return team.TrustedKey{}, nil, badInput("step %s needs the operator's approval only (approvals = 1): there is nothing to approve from elsewhere", step)
	}
	path, source, err := audit.KeyPath(flag)
	if err != nil {
		return team.TrustedKey{}, nil, badInput("%v", err)
	}
	key, err := audit.ReadKey(path)
	if err != nil {
		return team.TrustedKey{}, nil, badInput("your signing key %s (%s): %v; make one with 'drpilot keygen'", path, source, err)
	}
	dir := filepath.Join(filepath.Dir(rb.File), "keys")
	keys, err := team.LoadKeys(dir)
	if err != nil {
		return team.TrustedKey{}, nil, badInput("the team's keys: %v", err)
	}
	me, ok := team.KeyOf(keys, key.Public().(ed25519.PublicKey))
	if !ok {
		return team.TrustedKey{}, nil, badInput("your signing key %s (%s, %s) is not among the team's keys in %s: an approval counts only from a trusted key",
			path, source, audit.Fingerprint(key.Public().(ed25519.PublicKey)), dir)
	}
	return me, key, nil
}

// waitingGate finds the gate the runbook's current run waits at.
func waitingGate(ctx context.Context, store *team.Store, rb *runbooks.Runbook, step string) (team.GateBody, error) {
	lease, ok, err := store.Current(ctx, rb.ID)
	if err != nil {
		return team.GateBody{}, badInput("%v", err)
	}
	if !ok {
		return team.GateBody{}, badInput("nobody has run %s with the team's lock table: there is no gate to approve", rb.ID)
	}
	g, err := store.Asking(ctx, rb.ID, lease.Run, step)
	switch {
	case errors.Is(err, team.ErrNoGate):
		return team.GateBody{}, badInput("run %s (%s on %s) is not waiting for approvals at step %s yet: try again when it is (drpilot watch %s shows it)",
			lease.Run, lease.Holder, lease.Host, step, rb.File)
	case errors.Is(err, team.ErrDecided):
		return team.GateBody{}, badInput("the gate of step %s of run %s is decided already", step, lease.Run)
	case errors.Is(err, team.ErrStale):
		return team.GateBody{}, badInput("run %s is not waiting for approvals at step %s now: %v", lease.Run, step, err)
	case err != nil:
		return team.GateBody{}, badInput("%v", err)
	}
	return g, nil
}

// showGate prints what the approver is asked to approve.
func showGate(w io.Writer, g team.GateBody, rb *runbooks.Runbook) {
	fmt.Fprintf(w, "Run %s of %s, operated by %s\nStep %s: %s\n", g.Run, g.Runbook, g.Operator, g.Step, g.Title)
	if g.RunbookSHA256 != rb.SHA256 {
		fmt.Fprintf(w, "WARNING: the run uses another version of the runbook (sha256 %.12s…) than %s (%.12s…): what it will send is below\n",
			g.RunbookSHA256, rb.File, rb.SHA256)
	}
	if g.Doc != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(g.Doc))
	}
	fmt.Fprintln(w, "\nIt will send:")
	for _, c := range g.Calls {
		input, _ := json.MarshalIndent(c.Input, "    ", "  ")
		fmt.Fprintf(w, "  %s in %s\n    %s\n", c.Operation, c.Region, input)
	}
	if len(g.Calls) == 0 {
		fmt.Fprintln(w, "  no AWS request (a person does the step)")
	}
	for _, item := range g.Checklist {
		fmt.Fprintf(w, "  [ ] %s\n", item)
	}
	if len(g.Requires) > 0 {
		fmt.Fprintln(w, "\nIts preconditions held:")
		for _, r := range g.Requires {
			fmt.Fprintf(w, "  %s\n", r)
		}
	}
	who := "any of the team's keys"
	if len(g.Approvers) > 0 {
		who = strings.Join(g.Approvers, ", ")
	}
	fmt.Fprintf(w, "\nIt needs %d approvals, from %s (the operator's counts once).\n", g.Approvals, who)
}

// showTally says who has answered already and who is awaited.
func showTally(ctx context.Context, w io.Writer, store *team.Store, g team.GateBody, rb *runbooks.Runbook) {
	keys, err := team.LoadKeys(filepath.Join(filepath.Dir(rb.File), "keys"))
	if err != nil {
		return
	}
	answers, _, err := store.Answers(ctx, g.Run, g.Step, keys)
	if err != nil {
		return
	}
	t := team.Count(g, keys, answers)
	var names []string
	for _, a := range t.Approved {
		names = append(names, a.Statement.Approver+" ✓")
	}
	if len(names) == 0 {
		names = append(names, "nobody yet")
	}
	fmt.Fprintf(w, "Approved so far: %s; awaiting %s.\n", strings.Join(names, ", "), strings.Join(t.Awaited, ", "))
}

// confirmAnswer asks the approver to type the step's id.
func confirmAnswer(opts approveOptions, step, verdict string) error {
	if opts.yes {
		return nil
	}
	fmt.Fprintf(opts.stdout, "Type the step's id (%s) to %s it: ", step, verdict)
	line, err := bufio.NewReader(opts.stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	if strings.TrimSpace(line) != step {
		return badInput("nothing was written: %q is not the step's id (give --yes to answer without typing it)", strings.TrimSpace(line))
	}
	return nil
}
