package sandbox

import (
	"testing"
	"time"
)

// TestPeoplePaceRunsAtRealSpeed: while a run waits only for people, the
// simulated clock advances as real time does, and it runs on without a
// jump, back or forward, when work resumes. The bounds are relative to the
// real time measured, so a slow machine does not change the verdict.
func TestPeoplePaceRunsAtRealSpeed(t *testing.T) {
	t.Parallel()
	c := NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), 3600)
	c.PeoplePace(true)
	realStart, simStart := time.Now(), c.Now()
	time.Sleep(20 * time.Millisecond)
	sim, real := c.Now().Sub(simStart), time.Since(realStart)
	if sim > real+time.Millisecond {
		t.Fatalf("at people's pace %s of real time moved the clock %s", real, sim)
	}
	before := c.Now()
	c.PeoplePace(false)
	realStart = time.Now()
	after := c.Now()
	if after.Before(before) || after.Sub(before) > time.Duration(float64(time.Since(realStart))*3600)+time.Millisecond {
		t.Fatalf("the clock jumped when work resumed: %s then %s", before, after)
	}
	time.Sleep(5 * time.Millisecond)
	if moved := c.Now().Sub(after); moved < 5*time.Millisecond*3600 {
		t.Fatalf("back at work the clock moved %s in 5ms: not at its scale", moved)
	}
}
