package steps

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/drpilot/drpilot/audit"
	"github.com/drpilot/drpilot/runbooks"
)

// The failure rules. A step runs only when every step it waits for is done,
// skipped by a person, or failed with its failure allowed: by the runbook
// (on_failure = continue) or by a person's recorded decision. A step after
// a failure nobody allowed never runs in this run; it is "not-run", and the
// run's summary names the failure that holds it. The run then ends FAILED
// but resumable, unless an operator aborts it for good.

// phaseVerify is the phase whose failure means the recovery is unproven.
const phaseVerify = "verify"

// depState is what a step's dependencies allow.
type depState int

const (
	depsWait    depState = iota // some are still pending or running
	depsReady                   // every one is finished and lets it run
	depsBlocked                 // one failed without allowance, or never will run
)

// deps reports what step i's dependencies allow. Called with e.mu held.
func (e *Executor) deps(i int) depState {
	state := depsReady
	for _, d := range e.graph.Deps[i] {
		switch e.status[d] {
		case StatusDone, StatusSkipped:
		case StatusFailed:
			if !e.allowed[d] {
				return depsBlocked
			}
		case StatusNotRun, StatusInterrupted:
			return depsBlocked
		default:
			state = depsWait
		}
	}
	return state
}

// ready marks and returns the steps that may start now: pending, with
// every dependency finished and letting it run, within the parallel
// budget, while the run is neither stopping, interrupted nor aborted.
// Steps start in topological order, which follows the file.
func (e *Executor) ready(inFlight int) []int {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.stopping || e.abortWhy != "" || e.interrupted != "" {
		return nil
	}
	var out []int
	for _, i := range e.graph.Order {
		if inFlight+len(out) >= e.opts.Parallel {
			break
		}
		if e.status[i] != StatusPending || e.deps(i) != depsReady {
			continue
		}
		e.status[i] = StatusRunning
		out = append(out, i)
	}
	return out
}

// settle records a finished step.
func (e *Executor) settle(r stepResult) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.status[r.index] = r.status
	e.allowed[r.index] = r.status == StatusSkipped || (r.status == StatusFailed && r.allowed)
	if r.stop && !e.stopping {
		e.stopping = true
		e.stopWhy = "the run stopped after " + e.steps[r.index].ID + " failed"
		if r.need != nil {
			e.stopWhy = "the run stopped where " + e.steps[r.index].ID + " needs " + article(r.need.Kind)
		}
	}
	if r.need != nil {
		e.needs = append(e.needs, *r.need)
	}
}

// Interrupt stops the run at a safe point, resumably: nothing new starts,
// questions are withdrawn, waits end, and a mutating call in flight is
// answered and logged before its step stops. The log is left open for
// drpilot resume; only Abort ends a run for good.
func (e *Executor) Interrupt(reason string) {
	e.mu.Lock()
	if e.interrupted != "" || e.abortWhy != "" {
		e.mu.Unlock()
		return
	}
	e.interrupted = reason
	inFlight := len(e.running)
	if e.cancelRun != nil {
		e.cancelRun(errInterrupted{reason})
	}
	e.mu.Unlock()
	e.emit(Event{Type: EventNote, Message: fmt.Sprintf("interrupted (%s): stopping at a safe point; %d running step(s) stop once their calls in flight are answered and logged; a second signal quits at once", reason, inFlight)})
}

// errInterrupted is the cause the run is cancelled with on Interrupt.
type errInterrupted struct{ reason string }

func (e errInterrupted) Error() string { return "run interrupted: " + e.reason }

// interruptedStep records a step the interruption stopped: it is not
// finished, and resume runs it again (its calls reconciled first).
func (e *Executor) interruptedStep(i int) stepResult {
	ps := e.steps[i]
	msg := "interrupted before it finished: drpilot resume runs it again, reading the resource's state before sending anything"
	e.record(audit.TypeNote, ps.ID, actorDrpilot, map[string]any{"interrupted": true, "text": msg})
	e.emit(Event{Type: EventNote, Step: ps.ID, Message: msg})
	return stepResult{index: i, status: StatusInterrupted}
}

// finish marks what never ran and ends the log: sealed when the run is
// over (it completed, or was aborted), left resumable with a run.paused
// event when something is left to do (an interruption, a failure nobody
// allowed, a question nobody was there to answer).
func (e *Executor) finish() (*RunSummary, error) {
	e.skipWhatCannotStart()
	sum := e.summary("")
	e.mu.Lock()
	counts := map[string]int{}
	for i, st := range e.status {
		if st == StatusPending || st == StatusRunning {
			e.status[i] = StatusNotRun
			st = StatusNotRun
		}
		counts[st]++
	}
	sum.Outcome, sum.Resumable, sum.Reason = e.outcome(counts)
	sum.Needs = slices.Clone(e.needs)
	sum.Blocked = e.blocked()
	abortWhy := e.abortWhy
	e.mu.Unlock()
	sum.Counts = counts
	// From the run's first start: a resumed run's RTO counts the time it
	// spent stopped.
	sum.Elapsed = e.now().Sub(e.opts.StartedAt)
	budget := e.opts.Plan.Budget
	facts := audit.RTOFacts{Outcome: sum.Outcome, Mode: string(e.opts.Mode), Elapsed: sum.Elapsed, Projected: budget.CriticalPath.Duration}
	if budget.RTO != nil {
		facts.Target = budget.RTO.Duration
	}
	sum.RTO = audit.RTOVerdict(facts)
	data := runEndData{Outcome: sum.Outcome, Counts: counts,
		Elapsed: runbooks.FormatDuration(sum.Elapsed.Round(time.Second)), AbortReason: abortWhy,
		Reason: sum.Reason, RTO: sum.RTO, Needs: sum.Needs, Blocked: sum.Blocked, APIPolls: e.pollCount.Load()}
	if e.opts.Mode == ModeSandbox {
		data.Sim, data.SimStarted = simStamp(e.opts.StartedAt.Add(sum.Elapsed)), simStamp(e.opts.StartedAt)
	}
	var err error
	if sum.Resumable {
		err = e.opts.Audit.Pause(actorDrpilot, data)
	} else {
		err = e.opts.Audit.Seal(actorDrpilot, data)
	}
	msg := fmt.Sprintf("run %s %s in %s", e.opts.RunID, sum.Outcome, runbooks.FormatDuration(sum.Elapsed.Round(time.Second)))
	if sum.Reason != "" {
		msg += ": " + sum.Reason
	}
	e.emit(Event{Type: EventRunFinished, Run: sum, Message: msg})
	if err != nil {
		return sum, fmt.Errorf("end the audit log: %w", err)
	}
	return sum, nil
}

// skipWhatCannotStart carries out the skips asked for steps that never
// started (a failure before them held them, or the run stopped): the
// decision is in the log, so the skip must be too, and a resumed run then
// finds the step skipped.
func (e *Executor) skipWhatCannotStart() {
	e.mu.Lock()
	var left []int
	for id := range e.skips {
		if i := e.opts.Runbook.StepIndex(id); i >= 0 && e.status[i] == StatusPending {
			left = append(left, i)
		}
	}
	slices.Sort(left)
	skips := make([]errSkipped, len(left))
	for k, i := range left {
		skips[k] = e.skips[e.steps[i].ID]
		delete(e.skips, e.steps[i].ID)
	}
	e.mu.Unlock()
	for k, i := range left {
		e.settle(e.skipped(i, skips[k]))
	}
}

// outcome decides how the run ended and whether it can be resumed.
// Called with e.mu held, after every step has settled.
func (e *Executor) outcome(counts map[string]int) (outcome string, resumable bool, reason string) {
	if e.abortWhy != "" {
		return OutcomeAborted, false, "aborted: " + e.abortWhy
	}
	var unallowed, verifyFailed []string
	for i, st := range e.status {
		if st == StatusFailed && !e.allowed[i] {
			unallowed = append(unallowed, e.steps[i].ID)
		}
		// A verification that failed did not verify, whether the runbook
		// allowed the failure or a person then skipped the step.
		if e.steps[i].Phase == phaseVerify && e.failedOnce[i] && st != StatusDone {
			verifyFailed = append(verifyFailed, e.steps[i].ID)
		}
	}
	left := counts[StatusNotRun] + counts[StatusInterrupted] + len(unallowed)
	switch {
	case e.interrupted != "":
		return OutcomePaused, true, "interrupted: " + e.interrupted
	case len(unallowed) > 0:
		return OutcomeFailed, true, "failed without allowance: " + strings.Join(unallowed, ", ")
	case left > 0 && len(e.needs) > 0:
		return OutcomePaused, true, "waiting for a person: " + needsLine(e.needs)
	case left > 0:
		return OutcomeFailed, true, fmt.Sprintf("%d step(s) did not run", left)
	case len(verifyFailed) > 0:
		// The runbook allowed these failures, but a recovery whose
		// verification failed is not a recovery anyone can claim.
		return OutcomeFailed, false, "verification failed: " + strings.Join(verifyFailed, ", ")
	case e.unmetInDryRun > 0:
		return OutcomeFailed, false, fmt.Sprintf("%d precondition(s) do not hold now, before any change: a live run would stop there", e.unmetInDryRun)
	}
	return OutcomeSucceeded, false, ""
}

// blocked says, for each step that did not run, what holds it: the first
// failure nobody allowed, the step waiting for a person, or the
// interruption. Called with e.mu held.
func (e *Executor) blocked() []Blocked {
	var out []Blocked
	for _, i := range e.graph.Order {
		if e.status[i] != StatusNotRun {
			continue
		}
		out = append(out, Blocked{Step: e.steps[i].ID, Because: e.because(i)})
	}
	return out
}

// because names why step i did not run. Called with e.mu held.
func (e *Executor) because(i int) string {
	for _, n := range e.needs {
		if n.Step == e.steps[i].ID {
			return n.Kind + " needed"
		}
	}
	for _, j := range e.graph.Order {
		if !e.graph.DependsOn(i, j) {
			continue
		}
		switch {
		case e.status[j] == StatusFailed && !e.allowed[j]:
			return "after " + e.steps[j].ID + ", which failed without allowance"
		case e.status[j] == StatusInterrupted:
			return "after " + e.steps[j].ID + ", which was interrupted"
		}
	}
	switch {
	case e.interrupted != "":
		return "the run was interrupted"
	case e.stopping:
		return e.stopWhy
	}
	for _, j := range e.graph.Order {
		if e.graph.DependsOn(i, j) && e.status[j] == StatusNotRun {
			return "after " + e.steps[j].ID + ", which did not run"
		}
	}
	return "not started"
}

// article puts "a" or "an" before a word.
func article(w string) string {
	if strings.ContainsAny(w[:1], "aeiou") {
		return "an " + w
	}
	return "a " + w
}

// needsLine lists what people must do, briefly.
func needsLine(needs []Need) string {
	parts := make([]string, len(needs))
	for k, n := range needs {
		parts[k] = n.Kind + " for " + n.Step
	}
	return strings.Join(parts, ", ")
}

// runEndData is the data of run.end and run.paused.
type runEndData struct {
	Outcome     string         `json:"outcome"`
	Counts      map[string]int `json:"counts"`
	Elapsed     string         `json:"elapsed"`
	AbortReason string         `json:"abort_reason,omitempty"`
	Reason      string         `json:"reason,omitempty"`
	RTO         string         `json:"rto,omitempty"`
	Needs       []Need         `json:"needs,omitempty"`
	Blocked     []Blocked      `json:"blocked,omitempty"`
	APIPolls    int64          `json:"api_polls"`
	// Sim and SimStarted are, in sandbox mode, the sandbox's clock now and
	// when the run started (Elapsed is the one less the other).
	Sim        string `json:"sim,omitempty"`
	SimStarted string `json:"sim_started,omitempty"`
}

// waitForPerson marks a running step as waiting for a person until the
// returned function is called.
func (e *Executor) waitForPerson() (done func()) {
	e.mu.Lock()
	e.waitingForPeople++
	e.mu.Unlock()
	e.repace()
	return func() {
		e.mu.Lock()
		e.waitingForPeople--
		e.mu.Unlock()
		e.repace()
	}
}

// repace tells Pace whether every running step now waits for a person.
// Steps starting and ending call it too.
func (e *Executor) repace() {
	if e.opts.Pace == nil {
		return
	}
	// One at a time, so that two changes are told in the order they
	// happened.
	e.paceMu.Lock()
	defer e.paceMu.Unlock()
	e.mu.Lock()
	peopleOnly := e.waitingForPeople >= len(e.running)
	e.mu.Unlock()
	e.opts.Pace(peopleOnly)
}

// askWithin runs a question to the Approver as a wait for a person.
func askWithin[T any](e *Executor, ask func() (T, error)) (T, error) {
	done := e.waitForPerson()
	defer done()
	return ask()
}
