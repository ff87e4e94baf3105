package main

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/drpilot/drpilot/audit"
	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/steps"
	"github.com/drpilot/drpilot/team"
)

// teamRun is a live run's part in a team incident (docs/team.md): the
// lease it holds on its runbook, the copy of its log in the audit bucket,
// and the team's trusted keys, whose approvals its gates count.
type teamRun struct {
	store *team.Store
	// runbook and run name the run, whose log goes under
	// drpilot/RUNBOOK/RUN/ in the audit bucket.
	runbook, run string
	// stderr is where what happens after the run's end is said.
	stderr io.Writer
	// lease is the lease held; zero with --no-lock.
	lease team.Lease
	// noLock says why the run holds no lock (--no-lock and the error
	// that made it necessary), for the audit log.
	noLock   string
	keys     []team.TrustedKey
	uploader *team.Uploader

	// finished makes finish happen once: when the run ends, and again,
	// to no effect, when the command returns.
	finished sync.Once
	// mu guards lease, which the renewal updates, and the copy's state.
	mu      sync.Mutex
	copyErr error // why the copy has not started
	stop    context.CancelFunc
	done    sync.WaitGroup
}

// lockPatience is how long run and resume try to take the run lock
// before saying that the team Region does not answer. (A variable: a
// test of that answer need not wait as long as an engineer would.)
var lockPatience = 20 * time.Second

// teamConfig is the plan's [runbook.team] as the team package takes it.
func teamConfig(plan *runbooks.RunPlan) (team.Config, bool) {
	if plan == nil || plan.Team == nil {
		return team.Config{}, false
	}
	t := plan.Team
	return team.Config{Region: t.Region, LockTable: t.LockTable, AuditBucket: t.AuditBucket, Retention: t.Retention.Duration}, true
}

// joinTeam takes the run lock of a live run of a runbook with
// [runbook.team], before its log exists: a run that may not go ahead
// leaves nothing behind. Dry runs and sandbox runs take no lock (see
// docs/team.md). It returns nil when the run is not a team run.
func joinTeam(ctx context.Context, opts runOptions, rb *runbooks.Runbook, plan *runbooks.RunPlan, env *runEnv, run string) (*teamRun, error) {
	cfg, ok := teamConfig(plan)
	if !ok || env.mode != steps.ModeLive {
		return nil, nil
	}
	store, err := team.Open(env.clients, cfg)
	if err != nil {
		return nil, err
	}
	keys, err := team.LoadKeys(filepath.Join(filepath.Dir(rb.File), "keys"))
	if err != nil {
		return nil, badInput("the team's keys: %v", err)
	}
	tr := &teamRun{store: store, keys: keys, runbook: rb.ID, run: run, stderr: opts.stderr}
	want := team.Lease{Runbook: rb.ID, Run: run, Holder: actor(), Host: hostname(), PID: os.Getpid(),
		Key: audit.Fingerprint(env.key.Public().(ed25519.PublicKey)), Mode: string(env.mode), Log: store.LogURL(rb.ID, run)}
	// An engineer waits for the lock at the start of the run: a team
	// Region that does not answer is said within lockPatience, not after
	// every retry the SDK would make.
	lockCtx, cancel := context.WithTimeout(ctx, lockPatience)
	defer cancel()
	tr.lease, err = store.Acquire(lockCtx, want)
	var held *team.HeldError
	switch {
	case err == nil:
		return tr, nil
	case errors.As(err, &held):
		if tr.lease, err = takeOver(ctx, opts, rb, store, want, held); err != nil {
			return nil, err
		}
		return tr, nil
	case errors.Is(err, team.ErrMissing):
		return nil, badInput("%v", err)
	case opts.noLock:
		tr.noLock = fmt.Sprintf("--no-lock: the run lock could not be taken (%v)", err)
		return tr, nil
	}
	return nil, badInput("%v\nthe run lock cannot be taken, so nothing stops a second run of %s elsewhere: check the credentials and the team Region (%s); "+
		"to run without the lock, give --no-lock (recorded in the audit log)", err, rb.ID, cfg.Region)
}

// takeOver decides what becomes of a lease somebody holds. A resumed run
// takes its own lease back once its holder is gone: the lease expired, or
// its process on this host no longer exists. Another run's lease is taken
// over only with --take-over and a typed confirmation, and only then. A
// lease that is renewed is never taken: its run may still be acting.
func takeOver(ctx context.Context, opts runOptions, rb *runbooks.Runbook, store *team.Store, want team.Lease, held *team.HeldError) (team.Lease, error) {
	l := held.Lease
	gone := holderGone(l)
	dead := held.Expired || gone
	switch {
	case l.Run == want.Run && dead:
	case l.Run == want.Run:
		return team.Lease{}, badInput("%v\nrun %s may still be running on %s (process %d): stop it there, or wait until its lease expires at %s and resume again",
			held, l.Run, l.Host, l.PID, l.Expires.Local().Format("15:04:05"))
	case dead && opts.takeOver:
		if gone && !held.Expired {
			fmt.Fprintf(opts.stderr, "drpilot: the process that held the lock on this host (%d) is gone\n", l.PID)
		}
		if err := confirmTakeOver(opts, rb, held); err != nil {
			return team.Lease{}, err
		}
	case dead:
		return team.Lease{}, badInput("%v\nif that run is dead (its machine crashed), take the lock over with --take-over, after checking with %s", held, l.Holder)
	default:
		return team.Lease{}, badInput("%v\n  follow it with: drpilot watch %s", held, rb.File)
	}
	lease, err := store.TakeOver(ctx, want, l, gone && !held.Expired)
	if err != nil {
		return team.Lease{}, badInput("taking the lock over: %v", err)
	}
	return lease, nil
}

// holderGone reports a lease held by a process of this host that no
// longer exists (a crash, kill -9): it will not renew the lease.
func holderGone(l team.Lease) bool {
	if l.PID <= 0 || l.Host != hostname() || l.PID == os.Getpid() {
		return false
	}
	err := syscall.Kill(l.PID, 0)
	return errors.Is(err, syscall.ESRCH)
}

// confirmTakeOver asks the operator to type the runbook's id before an
// expired lease is taken: the holder may be alive and cut off, and two
// runs of one runbook would act twice. --yes confirms for scripts.
func confirmTakeOver(opts runOptions, rb *runbooks.Runbook, held *team.HeldError) error {
	fmt.Fprintf(opts.stderr, "drpilot: %v\n", held)
	if opts.yes {
		fmt.Fprintf(opts.stderr, "drpilot: taking the lock over (--take-over --yes)\n")
		return nil
	}
	if opts.stdin == nil {
		return badInput("--take-over needs the runbook's id typed at the prompt, or --yes")
	}
	fmt.Fprintf(opts.stderr, "Make sure %s's run is not running. Type the runbook's id (%s) to take the lock over: ", held.Lease.Holder, rb.ID)
	line, err := bufio.NewReader(opts.stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	if strings.TrimSpace(line) != rb.ID {
		return badInput("the lock was not taken over: %q is not the runbook's id", strings.TrimSpace(line))
	}
	return nil
}

// logInfo is what run.start records about the lock.
func (tr *teamRun) logInfo() map[string]any {
	if tr == nil {
		return nil
	}
	cfg := tr.store.Config()
	info := map[string]any{"region": cfg.Region, "lock_table": cfg.LockTable, "audit_bucket": cfg.AuditBucket}
	if tr.noLock != "" {
		info["no_lock"] = tr.noLock
		return info
	}
	info["fence"] = tr.lease.Fence
	info["holder"], info["host"] = tr.lease.Holder, tr.lease.Host
	if tr.lease.TakenOverFrom != "" {
		info["taken_over_from"] = tr.lease.TakenOverFrom
	}
	return info
}

// fence is the fencing token every aws.request carries.
func (tr *teamRun) fence() int64 {
	if tr == nil {
		return 0
	}
	return tr.lease.Fence
}

// start renews the lease and copies the log while the run runs. The
// executor is interrupted, and sends nothing more, when the lease is lost
// or would run out before a renewal gets through.
func (tr *teamRun) start(ctx context.Context, log *audit.Writer, interrupt func(reason string)) {
	if tr == nil {
		return
	}
	ctx, tr.stop = context.WithCancel(context.WithoutCancel(ctx))
	tr.done.Add(1)
	go func() { defer tr.done.Done(); tr.copyLog(ctx, log) }()
	if tr.noLock == "" {
		tr.done.Add(1)
		go func() { defer tr.done.Done(); tr.keepLease(ctx, interrupt) }()
	}
}

// copyLog copies the log to the audit bucket while the run runs. The
// copy is a safeguard, not the run: it never holds a step up. When the
// bucket cannot be reached, the log says so once, and the copy starts
// when it can. A run that ends before the copy could start (its first
// precondition failed) still gets one last try: the end of the run is
// when reviewers need the copy most.
func (tr *teamRun) copyLog(ctx context.Context, log *audit.Writer) {
	for wait := time.Second; ; wait = min(2*wait, 30*time.Second) {
		ending := ctx.Err() != nil
		try, cancel := context.WithTimeout(context.WithoutCancel(ctx), copyStartPatience)
		u, err := tr.store.NewUploader(try, log.Dir(), team.LogPrefix(tr.runbook, tr.run))
		cancel()
		if err == nil {
			tr.mu.Lock()
			tr.uploader, tr.copyErr = u, nil
			tr.mu.Unlock()
			log.OnSynced(u.Nudge)
			u.Run(ctx, 10*time.Second)
			return
		}
		tr.mu.Lock()
		first := tr.copyErr == nil
		tr.copyErr = err
		tr.mu.Unlock()
		if first && !ending {
			interruptNote(log, fmt.Sprintf("the audit log is not copied to the audit bucket yet: %v; drpilot keeps trying while the run runs", err))
		}
		if ending {
			return
		}
		select {
		case <-ctx.Done(): // the run ended: one last try
		case <-time.After(wait):
		}
	}
}

// copyStartPatience bounds one try at starting the log's copy (listing
// what the bucket holds of it), so that a bucket that does not answer
// delays the end of a run by no more than this.
const copyStartPatience = 10 * time.Second

// keepLease renews the lease every team.RenewEvery until ctx ends.
func (tr *teamRun) keepLease(ctx context.Context, interrupt func(reason string)) {
	tick := time.NewTicker(team.RenewEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		tr.mu.Lock()
		lease := tr.lease
		tr.mu.Unlock()
		renewed, err := tr.store.Renew(ctx, lease)
		switch {
		case err == nil:
			tr.mu.Lock()
			tr.lease = renewed
			tr.mu.Unlock()
			continue
		case ctx.Err() != nil:
			return
		case errors.Is(err, team.ErrLost):
		case tr.store.Now().Before(lease.Expires.Add(-team.RenewEvery)):
			continue // try again at the next tick, while the lease lasts
		}
		lost := fmt.Sprintf("the run lock on %s was lost (%v): this run sends nothing more; see who holds it with 'drpilot watch'", lease.Runbook, err)
		interrupt(lost)
		return
	}
}

// finish releases the lease and waits for the last copy of the log.
func (tr *teamRun) finish() {
	if tr == nil {
		return
	}
	tr.finished.Do(tr.release)
}

// release is finish, once.
func (tr *teamRun) release() {
	if tr.stop != nil {
		tr.stop()
		tr.done.Wait()
		tr.reportCopy()
	}
	if tr.noLock != "" || tr.lease.Fence == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tr.store.Release(ctx, tr.lease); err != nil && !errors.Is(err, team.ErrLost) {
		fmt.Fprintf(tr.stderr, "drpilot: the run lock could not be released (%v): it expires on its own in %s\n", err, team.LeaseFor)
	}
}

// reportCopy says, once the run has stopped, when the audit bucket does
// not hold the whole log: the reviewers who read the copy must know.
func (tr *teamRun) reportCopy() {
	url := tr.store.LogURL(tr.runbook, tr.run)
	switch {
	case tr.uploader == nil:
		fmt.Fprintf(tr.stderr, "drpilot: the audit log was NOT copied to %s (%v): the run directory holds the only copy; copy it there when the bucket answers\n", url, tr.copyErr)
	case tr.uploader.Status().Behind > 0:
		c := tr.uploader.Status()
		fmt.Fprintf(tr.stderr, "drpilot: the copy in %s lacks the log's last %d lines (%v): resume or verify from the run directory, which holds them\n", url, c.Behind, c.Err)
	}
}

// status is what the run screen's header says about the lock and the
// log's copy; nil outside a team run.
func (tr *teamRun) status() func() string {
	if tr == nil {
		return nil
	}
	return func() string {
		lock := "NO LOCK"
		if tr.noLock == "" {
			tr.mu.Lock()
			lock = fmt.Sprintf("lock fence %d", tr.lease.Fence)
			tr.mu.Unlock()
		}
		tr.mu.Lock()
		u, copyErr := tr.uploader, tr.copyErr
		tr.mu.Unlock()
		switch {
		case u == nil && copyErr != nil:
			return lock + " · log NOT COPIED (retrying)"
		case u == nil:
			return lock + " · log copy starting"
		}
		c := u.Status()
		switch {
		case c.Behind == 0:
			return lock + " · log copied"
		case c.Err != nil:
			return fmt.Sprintf("%s · log copy %d lines behind for %s (retrying)", lock, c.Behind, time.Since(c.Since).Round(time.Second))
		}
		return fmt.Sprintf("%s · log copy %d lines behind", lock, c.Behind)
	}
}

// copyURL is where the log is copied, "" when it is not.
func (tr *teamRun) copyURL() string {
	if tr == nil {
		return ""
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if tr.uploader == nil {
		return ""
	}
	return tr.store.LogURL(tr.runbook, tr.run)
}

// interruptNote writes a note of drpilot's into the log.
func interruptNote(log *audit.Writer, text string) {
	log.Append(audit.Entry{Type: audit.TypeNote, Actor: "drpilot", Data: map[string]any{"text": text}})
}

// hostname names this machine for the lease.
func hostname() string {
	h, err := os.Hostname()
	if err != nil {
		return "unknown host"
	}
	return h
}
