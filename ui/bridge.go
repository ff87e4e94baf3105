package ui

import (
	"context"

	tea "charm.land/bubbletea/v2"

	"github.com/drpilot/drpilot/steps"
)

// Bridge is the executor's Observer and Approver in a TUI run: events and
// questions become messages to the program; answers come back on a
// channel the question carries (the pattern of a blocking permission
// request answered by the UI). Events go through a feed (see feed.go): the
// executor never waits for the screen.
type Bridge struct {
	feed *feed
}

// NewBridge returns a bridge that sends with send: a program's Send. Attach
// sets it when the program is made after the executor.
func NewBridge(send func(tea.Msg)) *Bridge { return &Bridge{feed: newFeed(send, frameInterval)} }

// Attach sets where the bridge sends. Call it before the run starts.
func (b *Bridge) Attach(send func(tea.Msg)) { b.feed.attach(send) }

// Flush returns once every event and question sent before it has reached
// the program: the model calls it when the run returns, so that the finish
// screen comes after the run's last events.
func (b *Bridge) Flush() { b.feed.flush() }

var (
	_ steps.Observer = (*Bridge)(nil)
	_ steps.Approver = (*Bridge)(nil)
)

// eventMsg is one executor event.
type eventMsg steps.Event

// gateMsg asks the operator to approve a gated step or tick a checklist.
type gateMsg struct {
	gate  steps.Gate
	reply chan<- steps.Decision
}

// failureMsg asks the operator what to do after a failure.
type failureMsg struct {
	failure steps.Failure
	reply   chan<- steps.Decision
}

// Event forwards an executor event.
func (b *Bridge) Event(e steps.Event) { b.feed.push(eventMsg(e)) }

// Approve asks the operator and waits for the answer, or for ctx.
func (b *Bridge) Approve(ctx context.Context, g steps.Gate) (steps.Decision, error) {
	reply := make(chan steps.Decision, 1)
	b.feed.push(gateMsg{gate: g, reply: reply})
	return wait(ctx, reply)
}

// OnFailure asks the operator and waits for the answer, or for ctx.
func (b *Bridge) OnFailure(ctx context.Context, f steps.Failure) (steps.Decision, error) {
	reply := make(chan steps.Decision, 1)
	b.feed.push(failureMsg{failure: f, reply: reply})
	return wait(ctx, reply)
}

func wait(ctx context.Context, reply <-chan steps.Decision) (steps.Decision, error) {
	select {
	case d := <-reply:
		return d, nil
	case <-ctx.Done():
		return steps.Decision{}, context.Cause(ctx)
	}
}
