package sandbox

import (
	"fmt"
	"strings"
)

// Resolving a host of the simulated internet through the sandbox's own
// Route 53, as a public resolver would: so that a runbook's DNS change,
// a failed health check or an inverted one moves the traffic its
// http.probe sees, exactly as the records say. Records count as soon as
// they are stored: ChangeResourceRecordSets applies a batch at once and
// only its ChangeInfo goes PENDING → INSYNC, so the simulated internet
// sees a change up to a minute before Route 53 reports it in sync (a
// resolver honouring TTLs would see it later; the sandbox has no caches).

// resolveBudget bounds the work of one resolution: CNAME and alias hops,
// and target-health evaluations, which resolve their targets in turn.
const resolveBudget = 32

// resolution says where https://<host>/ lands.
type resolution struct {
	Region string   // the Region whose load balancer answers
	Target string   // the final name or address
	Trace  []string // each hop, for the operator
}

// webFailure is why a host resolves to nothing, for a 502.
type webFailure struct {
	Code string // NoHostedZone, NoRecord, NoRegion, TooManyHops
	Msg  string
}

type resolver struct {
	s      *Sandbox
	r53    *route53State
	budget int
}

// resolveHost resolves a host name. Callers hold s.mu.
func (s *Sandbox) resolveHost(host string) (resolution, *webFailure) {
	rv := &resolver{s: s, r53: peekState[route53State](s, "route53", "global"), budget: resolveBudget}
	return rv.resolve(fqdn(host), true)
}

// resolve follows name through the sandbox's zones until it leaves them
// (an ELB name, which names its Region) or ends at an address record.
func (rv *resolver) resolve(name string, first bool) (resolution, *webFailure) {
	var res resolution
	for ; ; first = false {
		if rv.budget--; rv.budget < 0 {
			return res, &webFailure{"TooManyHops", fmt.Sprintf("resolving went through more than %d CNAMEs, aliases and target-health checks at %s: a loop?", resolveBudget, name)}
		}
		z := rv.zoneFor(name)
		if z == nil && first {
			return res, &webFailure{"NoHostedZone", fmt.Sprintf("no hosted zone in the sandbox holds %s: create one (CreateHostedZone) with a record for it, or declare the host in the scenario's [[sites]]", name)}
		}
		if z == nil { // out of the sandbox's DNS: a load balancer's name names its Region
			res.Target, res.Region = name, regionIn(name)
			if res.Region == "" {
				return res, &webFailure{"NoRegion", fmt.Sprintf("%s names no AWS Region, so no simulated Region serves it: point the record at a load balancer name such as my-alb.us-west-2.elb.amazonaws.com", name)}
			}
			return res, nil
		}
		rec, why := rv.pick(z, name)
		res.Trace = append(res.Trace, why)
		if rec == nil {
			return res, &webFailure{"NoRecord", why}
		}
		if next := recordTarget(rec); next != "" {
			name = next
			continue
		}
		res.Target, res.Region = recordAddress(rec), str(rec, "Region")
		if h := rv.check(rec); res.Region == "" && h != nil {
			res.Region = regionIn(str(h.Config, "FullyQualifiedDomainName") + " " + str(h.Config, "ResourcePath"))
		}
		if res.Region == "" {
			return res, &webFailure{"NoRegion", fmt.Sprintf("%s answers the address %s, which names no AWS Region: point it at a load balancer (an alias, or a CNAME such as my-alb.us-west-2.elb.amazonaws.com), or give the record a Region or a health check that names one", name, res.Target)}
		}
		return res, nil
	}
}

// zoneFor returns the most specific hosted zone holding name (the first
// created, when several have the same name), or nil.
func (rv *resolver) zoneFor(name string) *hostedZone {
	if rv.r53 == nil {
		return nil
	}
	var best *hostedZone
	for _, id := range rv.r53.order {
		z := rv.r53.zones[id]
		if (name == z.Name || strings.HasSuffix(name, "."+z.Name)) && (best == nil || len(z.Name) > len(best.Name)) {
			best = z
		}
	}
	return best
}

// pick chooses the record a resolver gets for name, by routing policy,
// and says why.
func (rv *resolver) pick(z *hostedZone, name string) (map[string]any, string) {
	var set []map[string]any
	for _, typ := range []string{"A", "AAAA", "CNAME"} {
		for _, k := range sortedKeys(z.records) {
			if strings.HasPrefix(k, name+"|"+typ+"|") {
				set = append(set, z.records[k])
			}
		}
		if len(set) > 0 {
			break
		}
	}
	where := fmt.Sprintf("%s in zone %s (%s)", name, z.Name, z.ID)
	if len(set) == 0 {
		return nil, where + ": no A, AAAA or CNAME record"
	}
	if len(set) == 1 && str(set[0], "SetIdentifier") == "" {
		return set[0], where + ": " + describeRecord(set[0])
	}
	var primary, secondary map[string]any
	for _, rec := range set {
		switch str(rec, "Failover") {
		case "PRIMARY":
			primary = rec
		case "SECONDARY":
			secondary = rec
		}
	}
	if primary != nil || secondary != nil {
		return rv.failover(where, primary, secondary)
	}
	return rv.firstHealthy(where, set)
}

// failover answers the PRIMARY while it is healthy, else the SECONDARY;
// with both unhealthy Route 53 answers the PRIMARY, and so does this.
func (rv *resolver) failover(where string, primary, secondary map[string]any) (map[string]any, string) {
	if primary == nil {
		return secondary, where + ": failover, no PRIMARY: " + describeRecord(secondary)
	}
	ok, why := rv.healthy(primary)
	if ok || secondary == nil {
		return primary, fmt.Sprintf("%s: failover PRIMARY (%s): %s", where, why, describeRecord(primary))
	}
	if ok2, why2 := rv.healthy(secondary); !ok2 {
		return primary, fmt.Sprintf("%s: failover PRIMARY (%s) and SECONDARY (%s) both unhealthy, so Route 53 answers the PRIMARY: %s", where, why, why2, describeRecord(primary))
	}
	return secondary, fmt.Sprintf("%s: failover PRIMARY unhealthy (%s), SECONDARY: %s", where, why, describeRecord(secondary))
}

// firstHealthy serves weighted, latency and the other policies: the
// first healthy record by set identifier (weight 0 last), else the first.
// Deterministic, so that a game day is repeatable.
func (rv *resolver) firstHealthy(where string, set []map[string]any) (map[string]any, string) {
	ordered := make([]map[string]any, 0, len(set))
	for _, zeroWeight := range []bool{false, true} {
		for _, rec := range set {
			if (str(rec, "Weight") == "0") == zeroWeight {
				ordered = append(ordered, rec)
			}
		}
	}
	var skipped []string
	for _, rec := range ordered {
		ok, why := rv.healthy(rec)
		if ok {
			return rec, fmt.Sprintf("%s: %s healthy (%s)%s: %s", where, str(rec, "SetIdentifier"), why, skippedText(skipped), describeRecord(rec))
		}
		skipped = append(skipped, str(rec, "SetIdentifier")+" ("+why+")")
	}
	return ordered[0], fmt.Sprintf("%s: none healthy%s, so Route 53 answers %s: %s", where, skippedText(skipped), str(ordered[0], "SetIdentifier"), describeRecord(ordered[0]))
}

func skippedText(skipped []string) string {
	if len(skipped) == 0 {
		return ""
	}
	return "; unhealthy: " + strings.Join(skipped, ", ")
}

// healthy is a record's health as Route 53's DNS answers see it: its
// health check, else the target's health of an alias that evaluates it
// (healthy while the Region it lands in serves), else healthy.
func (rv *resolver) healthy(rec map[string]any) (bool, string) {
	if id := str(rec, "HealthCheckId"); id != "" {
		h := rv.check(rec)
		if h == nil {
			return true, "health check " + id + " does not exist"
		}
		if rv.s.healthCheckHealthy(h) {
			return true, "health check " + id + " healthy"
		}
		return false, "health check " + id + " unhealthy"
	}
	alias, _ := rec["AliasTarget"].(map[string]any)
	if alias == nil || alias["EvaluateTargetHealth"] != true {
		return true, "no health check"
	}
	res, fail := rv.resolve(str(alias, "DNSName"), false)
	switch {
	case fail != nil:
		return false, "target health: " + fail.Msg
	case !rv.s.appUp(res.Region):
		return false, "target health: " + res.Region + " is out"
	}
	return true, "target health: " + res.Region + " serves"
}

func (rv *resolver) check(rec map[string]any) *healthCheck {
	if rv.r53 == nil {
		return nil
	}
	return rv.r53.checks[str(rec, "HealthCheckId")]
}

// recordTarget is the name a record sends a resolver on to (an alias's
// DNS name, a CNAME's value), or "" for an address record.
func recordTarget(rec map[string]any) string {
	if alias, _ := rec["AliasTarget"].(map[string]any); alias != nil {
		return fqdn(str(alias, "DNSName"))
	}
	if str(rec, "Type") == "CNAME" {
		if v := recordAddress(rec); v != "" {
			return fqdn(v)
		}
	}
	return ""
}

// recordAddress is a record's first value.
func recordAddress(rec map[string]any) string {
	rrs, _ := rec["ResourceRecords"].(members)
	for _, item := range rrs.items {
		if m, ok := item.(map[string]any); ok {
			return str(m, "Value")
		}
	}
	return ""
}

func describeRecord(rec map[string]any) string {
	kind := str(rec, "Type")
	if id := str(rec, "SetIdentifier"); id != "" {
		kind += " " + id
	}
	if t := recordTarget(rec); t != "" {
		if rec["AliasTarget"] != nil {
			return kind + " alias → " + t
		}
		return kind + " → " + t
	}
	return kind + " → " + recordAddress(rec)
}

// peekState returns a service's state in a Region if it has any, without
// making one (unlike stateOf), so that reading the simulation from the
// web leaves /_sandbox/state as it was. Callers hold s.mu.
func peekState[T any](s *Sandbox, service, region string) *T {
	v, _ := s.state[service+"/"+region].(*T)
	return v
}
