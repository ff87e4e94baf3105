package audit

import (
	"encoding/json"
	"time"
)

// simClock puts a sandbox run's events on the sandbox's clock. The
// executor writes "sim", the sandbox's clock, into each event of a
// sandbox run, and run.end (or run.paused) "sim_started", when the run
// started on it; the line's ts stays real time, which a scaled clock
// outruns. The sandbox's clock starts wherever its scenario put it, so
// the record keeps the run's real start (run.start's ts, the date a
// reviewer and history want) and places every event after it by the
// time elapsed on the sandbox's clock. An event without sim (run.resumed,
// a note or decision drpilot's commands wrote) is placed at the last sim
// before it plus the real time since: people's time runs at real speed.
type simClock struct {
	shift time.Duration // from the sandbox's clock to the record's
	start time.Time     // run.start's ts
	first simAnchor
	last  simAnchor
}

// simAnchor is one moment on both clocks.
type simAnchor struct{ wall, sim time.Time }

// newSimClock returns the clock of a log whose events carry sim, or nil.
func newSimClock(events []Event) *simClock {
	var c *simClock
	var start, simStarted time.Time
	for _, ev := range events {
		var d struct {
			Sim        string `json:"sim"`
			SimStarted string `json:"sim_started"`
		}
		wall, err := time.Parse(time.RFC3339Nano, ev.TS)
		if err != nil || json.Unmarshal(ev.Data, &d) != nil {
			continue
		}
		if ev.Type == TypeRunStart {
			start = wall
		}
		if sim, err := time.Parse(time.RFC3339Nano, d.Sim); err == nil && c == nil {
			c = &simClock{first: simAnchor{wall, sim}}
		}
		if t, err := time.Parse(time.RFC3339Nano, d.SimStarted); err == nil {
			simStarted = t
		}
	}
	if c == nil || start.IsZero() {
		return nil
	}
	if simStarted.IsZero() { // a log that stops before run.end
		simStarted = c.first.sim.Add(start.Sub(c.first.wall))
	}
	c.start, c.shift = start, start.Sub(simStarted)
	return c
}

// at is an event's time on the record's clock: the run's real start plus
// the time elapsed since on the sandbox's clock.
func (c *simClock) at(eventType string, wall time.Time, data map[string]any) time.Time {
	if eventType == TypeRunStart {
		return c.start
	}
	if sim, err := time.Parse(time.RFC3339Nano, str(data, "sim")); err == nil {
		c.last = simAnchor{wall, sim}
		return sim.Add(c.shift)
	}
	a := c.last
	if a.wall.IsZero() {
		a = c.first
	}
	return a.sim.Add(wall.Sub(a.wall)).Add(c.shift)
}
