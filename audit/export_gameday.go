package audit

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// GameDay is a sandbox run's scorecard: the faults its scenario injected,
// the steps they hit, how the run answered, and the time each step lost.
type GameDay struct {
	Scenario string        `json:"scenario,omitempty"`
	Faults   []FaultRecord `json:"faults"`
	Hits     []FaultHit    `json:"hits"`
	// How says how the scorecard's times were measured.
	How string `json:"how"`
}

// FaultRecord is one injected fault and the steps whose AWS calls it
// matches (by service and Region) among those that saw errors or, for
// latency, made calls at all.
type FaultRecord struct {
	Fault string   `json:"fault"`
	Steps []string `json:"steps"`
}

// FaultHit is a step that met trouble: its calls' errors, its retries,
// what the run did about it, and the time it took over its expectation.
type FaultHit struct {
	Step     string   `json:"step"`
	Errors   []string `json:"errors,omitempty"`
	Response string   `json:"response"`
	Expect   string   `json:"expect,omitempty"`
	Took     string   `json:"took,omitempty"`
	TimeLost string   `json:"time_lost,omitempty"`
}

// sent notes an AWS request of a step: its first sends the step's work
// off (a decision after it is not the gate's), and a later attempt is a
// retry.
func (b *recordBuilder) sent(ts time.Time, id string, data map[string]any) {
	s := b.step(id, ts)
	if s.firstSent.IsZero() {
		s.firstSent = ts
	}
	if n, ok := data["attempt"].(float64); ok && n > 1 {
		s.Retries++
	}
}

// pace is the sandbox's clock over the log's: a sandbox run's steps are
// logged in real time while its clock (the RTO's) runs faster.
func (b *recordBuilder) pace() float64 {
	real := b.r.Ended.Sub(b.r.Started)
	if b.r.Mode != "sandbox" || b.clock != nil || b.elapsed <= 0 || real <= 0 {
		return 1
	}
	return float64(b.elapsed) / float64(real)
}

// gameDay builds the scorecard of a sandbox run.
func (b *recordBuilder) gameDay() *GameDay {
	r := b.r
	if r.Mode != "sandbox" {
		return nil
	}
	g := &GameDay{Faults: []FaultRecord{}, Hits: []FaultHit{}}
	g.How = "the log records real time; a step's time on the sandbox's clock is its logged duration times the run's pace " +
		fmt.Sprintf("(%.1f: the sandbox's elapsed time over the log's), so it is approximate", r.Pace)
	if b.clock != nil {
		g.How = "exact: each event of the log carries the sandbox's clock (sim), on which the steps' times are measured"
	}
	if b.sandbox != nil {
		g.Scenario = b.sandbox.Scenario
		for _, raw := range b.sandbox.Faults {
			g.Faults = append(g.Faults, FaultRecord{Fault: describeFault(raw), Steps: faultSteps(raw, r.Requests, r.Failures)})
		}
	}
	for _, s := range r.Steps {
		if len(s.CallErrors) == 0 && s.Retries == 0 && s.Attempts <= 1 && s.Status != "failed" {
			continue
		}
		g.Hits = append(g.Hits, b.hit(s))
	}
	return g
}

// hit scores one step that met trouble.
func (b *recordBuilder) hit(s StepRecord) FaultHit {
	h := FaultHit{Step: s.ID, Expect: s.Expect}
	for _, e := range append(slices.Clone(s.CallErrors), s.Error) {
		if e == "" {
			continue
		}
		if !slices.Contains(h.Errors, e) {
			h.Errors = append(h.Errors, e)
		}
	}
	var did []string
	if n := s.Retries + max(s.Attempts-1, 0); n > 0 {
		did = append(did, fmt.Sprintf("retried (%d)", n))
	}
	for _, d := range b.r.Decisions {
		if d.Step == s.ID && d.Time.After(s.firstSent) && !s.firstSent.IsZero() {
			did = append(did, fmt.Sprintf("%s decided %s", d.Actor, d.What))
		}
	}
	if s.Status == "failed" {
		did = append(did, "failed")
	} else if s.Status == "done" {
		did = append(did, "done")
	}
	h.Response = strings.Join(did, "; ")
	if !s.Ended.IsZero() {
		took := time.Duration(float64(s.Ended.Sub(s.Started)) * b.r.Pace)
		h.Took = formatSpan(took)
		if expect, err := parseTarget(s.Expect); err == nil && took > expect {
			h.TimeLost = formatSpan(took - expect)
		}
	}
	return h
}

// faultJSON is the sandbox's JSON form of a fault, as far as the
// scorecard reads it.
type faultJSON struct {
	Outage *struct {
		Region   string   `json:"region"`
		Mode     string   `json:"mode"`
		Services []string `json:"services"`
	} `json:"outage"`
	Throttle *struct {
		Service string  `json:"service"`
		Rate    float64 `json:"rate"`
	} `json:"throttle"`
	Latency *struct {
		Region  string `json:"region"`
		Service string `json:"service"`
	} `json:"latency"`
}

// describeFault says a fault in a few words, or gives its JSON.
func describeFault(raw json.RawMessage) string {
	var f faultJSON
	json.Unmarshal(raw, &f)
	switch {
	case f.Outage != nil:
		s := "outage of " + f.Outage.Region
		if len(f.Outage.Services) > 0 {
			s += " (" + strings.Join(f.Outage.Services, ", ") + ")"
		}
		if f.Outage.Mode != "" {
			s += ", " + f.Outage.Mode
		}
		return s
	case f.Throttle != nil:
		return fmt.Sprintf("throttling of %s, %.0f%% of calls", f.Throttle.Service, f.Throttle.Rate*100)
	}
	return string(raw)
}

// faultSteps are the steps whose calls a fault would have answered: an
// outage's or a throttle's calls that answered an error, a latency's
// calls at all. A stuck resource is not traceable to calls in the log.
func faultSteps(raw json.RawMessage, requests []RequestRecord, failures []Failure) []string {
	var f faultJSON
	json.Unmarshal(raw, &f)
	steps := []string{}
	// Reads (preconditions, polls) are not logged as requests: a step
	// failure names the call that failed in its error.
	for _, e := range failures {
		if e.Kind == "step" && f.namedIn(e.Error) && !slices.Contains(steps, e.Step) {
			steps = append(steps, e.Step)
		}
	}
	for _, q := range requests {
		service, _, _ := strings.Cut(q.Operation, ":")
		var hit bool
		switch {
		case f.Outage != nil:
			hit = q.Error != "" && q.Region == f.Outage.Region && (len(f.Outage.Services) == 0 || slices.Contains(f.Outage.Services, service))
		case f.Throttle != nil:
			hit = q.Error != "" && service == f.Throttle.Service
		case f.Latency != nil:
			hit = (f.Latency.Region == "" || f.Latency.Region == q.Region) && (f.Latency.Service == "" || f.Latency.Service == service)
		}
		if hit && !slices.Contains(steps, q.Step) {
			steps = append(steps, q.Step)
		}
	}
	return steps
}

// criticalPath is the chain of steps that determined the run's end, back
// from the step that ended last. With the runbook's dependencies in the
// log (step.ready's after), each step's latest-ending dependency; without
// them, the step that ended when it started.
func criticalPath(steps []StepRecord) ([]string, string) {
	byID := map[string]*StepRecord{}
	var last *StepRecord
	logged := len(steps) > 0
	for i := range steps {
		s := &steps[i]
		byID[s.ID] = s
		if s.After == nil {
			logged = false
		}
		if !s.Ended.IsZero() && (last == nil || s.Ended.After(last.Ended)) {
			last = s
		}
	}
	if last == nil {
		return nil, ""
	}
	tol := max(last.Ended.Sub(steps[0].Started)/100, 50*time.Millisecond)
	pred := func(cur *StepRecord) *StepRecord {
		var best *StepRecord
		for i := range steps {
			s := &steps[i]
			if s.Ended.IsZero() || s == cur || (best != nil && !s.Ended.After(best.Ended)) {
				continue
			}
			if logged && slices.Contains(cur.After, s.ID) ||
				!logged && s.Ended.Sub(cur.Started) <= tol && cur.Started.Sub(s.Ended) <= tol && s.Started.Before(cur.Started) {
				best = s
			}
		}
		return best
	}
	path := []string{}
	for cur := last; cur != nil && !slices.Contains(path, cur.ID); cur = pred(cur) {
		path = append(path, cur.ID)
	}
	slices.Reverse(path)
	if logged {
		return path, "from the runbook's dependencies (step.ready's after): back from the step that ended last, each step's dependency that ended last"
	}
	return path, fmt.Sprintf("the log does not hold the runbook's dependencies: back from the step that ended last, "+
		"each step that ended when the next one started (within %s)", tol.Round(time.Millisecond))
}

// namedIn reports whether a step's error names a call this fault
// answers, as "service:Operation in region".
func (f faultJSON) namedIn(err string) bool {
	switch {
	case f.Throttle != nil:
		return strings.Contains(err, f.Throttle.Service+":") && strings.Contains(strings.ToLower(err), "throttl")
	case f.Outage != nil:
		if !strings.Contains(err, " in "+f.Outage.Region) {
			return false
		}
		return len(f.Outage.Services) == 0 || slices.ContainsFunc(f.Outage.Services, func(s string) bool { return strings.Contains(err, s+":") })
	}
	return false
}
