package ui

import (
	"fmt"
	"time"

	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/steps"
)

// Step statuses as the screen shows them. They refine the executor's with
// the moments in between: ready (preconditions being read) and awaiting
// (a gate asks the operator).
const (
	stPending  = "pending"
	stReady    = "ready"
	stAwaiting = "awaiting"
	stRunning  = "running"
	stDone     = "done"
	stFailed   = "failed"
	stSkipped  = "skipped"
)

// stepView is what the screen knows of one step.
type stepView struct {
	plan          *runbooks.PlannedStep
	status        string
	started       time.Time
	ended         time.Time
	attempt       int
	preconditions []steps.PreconditionResult
	calls         []steps.CallInfo
	wait          *steps.WaitProgress
	waitState     string
	outputs       map[string]any
	err           string
	note          string // the last note or skip reason
	simulated     bool
	// row is the step's line in the list as last drawn, and what it was
	// drawn from: a frame draws again only the rows whose inputs changed.
	row cachedRow
}

// runState is the run as the events tell it. apply is a pure function of
// the events, so it is tested without a terminal.
type runState struct {
	steps []*stepView
	index map[string]int
	// rows are the step list's lines: a phase's heading (step -1) before
	// its steps. They are fixed by the plan, so a frame finds the lines in
	// view without going through every step.
	rows    []listRow
	rowOf   []int // the row of each step
	log     []logLine
	started time.Time
	summary *steps.RunSummary
}

// logLine is one line of the event log.
type logLine struct {
	at   time.Time
	step string
	text string
	bad  bool
}

// maxLog bounds the event log the screen keeps.
const maxLog = 10000

func newRunState(plan *runbooks.RunPlan) *runState {
	s := &runState{index: map[string]int{}}
	for _, phase := range plan.Phases {
		for i := range phase.Steps {
			ps := &phase.Steps[i]
			if len(s.steps) == 0 || s.steps[len(s.steps)-1].plan.Phase != ps.Phase {
				s.rows = append(s.rows, listRow{step: -1, phase: ps.Phase})
			}
			s.index[ps.ID] = len(s.steps)
			s.rowOf = append(s.rowOf, len(s.rows))
			s.rows = append(s.rows, listRow{step: len(s.steps)})
			s.steps = append(s.steps, &stepView{plan: ps, status: stPending})
		}
	}
	return s
}

// step returns a step's view, or nil for events of no step.
func (s *runState) step(id string) *stepView {
	if i, ok := s.index[id]; ok {
		return s.steps[i]
	}
	return nil
}

// apply folds one executor event into the state. Events of steps it does
// not know, or without the part their type promises, are only logged.
func (s *runState) apply(e steps.Event) {
	st := s.step(e.Step)
	if st == nil && e.Step != "" || !complete(e) {
		s.addLog(e)
		return
	}
	switch e.Type {
	case steps.EventRunStarted:
		s.started = e.Time
	case steps.EventRunFinished:
		s.summary = e.Run
	case steps.EventStepReady:
		st.status, st.started, st.err = stReady, e.Time, ""
		st.preconditions = nil
	case steps.EventPrecondition:
		st.preconditions = append(st.preconditions, *e.Precondition)
	case steps.EventAwaiting:
		st.status = stAwaiting
		if e.Message != "" {
			st.note = e.Message // who has approved, who is awaited
		}
	case steps.EventStepRunning:
		st.status, st.attempt = stRunning, e.Attempt
	case steps.EventCallSent, steps.EventCallDone:
		st.addCall(*e.Call, e.Simulated)
	case steps.EventWaitProgress:
		st.wait, st.waitState = e.Wait, e.Wait.State
	case steps.EventStepDone:
		st.status, st.ended, st.outputs, st.simulated = stDone, e.Time, e.Outputs, e.Simulated
	case steps.EventStepFailed:
		st.status, st.ended, st.err = stFailed, e.Time, e.Error
	case steps.EventStepSkipped:
		st.status, st.ended, st.note = stSkipped, e.Time, e.Message
	case steps.EventNote:
		if st != nil {
			st.note = e.Message
		}
	}
	if e.Type != steps.EventWaitProgress || logsPoll(e.Wait) {
		s.addLog(e)
	}
}

// logsPoll reports whether a wait's poll goes to the event log: its first
// ones and every fifth, so that a long wait does not flood it.
func logsPoll(w *steps.WaitProgress) bool {
	return w.Polls <= 1 || w.Polls%5 == 0
}

// complete reports whether an event carries what its type promises.
func complete(e steps.Event) bool {
	switch e.Type {
	case steps.EventPrecondition:
		return e.Precondition != nil
	case steps.EventCallSent, steps.EventCallDone:
		return e.Call != nil
	case steps.EventWaitProgress:
		return e.Wait != nil
	case steps.EventStepReady, steps.EventAwaiting, steps.EventStepRunning, steps.EventStepDone, steps.EventStepFailed, steps.EventStepSkipped:
		return e.Step != ""
	}
	return true
}

// addCall records a call, replacing its "sent" record with its answer.
func (st *stepView) addCall(c steps.CallInfo, simulated bool) {
	for i := range st.calls {
		if st.calls[i].ID == c.ID && c.ID != "" {
			st.calls[i] = c
			return
		}
	}
	st.calls = append(st.calls, c)
	st.simulated = st.simulated || simulated
}

func (s *runState) addLog(e steps.Event) {
	text := e.Message
	switch {
	case e.Type == steps.EventWaitProgress && e.Wait != nil && e.Wait.Polls == 0:
		text = "waiting: " + e.Wait.State // news, not a poll (a stack's event)
	case e.Type == steps.EventWaitProgress && e.Wait != nil:
		text = fmt.Sprintf("waiting: %s (poll %d)", e.Wait.State, e.Wait.Polls)
	case e.Type == steps.EventCallDone && e.Call != nil && !e.Simulated:
		text = e.Call.Summary()
	case e.Type == steps.EventStepRunning:
		// The step's title is on its ready line already, just above.
		text = "running"
		if e.Attempt > 1 {
			text = fmt.Sprintf("running (attempt %d)", e.Attempt)
		}
	}
	if text == "" {
		text = string(e.Type)
	}
	bad := e.Type == steps.EventStepFailed || e.Type == steps.EventStepRetry || e.Call != nil && e.Call.Error != "" ||
		e.Type == steps.EventPrecondition && e.Precondition != nil && !e.Precondition.Holds
	s.log = append(s.log, logLine{at: e.Time, step: e.Step, text: text, bad: bad})
	if len(s.log) > maxLog {
		s.log = s.log[len(s.log)-maxLog:]
	}
}

// counts returns how many steps are done, running (any state between ready
// and the end) and failed.
func (s *runState) counts() (done, running, failed, skipped int) {
	for _, st := range s.steps {
		switch st.status {
		case stDone:
			done++
		case stReady, stAwaiting, stRunning:
			running++
		case stFailed:
			failed++
		case stSkipped:
			skipped++
		}
	}
	return
}

// firstActive is the index of the step to follow: the first awaiting an
// answer, else the first running, else -1.
func (s *runState) firstActive() int {
	for _, want := range []string{stAwaiting, stRunning, stReady} {
		for i, st := range s.steps {
			if st.status == want {
				return i
			}
		}
	}
	return -1
}

// remainingCritical is the expected time of the critical path's steps not
// finished yet: the RTO projection adds it to the time elapsed.
func (s *runState) remainingCritical() time.Duration {
	var d time.Duration
	for _, st := range s.steps {
		if st.plan.Critical && st.status != stDone && st.status != stSkipped && st.status != stFailed {
			d += st.plan.Expect.Duration
		}
	}
	return d
}
