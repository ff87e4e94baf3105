package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/drpilot/drpilot/audit"
	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/sandbox"
	"github.com/drpilot/drpilot/steps"
	"github.com/spf13/cobra"
)

// runOptions are drpilot run's flags.
type runOptions struct {
	dryRun, sandbox bool
	scenario        string
	// sandboxPolicy is --sandbox-policy: the IAM policy the run's own
	// sandbox credentials are held to.
	sandboxPolicy string
	timeScale     float64
	timeScaleSet  bool
	headless, yes bool
	json          bool
	auditDir      string
	key           string
	parallel      int
	vars          []string
	logFile       string
	// decide holds resume's answers given in advance.
	decide decideOptions
	// profile is the AWS profile of --profile, for live and dry runs.
	profile        string
	stdin          io.Reader
	stdout, stderr io.Writer
	// runbook is resume's --runbook: the runbook's file on this machine.
	runbook string
	// takeOver and noLock are --take-over and --no-lock: what a team run
	// does about a run lock it cannot simply take.
	takeOver, noLock bool
	// adoptUnsigned is resume's --adopt-unsigned: the decisions a crash
	// left after the last signature are adopted without asking.
	adoptUnsigned bool
	// diag is where diagnostics go (--log-file); set by runRun.
	diag *runLog
	// rebuilt is a resumed sandbox run's sandbox, rebuilt from its
	// recording, and restored says what it was rebuilt from.
	rebuilt  *sandbox.Sandbox
	restored *sandbox.Restored
}

func newRunCommand() *cobra.Command {
	opts := runOptions{}
	cmd := &cobra.Command{
		Use:   "run FILE",
		Short: "Carry out a runbook: live, dry run or sandbox",
		Long: `run carries out a runbook step by step: it checks each step's preconditions just
before the step, asks before every gated step, sends the step's AWS calls, waits
until their effect is real, and records every decision and call in a signed
audit log.

Modes:
  (default)   live: the account of the standard AWS configuration
              (--profile or AWS_PROFILE, SSO, AWS_REGION, AWS_ENDPOINT_URL).
              Needs a trusted signing key.
  --dry-run   sends only read-only calls; every mutating request is shown
              and recorded, never sent.
  --sandbox   starts drpilot's AWS simulator in-process with the runbook's
              scenario (runbooks/scenarios/<runbook id>.toml, or --scenario).

Without --headless, run opens the terminal UI, and refuses to start (exit 2)
when stdin or stdout is not a terminal. --headless prints progress instead;
without --yes a headless run pauses, resumably, at the first step that needs
approval (exit 3). --yes approves gates and never decides a failure: a failure
the runbook does not allow stops the run, resumably, saying what to decide.
--json prints one JSON event per line (docs/events.md).
--log-file keeps diagnostics (the AWS SDK's messages, every event) as JSON
lines; under the terminal UI nothing else is written to the terminal.

A runbook with [runbook.team] runs as a team incident (docs/team.md): a live
run takes the run lock in the team's DynamoDB table (a second run anywhere is
refused; --take-over takes an expired lock, --no-lock runs without it when the
table cannot be reached), waits at steps with approvals = N for the other
approvers (drpilot approve), and copies its audit log to the team's bucket.

The run's audit log goes to --audit-dir, by default
$XDG_STATE_HOME/drpilot/runs/<run id>. Ctrl-C, SIGTERM or SIGHUP stop it at a
safe point, resumably: drpilot resume DIR carries it on, drpilot abort DIR
ends it. Exit codes: 0 the run succeeded, 1 it failed (resumable when steps are
left), 2 bad input or refused to start, 3 paused or aborted.`,
		Example: `  drpilot run failover.toml --sandbox --headless --yes
  drpilot run runbooks/ecommerce-pilot-light.toml --dry-run --headless
  drpilot run failover.toml --headless --json --var db_replica=replica-2`,
		Args: argsExactly(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.stdout, opts.stderr = cmd.OutOrStdout(), cmd.ErrOrStderr()
			opts.timeScaleSet = cmd.Flags().Changed("time-scale")
			return runRun(cmd.Context(), opts, args[0])
		},
	}
	f := cmd.Flags()
	f.BoolVar(&opts.dryRun, "dry-run", false, "send read-only calls only; show every mutating request instead of sending it")
	f.BoolVar(&opts.sandbox, "sandbox", false, "run against the embedded AWS simulator")
	f.StringVar(&opts.scenario, "scenario", "", "the sandbox scenario (default: scenarios/<runbook id>.toml next to the runbook)")
	f.StringVar(&opts.sandboxPolicy, "sandbox-policy", "", "sandbox: hold the run's requests to the IAM policy in this file (denied calls fail with AccessDenied, as in AWS)")
	f.Float64Var(&opts.timeScale, "time-scale", 60, "sandbox: simulated seconds per real second")
	f.BoolVar(&opts.headless, "headless", false, "print progress instead of opening the terminal UI")
	f.BoolVar(&opts.yes, "yes", false, "headless: approve every gated step")
	f.BoolVar(&opts.json, "json", false, "headless: print one JSON event per line")
	f.StringVar(&opts.auditDir, "audit-dir", "", "the run directory for the audit log (default $XDG_STATE_HOME/drpilot/runs/<run id>)")
	f.StringVar(&opts.key, "key", "", "the signing key (default $DRPILOT_KEY, then the default path)")
	f.IntVar(&opts.parallel, "parallel", steps.DefaultParallel, "how many independent steps may run at once")
	f.StringArrayVar(&opts.vars, "var", nil, "override a runbook var, as NAME=VALUE (repeatable)")
	f.StringVar(&opts.logFile, "log-file", "", "write diagnostics (the AWS SDK's messages, every event) to this file as JSON lines")
	f.StringVar(&opts.profile, "profile", "", profileUsage)
	f.BoolVar(&opts.takeOver, "take-over", false, "team runbooks: take over a run lock whose holder stopped renewing it (asks you to type the runbook's id)")
	f.BoolVar(&opts.noLock, "no-lock", false, "team runbooks: run without the run lock when the lock table cannot be reached (recorded in the audit log)")
	return cmd
}

// runRun prepares the run (runbook, mode, identity, key, audit log), runs
// it, and maps its outcome to the exit code.
func runRun(ctx context.Context, opts runOptions, file string) error {
	if err := checkRunFlags(opts); err != nil {
		return err
	}
	rb, plan, err := loadForRun(file, opts.vars, opts.stderr)
	if err != nil {
		return err
	}
	if opts.diag, err = openRunLog(opts.logFile); err != nil {
		return err
	}
	defer opts.diag.close()
	ctx, stop := notifyInterrupt(ctx)
	defer stop()
	env, err := prepareEnvironment(ctx, opts, rb, nil)
	if err != nil {
		return err
	}
	defer env.close()
	id := newRunID(rb, time.Now())
	tr, err := joinTeam(ctx, opts, rb, plan, env, id)
	if err != nil {
		return err
	}
	r, err := startRunLog(ctx, opts, rb, plan, env, id, tr)
	if err != nil {
		tr.finish()
		return err
	}
	if !opts.headless {
		return r.executeTUI(ctx)
	}
	return r.execute(ctx)
}

// profileUsage describes --profile, which run and resume share.
const profileUsage = "the AWS profile, as in the AWS CLI (default: $AWS_PROFILE, else \"default\")"

// checkRunFlags refuses combinations that make no sense, and the terminal
// UI where there is no terminal, before anything is started.
func checkRunFlags(opts runOptions) error {
	switch {
	case opts.dryRun && opts.sandbox:
		return badInput("--dry-run and --sandbox exclude each other: a sandbox run sends everything to the simulator; to rehearse against a sandbox without changing it, serve one with 'drpilot sandbox' and run --dry-run with AWS_ENDPOINT_URL")
	case !opts.sandbox && (opts.scenario != "" || opts.timeScaleSet || opts.sandboxPolicy != ""):
		return badInput("--scenario, --time-scale and --sandbox-policy apply to --sandbox only")
	case opts.sandbox && opts.profile != "":
		return badInput("--profile applies to live and --dry-run runs: a --sandbox run never uses your AWS configuration")
	case !opts.headless && (opts.yes || opts.json):
		return badInput("--yes and --json apply to --headless only")
	case opts.parallel < 1 || opts.parallel > 256:
		return badInput("--parallel must be between 1 and 256, not %d", opts.parallel)
	case opts.timeScale <= 0 || opts.timeScale > 1e6:
		return badInput("--time-scale must be above 0 and at most 1000000, not %g", opts.timeScale)
	}
	return checkTerminal(opts)
}

// loadForRun loads, overrides vars, validates and plans the runbook. The
// diagnostics are printed as check prints them.
func loadForRun(file string, vars []string, stderr io.Writer) (*runbooks.Runbook, *runbooks.RunPlan, error) {
	return loadAndPlan(file, stderr, func(rb *runbooks.Runbook) error { return overrideVars(rb, vars) })
}

// loadAndPlan loads a runbook, lets override change its vars, and plans it.
func loadAndPlan(file string, stderr io.Writer, override func(*runbooks.Runbook) error) (*runbooks.Runbook, *runbooks.RunPlan, error) {
	rb, diags := runbooks.Load(file)
	if diags.HasErrors() {
		printCheck(stderr, []checkResult{{File: file, Diagnostics: diags}})
		return nil, nil, silentExit(exitBadInput)
	}
	if err := override(rb); err != nil {
		return nil, nil, err
	}
	plan, diags := runbooks.Plan(rb, steps.Default())
	if diags.HasErrors() {
		printCheck(stderr, []checkResult{{File: file, Diagnostics: diags}})
		return nil, nil, silentExit(exitBadInput)
	}
	return rb, plan, nil
}

// overrideVars applies --var NAME=VALUE. A var must exist in the runbook,
// and keeps its type: a typo must not become a new, unused var.
func overrideVars(rb *runbooks.Runbook, vars []string) error {
	for _, kv := range vars {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || name == "" {
			return badInput("--var %q: write NAME=VALUE", kv)
		}
		old, exists := rb.Vars[name]
		if !exists {
			return badInput("--var %s: the runbook has no var %q in [vars]", kv, name)
		}
		v, err := runbooks.ParseVarValue(value, old)
		if err != nil && rb.IsSensitiveVar(name) {
			// A sensitive value is shown nowhere, not even mistyped.
			return badInput("--var %s=...: %s", name, audit.ScrubText(err.Error(), []string{value}))
		}
		if err != nil {
			return badInput("--var %s: %v", kv, err)
		}
		rb.Vars[name] = v
	}
	return nil
}

// exitFor maps a run's outcome to drpilot's exit code: 1 failed (resumable
// or not), 3 aborted or paused (interrupted, or waiting for a person).
func exitFor(sum *steps.RunSummary, err error) error {
	switch {
	case err != nil:
		return &exitError{code: exitFailed, err: err}
	case sum.Outcome == steps.OutcomeAborted, sum.Outcome == steps.OutcomePaused:
		return silentExit(exitAborted)
	case sum.Outcome == steps.OutcomeFailed:
		return silentExit(exitFailed)
	}
	return nil
}

// signalCause is the cause of a context a signal ended.
type signalCause struct{ os.Signal }

func (s signalCause) Error() string { return "received " + s.String() }

// notifyInterrupt returns a context that ends, with the signal as its
// cause, on SIGINT, SIGTERM or SIGHUP (the terminal or the SSH session
// went away).
func notifyInterrupt(ctx context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-ch:
			cancel(signalCause{sig})
		case <-done:
			return
		}
		// The run is stopping at a safe point, which can take as long as a
		// request in flight. A second signal quits at once: the log was
		// written ahead of every call, and resume reconciles it.
		select {
		case sig := <-ch:
			fmt.Fprintf(os.Stderr, "drpilot: %s again: quitting now; 'drpilot resume' reconciles the calls that were in flight\n", sig)
			os.Exit(exitAborted)
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		cancel(nil)
	}
}

// errNoKey explains how to get a signing key.
func errNoKey(path, source string, err error) error {
	if errors.Is(err, os.ErrNotExist) {
		return badInput("live runs need a signing key, and there is none at %s (%s): create one with 'drpilot keygen', then commit its public key ('drpilot pubkey > keys/<you>.pub') next to the runbooks after review", path, source)
	}
	return badInput("signing key %s (%s): %v", path, source, err)
}
