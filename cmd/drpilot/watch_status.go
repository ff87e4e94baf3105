package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/drpilot/drpilot/audit"
	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/steps"
	"github.com/drpilot/drpilot/team"
	"github.com/drpilot/drpilot/ui"
)

// statusEvery is how often the watch reads the lock and the gates again.
const statusEvery = time.Second

// approver is the watcher as an approver: their key and its name among
// the team's, or why they cannot approve.
type approver struct {
	name   string
	priv   ed25519.PrivateKey
	cannot string
	keys   []team.TrustedKey
}

// loadApprover reads the watcher's signing key and the team's keys next
// to the runbook.
func (w *watcher) loadApprover() approver {
	dir := filepath.Join(filepath.Dir(w.rb.File), "keys")
	keys, err := team.LoadKeys(dir)
	if err != nil {
		return approver{cannot: "the team's keys cannot be read: " + err.Error()}
	}
	a := approver{keys: keys}
	path, _, err := audit.KeyPath(w.opts.key)
	if err == nil {
		a.priv, err = audit.ReadKey(path)
	}
	if err != nil {
		a.cannot = fmt.Sprintf("you cannot approve: no signing key (%v); give it with --key", err)
		return a
	}
	k, ok := team.KeyOf(keys, a.priv.Public().(ed25519.PublicKey))
	if !ok {
		a.cannot = fmt.Sprintf("you cannot approve: your key %s is not among the team's keys (%s/*.pub)", audit.Fingerprint(a.priv.Public().(ed25519.PublicKey)), dir)
		return a
	}
	a.name = k.Name
	return a
}

// status is what the watch knows besides the events.
type status struct {
	w     *watcher
	me    approver
	mu    sync.Mutex
	gates map[string]team.GateBody // the open gates, by step
}

// read builds the screen's status: whose run, how fresh the log is, and
// the open gates with their approvals.
func (s *status) read(ctx context.Context) ui.WatchStatus {
	w := s.w
	st := ui.WatchStatus{Header: s.header(ctx), Steps: map[string]ui.WatchStep{}}
	w.mu.Lock()
	waiting := slices.Sorted(maps.Keys(w.waiting))
	last, ended, problem := w.lastLine, !w.endedAt.IsZero(), w.problem
	w.mu.Unlock()
	st.Problem = problem
	if !last.IsZero() && !ended {
		st.Lag = fmt.Sprintf("log: last line %s ago", time.Since(last).Round(time.Second))
		if _, copied := w.src.(*s3Source); copied {
			st.Lag = "log copy: last line " + strings.TrimPrefix(st.Lag, "log: last line ")
		}
	}
	gates := map[string]team.GateBody{}
	for _, step := range waiting {
		if !mayWaitForApprovals(w.plan, step) {
			continue
		}
		if ws, g, ok := s.gate(ctx, step); ok {
			st.Steps[step], gates[step] = ws, g
		}
	}
	s.mu.Lock()
	s.gates = gates
	s.mu.Unlock()
	return st
}

// header says whose run it is: the lock's holder when the watch was given
// a runbook, else where the log is read.
func (s *status) header(ctx context.Context) string {
	w := s.w
	head := "WATCHING run " + w.run
	runbook := w.leaseOf
	if runbook == "" && w.rb != nil && w.store != nil && w.store.Config().LockTable != "" {
		runbook = w.rb.ID
	}
	if runbook == "" {
		return head + " — " + w.src.Where()
	}
	lease, found, err := w.store.Current(ctx, runbook)
	switch {
	case w.leaseOf == "":
		return head + " — " + w.src.Where()
	case err != nil:
		return head + " — the lock cannot be read: " + err.Error()
	case !found:
		return head + " — nobody holds the lock"
	case !lease.Held(w.store.Now()):
		return fmt.Sprintf("%s — nobody holds the lock; showing the last run, %s", head, lease.Run)
	case lease.Run != w.run:
		return fmt.Sprintf("%s — the lock is now held by %s on %s for another run, %s: watch the runbook again to follow it", head, lease.Holder, lease.Host, lease.Run)
	}
	return fmt.Sprintf("%s — held by %s on %s (fence %d, renewed %s ago)", head, lease.Holder, lease.Host, lease.Fence,
		w.store.Now().Sub(lease.Renewed).Round(time.Second))
}

// gate reads a waiting step's gate from the lock table, and tallies its
// answers; ok is false when the step waits at no open gate.
func (s *status) gate(ctx context.Context, step string) (ui.WatchStep, team.GateBody, bool) {
	w := s.w
	if w.store == nil || w.store.Config().LockTable == "" {
		return ui.WatchStep{}, team.GateBody{}, false
	}
	g, open, err := w.store.Gate(ctx, w.run, step)
	if err != nil || !open {
		return ui.WatchStep{}, team.GateBody{}, false
	}
	runbook := w.leaseOf
	if runbook == "" && w.rb != nil {
		runbook = w.rb.ID
	}
	if runbook != "" {
		// Only the asking of the process that holds the lock waits.
		if _, err := w.store.Asking(ctx, runbook, w.run, step); err != nil {
			return ui.WatchStep{}, team.GateBody{}, false
		}
	}
	answers, bad, err := w.store.Answers(ctx, w.run, step, s.me.keys)
	if err != nil {
		return ui.WatchStep{Approvals: "approvals: cannot be read: " + err.Error()}, g, true
	}
	t := team.Count(g, s.me.keys, answers) // the operator's approval is among them
	t.Ignored = append(t.Ignored, bad...)
	return ui.WatchStep{Approvals: tallyLine(t), Gate: gateLines(g), CannotApprove: s.cannot(g, t)}, g, true
}

// tallyLine is "approvals: 1 of 2 — alice ✓; awaiting bob, carol".
func tallyLine(t team.Tally) string {
	var parts []string
	for _, a := range t.Approved {
		parts = append(parts, a.Statement.Approver+" ✓")
	}
	if t.Denied != nil {
		parts = append(parts, fmt.Sprintf("%s ✗ DENIED (%s)", t.Denied.Statement.Approver, t.Denied.Statement.Reason))
	}
	if len(t.Awaited) > 0 && !t.Done() { // a decided gate awaits nobody
		parts = append(parts, "awaiting "+strings.Join(t.Awaited, ", "))
	}
	line := fmt.Sprintf("approvals: %d of %d", len(t.Approved), t.Needed)
	if len(parts) > 0 {
		line += " — " + strings.Join(parts, "; ")
	}
	return line
}

// gateLines are what the gate shows, as the running executor published
// it: what an approval approves.
func gateLines(g team.GateBody) []string {
	lines := []string{"the gate, as published by " + g.Operator + ":"}
	for _, c := range g.Calls {
		lines = append(lines, fmt.Sprintf("  %s in %s %s", c.Operation, c.Region, runbooks.CompactJSON(c.Input)))
	}
	for _, item := range g.Checklist {
		lines = append(lines, "  [ ] "+item)
	}
	for _, r := range g.Requires {
		lines = append(lines, "  requires "+r)
	}
	return lines
}

// cannot says why the watcher cannot answer a gate, or "".
func (s *status) cannot(g team.GateBody, t team.Tally) string {
	me := s.me
	switch {
	case me.cannot != "":
		return me.cannot
	case len(g.Approvers) > 0 && !slices.Contains(g.Approvers, me.name):
		return fmt.Sprintf("you (%s) are not among the approvers of %s: %s", me.name, g.Step, strings.Join(g.Approvers, ", "))
	case !slices.Contains(t.Awaited, me.name):
		return fmt.Sprintf("you (%s) have answered %s already", me.name, g.Step)
	}
	return ""
}

// answer writes the watcher's signed answer to a step's open gate.
func (s *status) answer(ctx context.Context, step string, approve bool, reason string) error {
	s.mu.Lock()
	g, ok := s.gates[step]
	s.mu.Unlock()
	if !ok {
		return fmt.Errorf("%s no longer waits at its gate", step)
	}
	verdict := team.Deny
	if approve {
		verdict = team.Approve
	}
	_, err := s.w.store.Answer(ctx, s.me.priv, s.me.name, g, verdict, reason)
	if errors.Is(err, team.ErrAnswered) {
		return fmt.Errorf("you have answered %s already", step)
	}
	return err
}

// tui shows the run screen, read-only, until the watcher quits.
func (w *watcher) tui(ctx context.Context) error {
	s := &status{w: w, me: w.loadApprover()}
	start := w.reader.Start()
	model := ui.New(ui.Options{
		Plan: w.plan, Mode: steps.Mode(start.Mode), Account: start.Account, CallerARN: start.CallerARN, Actor: actor(),
		Now: w.clock,
		Watch: &ui.Watch{Answer: func(step string, approve bool, reason string) error {
			return s.answer(ctx, step, approve, reason)
		}},
	})
	program := tea.NewProgram(model, tea.WithOutput(w.opts.stdout), tea.WithContext(ctx))
	bridge := ui.NewBridge(program.Send)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		if err := w.follow(ctx, bridge.Event, false); err != nil && ctx.Err() == nil {
			// A line that is not an event: the log cannot be followed
			// past it, and the screen says so.
			w.mu.Lock()
			w.problem = "the log cannot be followed: " + err.Error()
			w.mu.Unlock()
		}
	}()
	go func() {
		for ctx.Err() == nil {
			program.Send(s.read(ctx))
			select {
			case <-ctx.Done():
			case <-time.After(statusEvery):
			}
		}
	}()
	if _, err := program.Run(); err != nil && !errors.Is(err, tea.ErrProgramKilled) {
		return fmt.Errorf("terminal UI: %w", err)
	}
	return nil
}

// clock is the watch's clock: the wall clock while the run goes on (the
// log's times are the run's wall clock), its end once it ended.
func (w *watcher) clock() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.endedAt.IsZero() {
		return w.endedAt
	}
	return time.Now()
}
