package sandbox

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"
)

// Fault is one fault to inject, from a scenario or POST /_sandbox/faults.
// Exactly one of its parts is set.
type Fault struct {
	// Outage makes a Region fail: its API calls answer 503 (or, in
	// "timeouts" mode, hang until the client gives up), its application
	// and health checks fail, its alarms go to ALARM.
	Outage *Outage `json:"outage,omitempty" toml:"outage"`
	// Throttle answers a share of a service's calls with its own
	// throttling error.
	Throttle *Throttle `json:"throttle,omitempty" toml:"throttle"`
	// Latency delays calls to a Region or a service (real time).
	Latency *Latency `json:"latency,omitempty" toml:"latency"`
	// Stuck holds a resource in a state.
	Stuck *Stuck `json:"stuck,omitempty" toml:"stuck"`
}

// Outage is a Region outage.
type Outage struct {
	Region string `json:"region" toml:"region"`
	// Mode is "errors" (the default: 503 ServiceUnavailable) or
	// "timeouts" (no answer until the client's deadline).
	Mode string `json:"mode,omitempty" toml:"mode"`
	// Services, when set, limits the outage to these services (SigV4
	// signing names): only their APIs fail, and only their data stops
	// replicating out of the Region. Real Region outages are often
	// partial. The Region's application, health checks and alarms fail
	// either way: the outage is what takes the workload down.
	Services []string `json:"services,omitempty" toml:"services"`
	// Clear ends the outage.
	Clear bool `json:"clear,omitempty" toml:"clear"`
}

// outage is an Outage in effect.
type outage struct {
	mode     string
	services map[string]bool // nil: every service
	// since is when the outage began, on the simulated clock: what stops
	// replicating out of the Region stops then (replica lag).
	since time.Time
}

// Throttle throttles a service in every Region.
type Throttle struct {
	Service string  `json:"service" toml:"service"` // SigV4 signing name, e.g. "rds"
	Rate    float64 `json:"rate" toml:"rate"`       // 0 (off) to 1 (every call)
}

// Latency adds a delay to every call of a Region, a service, or both.
// Answer delays the answer instead of the call: the call takes effect at
// once and its answer is late, as when the network back is slow — the
// moment in which a client that dies leaves a change made and unanswered.
type Latency struct {
	Region  string `json:"region,omitempty" toml:"region"`
	Service string `json:"service,omitempty" toml:"service"`
	MS      int    `json:"ms" toml:"ms"`
	Answer  bool   `json:"answer,omitempty" toml:"answer"`
}

// Stuck holds a resource in a state until cleared (State "").
type Stuck struct {
	Service string `json:"service" toml:"service"`
	Region  string `json:"region" toml:"region"`
	ID      string `json:"id" toml:"id"`
	State   string `json:"state" toml:"state"`
}

// outageTimeout bounds how long a "timeouts" outage holds a request.
const outageTimeout = 2 * time.Minute

type faults struct {
	// known reports whether a signing name is a service the sandbox has.
	known    func(name string) bool
	mu       sync.Mutex
	outages  map[string]outage // by Region
	throttle map[string]float64
	latency  map[[2]string]time.Duration // {region, service}; "" matches any
	answer   map[[2]string]time.Duration // latency of the answers, likewise
	stuck    map[string]string           // service/region/id → state
}

func newFaults() *faults {
	return &faults{outages: map[string]outage{}, throttle: map[string]float64{},
		latency: map[[2]string]time.Duration{}, answer: map[[2]string]time.Duration{}, stuck: map[string]string{}}
}

// apply adds or clears a fault.
func (f *faults) apply(fault Fault) error { return f.applyAt(fault, time.Time{}) }

// applyAt applies a fault given at a simulated moment.
func (f *faults) applyAt(fault Fault, now time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case fault.Outage != nil:
		o := fault.Outage
		if o.Region == "" {
			return fmt.Errorf("outage: region is required")
		}
		if o.Mode != "" && o.Mode != "errors" && o.Mode != "timeouts" {
			return fmt.Errorf("outage: mode is \"errors\" or \"timeouts\", not %q", o.Mode)
		}
		if o.Clear {
			delete(f.outages, o.Region)
			return nil
		}
		out := outage{mode: o.Mode, since: now}
		for _, name := range o.Services {
			if !f.known(name) {
				return fmt.Errorf("outage: unknown service %q: name services by their SigV4 signing name (rds, monitoring, elasticloadbalancing, ...)", name)
			}
			if out.services == nil {
				out.services = map[string]bool{}
			}
			out.services[name] = true
		}
		f.outages[o.Region] = out
	case fault.Throttle != nil:
		t := fault.Throttle
		if t.Service == "" || t.Rate < 0 || t.Rate > 1 {
			return fmt.Errorf("throttle: a service and a rate from 0 to 1 are required")
		}
		f.throttle[t.Service] = t.Rate
	case fault.Latency != nil:
		l := fault.Latency
		if l.MS < 0 || int64(l.MS) > maxLatency.Milliseconds() {
			return fmt.Errorf("latency: ms must be 0 to %d", maxLatency.Milliseconds())
		}
		delays := f.latency
		if l.Answer {
			delays = f.answer
		}
		delays[[2]string{l.Region, l.Service}] = time.Duration(l.MS) * time.Millisecond
	case fault.Stuck != nil:
		s := fault.Stuck
		if s.Service == "" || s.Region == "" || s.ID == "" {
			return fmt.Errorf("stuck: service, region and id are required")
		}
		key := s.Service + "/" + s.Region + "/" + s.ID
		if s.State == "" {
			delete(f.stuck, key)
		} else {
			f.stuck[key] = s.State
		}
	default:
		return fmt.Errorf("a fault names one of outage, throttle, latency, stuck")
	}
	return nil
}

// applyFault adds or clears a fault at a simulated moment, in order with
// the requests the store lock serializes. A stuck fault on an ECS service
// takes hold at once (observeStuck). A fault given at run time (runtime)
// is recorded, when the sandbox records; a scenario's come back with the
// scenario.
func (s *Sandbox) applyFault(f Fault, now time.Time, runtime bool) error {
	s.mu.Lock()
	err := s.faults.applyAt(f, now)
	var rec *Recorder
	if err == nil {
		s.observeStuck(f.Stuck, now)
		if runtime {
			s.changes++
			if rec = s.rec.Load(); rec != nil {
				rec.write(&Record{Kind: KindFault, SimTime: now, Fault: &f})
			}
		}
	}
	s.mu.Unlock()
	if rec != nil {
		rec.sync()
	}
	return err
}

// down reports whether a Region's workload is out: an outage of any
// scope takes its application, health checks and alarms down.
func (f *faults) down(region string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.outages[region]
	return ok
}

// downFor reports whether a service is out in a Region: its API calls
// fail and its data does not leave the Region (replication, cross-Region
// restores and copies).
func (f *faults) downFor(region, service string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	o, ok := f.outages[region]
	return ok && (o.services == nil || o.services[service])
}

// outageSince returns when an outage of a service in a Region began, if
// one is in effect.
func (f *faults) outageSince(region, service string) (time.Time, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	o, ok := f.outages[region]
	if !ok || o.services != nil && !o.services[service] {
		return time.Time{}, false
	}
	return o.since, true
}

// stuckState returns the state a fault holds a resource in, or "".
func (f *faults) stuckState(service, region, id string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.stuck[service+"/"+region+"/"+id]
}

// before applies the faults to a call about to be served: latency first,
// then an outage of its Region, then throttling. It returns the error to
// answer with, if any, and the fault's name for the journal.
func (f *faults) before(c *call, svc *service) (*awsError, string) {
	region := c.region
	if svc.home != "" {
		region = svc.home
	}
	f.mu.Lock()
	delay := f.latency[[2]string{"", ""}] + f.latency[[2]string{region, ""}] +
		f.latency[[2]string{"", svc.name}] + f.latency[[2]string{region, svc.name}]
	// The server's write timeout outlasts maxLatency of delay, not four
	// times it: the sum is capped so that a call is always answered.
	delay = min(delay, maxLatency)
	c.answerDelay = min(f.answer[[2]string{"", ""}]+f.answer[[2]string{region, ""}]+
		f.answer[[2]string{"", svc.name}]+f.answer[[2]string{region, svc.name}], maxLatency-delay)
	o, out := f.outages[region]
	out = out && (o.services == nil || o.services[svc.name])
	rate := f.throttle[svc.name]
	f.mu.Unlock()
	if delay > 0 {
		time.Sleep(delay)
	}
	if out {
		if o.mode == "timeouts" {
			time.Sleep(outageTimeout)
		}
		return &awsError{Code: "ServiceUnavailable", Message: fmt.Sprintf("%s is unavailable in %s", svc.name, region),
			Status: http.StatusServiceUnavailable}, "outage"
	}
	if rate > 0 && rand.Float64() < rate {
		e := errorf(svc.throttleCode, "Rate exceeded")
		if svc.throttleStatus != 0 {
			e.Status = svc.throttleStatus
		}
		return e, "throttle"
	}
	return nil, ""
}
