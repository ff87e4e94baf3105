package sandbox

import (
	"fmt"
	"sync"
	"time"
)

// Clock is the sandbox's simulated time: it runs TimeScale simulated
// seconds per real second from Start. Every duration in the sandbox is in
// simulated time and the scale lives here and nowhere else.
type Clock struct {
	mu        sync.Mutex
	start     time.Time // simulated time at realStart
	realStart time.Time
	scale     float64
	offset    time.Duration // simulated time added by Advance
	// peoplePace is set while the run driving the sandbox waits only for
	// people: the clock then runs at real speed (see PeoplePace).
	peoplePace bool
	// held stops the clock: a scenario is applied, or a recording
	// replayed, at exact simulated moments, however long it takes in real
	// time, so that the state it makes is the same every time.
	held bool
}

// NewClock starts a clock at start (now when zero) running scale times
// real time.
func NewClock(start time.Time, scale float64) *Clock {
	if start.IsZero() {
		start = time.Now()
	}
	return &Clock{start: start.UTC().Truncate(time.Millisecond), realStart: time.Now(), scale: scale}
}

// Now returns the simulated time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nowLocked()
}

func (c *Clock) nowLocked() time.Time {
	real := time.Since(c.realStart)
	return c.start.Add(time.Duration(float64(real)*c.rate()) + c.offset)
}

// rate is how many simulated seconds pass per real second now.
func (c *Clock) rate() float64 {
	if c.held {
		return 0
	}
	if c.peoplePace {
		return 1
	}
	return c.scale
}

// PeoplePace runs the clock at real speed while on is set: a run waiting
// only for people (a gate, a decision, a checklist) spends their real
// minutes, not scaled ones, so that twenty seconds of reading a gate do not
// age a recovery point by twenty simulated minutes at time scale 60. The
// clock runs on, without a jump, at its scale once work resumes.
func (c *Clock) PeoplePace(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.peoplePace == on {
		return
	}
	c.start, c.realStart, c.offset = c.nowLocked(), time.Now(), 0
	c.peoplePace = on
}

// Advance moves simulated time forward by d, as a game-day operator
// skipping a long wait does. It refuses, moving nothing, a negative d and
// one that would take the clock past the year maxClockYear: time.Time
// wraps silently, and simulated time must never run backwards. The
// advance is folded into the clock's start rather than summed in its
// offset, so that repeated advances cannot overflow a time.Duration.
func (c *Clock) Advance(d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d < 0 {
		return fmt.Errorf("cannot advance the clock by %s: simulated time only moves forward", d)
	}
	now := c.nowLocked()
	if limit := time.Date(maxClockYear, time.December, 31, 23, 59, 59, 0, time.UTC); now.After(limit.Add(-d)) {
		return fmt.Errorf("cannot advance the clock by %s from %s: simulated time would pass the year %d; advance by less",
			d, now.Format(time.RFC3339), maxClockYear)
	}
	c.start, c.realStart, c.offset = now.Add(d), time.Now(), 0
	return nil
}

// holdAt stops the clock at t until release: Now returns t meanwhile.
// Replaying a recording moves it to each request's moment in turn, back as
// well as forward.
func (c *Clock) holdAt(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.start, c.realStart, c.offset, c.held = t, time.Now(), 0, true
}

// release lets a held clock run on from where it stands, without a jump.
func (c *Clock) release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.held {
		return
	}
	c.start, c.realStart, c.offset, c.held = c.nowLocked(), time.Now(), 0, false
}

// Scale returns simulated seconds per real second.
func (c *Clock) Scale() float64 { return c.scale }

// RealDuration converts a simulated duration into real time.
func (c *Clock) RealDuration(d time.Duration) time.Duration {
	return time.Duration(float64(d) / c.scale)
}

// timeline is a resource's state machine laid out in simulated time: the
// states it passes through and when it enters each. Its state at a moment
// is the last one entered by then, unless a fault holds it.
type timeline struct {
	steps []timelineStep
	stuck string // a fault holds the resource in this state
}

type timelineStep struct {
	at    time.Time
	state string
}

// set replaces the timeline: state now, then each of next after the
// durations given, one after another.
func (t *timeline) set(now time.Time, state string, next ...any) {
	t.steps = []timelineStep{{at: now, state: state}}
	at := now
	for i := 0; i+1 < len(next); i += 2 {
		at = at.Add(next[i].(time.Duration))
		t.steps = append(t.steps, timelineStep{at: at, state: next[i+1].(string)})
	}
}

// state returns the state at now.
func (t *timeline) state(now time.Time) string {
	if t.stuck != "" {
		return t.stuck
	}
	cur := ""
	for _, s := range t.steps {
		if s.at.After(now) {
			break
		}
		cur = s.state
	}
	return cur
}
