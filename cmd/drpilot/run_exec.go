package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/drpilot/drpilot/audit"
	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/sandbox"
	"github.com/drpilot/drpilot/steps"
)

// preparedRun is a run whose audit log has begun.
type preparedRun struct {
	opts  runOptions
	rb    *runbooks.Runbook
	plan  *runbooks.RunPlan
	env   *runEnv
	id    string
	log   *audit.Writer
	start time.Time
	print printer
	// prior is what a resumed run's log says was done already.
	prior *steps.Prior
	// answers are resume's decisions given in advance (--decide, --set).
	answers *resumeDecisions
	// team is the run's part in a team incident; nil outside one.
	team *teamRun
}

// newRunID names a run: the runbook, the UTC start, and a few random
// characters so that two runs in the same second do not collide.
func newRunID(rb *runbooks.Runbook, t time.Time) string {
	b := make([]byte, 2)
	rand.Read(b)
	return fmt.Sprintf("%s-%s-%s", rb.ID, t.UTC().Format("20060102T150405Z"), hex.EncodeToString(b))
}

// defaultRunsDir is $XDG_STATE_HOME/drpilot/runs, or ~/.local/state/...
func defaultRunsDir() (string, error) {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "drpilot", "runs"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", badInput("no home directory for the audit log (%v): give --audit-dir", err)
	}
	return filepath.Join(home, ".local", "state", "drpilot", "runs"), nil
}

// startRunLog creates the run directory and its log, which binds the
// runbook, the mode, the caller and the key, and announces the run.
func startRunLog(_ context.Context, opts runOptions, rb *runbooks.Runbook, plan *runbooks.RunPlan, env *runEnv, id string, tr *teamRun) (*preparedRun, error) {
	start := time.Now()
	dir := opts.auditDir
	if dir == "" {
		runs, err := defaultRunsDir()
		if err != nil {
			return nil, err
		}
		dir = filepath.Join(runs, id)
	}
	v, _, _ := buildInfo()
	log, err := audit.Create(dir, audit.Options{RunID: id, Key: env.key, Actor: actor(), Start: audit.RunInfo{
		Runbook: rb.File, RunbookSHA256: rb.SHA256, Version: v, Mode: string(env.mode), Account: env.account,
		Regions:   map[string]string{"primary": rb.Regions.Primary, "recovery": rb.Regions.Recovery},
		CallerARN: env.callerARN, Vars: overridden(rb, opts.vars), RTO: target(rb.RTO), RPO: target(rb.RPO),
		ProjectedRTO: plan.Budget.CriticalPath.String(), Team: tr.logInfo(), Sandbox: env.scenario,
		Plan: planSteps(plan),
	}, Secrets: rb.Secrets()})
	if err != nil {
		return nil, badInput("audit log: %v", err)
	}
	if env.throwaway {
		// Kept with the run so that resume can continue its log; a
		// throwaway key proves nothing beyond the run directory anyway.
		if err := audit.WriteKey(filepath.Join(dir, throwawayKeyFile), env.key); err != nil {
			return nil, fmt.Errorf("keep the throwaway key: %w", err)
		}
	}
	if err := env.recordSandbox(dir, id, log); err != nil {
		return nil, err
	}
	if tr != nil && tr.noLock != "" {
		// Running without the lock is the operator's decision, on the
		// record before anything is sent.
		if _, err := log.Append(audit.Entry{Type: audit.TypeDecision, Actor: actor(),
			Data: map[string]any{"decision": "no-lock", "reason": tr.noLock}}); err != nil {
			return nil, badInput("audit log: %v", err)
		}
	}
	r := &preparedRun{opts: opts, rb: rb, plan: plan, env: env, id: id, log: log, start: start,
		print: newPrinter(opts.stdout, opts.json), team: tr}
	r.print.begin(r)
	return r, nil
}

// target writes a runbook's RTO or RPO for run.start, "" when unset.
func target(d runbooks.Duration) string {
	if d.Duration <= 0 {
		return ""
	}
	return d.String()
}

// planSteps is the plan's steps, phase by phase, for run.start.
func planSteps(plan *runbooks.RunPlan) []audit.PlanStep {
	var out []audit.PlanStep
	for _, ph := range plan.Phases {
		for _, s := range ph.Steps {
			out = append(out, audit.PlanStep{ID: s.ID, Phase: ph.Name, Expect: target(s.Expect)})
		}
	}
	return out
}

// throwawayKeyFile holds a dry-run or sandbox run's throwaway key.
const throwawayKeyFile = "throwaway-key.pem"

// overridden returns the values of the vars given with --var.
func overridden(rb *runbooks.Runbook, vars []string) map[string]any {
	if len(vars) == 0 {
		return nil
	}
	out := map[string]any{}
	for _, kv := range vars {
		name, _, _ := strings.Cut(kv, "=")
		out[name] = rb.Vars[name]
	}
	return out
}

// newExecutor builds the run's executor with an approver and observers.
// Decisions given with resume --decide answer before the approver is asked.
func (r *preparedRun) newExecutor(approver steps.Approver, observers ...steps.Observer) (*steps.Executor, error) {
	if r.answers != nil && len(r.answers.failures) > 0 {
		approver = steps.WithDecisions(approver, r.answers.failures)
	}
	if r.team != nil {
		approver = &teamApprover{Approver: approver, tr: r.team, rb: r.rb, run: r.id, key: r.env.key, tell: func(e steps.Event) {
			for _, o := range observers {
				o.Event(e)
			}
		}}
	}
	eo := steps.Options{
		Runbook: r.rb, Plan: r.plan, Catalogue: steps.Default(), Mode: r.env.mode, Clients: r.env.clients,
		Audit: r.log, Approver: approver, Observers: observers,
		Parallel: r.opts.parallel, RunID: r.id, StartedAt: r.start, Fence: r.team.fence(),
	}
	if r.prior != nil {
		eo.Done, eo.Unanswered, eo.Failed, eo.Answered = r.prior.Done, r.prior.Unanswered, r.prior.Failed, r.prior.Answered
	}
	if sb := r.env.sandbox; sb != nil {
		// One clock: the sandbox's. The run starts on it now, or started
		// when the run that is resumed did.
		started, err := r.env.sandboxStart()
		if err != nil {
			return nil, err
		}
		eo.TimeScale, eo.Now, eo.StartedAt = sb.Clock().Scale(), sb.Clock().Now, started
		eo.Pace = sb.Clock().PeoplePace
		endpoint := r.env.endpoint
		eo.RewriteURL = func(u string) string { return sandbox.WebURL(endpoint, u) }
	}
	exec, err := steps.New(eo)
	if err != nil {
		return nil, err
	}
	if r.answers != nil {
		if err := r.answers.applySkips(exec); err != nil {
			return nil, err
		}
	}
	return exec, nil
}

// clock is the run's one clock: the sandbox's simulated clock in sandbox
// mode, the wall clock otherwise.
func (r *preparedRun) clock() func() time.Time {
	if sb := r.env.sandbox; sb != nil {
		return sb.Clock().Now
	}
	return time.Now
}

// observers adds the log file to an executor's observers when there is one.
func (r *preparedRun) observers(first ...steps.Observer) []steps.Observer {
	if r.opts.diag != nil && r.opts.logFile != "" {
		return append(first, r.opts.diag)
	}
	return first
}

// execute runs the executor headless until nothing more can run, and
// reports.
func (r *preparedRun) execute(ctx context.Context) error {
	defer r.team.finish() // after the log's last checkpoint: its copy is the last upload
	defer r.log.Close()
	exec, err := r.newExecutor(steps.HeadlessApprover{Yes: r.opts.yes}, r.observers(r.print)...)
	if err != nil {
		return err
	}
	r.team.start(ctx, r.log, exec.Interrupt)
	stop := interruptOn(ctx, exec)
	defer stop()
	sum, err := exec.Run(context.WithoutCancel(ctx))
	r.print.end(r, sum)
	return exitFor(sum, err)
}

// interruptOn interrupts the run when ctx ends (a signal: Ctrl-C, SIGTERM,
// a closed terminal's SIGHUP): the run stops at a safe point and its log
// stays resumable. Only an explicit abort, with a reason, ends a run.
func interruptOn(ctx context.Context, exec *steps.Executor) (stop func() bool) {
	return context.AfterFunc(ctx, func() { exec.Interrupt(signalReason(ctx)) })
}

// signalReason names the signal that ended ctx, for the log.
func signalReason(ctx context.Context) string {
	if sig, ok := context.Cause(ctx).(signalCause); ok {
		return sig.String()
	}
	return "a signal"
}

// actor names the person running drpilot, for the audit log.
func actor() string {
	for _, v := range []string{"DRPILOT_OPERATOR", "USER", "LOGNAME"} {
		if s := os.Getenv(v); s != "" {
			return s
		}
	}
	return "operator"
}
