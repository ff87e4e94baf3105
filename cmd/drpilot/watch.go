package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/steps"
	"github.com/drpilot/drpilot/team"
)

// watchOptions are drpilot watch's flags.
type watchOptions struct {
	runbook, key, profile, region string
	headless, once                bool
	stdout, stderr                io.Writer
}

func newWatchCommand() *cobra.Command {
	opts := watchOptions{}
	cmd := &cobra.Command{
		Use:   "watch TARGET",
		Short: "Follow a run from its audit log, read-only",
		Long: `watch shows the run screen of a run carried out elsewhere, read-only,
following its audit log as it is written: the steps and their state, the RTO
clock, who holds the run lock, and the approvals a gated step waits for.
Nothing on the watch screen steers the run; q stops watching.

TARGET is one of:
  RUN_DIR     a run directory (events.jsonl), on this machine.
  s3://...    a run's copy in the team's audit bucket (see docs/team.md);
              the Region is the runbook's team Region, else --region, else
              the standard AWS configuration's.
  FILE        a runbook with [runbook.team]: the run that holds (or last
              held) its lock, read from the audit bucket.

The screen needs the runbook's plan: FILE is it; for a run directory or a copy,
--runbook, else the file the run logged, else ./runbooks/*.toml and ./*.toml
with the run's runbook id.

A watcher whose signing key (--key) is among the team's keys (keys/*.pub next
to the runbook) answers a gate that waits for approvals: a approves (after
typing the step id), d denies with a reason.

--headless (the default when stdout is not a terminal) prints one line per
event and exits when the run ends or pauses; --once prints what the log holds
and exits. Exit codes: 0 the run succeeded (or, with --once, has not ended),
1 it failed, was aborted or paused, 2 bad input.`,
		Example: `  drpilot watch ~/.local/state/drpilot/runs/RUN_ID
  drpilot watch runbooks/store-region-failover.toml
  drpilot watch s3://acme-dr-audit/drpilot/RUNBOOK_ID/RUN_ID/ --headless`,
		Args: argsExactly(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.stdout, opts.stderr = cmd.OutOrStdout(), cmd.ErrOrStderr()
			return runWatch(cmd.Context(), opts, args[0])
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.runbook, "runbook", "", "the runbook the run carries out (default: found by the run's runbook id)")
	f.BoolVar(&opts.headless, "headless", false, "print one line per event instead of the run screen; exit when the run ends or pauses")
	f.BoolVar(&opts.once, "once", false, "print what the log holds now and exit")
	f.StringVar(&opts.key, "key", "", "your signing key, to approve from the watch (default $DRPILOT_KEY, then the default path)")
	f.StringVar(&opts.region, "region", "", "the audit bucket's Region, for an s3:// copy (default: the runbook's team Region)")
	f.StringVar(&opts.profile, "profile", "", profileUsage)
	return cmd
}

// watcher follows one run's log.
type watcher struct {
	opts  watchOptions
	src   logSource
	store *team.Store // the team's, when known: the lock and the gates
	// leaseOf is the runbook whose lease the header reads: set when the
	// watch was given a runbook.
	leaseOf string
	reader  *steps.LogReader
	run     string
	// early are the events read before the screen was ready for them.
	early []steps.Event
	rb    *runbooks.Runbook
	plan  *runbooks.RunPlan

	mu sync.Mutex
	// waiting are the steps ready without an outcome yet: those a gate may
	// hold.
	waiting map[string]bool
	// lastLine is the time of the newest line (its ts: when the run wrote
	// it, so that the lag counts the copy's delay too), endedAt the time
	// of the run's end (zero while it goes on).
	lastLine, endedAt time.Time
	problem           string
}

func runWatch(ctx context.Context, opts watchOptions, target string) error {
	if opts.once {
		opts.headless = true
	}
	if !opts.headless && !stdioIsTerminal(opts.stdout) {
		opts.headless = true // a pipe or a script: lines, and an exit code
	}
	w, err := openWatch(ctx, opts, target)
	if err != nil {
		return err
	}
	if err := w.readStart(ctx); err != nil {
		return err
	}
	rb, plan, warning, err := findRunbook(w.reader.Start(), w.run, orString(opts.runbook, w.fileGiven(target)), opts.stderr)
	if err != nil {
		return err
	}
	w.rb, w.plan = rb, plan
	if warning != "" {
		fmt.Fprintln(opts.stderr, warning)
	}
	if w.store == nil {
		w.store = w.teamStore(ctx)
	}
	if opts.headless {
		return w.headless(ctx)
	}
	return w.tui(ctx)
}

func orString(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// fileGiven is the runbook FILE the watch was given, or "".
func (w *watcher) fileGiven(target string) string {
	if w.leaseOf != "" {
		return target
	}
	return ""
}

// openWatch finds the log a target names.
func openWatch(ctx context.Context, opts watchOptions, target string) (*watcher, error) {
	w := &watcher{opts: opts, reader: steps.NewLogReader(), waiting: map[string]bool{}}
	switch info, err := os.Stat(target); {
	case team.IsURL(target):
		bucket, prefix, err := team.ParseURL(target)
		if err != nil {
			return nil, badInput("%v", err)
		}
		region := orString(opts.region, defaultRegion(ctx, opts.profile))
		if region == "" {
			return nil, badInput("the Region of bucket %s is unknown: give --region (or set AWS_REGION)", bucket)
		}
		store, err := openStore(ctx, opts.profile, team.Config{AuditBucket: bucket, Region: region}, 0)
		if err != nil {
			return nil, err
		}
		w.src = &s3Source{store: store, bucket: bucket, prefix: prefix}
	case err != nil:
		return nil, badInput("%s is neither a run directory, a runbook nor an s3:// address: %v", target, err)
	case info.IsDir():
		w.src = &dirSource{dir: target}
	default:
		return w, w.openRunbook(ctx, target)
	}
	return w, nil
}

// openRunbook finds the run of a runbook through its lock: the run that
// holds the lease, or held it last, and its copy in the audit bucket.
func (w *watcher) openRunbook(ctx context.Context, file string) error {
	rb, plan, err := loadAndPlan(file, w.opts.stderr, func(*runbooks.Runbook) error { return nil })
	if err != nil {
		return err
	}
	cfg, ok := teamConfig(plan)
	if !ok {
		return badInput("runbook %s has no [runbook.team]: its runs keep their log on the machine that runs them; watch that run directory instead (docs/team.md)", rb.ID)
	}
	store, err := openStore(ctx, w.opts.profile, cfg, 0)
	if err != nil {
		return err
	}
	return w.followLease(ctx, store, rb.ID)
}

// followLease follows the log of the run that holds the runbook's lease,
// or held it last.
func (w *watcher) followLease(ctx context.Context, store *team.Store, runbook string) error {
	lease, found, err := store.Current(ctx, runbook)
	switch {
	case err != nil:
		return fmt.Errorf("reading the run lock of %s: %w", runbook, err)
	case !found || lease.Log == "":
		return badInput("nobody has run %s with the lock table %s yet: there is no run to watch", runbook, store.Config().LockTable)
	}
	bucket, prefix, err := team.ParseURL(lease.Log)
	if err != nil {
		return fmt.Errorf("the lease of %s names a log that is not a copy: %w", runbook, err)
	}
	if !lease.Held(store.Now()) {
		fmt.Fprintf(w.opts.stderr, "nobody holds the lock; showing the last run, %s\n", lease.Run)
	}
	w.store, w.leaseOf = store, runbook
	w.src = &s3Source{store: store, bucket: bucket, prefix: prefix}
	return nil
}

// teamStore is the team's store for a run found by its directory or its
// copy, when its runbook has [runbook.team]: for the gates' approvals.
func (w *watcher) teamStore(ctx context.Context) *team.Store {
	cfg, ok := teamConfig(w.plan)
	if !ok {
		return nil
	}
	store, err := openStore(ctx, w.opts.profile, cfg, 0)
	if err != nil {
		fmt.Fprintf(w.opts.stderr, "warning: the team's lock table cannot be read (%v): approvals are not shown\n", err)
		return nil
	}
	return store
}

// readStart reads the log until its run.start, which says which runbook
// the run carries out.
func (w *watcher) readStart(ctx context.Context) error {
	for w.reader.Start() == nil {
		data, err := w.src.Next(ctx)
		if err != nil {
			return fmt.Errorf("reading the log (%s): %w", w.src.Where(), err)
		}
		if err := w.take(data, func(e steps.Event) { w.early = append(w.early, e) }); err != nil {
			return err
		}
		if w.reader.Start() != nil {
			break
		}
		if w.opts.once {
			return badInput("%s holds no log yet", w.src.Where())
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(w.src.Every()):
		}
	}
	return nil
}

// take reads complete lines into events, keeping track of the steps that
// wait and of the run's end.
func (w *watcher) take(data []byte, emit func(steps.Event)) error {
	for line := range bytes.Lines(data) {
		events, err := w.reader.Line(bytes.TrimSuffix(line, []byte("\n")))
		if err != nil {
			return err
		}
		w.mu.Lock()
		w.lastLine = w.reader.Last()
		for _, e := range events {
			switch e.Type {
			case steps.EventRunStarted:
				w.run = e.Run.ID
			case steps.EventStepReady:
				w.waiting[e.Step] = true
			case steps.EventStepDone, steps.EventStepFailed, steps.EventStepSkipped:
				delete(w.waiting, e.Step)
			}
		}
		w.endedAt = time.Time{}
		if w.reader.Ended() != nil {
			w.endedAt = w.reader.Last()
		}
		w.mu.Unlock()
		for _, e := range events {
			emit(e)
		}
	}
	return nil
}

// follow reads the log as it grows and emits its events, until ctx ends,
// or, when stopAtEnd, the run ends or pauses; with --once, at the end of
// what the log holds now.
func (w *watcher) follow(ctx context.Context, emit func(steps.Event), stopAtEnd bool) error {
	for _, e := range w.early {
		emit(e)
	}
	w.early = nil
	for {
		if stopAtEnd && w.reader.Ended() != nil {
			return nil
		}
		data, err := w.src.Next(ctx)
		w.setProblem(err)
		if err == nil {
			if err := w.take(data, emit); err != nil {
				return err
			}
		}
		if w.opts.once && len(data) == 0 && err == nil {
			return nil
		}
		if stopAtEnd && w.reader.Ended() != nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(w.src.Every()):
		}
	}
}

// setProblem keeps the last error reading the log, which a headless watch
// prints once: a watch keeps trying.
func (w *watcher) setProblem(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	was := w.problem
	w.problem = ""
	if err != nil {
		w.problem = "cannot read the log (trying again): " + err.Error()
	}
	if w.problem != was && w.problem != "" && w.opts.headless {
		fmt.Fprintln(w.opts.stderr, w.problem)
	}
}

// headless prints one line per event, and exits with the run's end.
func (w *watcher) headless(ctx context.Context) error {
	out := w.opts.stdout
	start := w.reader.Start()
	fmt.Fprintf(out, "drpilot watch %s: %s\n", w.run, w.plan.Title)
	fmt.Fprintf(out, "mode %s · account %s · caller %s · primary %s · recovery %s\n",
		strings.ToUpper(start.Mode), start.Account, start.CallerARN, start.Regions["primary"], start.Regions["recovery"])
	fmt.Fprintf(out, "following %s\n", w.src.Where())
	if w.leaseOf != "" {
		fmt.Fprintln(out, (&status{w: w}).header(ctx))
	}
	printer := &textPrinter{w: out}
	if err := w.follow(ctx, func(e steps.Event) { printer.Event(e) }, true); err != nil {
		return err
	}
	sum := w.reader.Ended()
	if sum == nil {
		fmt.Fprintf(out, "the run goes on: %d steps ready without an outcome\n", len(w.waiting))
		return nil
	}
	for _, line := range watchEndLines(sum) {
		fmt.Fprintln(out, line)
	}
	if sum.Outcome == steps.OutcomeSucceeded && !sum.Resumable {
		return nil
	}
	return silentExit(exitFailed)
}

// watchEndLines say how the watched run ended, as a run's own end lines
// do (endLines), without what only the run's machine knows.
func watchEndLines(sum *steps.RunSummary) []string {
	lines := []string{fmt.Sprintf("run %s %s in %s: %s", sum.ID, strings.ToUpper(sum.Outcome),
		runbooks.FormatDuration(sum.Elapsed.Round(time.Second)), countsLine(sum.Counts))}
	if sum.RTO != "" {
		lines = append(lines, "  "+sum.RTO)
	}
	if sum.Reason != "" {
		lines = append(lines, "  "+sum.Reason)
	}
	for _, n := range sum.Needs {
		lines = append(lines, "  "+needLine(n))
	}
	for _, b := range sum.Blocked {
		lines = append(lines, fmt.Sprintf("  not run: %s (%s)", b.Step, b.Because))
	}
	if sum.Resumable {
		lines = append(lines, "the run is paused: it can be resumed (drpilot resume, on the run's machine or from its copy) or ended (drpilot abort)")
	}
	return lines
}
