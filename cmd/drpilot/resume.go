package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/drpilot/drpilot/audit"
	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/steps"
	"github.com/spf13/cobra"
)

func newResumeCommand() *cobra.Command {
	opts := runOptions{}
	cmd := &cobra.Command{
		Use:   "resume DIR",
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
log gains a run.resumed event and verifies VALID at the end. A --sandbox run
continues against its simulated AWS as the run left it: the sandbox is rebuilt
from the recording in DIR/sandbox (its scenario, then every change the run
made, each at its simulated moment) and its clock carries on from the last
moment the run saw. A recording that is missing, corrupt or lacks a change the
log shows is refused (exit 2).`,
		Example: `  drpilot resume ~/.local/state/drpilot/runs/store-region-failover-20261121T031500Z-3f9a --headless --yes`,
		Args:    argsExactly(1),
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
	f.StringArrayVar(&opts.decide.set, "set", nil, "give a skipped step's output: STEP.OUTPUT=VALUE (repeatable); the steps after it use it")
	f.StringVar(&opts.decide.reason, "reason", "", "why: required with --decide STEP=skip and STEP=continue, and recorded with every decision")
	f.BoolVar(&opts.adoptUnsigned, "adopt-unsigned", false, "adopt the decisions a crash left after the log's last signature without asking (check them first)")
	f.StringVar(&opts.profile, "profile", "", profileUsage)
	return cmd
}

// runResume reopens the log, rebuilds the run from it, and carries on.
func runResume(ctx context.Context, opts runOptions, dir string) error {
	opts.timeScale = 1
	if err := checkRunFlags(opts); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, audit.EventsFile)); err != nil {
		return badInput("cannot resume %s: it holds no run's audit log (%s); give the run directory that drpilot run printed", dir, audit.EventsFile)
	}
	key, throwaway, err := resumeKey(opts.key, dir)
	if err != nil {
		return err
	}
	reopened, err := audit.Reopen(dir, key, nil)
	if err != nil {
		return badInput("cannot resume %s: %v", dir, err)
	}
	defer reopened.Writer.Close()
	adopted, err := confirmAdoption(opts.stderr, opts.stdin, stdioIsTerminal(opts.stdout), opts.adoptUnsigned, reopened.Unsigned, reopened.Events)
	if err != nil {
		return err
	}
	start := reopened.Start
	opts.dryRun = start.Mode == string(steps.ModeDryRun)
	if start.Mode == string(steps.ModeSandbox) && opts.profile != "" {
		return badInput("--profile applies to live and --dry-run runs: %s was a --sandbox run, which never uses your AWS configuration", dir)
	}
	rb, plan, err := loadForResume(start, opts.stderr)
	if err != nil {
		return err
	}
	if start.Mode == string(steps.ModeSandbox) {
		if opts.rebuilt, opts.restored, err = rebuildSandbox(dir, reopened.Events); err != nil {
			return err
		}
		opts.sandbox = true
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
	env.throwaway = throwaway
	if env.account != start.Account {
		return badInput("the run was made as account %s, and your credentials are for %s (%s)", start.Account, env.account, env.callerARN)
	}
	prior, err := steps.Replay(reopened.Events)
	if err != nil {
		return badInput("cannot resume %s: %v", dir, err)
	}
	answers, err := parseDecisions(opts.decide, rb, prior, actor())
	if err != nil {
		return err
	}
	if env.restored != nil {
		if env.recorder, err = env.sandbox.ContinueRecording(env.restored); err != nil {
			return fmt.Errorf("cannot resume %s: %w", dir, err)
		}
	}
	if _, err := reopened.Writer.Append(audit.Entry{Type: audit.TypeRunResumed, Actor: actor(), Data: resumedData(env, reopened, prior, opts.decide, adopted)}); err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	if err := answers.applyOutputs(reopened.Writer, prior, actor()); err != nil {
		return err
	}
	r := &preparedRun{opts: opts, rb: rb, plan: plan, env: env, id: reopened.Writer.Run(), log: reopened.Writer,
		start: runStart(reopened), print: newPrinter(opts.stdout, opts.json), prior: prior, answers: answers}
	r.print.begin(r)
	if !opts.headless {
		return r.executeTUI(ctx)
	}
	return r.execute(ctx)
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

// loadForResume loads the run's runbook and refuses one that changed: the
// log's steps must mean what they meant when they were written.
func loadForResume(start audit.RunInfo, stderr io.Writer) (*runbooks.Runbook, *runbooks.RunPlan, error) {
	rb, plan, err := loadAndPlan(start.Runbook, stderr, func(rb *runbooks.Runbook) error {
		for name, logged := range start.Vars {
			old, ok := rb.Vars[name]
			if !ok {
				return badInput("the run overrode var %s, which the runbook no longer has", name)
			}
			if rb.IsSensitiveVar(name) && logged == audit.Redacted {
				// The log keeps only the SHA-256 of a sensitive value:
				// going on with the runbook's own value instead would
				// silently change what the run sends.
				return badInput("var %s is sensitive and the run was given its value with --var: the log keeps only its SHA-256, so resume cannot apply it again; start a new run with --var %s=...", name, name)
			}
			v, err := varFromLog(logged, old)
			if err != nil {
				return badInput("var %s as the run logged it: %v", name, err)
			}
			rb.Vars[name] = v
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	if rb.SHA256 != start.RunbookSHA256 {
		return nil, nil, badInput("runbook %s changed since the run began (SHA-256 %s, now %s): resume needs the file as it was", start.Runbook, start.RunbookSHA256, rb.SHA256)
	}
	return rb, plan, nil
}

// varFromLog turns a var's value as run.start logged it (JSON, numbers
// kept as json.Number) back into the type the runbook's var has.
func varFromLog(v, old any) (any, error) {
	switch x := v.(type) {
	case json.Number:
		if _, isInt := old.(int64); isInt {
			return x.Int64()
		}
		return x.Float64()
	case []any:
		out := make([]any, len(x))
		var elem any
		if list, ok := old.([]any); ok && len(list) > 0 {
			elem = list[0]
		}
		for i, e := range x {
			c, err := varFromLog(e, elem)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	}
	return v, nil
}

// resumedData is run.resumed's data: who resumed, what the log said was
// finished, failed and unanswered, and the answers given in advance.
func resumedData(env *runEnv, r *audit.Reopened, p *steps.Prior, o decideOptions, a adoption) map[string]any {
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
