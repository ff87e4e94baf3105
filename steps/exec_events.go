package steps

import "time"

// EventType names what happened. The names are part of drpilot's stable
// interface: the headless printer writes them as JSON lines (see
// docs/events.md) and the TUI switches on them.
type EventType string

// The executor's events, in the order a step goes through them.
const (
	EventRunStarted   EventType = "run.started"
	EventStepReady    EventType = "step.ready"
	EventPrecondition EventType = "precondition"
	EventAwaiting     EventType = "step.awaiting" // a gate asks the Approver
	EventStepRunning  EventType = "step.running"
	EventCallSent     EventType = "call.sent"
	EventCallDone     EventType = "call.done"
	EventWaitProgress EventType = "wait.progress"
	EventStepRetry    EventType = "step.retry"
	EventStepDone     EventType = "step.done"
	EventStepFailed   EventType = "step.failed"
	EventStepSkipped  EventType = "step.skipped"
	EventNote         EventType = "note"
	EventRunFinished  EventType = "run.finished"
)

// Terminal reports whether observers must never lose an event of this
// type; only wait progress may be coalesced.
func (t EventType) Terminal() bool { return t != EventWaitProgress }

// Event is one thing the executor reports. Type says which of the optional
// fields are set.
type Event struct {
	Type EventType `json:"type"`
	Time time.Time `json:"time"`
	Step string    `json:"step,omitempty"`
	// Message is a one-line, human-readable summary of the event.
	Message string `json:"message,omitempty"`
	// Attempt counts a step's tries from 1 (step.running, step.retry).
	Attempt      int                 `json:"attempt,omitempty"`
	Precondition *PreconditionResult `json:"precondition,omitempty"`
	Call         *CallInfo           `json:"call,omitempty"`
	Wait         *WaitProgress       `json:"wait,omitempty"`
	// Error is the failure (step.failed, step.retry, a failed call).
	Error string `json:"error,omitempty"`
	// Outputs are the values a done step captured.
	Outputs map[string]any `json:"outputs,omitempty"`
	// Simulated marks a dry-run answer that AWS never gave.
	Simulated bool `json:"simulated,omitempty"`
	// Run is set on run.started and run.finished.
	Run *RunSummary `json:"run,omitempty"`
}

// PreconditionResult is one require evaluated just before its step.
type PreconditionResult struct {
	Index  int    `json:"index"`
	Call   string `json:"call"`
	Region string `json:"region"`
	Query  string `json:"query,omitempty"`
	// Observed is the query's result.
	Observed any      `json:"observed"`
	Tests    []string `json:"tests"`
	Holds    bool     `json:"holds"`
	// Why is the runbook's reason for the precondition; Failure says which
	// test failed or which error prevented the check.
	Why       string `json:"why,omitempty"`
	Failure   string `json:"failure,omitempty"`
	RequestID string `json:"request_id,omitempty"`
	// Unchecked says the precondition could not be checked at all: its
	// read failed (throttled past its retries, a 5xx, access denied), and
	// Failure is that error. It is not a precondition that does not hold:
	// nothing was observed.
	Unchecked bool `json:"unchecked,omitempty"`
	// NotSent says the read was not sent at all, its input holding a dry
	// run's simulated marker (SimulatedInputError); Unchecked is set too.
	NotSent bool `json:"not_sent,omitempty"`
}

// CallInfo is one AWS call of a step.
type CallInfo struct {
	ID        string         `json:"id"` // unique in the run: <step>/<n>
	Operation string         `json:"operation"`
	Region    string         `json:"region"`
	Mutating  bool           `json:"mutating"`
	Input     map[string]any `json:"input,omitempty"`
	RequestID string         `json:"request_id,omitempty"`
	Error     string         `json:"error,omitempty"`
	// Duration is the call's wall time, retries by the SDK included.
	Duration time.Duration `json:"duration_ns,omitempty"`
	// Delivery is set on a call that tells a person something (notify):
	// whom, how, and the words, which the input alone does not show
	// plainly (the contact's name is in no input).
	Delivery *Delivery `json:"delivery,omitempty"`
	// Changes are set on a request that carries out a CloudFormation
	// change set: the resource changes CloudFormation computed for it
	// before the gate, which the input (a change set's name) does not
	// show. They are what an approver of a stack deployment approves.
	Changes []ResourceChange `json:"changes,omitempty"`
}

// ResourceChange is one resource change of a CloudFormation change set.
type ResourceChange struct {
	// Action is Add, Modify, Remove, Import or Dynamic.
	Action            string `json:"action"`
	LogicalResourceID string `json:"logical_resource_id"`
	ResourceType      string `json:"resource_type"`
	// Replacement, for a Modify, is True, False or Conditional: whether
	// the resource is replaced (a new physical resource, the old one
	// deleted).
	Replacement string `json:"replacement,omitempty"`
}

// Delivery is one message to one contact on one channel.
type Delivery struct {
	// Contact is the [[contacts]] id, Name the contact's name.
	Contact string `json:"contact"`
	Name    string `json:"name,omitempty"`
	// Channel is the contact field the message goes by (sns_topic, email,
	// ssm_contact, webhook) and Address its value there: the topic ARN,
	// the email address, the contact ARN or the URL.
	Channel string `json:"channel,omitempty"`
	Address string `json:"address,omitempty"`
	// Subject and Message are the words as this channel sends them: SNS,
	// for one, takes a shorter subject on one line.
	Subject string `json:"subject,omitempty"`
	Message string `json:"message,omitempty"`
}

// WaitProgress is one poll of an action's built-in wait.
type WaitProgress struct {
	Operation string `json:"operation,omitempty"`
	// State is what the poll observed, such as "creating" or "2/3 healthy".
	State string `json:"state"`
	Polls int    `json:"polls"`
	// Elapsed is the time since the wait began; Expect the step's expected
	// duration, for a progress bar.
	Elapsed time.Duration `json:"elapsed_ns"`
	Expect  time.Duration `json:"expect_ns,omitempty"`
}

// RunSummary describes the run on run.started and its outcome on
// run.finished.
type RunSummary struct {
	ID        string            `json:"id"`
	Runbook   string            `json:"runbook"`
	Mode      string            `json:"mode"`
	Account   string            `json:"account,omitempty"`
	CallerARN string            `json:"caller_arn,omitempty"`
	Regions   map[string]string `json:"regions,omitempty"`
	AuditDir  string            `json:"audit_dir,omitempty"`
	// Outcome is set at the end: succeeded, failed, paused or aborted.
	Outcome string         `json:"outcome,omitempty"`
	Counts  map[string]int `json:"counts,omitempty"`
	// Elapsed is the run's time at the end, on the mode's clock (the
	// sandbox's simulated clock in sandbox mode).
	Elapsed time.Duration `json:"elapsed_ns,omitempty"`
	// RTO is the run's time against its RTO target in one line, as every
	// report says it (audit.RTOVerdict): set at the end.
	RTO string `json:"rto,omitempty"`
	// Resumable is set when the run stopped with something left to do:
	// its log is not sealed, and drpilot resume carries it on.
	Resumable bool `json:"resumable,omitempty"`
	// Reason says in a line why the run ended as it did, when it did not
	// simply succeed.
	Reason string `json:"reason,omitempty"`
	// Needs are the decisions and approvals the run waits for.
	Needs []Need `json:"needs,omitempty"`
	// Blocked are the steps that did not run, and why.
	Blocked []Blocked `json:"blocked,omitempty"`
}

// Run outcomes. A failed run may be resumable (a failure nobody allowed
// holds the rest) or over (every step finished, but a verification
// failed); a paused run was interrupted or waits for a person, and is
// always resumable; an aborted one is over for good.
const (
	OutcomeSucceeded = "succeeded"
	OutcomeFailed    = "failed"
	OutcomePaused    = "paused"
	OutcomeAborted   = "aborted"
)

// Need is something a person must give before the run can go on.
type Need struct {
	Step string `json:"step"`
	// Kind is "decision" (the step failed: retry, skip or continue?) or
	// "approval" (a gated step waits for its approval).
	Kind string `json:"kind"`
	// Error is the failure to decide about.
	Error string `json:"error,omitempty"`
}

// The kinds of Need.
const (
	NeedDecision = "decision"
	NeedApproval = "approval"
)

// Blocked is a step that did not run, with what held it.
type Blocked struct {
	Step    string `json:"step"`
	Because string `json:"because"`
}

// Observer receives the executor's events. It is called synchronously, from
// the executor's goroutines, so it must be quick and safe for concurrent
// use; a TUI forwards events to its program, a printer writes a line.
type Observer interface {
	Event(Event)
}

// ObserverFunc adapts a function to Observer.
type ObserverFunc func(Event)

// Event calls f.
func (f ObserverFunc) Event(e Event) { f(e) }

// Summary says in one line what became of a call: "ssm:PutParameter in
// eu-west-2: ok (request id ...)", or its error. Calls that are not AWS's
// (a webhook) have no Region or request id, and say so by leaving them out.
func (c CallInfo) Summary() string {
	s := c.Operation
	if c.Region != "" {
		s += " in " + c.Region
	}
	switch {
	case c.Error != "":
		return s + ": " + c.Error
	case c.RequestID != "":
		return s + ": ok (request id " + c.RequestID + ")"
	}
	return s + ": ok"
}
