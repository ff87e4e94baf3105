package steps

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/drpilot/drpilot/audit"
	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/steps/awsclient"
)

// Every AWS call of a step goes through StepRun, which is what makes the
// executor's promises hold whatever the action's code does: a mutating call
// is in the audit log, fsynced, before it is sent; in dry-run it is not sent
// at all (and the client guard would refuse it if it were); and its
// response and request id are logged after.

// Read calls a read-only operation in the Region the step's calls to that
// service go to. Calling a mutating operation through Read is a bug in the
// action and fails without sending anything.
func (s *StepRun) Read(ctx context.Context, operation string, input map[string]any) (map[string]any, error) {
	return s.ReadIn(ctx, s.callRegion(operation), operation, input)
}

// ReadIn is Read in an explicit Region.
func (s *StepRun) ReadIn(ctx context.Context, region, operation string, input map[string]any) (map[string]any, error) {
	service, op, ok := splitOperation(operation)
	if !ok {
		return nil, fmt.Errorf("malformed operation %q", operation)
	}
	if Classify(service, op) != runbooks.OpReadOnly {
		return nil, fmt.Errorf("internal error: %s is not read-only and was not sent", operation)
	}
	if err := s.declared(operation); err != nil {
		return nil, err
	}
	resp, err := s.exec.sendRead(ctx, service, region, op, input)
	if sim, ok := errors.AsType[*SimulatedInputError](err); ok {
		s.Note("%s", sim)
	}
	if err != nil {
		return nil, err
	}
	return resp.Output, nil
}

// Mutate sends a mutating operation in the Region the step's calls to that
// service go to. In dry-run it sends nothing and returns simulated, the
// action's best guess at the response, which the audit log and the events
// mark as simulated.
func (s *StepRun) Mutate(ctx context.Context, operation string, input, simulated map[string]any) (map[string]any, error) {
	return s.MutateIn(ctx, s.callRegion(operation), operation, input, simulated)
}

// MutateIn is Mutate in an explicit Region.
func (s *StepRun) MutateIn(ctx context.Context, region, operation string, input, simulated map[string]any) (map[string]any, error) {
	return s.mutate(ctx, CallInfo{Operation: operation, Region: region, Input: input}, simulated)
}

// mutate sends one mutating call: its Operation, in its Region, with its
// Input; its Delivery, if any, goes with it into the events.
func (s *StepRun) mutate(ctx context.Context, call CallInfo, simulated map[string]any) (map[string]any, error) {
	service, op, ok := splitOperation(call.Operation)
	if !ok {
		return nil, fmt.Errorf("malformed operation %q", call.Operation)
	}
	if err := s.declared(call.Operation); err != nil {
		return nil, err
	}
	region, input := call.Region, sentInput(call.Operation, call.Input)
	s.calls++
	info := &CallInfo{
		ID: fmt.Sprintf("%s/%d", s.plan.ID, s.calls), Operation: service + ":" + op,
		Region: region, Mutating: true, Input: s.shown(input), Delivery: call.Delivery,
	}
	if s.DryRun() {
		return s.simulate(info, input, simulated)
	}
	if prior, ok := s.exec.takeAnswered(s.plan.ID, info.Operation, region, s.concealedInput(input)); ok {
		return s.reuse(info, prior), nil
	}
	if _, err := s.exec.audit(audit.Entry{Type: audit.TypeAWSRequest, Step: s.plan.ID, Actor: actorDrpilot,
		Data: awsRequestData{Call: info.ID, Operation: info.Operation, Region: region, Input: s.concealedInput(input), Attempt: s.attempt(),
			Fence: s.exec.opts.Fence}}); err != nil {
		// Write-ahead: a call the log cannot record is not sent.
		return nil, fmt.Errorf("audit log: %w; %s was not sent", err, info.Operation)
	}
	s.exec.emit(Event{Type: EventCallSent, Step: s.plan.ID, Call: info, Message: "sent " + info.Operation + " in " + region})
	start := s.exec.now()
	callCtx, cancel := answerContext(ctx)
	resp, err := s.exec.opts.Clients.Invoke(callCtx, service, region, op, input)
	cancel()
	done := *info
	done.Duration = s.exec.now().Sub(start)
	data := awsResponseData{Call: info.ID, Operation: info.Operation}
	if err != nil {
		var ce *awsclient.CallError
		if errors.As(err, &ce) {
			done.RequestID, data.RequestID, data.Code, data.HTTPStatus = ce.RequestID, ce.RequestID, ce.Code, ce.HTTPStatus
		}
		done.Error, data.Error = err.Error(), err.Error()
	} else {
		// Before the response is logged: it may hold a secret.
		s.exec.concealResponse(service, op, resp.Output)
		done.RequestID, data.RequestID, data.Output = resp.RequestID, resp.RequestID, resp.Output
		s.requestIDs = append(s.requestIDs, resp.RequestID)
	}
	if _, aerr := s.exec.audit(audit.Entry{Type: audit.TypeAWSResponse, Step: s.plan.ID, Actor: actorAWS, Data: data}); aerr != nil && err == nil {
		err = fmt.Errorf("%s succeeded (request id %s) but the audit log failed: %w", info.Operation, done.RequestID, aerr)
	}
	s.exec.emit(Event{Type: EventCallDone, Step: s.plan.ID, Call: &done, Error: done.Error})
	if err != nil {
		return nil, err
	}
	return resp.Output, nil
}

// minCallTime is the least real time a mutating request is given to be
// answered, however close the step's deadline: a request cut off before
// its answer leaves nobody knowing whether AWS acted on it.
const minCallTime = 30 * time.Second

// answerContext is the context a mutating request is sent with: it keeps
// ctx's values but not its cancellation, so that an interruption, a skip
// or an abort lets the request in flight be answered and logged, and it
// ends at ctx's deadline or minCallTime from now, whichever is later.
func answerContext(ctx context.Context) (context.Context, context.CancelFunc) {
	deadline := time.Now().Add(minCallTime)
	if d, ok := ctx.Deadline(); ok && d.After(deadline) {
		deadline = d
	}
	return context.WithDeadline(context.WithoutCancel(ctx), deadline)
}

// reuse answers a call that the run being resumed sent and AWS answered
// with success, from the log: its effect happened, and sending it again
// would be a second request for one change.
func (s *StepRun) reuse(info *CallInfo, prior AnsweredCall) map[string]any {
	msg := fmt.Sprintf("resume: %s in %s was answered before the run stopped (request id %s): its logged answer is used, nothing is sent again",
		info.Operation, info.Region, prior.RequestID)
	s.exec.record(audit.TypeNote, s.plan.ID, actorDrpilot, map[string]any{"reused": info.Operation, "request_id": prior.RequestID, "text": msg})
	done := *info
	done.RequestID = prior.RequestID
	s.requestIDs = append(s.requestIDs, prior.RequestID)
	s.exec.emit(Event{Type: EventCallDone, Step: s.plan.ID, Call: &done, Message: msg})
	if prior.Output == nil {
		return map[string]any{}
	}
	return prior.Output
}

// Call sends any operation: read-only ones as Read does, the rest as
// Mutate does with an empty simulated response. It is what aws.call and
// actions that take an operation name use.
func (s *StepRun) Call(ctx context.Context, operation string, input map[string]any) (map[string]any, error) {
	service, op, ok := splitOperation(operation)
	if ok && Classify(service, op) == runbooks.OpReadOnly {
		return s.Read(ctx, operation, input)
	}
	return s.Mutate(ctx, operation, input, map[string]any{})
}

// declared refuses an operation the action's spec does not list: the spec
// is what check, the plan, docs/actions.md and the IAM policy read, so an
// action that calls anything else would fail at 3 a.m. under the policy
// drpilot generated for it. An action that takes its operation as a
// parameter (aws.call) declares that one.
func (s *StepRun) declared(operation string) error {
	spec := s.exec.opts.Catalogue.entries[s.plan.Action].spec
	if spec.OperationParam != "" && s.String(spec.OperationParam) == operation {
		return nil
	}
	for _, c := range spec.Calls {
		if c.Operation == operation {
			return nil
		}
	}
	return fmt.Errorf("internal error: action %s called %s, which its spec does not declare; nothing was sent", s.plan.Action, operation)
}

// simulate records a mutating call that dry-run does not send and returns
// the simulated answer.
func (s *StepRun) simulate(info *CallInfo, input, simulated map[string]any) (map[string]any, error) {
	out := maps.Clone(simulated)
	if out == nil {
		out = map[string]any{}
	}
	s.simulated = out
	if _, err := s.exec.audit(audit.Entry{Type: audit.TypeAWSRequest, Step: s.plan.ID, Actor: actorDrpilot,
		Data: awsRequestData{Call: info.ID, Operation: info.Operation, Region: info.Region, Input: s.concealedInput(input),
			Attempt: s.attempt(), DryRun: true}}); err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	s.exec.emit(Event{Type: EventCallDone, Step: s.plan.ID, Call: info, Simulated: true,
		Message: "dry-run: would send " + info.Operation + " in " + info.Region})
	return out, nil
}

// concealedInput is a call's input as the audit log receives it: the
// members the action concealed (whose names do not say they are secret)
// replaced by audit.Redacted. The log redacts members named like
// credentials itself, and keeps the SHA-256 of what it was given.
func (s *StepRun) concealedInput(input map[string]any) map[string]any {
	if len(s.concealed) == 0 {
		return input
	}
	out := maps.Clone(input)
	for _, m := range s.concealed {
		if _, ok := out[m]; ok {
			out[m] = audit.Redacted
		}
	}
	return out
}

// shown is a call's input as events and screens show it: no more than the
// log shows. The call itself is sent with the input as it is.
func (s *StepRun) shown(input map[string]any) map[string]any {
	shown := ShownInput(s.concealedInput(input))
	if shown == nil {
		return nil
	}
	out, _ := audit.RedactSecrets(shown, s.exec.secretList()).(map[string]any)
	return out
}

// ShownInput is an input with the values of members named like
// credentials redacted, for anything that shows a request.
func ShownInput(input map[string]any) map[string]any {
	if input == nil {
		return nil
	}
	out, _ := audit.Redact(input).(map[string]any)
	return out
}

// callRegion is the Region a call to operation's service goes to from
// this step: the step's, except for Route 53's global control plane.
func (s *StepRun) callRegion(operation string) string {
	service, _, _ := splitOperation(operation)
	if canon, ok := CanonicalService(service); ok {
		service = canon
	}
	return s.exec.opts.Catalogue.CallRegion(service, s.region)
}

// attempt is the step's current attempt number, for the audit log.
func (s *StepRun) attempt() int { return s.exec.attemptOf(s.plan.ID) }

// awsRequestData is the data of an aws.request event: what is about to be
// sent, or what dry-run would have sent.
type awsRequestData struct {
	Call      string         `json:"call"`
	Operation string         `json:"operation"`
	Region    string         `json:"region"`
	Input     map[string]any `json:"input"`
	Attempt   int            `json:"attempt"`
	// Fence is the run lock's fencing token in a team run: which holder
	// of the lease sent the request.
	Fence int64 `json:"fence,omitempty"`
	// DryRun marks a request that was not sent.
	DryRun bool `json:"dry_run,omitempty"`
}

// awsResponseData is the data of an aws.response event.
type awsResponseData struct {
	Call       string         `json:"call"`
	Operation  string         `json:"operation"`
	RequestID  string         `json:"request_id,omitempty"`
	Output     map[string]any `json:"output,omitempty"`
	Code       string         `json:"error_code,omitempty"`
	HTTPStatus int            `json:"http_status,omitempty"`
	Error      string         `json:"error,omitempty"`
}

// Actors in the audit log besides operators.
const (
	actorDrpilot = "drpilot"
	actorAWS     = "aws"
)

// sentInput is input with its member names spelt as the SDK sends them
// (awsclient.CanonicalInput): a runbook may write tablename, but the
// request carries TableName, and the audit log and the gate show what the
// request carries.
func sentInput(operation string, input map[string]any) map[string]any {
	service, op, _ := splitOperation(operation)
	return awsclient.CanonicalInput(service, op, input)
}
