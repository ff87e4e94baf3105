package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/drpilot/drpilot/audit"
	"github.com/drpilot/drpilot/sandbox"
	"github.com/drpilot/drpilot/steps"
	"github.com/spf13/cobra"
)

func newResumeCommand() *cobra.Command {
	opts := runOptions{}
	cmd := &cobra.Command{
		Use:   "resume DIR|s3://…",
		Short: "Continue an interrupted run from its audit log",
		Long: `resume continues the run whose audit log is in DIR, after a crash, a lost
terminal or a killed process. It trusts only the log: steps the log records as
done or skipped are not run again, and their outputs feed the steps still to
come. A mutating call that the log shows as sent but never answered is
reconciled first: every catalogue action reads the resource's state (or reuses
its client token) before it sends anything again; an aws.call step cannot, so it
fails and on_failure decides.

The run continues in the same mode, against the same account, with the same
runbook file (which must not have changed) and the same --var values, and the
log gains a run.resumed event and verifies VALID at the end. The log keeps a
sensitive var's --var value only as [redacted]: give it again with --var
NAME=VALUE, which resume checks against the SHA-256 run.start keeps and refuses
(exit 2) when it is not the value the run was given; any other --var is
refused, since the log holds the value the run began with. A --sandbox run
continues against its simulated AWS as the run left it: the sandbox is rebuilt
from the recording in DIR/sandbox (its scenario, then every change the run
made, each at its simulated moment) and its clock carries on from the last
moment the run saw. A recording that is missing, corrupt or lacks a change the
log shows is refused (exit 2). Its records that carry a secret are sealed with
a key derived from the run's signing key, which resume needs anyway.

A team run (a runbook with [runbook.team]) takes its run lock back first: once
its lease expired, or at once when the process that held it on this machine is
gone. Another machine resumes it from the copy of its log in the team's audit
bucket: drpilot resume s3://BUCKET/drpilot/RUNBOOK_ID/RUN_ID/ --runbook FILE
downloads the copy into a new run directory and carries on (docs/team.md).`,
		Example: `  drpilot resume ~/.local/state/drpilot/runs/store-region-failover-20261121T031500Z-3f9a --headless --yes
  drpilot resume RUNDIR --var db_password="$DB_PASSWORD"   # a sensitive var the run was given with --var
  drpilot resume s3://acme-dr-audit/drpilot/store-failover/RUN_ID/ --runbook runbooks/store-failover.toml`,
		Args: argsExactly(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.stdin, opts.stdout, opts.stderr = cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr()
			return runResume(cmd.Context(), opts, args[0])
		},
	}
	f := cmd.Flags()
	f.BoolVar(&opts.headless, "headless", false, "print progress instead of opening the terminal UI")
	f.BoolVar(&opts.yes, "yes", false, "headless: approve every gated step")
	f.BoolVar(&opts.json, "json", false, "headless: print one JSON event per line")
	f.StringVar(&opts.key, "key", "", "the run's signing key (default $DRPILOT_KEY, then the default path)")
	f.IntVar(&opts.parallel, "parallel", steps.DefaultParallel, "how many independent steps may run at once")
	f.StringVar(&opts.logFile, "log-file", "", "write diagnostics (the AWS SDK's messages, every event) to this file as JSON lines")
	f.StringArrayVar(&opts.decide.decide, "decide", nil, "answer a failure the run stopped on: STEP=retry|skip|continue (repeatable); skip also leaves out a step not run yet")
	f.StringArrayVar(&opts.decide.set, "set", nil, "give an output: STEP.OUTPUT=VALUE (repeatable), of a skipped step, or one a done step did not produce (with --reason); the steps after it use it")
	f.StringVar(&opts.decide.reason, "reason", "", "why: required with --decide STEP=skip and STEP=continue, and recorded with every decision")
	f.BoolVar(&opts.adoptUnsigned, "adopt-unsigned", false, "adopt the decisions a crash left after the log's last signature without asking (check them first)")
	f.StringVar(&opts.profile, "profile", "", profileUsage)
	f.StringVar(&opts.runbook, "runbook", "", "the runbook, when it is not where the run began (required with an s3:// copy)")
	f.StringVar(&opts.auditDir, "audit-dir", "", "with an s3:// copy: the new run directory it is copied into (default $XDG_STATE_HOME/drpilot/runs/<run id>)")
	f.BoolVar(&opts.takeOver, "take-over", false, "team runbooks: take over a run lock another run holds and stopped renewing")
	f.StringArrayVar(&opts.vars, "var", nil, "give again a sensitive var's value that the run was given with --var and its log keeps redacted, as NAME=VALUE (repeatable); checked against the log")
	return cmd
}

// runResume reopens the log, rebuilds the run from it, and carries on.
func runResume(ctx context.Context, opts runOptions, dir string) (err error) {
	opts.timeScale = 1
	if err := checkRunFlags(opts); err != nil {
		return err
	}
	if dir, err = resumeFrom(ctx, opts, dir); err != nil {
		return err
	}
	res, err := reopenForResume(opts, dir)
	if err != nil {
		return err
	}
	defer res.log.Writer.Close()
	reopened, key := res.log, res.key
	start := reopened.Start
	opts.dryRun = start.Mode == string(steps.ModeDryRun)
	if start.Mode == string(steps.ModeSandbox) && opts.profile != "" {
		return badInput("--profile applies to live and --dry-run runs: %s was a --sandbox run, which never uses your AWS configuration", dir)
	}
	if opts.runbook != "" {
		start.Runbook = opts.runbook // the run began on another machine, or the file moved
	}
	rb, plan, err := loadForResume(start, reopened.Events[0].Data, opts.vars, opts.stderr)
	if err != nil {
		return err
	}
	// The texts the log redacts, before anything is logged or recorded.
	reopened.Writer.AddSecrets(rb.Secrets()...)
	var recording sandbox.RecordOptions
	if start.Mode == string(steps.ModeSandbox) {
		if recording, err = resumeSandbox(dir, key, reopened, &opts); err != nil {
			return err
		}
	}
	if opts.diag, err = openRunLog(opts.logFile); err != nil {
		return err
	}
	defer opts.diag.close()
	ctx, stop := notifyInterrupt(ctx)
	defer stop()
	env, err := prepareEnvironment(ctx, opts, rb, key)
	if err != nil {
		return err
	}
	defer env.close()
	env.throwaway = res.throwaway
	if env.account != start.Account {
		return badInput("the run was made as account %s, and your credentials are for %s (%s)", start.Account, env.account, env.callerARN)
	}
	prior, err := steps.Replay(reopened.Events)
	if err != nil {
		return badInput("cannot resume %s: %v", dir, err)
	}
	tr, err := joinTeam(ctx, opts, rb, plan, env, reopened.Writer.Run())
	if err != nil {
		return err
	}
	defer func() {
		if err != nil && tr != nil && tr.stop == nil {
			tr.finish() // the run never started: give the lock back
		}
	}()
	answers, err := parseDecisions(opts.decide, rb, prior, actor())
	if err != nil {
		return err
	}
	if env.restored != nil {
		if env.recorder, err = env.sandbox.ContinueRecording(env.restored, recording); err != nil {
			return fmt.Errorf("cannot resume %s: %w", dir, err)
		}
	}
	resumed := resumedData(env, reopened, prior, opts, res.adopted)
	if info := tr.logInfo(); info != nil {
		resumed["team"] = info
	}
	if _, err := reopened.Writer.Append(audit.Entry{Type: audit.TypeRunResumed, Actor: actor(), Data: resumed}); err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	if err := answers.applyOutputs(reopened.Writer, prior, actor(), strings.TrimSpace(opts.decide.reason)); err != nil {
		return err
	}
	r := &preparedRun{opts: opts, rb: rb, plan: plan, env: env, id: reopened.Writer.Run(), log: reopened.Writer,
		start: runStart(reopened), print: newPrinter(opts.stdout, opts.json), prior: prior, answers: answers, team: tr}
	r.print.begin(r)
	if !opts.headless {
		return r.executeTUI(ctx)
	}
	return r.execute(ctx)
}

// resumable is a run's log reopened to be continued, with its key and the
// operator's answer about the lines a crash left unsigned.
type resumable struct {
	log       *audit.Reopened
	key       ed25519.PrivateKey
	throwaway bool
	adopted   adoption
}

// reopenForResume opens the run's log with its key, and shows the lines
// after its last signature before anything else happens.
func reopenForResume(opts runOptions, dir string) (*resumable, error) {
	if _, err := os.Stat(filepath.Join(dir, audit.EventsFile)); err != nil {
		return nil, badInput("cannot resume %s: it holds no run's audit log (%s); give the run directory that drpilot run printed", dir, audit.EventsFile)
	}
	key, throwaway, err := resumeKey(opts.key, dir)
	if err != nil {
		return nil, err
	}
	reopened, err := audit.Reopen(dir, key, nil)
	if err != nil {
		return nil, badInput("cannot resume %s: %v", dir, err)
	}
	adopted, err := confirmAdoption(opts.stderr, opts.stdin, stdioIsTerminal(opts.stdout), opts.adoptUnsigned, reopened.Unsigned, reopened.Events)
	if err != nil {
		reopened.Writer.Close()
		return nil, err
	}
	return &resumable{log: reopened, key: key, throwaway: throwaway, adopted: adopted}, nil
}

// resumeKey finds the run's key: the operator's, or the throwaway key a
// dry-run kept in its directory.
func resumeKey(flag, dir string) (ed25519.PrivateKey, bool, error) {
	path, source, err := audit.KeyPath(flag)
	if err != nil {
		return nil, false, badInput("%v", err)
	}
	key, err := audit.ReadKey(path)
	if err == nil {
		return key, false, nil
	}
	if flag == "" && errors.Is(err, os.ErrNotExist) {
		if k, terr := audit.ReadKey(filepath.Join(dir, throwawayKeyFile)); terr == nil {
			return k, true, nil
		}
	}
	return nil, false, badInput("resume signs with the run's own key, and %s (%s) cannot be read: %v; give it with --key", path, source, unwrapPath(err))
}

// resumedData is run.resumed's data: who resumed, what the log said was
// finished, failed and unanswered, the answers given in advance, the
// names of the vars given again (their values are in run.start's proof),
// and the unsigned lines it adopted.
func resumedData(env *runEnv, r *audit.Reopened, p *steps.Prior, opts runOptions, a adoption) map[string]any {
	o := opts.decide
	failed := map[string]string{}
	for id, f := range p.Failed {
		failed[id] = f.Error
	}
	data := map[string]any{"caller_arn": env.callerARN, "torn_bytes": r.TornBytes,
		"finished_steps": slices.Sorted(maps.Keys(p.Done)), "failed_steps": failed, "unanswered_calls": p.Unanswered}
	if len(o.decide) > 0 || len(o.set) > 0 {
		data["decide"], data["set"], data["reason"] = o.decide, o.set, o.reason
	}
	if a.tail.Count > 0 {
		data[audit.AdoptedKey] = a.record(actor())
	}
	if len(opts.vars) > 0 {
		names := make([]string, len(opts.vars))
		for i, kv := range opts.vars {
			names[i], _, _ = strings.Cut(kv, "=")
		}
		data["vars_given_again"] = names
	}
	if sb := sandboxResumedData(env); sb != nil {
		data["sandbox"] = sb
	}
	return data
}

// runStart is when the resumed run first started, for ${run.started_at}.
func runStart(r *audit.Reopened) time.Time {
	t, err := time.Parse(time.RFC3339Nano, r.Events[0].TS)
	if err != nil {
		return time.Now()
	}
	return t
}
