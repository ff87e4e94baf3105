package audit

import (
	"fmt"
	"strings"
	"time"
)

// RTOFacts are what a run's RTO verdict is made of.
type RTOFacts struct {
	// Outcome is run.end's: succeeded, failed, paused or aborted.
	Outcome string
	// Mode is live, dry-run or sandbox.
	Mode string
	// Elapsed is the run's time from its first start, on the mode's clock.
	Elapsed time.Duration
	// Target is the runbook's RTO; zero when it has none.
	Target time.Duration
	// Projected is the plan's critical path: what a dry run can say.
	Projected time.Duration
}

// RTOVerdict says in one line what a run's time means against its RTO,
// and never claims a recovery that did not happen: only a run that
// succeeded, live or in the sandbox, achieved an RTO; a run that failed,
// paused or was aborted is "not recovered after" its time; a dry run
// recovers nothing and gives the plan's projection; sandbox figures say
// they are simulated. The finish screen, the headless summary and the
// exported record all say it with this function.
func RTOVerdict(f RTOFacts) string {
	target := "no RTO target"
	if f.Target > 0 {
		target = "RTO " + span(f.Target)
	}
	var line string
	switch {
	case f.Mode == "dry-run":
		line = "dry run: nothing was recovered"
		if f.Projected > 0 {
			line += fmt.Sprintf("; projected %s (the critical path)", span(f.Projected))
			if f.Target > 0 {
				line += fmt.Sprintf(" against %s: %s", target, within(f.Projected <= f.Target, "within", "OVER"))
			}
		}
		return line
	case f.Outcome != "succeeded":
		line = fmt.Sprintf("NOT RECOVERED after %s (%s)", span(f.Elapsed), target)
	case f.Target > 0:
		line = fmt.Sprintf("RTO achieved %s against %s: %s", span(f.Elapsed), span(f.Target), within(f.Elapsed <= f.Target, "met", "MISSED"))
	default:
		line = fmt.Sprintf("recovered in %s (no RTO target)", span(f.Elapsed))
	}
	if f.Mode == "sandbox" {
		line += " — simulated, on the sandbox's clock"
	}
	return line
}

func within(ok bool, yes, no string) string {
	if ok {
		return yes
	}
	return no
}

// span writes a duration to the second as people read one: "10m", not
// "10m0s".
func span(d time.Duration) string {
	s := formatSpan(d)
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
