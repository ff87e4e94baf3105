package steps

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/drpilot/drpilot/steps/awsclient"
)

// WaitSpec is an action's built-in wait: poll a read-only operation until
// Check says the effect is real.
type WaitSpec struct {
	Operation string
	// Region is where to poll; "" means where the step's calls to that
	// service go.
	Region string
	Input  map[string]any
	// Check reads one answer: the state to show the operator, whether the
	// wait is over, and an error when the state can never become the
	// wanted one (a restore that failed).
	Check func(out map[string]any) (state string, done bool, err error)
	// Delays bound the pauses between polls, as an SDK waiter's MinDelay
	// and MaxDelay do; zero means 5s and 60s. A resource the SDK has a
	// waiter for takes that waiter's (wait_delays.go).
	Delays pollDelays
	// Poll, when set, reads in place of Operation's SDK call: a request to
	// a resource's own endpoint, which Operation names for the events.
	Poll func(ctx context.Context) (map[string]any, error)
}

// Wait polls until w.Check is satisfied, with backoff and jitter, reporting
// each poll as a wait.progress event, and returns the last answer. Errors
// AWS marks as retryable (throttling, a 5xx) do not end the wait: the poll
// is repeated after the next pause. The step's timeout ends it.
//
// In dry-run, a step whose change was simulated has nothing to wait for,
// and Wait returns the simulated answer at once; any other wait (a verify
// step) polls once and reports what it saw, because what it waits for
// would only be made true by the changes dry-run does not send.
func (s *StepRun) Wait(ctx context.Context, w WaitSpec) (map[string]any, error) {
	if s.simulated != nil {
		s.Note("dry-run: the change was not sent, so there is nothing to wait for")
		return s.simulated, nil
	}
	region := w.Region
	if region == "" {
		region = s.callRegion(w.Operation)
	}
	delays := w.Delays.withDefaults()
	start := s.exec.now()
	for polls := 1; ; polls++ {
		var out map[string]any
		var err error
		if w.Poll != nil {
			out, err = w.Poll(ctx)
		} else {
			out, err = s.ReadIn(ctx, region, w.Operation, w.Input)
		}
		state, done := "", false
		switch {
		case err == nil:
			state, done, err = w.Check(out)
			if err != nil {
				s.lastState = state
				return out, err
			}
		case retryable(err) && ctx.Err() == nil:
			state = "no answer yet: " + shortError(err)
		default:
			return nil, err
		}
		s.lastState = state
		s.exec.emit(Event{Type: EventWaitProgress, Step: s.plan.ID, Message: state,
			Wait: &WaitProgress{Operation: w.Operation, State: state, Polls: polls,
				Elapsed: s.exec.now().Sub(start), Expect: s.plan.Expect.Duration}})
		if done {
			s.exec.countPolls(polls)
			return out, nil
		}
		if s.DryRun() {
			s.Note("dry-run: observed %q; a live run would wait here until it changes", state)
			s.exec.countPolls(polls)
			return out, nil
		}
		if err := s.Sleep(ctx, delays.next(polls)); err != nil {
			s.exec.countPolls(polls)
			return nil, fmt.Errorf("%w after %d polls of %s, last state %q", err, polls, w.Operation, state)
		}
	}
}

// jitter spreads a pause over ±20%, so that parallel steps polling the
// same API do not do it in lockstep.
func jitter(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// retryable reports whether an error is one that trying again may cure.
func retryable(err error) bool {
	var ce *awsclient.CallError
	return errors.As(err, &ce) && ce.Retryable
}

// shortError is the AWS error code when there is one, else the error.
func shortError(err error) string {
	var ce *awsclient.CallError
	if errors.As(err, &ce) && ce.Code != "" {
		return ce.Code
	}
	return err.Error()
}
