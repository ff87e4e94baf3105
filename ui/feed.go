package ui

import (
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/drpilot/drpilot/steps"
)

// The program handles one message at a time and draws a frame after each:
// a run of a thousand quick steps sends thousands of events, and when each
// waited for its frame the run went at the screen's pace. The feed stands
// between them: the executor only appends to it, under a lock, and never
// waits; a drainer hands what piled up to the program in one message, so
// that one frame shows many events; and it hands them at most frameRate
// times a second.
//
// Nothing is dropped but what cannot be seen: a wait's poll that the log
// would not show, followed by the same step's next poll, gives way to it
// (the step shows the newest poll either way). Questions (gates,
// failures), the run's end and every other event arrive, in order.

// frameInterval is the least time between two deliveries: at most about 30
// frames a second, more than a person reads.
const frameInterval = time.Second / 30

// eventsMsg is the executor's events since the last delivery, in order.
type eventsMsg []steps.Event

// flushMsg marks the place of a Flush in the feed: done closes once
// everything before it has been handed to the program.
type flushMsg struct{ done chan struct{} }

// feed is a queue that the executor never waits on.
type feed struct {
	mu       sync.Mutex
	send     func(tea.Msg)
	pending  []tea.Msg // eventMsg, gateMsg, failureMsg and flushMsg, in order
	last     map[string]int
	draining bool
	interval time.Duration
	// urgent wakes the drainer early from its pause between frames: a
	// question must not wait for the next frame.
	urgent chan struct{}
}

func newFeed(send func(tea.Msg), interval time.Duration) *feed {
	return &feed{send: send, last: map[string]int{}, interval: interval, urgent: make(chan struct{}, 1)}
}

// attach sets where the feed delivers, and delivers what waited for it.
func (f *feed) attach(send func(tea.Msg)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.send = send
	f.startLocked()
}

// push appends a message; it never blocks on the program.
func (f *feed) push(msg tea.Msg) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if e, ok := msg.(eventMsg); ok && f.coalesceLocked(steps.Event(e)) {
		return
	}
	if e, ok := msg.(eventMsg); ok {
		f.last[e.Step] = len(f.pending)
	} else {
		// Nothing moves past a question or a flush mark.
		clear(f.last)
	}
	f.pending = append(f.pending, msg)
	if _, ok := msg.(eventMsg); !ok {
		select {
		case f.urgent <- struct{}{}:
		default:
		}
	}
	f.startLocked()
}

// coalesceLocked replaces the step's last pending event with e when both
// are polls of a wait that the log does not show: the step's state after
// e is the same, and so is the log.
func (f *feed) coalesceLocked(e steps.Event) bool {
	i, ok := f.last[e.Step]
	if !ok || !quietPoll(e) {
		return false
	}
	prev, ok := f.pending[i].(eventMsg)
	if !ok || !quietPoll(steps.Event(prev)) {
		return false
	}
	f.pending[i] = eventMsg(e)
	return true
}

// quietPoll reports whether an event is a wait's poll that the event log
// leaves out (see runState.apply).
func quietPoll(e steps.Event) bool {
	return e.Type == steps.EventWaitProgress && e.Wait != nil && !logsPoll(e.Wait)
}

// startLocked starts the drainer when there is something to deliver and
// somewhere to deliver it, unless it runs already.
func (f *feed) startLocked() {
	if f.draining || f.send == nil || len(f.pending) == 0 {
		return
	}
	f.draining = true
	go f.drain()
}

// drain delivers until nothing is pending, pausing between deliveries.
func (f *feed) drain() {
	for {
		f.mu.Lock()
		batch, send := f.pending, f.send
		if len(batch) == 0 {
			f.draining = false
			f.mu.Unlock()
			return
		}
		f.pending = nil
		clear(f.last)
		f.mu.Unlock()
		deliver(send, batch)
		f.pause()
	}
}

// pause waits out the frame interval, or less when a question comes.
func (f *feed) pause() {
	if f.interval <= 0 {
		return
	}
	t := time.NewTimer(f.interval)
	defer t.Stop()
	select {
	case <-t.C:
	case <-f.urgent:
	}
}

// deliver sends a batch: each run of events as one eventsMsg, each
// question as itself (it carries its reply), and closes each flush mark
// once what came before it is sent.
func deliver(send func(tea.Msg), batch []tea.Msg) {
	var events eventsMsg
	flushEvents := func() {
		if len(events) > 0 {
			send(events)
			events = nil
		}
	}
	for _, msg := range batch {
		switch msg := msg.(type) {
		case eventMsg:
			events = append(events, steps.Event(msg))
		case flushMsg:
			flushEvents()
			close(msg.done)
		default:
			flushEvents()
			send(msg)
		}
	}
	flushEvents()
}

// flush returns once everything pushed before it has been handed to the
// program. Without a place to deliver, there is nothing to wait for.
func (f *feed) flush() {
	f.mu.Lock()
	attached := f.send != nil
	f.mu.Unlock()
	if !attached {
		return
	}
	done := make(chan struct{})
	f.push(flushMsg{done: done})
	<-done
}
