package audit

import (
	"crypto/ed25519"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// sandboxLog writes a sandbox run's log on a fake real clock: a step of
// 2s of real time during which the sandbox's clock, scaled, ran 20
// minutes, then a note that drpilot's command wrote (no sim) 3s of real
// time later, and run.end 10s of real time after the step. withSim adds
// the sandbox's clock to the executor's events, as a run does today;
// without it the log is one written before events carried it.
func sandboxLog(t *testing.T, withSim bool) *Record {
	t.Helper()
	key, _ := GenerateKey()
	wall := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	sim := wall.Add(time.Hour) // the sandbox's clock need not start where the wall's is
	real := wall               // run.start's
	w, err := Create(filepath.Join(t.TempDir(), "run"), Options{RunID: "r", Key: key, Now: func() time.Time { return real },
		Start: RunInfo{Mode: "sandbox", RTO: "30m", Plan: []PlanStep{{ID: "restore", Phase: "restore", Expect: "10m"}}}})
	if err != nil {
		t.Fatal(err)
	}
	at := func(realAfter, simAfter time.Duration, data map[string]any) map[string]any {
		real = wall.Add(realAfter)
		if withSim {
			data["sim"] = sim.Add(simAfter).Format(time.RFC3339Nano)
		}
		return data
	}
	w.Append(Entry{Type: TypeStepReady, Step: "restore", Data: at(time.Second, time.Minute, map[string]any{"phase": "restore", "expect": "10m"})})
	w.Append(Entry{Type: TypeStepDone, Step: "restore", Data: at(3*time.Second, 21*time.Minute, map[string]any{"attempt": 1})})
	real = wall.Add(6 * time.Second)
	w.Append(Entry{Type: TypeNote, Actor: "kenji", Data: map[string]any{"text": "looks good"}})
	end := at(13*time.Second, 22*time.Minute, map[string]any{"outcome": "succeeded", "elapsed": "22m"})
	if withSim {
		end["sim_started"] = sim.Format(time.RFC3339Nano)
	}
	if err := w.Seal("drpilot", end); err != nil {
		t.Fatal(err)
	}
	rec, err := Export(w.dir, key.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// TestSandboxTimesAreTheSandboxsClock: with each event's sim, the
// record's times, durations and phases are the sandbox's clock, exactly,
// the scorecard says so, and an event without sim follows the one before
// it at real speed; a log written before events carried sim keeps the
// estimate at the run's pace, and says it is one.
func TestSandboxTimesAreTheSandboxsClock(t *testing.T) {
	t.Parallel()
	rec := sandboxLog(t, true)
	s := rec.Steps[0]
	if rec.Clock != "sandbox" || rec.Pace != 1 || s.Duration != "20m0s" || rec.Phases[0].Duration != "20m0s" {
		t.Errorf("exact: clock %s, pace %g, step %s, phase %s", rec.Clock, rec.Pace, s.Duration, rec.Phases[0].Duration)
	}
	if !rec.Started.Equal(time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("the record starts at %s, want the run's real start", rec.Started)
	}
	if got := rec.Ended.Sub(rec.Started); got != 22*time.Minute || rec.RTO.Achieved != "22m0s" {
		t.Errorf("the run spans %s on the sandbox's clock, RTO %s; want 22m", got, rec.RTO.Achieved)
	}
	if s.Started.Sub(rec.Started) != time.Minute {
		t.Errorf("the step starts %s into the run, want the sandbox's 1m", s.Started.Sub(rec.Started))
	}
	if note := rec.Notes[0].Time.Sub(s.Ended); note != 3*time.Second {
		t.Errorf("the note without sim is %s after the step's end, want the 3s of real time since", note)
	}
	if h := rec.GameDay.Hits; len(h) != 0 {
		t.Errorf("hits %+v", h)
	}
	if !strings.HasPrefix(rec.GameDay.How, "exact") || !strings.Contains(rec.TimesNote(), "exact") {
		t.Errorf("the record does not say its times are exact: %q, %q", rec.GameDay.How, rec.TimesNote())
	}
	var html strings.Builder
	if err := rec.WriteHTML(&html); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(html.String(), "sandbox&#39;s simulated clock, which each event of the log records: exact") || strings.Contains(html.String(), "≈") {
		t.Errorf("the timeline of an exact record says otherwise:\n%s", html.String())
	}

	old := sandboxLog(t, false)
	if old.Clock != "log" || old.Steps[0].Duration != "2s" || old.Pace < 100 || !strings.Contains(old.TimesNote(), "estimated") ||
		!strings.Contains(old.GameDay.How, "approximate") {
		t.Errorf("an older log: clock %s, step %s, pace %g, %q", old.Clock, old.Steps[0].Duration, old.Pace, old.TimesNote())
	}
}
