package steps

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/drpilot/drpilot/audit"
	"github.com/drpilot/drpilot/runbooks"
)

// LogReader turns a run's audit log, line by line, back into the events
// the executor emitted while it wrote them: what `drpilot watch` feeds the
// run screen and the headless printer, so that a watcher sees the run as
// its operator does. The log records less than the executor emits (no
// "running" between an approval and the first request, no wait polls),
// so the reader infers what it can and no more: a step runs once a
// request of it is logged or a person approved it.
//
// A LogReader is not safe for concurrent use; one follower reads one log.
type LogReader struct {
	// calls are the requests logged without their response yet, by call
	// id: a response names only its call and operation, and the screen
	// wants the Region and input with the answer.
	calls map[string]CallInfo
	// running are the steps seen running, with their attempt; attempts
	// are the last attempt seen of each step, running or not.
	running, attempts map[string]int
	start             *audit.RunInfo
	// ended is set by run.end and run.paused; run.resumed clears it.
	ended *RunSummary
	// last is the time of the newest event read.
	last time.Time
}

// NewLogReader returns a reader at the start of a log.
func NewLogReader() *LogReader {
	return &LogReader{calls: map[string]CallInfo{}, running: map[string]int{}, attempts: map[string]int{}}
}

// Start is the run's run.start, once read.
func (r *LogReader) Start() *audit.RunInfo { return r.start }

// Ended is how the run ended or paused, or nil while it goes on.
func (r *LogReader) Ended() *RunSummary { return r.ended }

// Last is the time of the newest event read.
func (r *LogReader) Last() time.Time { return r.last }

// Line reads one line of events.jsonl.
func (r *LogReader) Line(line []byte) ([]Event, error) {
	var ev audit.Event
	if err := json.Unmarshal(line, &ev); err != nil {
		return nil, fmt.Errorf("audit log line is not an event: %w", err)
	}
	return r.Event(ev)
}

// Event translates one audit event into executor events: none for what
// the screen has no use for, several where the log implies a step moved
// on.
func (r *LogReader) Event(ev audit.Event) ([]Event, error) {
	at, _ := time.Parse(time.RFC3339Nano, ev.TS)
	if !at.IsZero() {
		r.last = at
	}
	base := Event{Time: at, Step: ev.Step}
	switch ev.Type {
	case audit.TypeRunStart:
		return r.runStart(base, ev)
	case audit.TypeRunResumed:
		r.ended = nil
		base.Type, base.Message = EventNote, "the run was resumed by "+ev.Actor
		return []Event{base}, nil
	case audit.TypeStepReady:
		var d struct {
			Title string `json:"title"`
		}
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return nil, dataError(ev, err)
		}
		delete(r.running, ev.Step)
		base.Type, base.Message = EventStepReady, d.Title
		return []Event{base}, nil
	case audit.TypePrecondition:
		var p PreconditionResult
		if err := json.Unmarshal(ev.Data, &p); err != nil {
			return nil, dataError(ev, err)
		}
		base.Type, base.Precondition, base.Message = EventPrecondition, &p, preconditionLine(p)
		return []Event{base}, nil
	case audit.TypeAWSRequest:
		return r.request(base, ev)
	case audit.TypeAWSResponse:
		return r.response(base, ev)
	case audit.TypeDecision:
		return r.decision(base, ev)
	case audit.TypeStepDone, audit.TypeStepFailed, audit.TypeStepSkipped:
		return r.outcome(base, ev)
	case audit.TypeNote:
		var d struct {
			Text string `json:"text"`
		}
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return nil, dataError(ev, err)
		}
		base.Type, base.Message = EventNote, d.Text
		if ev.Actor != "" && ev.Actor != actorDrpilot {
			base.Message = "note by " + ev.Actor + ": " + d.Text
		}
		return []Event{base}, nil
	case audit.TypeRunEnd, audit.TypeRunPaused:
		return r.runEnd(base, ev)
	}
	return nil, nil // a type this drpilot does not know: nothing to show
}

func dataError(ev audit.Event, err error) error {
	return fmt.Errorf("audit log seq %d (%s): data: %w", ev.Seq, ev.Type, err)
}

func (r *LogReader) runStart(base Event, ev audit.Event) ([]Event, error) {
	var start audit.RunInfo
	if err := json.Unmarshal(ev.Data, &start); err != nil {
		return nil, dataError(ev, err)
	}
	r.start = &start
	base.Type, base.Message = EventRunStarted, "run started ("+start.Mode+")"
	base.Run = &RunSummary{ID: ev.Run, Runbook: start.Runbook, Mode: start.Mode, Account: start.Account, CallerARN: start.CallerARN, Regions: start.Regions}
	return []Event{base}, nil
}

// runningEvent is the step.running the log implies, when the step was not
// seen running in this attempt yet.
func (r *LogReader) runningEvent(base Event, attempt int) []Event {
	if attempt <= 0 {
		attempt = max(r.attempts[base.Step], 1)
	}
	if r.running[base.Step] == attempt {
		return nil
	}
	r.running[base.Step], r.attempts[base.Step] = attempt, max(r.attempts[base.Step], attempt)
	base.Type, base.Attempt, base.Message = EventStepRunning, attempt, "running"
	return []Event{base}
}

func (r *LogReader) request(base Event, ev audit.Event) ([]Event, error) {
	var d struct {
		awsRequestData
		// URL is a webhook's, which has no Region.
		URL string `json:"url"`
	}
	if err := json.Unmarshal(ev.Data, &d); err != nil {
		return nil, dataError(ev, err)
	}
	where := " in " + d.Region
	if d.Region == "" {
		where = strings.TrimSuffix(" to "+d.URL, " to ")
	}
	out := r.runningEvent(base, d.Attempt)
	info := CallInfo{ID: d.Call, Operation: d.Operation, Region: d.Region, Mutating: true, Input: d.Input}
	if d.DryRun {
		base.Type, base.Call, base.Simulated = EventCallDone, &info, true
		base.Message = "dry-run: would send " + d.Operation + where
		return append(out, base), nil
	}
	r.calls[d.Call] = info
	base.Type, base.Call, base.Message = EventCallSent, &info, "sent "+d.Operation+where
	return append(out, base), nil
}

func (r *LogReader) response(base Event, ev audit.Event) ([]Event, error) {
	var d awsResponseData
	if err := json.Unmarshal(ev.Data, &d); err != nil {
		return nil, dataError(ev, err)
	}
	info, ok := r.calls[d.Call]
	if !ok {
		info = CallInfo{ID: d.Call, Operation: d.Operation, Mutating: true}
	}
	delete(r.calls, d.Call)
	info.RequestID, info.Error = d.RequestID, d.Error
	base.Type, base.Call, base.Error = EventCallDone, &info, d.Error
	return []Event{base}, nil
}

// decision shows who decided what. An operator's approval or a retry
// sets the step running: the log has no line between the answer and the
// first request.
func (r *LogReader) decision(base Event, ev audit.Event) ([]Event, error) {
	var d struct {
		decisionData
		Approval *audit.ApprovalRecord `json:"approval"`
	}
	if err := json.Unmarshal(ev.Data, &d); err != nil {
		return nil, dataError(ev, err)
	}
	base.Type = EventNote
	base.Message = strings.TrimSpace(fmt.Sprintf("decision by %s: %s", ev.Actor, d.Decision))
	if d.Approval != nil {
		// One signed answer of several a gate may need: the step runs
		// once its first request is logged, not on each approval.
		base.Message = fmt.Sprintf("signed %s by %s (key %s)", d.Decision, d.Approval.Approver, d.Approval.Key)
	}
	if d.Reason != "" {
		base.Message += " (" + d.Reason + ")"
	}
	var out []Event
	if ev.Step != "" && d.Approval == nil {
		switch Verdict(d.Decision) {
		case VerdictApprove:
			out = r.runningEvent(base, 0)
		case VerdictRetry:
			out = r.runningEvent(base, r.attempts[ev.Step]+1)
		}
	}
	return append([]Event{base}, out...), nil
}

func (r *LogReader) outcome(base Event, ev audit.Event) ([]Event, error) {
	var d struct {
		stepDoneData
		Error   string         `json:"error"`
		Reason  string         `json:"reason"`
		Outputs map[string]any `json:"outputs"`
	}
	if err := json.Unmarshal(ev.Data, &d); err != nil {
		return nil, dataError(ev, err)
	}
	delete(r.running, ev.Step)
	r.attempts[ev.Step] = max(r.attempts[ev.Step], d.Attempt)
	switch ev.Type {
	case audit.TypeStepDone:
		base.Type, base.Outputs, base.Simulated, base.Attempt, base.Message = EventStepDone, d.Outputs, d.Simulated, d.Attempt, "done"
		if d.Simulated {
			base.Message = "done (dry-run: simulated)"
		}
	case audit.TypeStepFailed:
		base.Type, base.Error, base.Attempt, base.Message = EventStepFailed, d.Error, d.Attempt, d.Error
	default:
		base.Type, base.Outputs, base.Message = EventStepSkipped, d.Outputs, d.Reason
	}
	return []Event{base}, nil
}

// runEnd is run.finished with the run's outcome: run.end seals the log;
// run.paused leaves it resumable.
func (r *LogReader) runEnd(base Event, ev audit.Event) ([]Event, error) {
	var d runEndData
	if err := json.Unmarshal(ev.Data, &d); err != nil {
		return nil, dataError(ev, err)
	}
	elapsed, _ := runbooks.ParseDuration(d.Elapsed)
	sum := &RunSummary{ID: ev.Run, Outcome: d.Outcome, Counts: d.Counts, Elapsed: elapsed, RTO: d.RTO,
		Reason: d.Reason, Needs: d.Needs, Blocked: d.Blocked, Resumable: ev.Type == audit.TypeRunPaused}
	if d.AbortReason != "" && sum.Reason == "" {
		sum.Reason = "aborted: " + d.AbortReason
	}
	if r.start != nil {
		sum.Runbook, sum.Mode, sum.Account, sum.CallerARN, sum.Regions = r.start.Runbook, r.start.Mode, r.start.Account, r.start.CallerARN, r.start.Regions
	}
	r.ended = sum
	base.Type, base.Run, base.Message = EventRunFinished, sum, "run "+d.Outcome
	return []Event{base}, nil
}
