package sandbox

import (
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Load balancers, listeners and rules: what a failover rewrites (a
// listener's default action, a rule's target group or weights) and what a
// scenario models an ALB with. Traffic is not simulated: the sandbox keeps
// and answers the configuration, and the target groups' health.

// elbProvision is how long a new load balancer is provisioning.
const elbProvision = 3 * time.Minute

type elbLoadBalancer struct {
	Name, ARN, Type, Scheme, VpcID, DNSName string
	Subnets, SecurityGroups                 []any
	Created                                 time.Time
	state                                   timeline
}

type elbListener struct {
	ARN, LB, Protocol string
	Port              int64
	Actions           []any
	rules             []*elbRule // non-default rules, by priority
}

type elbRule struct {
	ARN, Priority       string
	Conditions, Actions []any
}

// elbLBs holds a Region's load balancers (by name) and listeners (by ARN).
type elbLBs struct {
	byName    map[string]*elbLoadBalancer
	listeners map[string]*elbListener
	seq       int
}

func (l *elbLBs) dump(now time.Time) any {
	out := map[string]any{}
	for name, lb := range l.byName {
		out[name] = map[string]any{"arn": lb.ARN, "state": lb.state.state(now)}
	}
	return map[string]any{"load_balancers": out, "listeners": len(l.listeners)}
}

func (c *call) elbLBs() *elbLBs {
	return stateOf(c.sb, "elasticloadbalancing-lb", c.region, func() *elbLBs {
		return &elbLBs{byName: map[string]*elbLoadBalancer{}, listeners: map[string]*elbListener{}}
	})
}

// elbHex is the 16 hex digits that end an ELB ARN: unique per Region and
// the same when a recording is replayed.
func (l *elbLBs) elbHex(region, name string) string {
	l.seq++
	h := fnv.New64a()
	fmt.Fprintf(h, "%s/%s/%d", region, name, l.seq)
	return fmt.Sprintf("%016x", h.Sum64())
}

// plainValue turns a query request's lists (Name.member.N) into plain
// lists, so that members given in a request are answered as AWS answers
// them, whether they came from the query protocol or a scenario file.
func plainValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if inner, ok := x["member"]; ok && len(x) == 1 {
			items := asList(map[string]any{"member": inner})
			out := make([]any, len(items))
			for i, it := range items {
				out[i] = plainValue(it)
			}
			return out
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = plainValue(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, it := range x {
			out[i] = plainValue(it)
		}
		return out
	}
	return v
}

// plainList reads a list member in its plain form.
func plainList(in map[string]any, key string) []any {
	switch x := in[key].(type) {
	case []any, map[string]any:
		if l, ok := plainValue(x).([]any); ok {
			return l
		}
	}
	return nil
}

func (c *call) lbValue(lb *elbLoadBalancer) map[string]any {
	state := lb.state.state(c.now)
	if st := c.sb.faults.stuckState("elasticloadbalancing", c.region, lb.ARN); st != "" {
		state = st
	}
	azs := make([]any, len(lb.Subnets))
	for i, s := range lb.Subnets {
		azs[i] = map[string]any{"SubnetId": s, "ZoneName": c.region + string(rune('a'+i%len(zoneLetters(c.region))))}
	}
	v := map[string]any{"LoadBalancerArn": lb.ARN, "LoadBalancerName": lb.Name, "Type": lb.Type, "Scheme": lb.Scheme,
		"VpcId": lb.VpcID, "DNSName": lb.DNSName, "CreatedTime": lb.Created, "CanonicalHostedZoneId": "Z35SXDOTRQ7X7K",
		"State": map[string]any{"Code": state}, "AvailabilityZones": azs, "IpAddressType": "ipv4"}
	if lb.Type == "application" {
		v["SecurityGroups"] = lb.SecurityGroups
	}
	return v
}

func elbCreateLoadBalancer(c *call) (any, error) {
	name, err := required(c.input, "Name", "ValidationError")
	if err != nil {
		return nil, err
	}
	if !elbNameRE.MatchString(name) || strings.HasPrefix(name, "internal-") {
		return nil, errorf("ValidationError", "Load balancer name '%s' can have at most 32 alphanumeric characters and hyphens, and cannot begin or end with a hyphen", name)
	}
	lb := &elbLoadBalancer{Name: name, Type: str(c.input, "Type"), Scheme: str(c.input, "Scheme"), Created: c.now,
		Subnets: plainList(c.input, "Subnets"), SecurityGroups: plainList(c.input, "SecurityGroups")}
	if lb.Type == "" {
		lb.Type = "application"
	}
	if lb.Scheme == "" {
		lb.Scheme = "internet-facing"
	}
	switch {
	case lb.Type != "application" && lb.Type != "network" && lb.Type != "gateway":
		return nil, errorf("ValidationError", "Type '%s' is not one of application, network, gateway", lb.Type)
	case lb.Scheme != "internet-facing" && lb.Scheme != "internal":
		return nil, errorf("ValidationError", "Scheme '%s' is not one of internet-facing, internal", lb.Scheme)
	case lb.Type == "application" && len(lb.Subnets) < 2:
		return nil, errorf("ValidationError", "At least two subnets in two different Availability Zones must be specified")
	}
	l := c.elbLBs()
	if old, exists := l.byName[name]; exists {
		if old.Type != lb.Type || old.Scheme != lb.Scheme {
			return nil, errorf("DuplicateLoadBalancerName", "A load balancer with the same name '%s' exists, but with different settings", name)
		}
		return map[string]any{"LoadBalancers": []any{c.lbValue(old)}}, nil
	}
	kind := map[string]string{"application": "app", "network": "net", "gateway": "gwy"}[lb.Type]
	hex := l.elbHex(c.region, name)
	lb.ARN = c.idOr(arn("elasticloadbalancing", c.region, c.account(), "loadbalancer/"+kind+"/"+name+"/"+hex))
	lb.VpcID = ec2DefaultVPC(c.region)
	prefix := name
	if lb.Scheme == "internal" {
		prefix = "internal-" + name
	}
	lb.DNSName = fmt.Sprintf("%s-%d.%s.elb.amazonaws.com", prefix, fnv32(hex), c.region)
	lb.state.set(c.now, "provisioning", elbProvision, "active")
	l.byName[name] = lb
	return map[string]any{"LoadBalancers": []any{c.lbValue(lb)}}, nil
}

func fnv32(s string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(s))
	return h.Sum32()
}

func (l *elbLBs) byARN(a string) *elbLoadBalancer {
	for _, lb := range l.byName {
		if lb.ARN == a {
			return lb
		}
	}
	return nil
}

func elbDescribeLoadBalancers(c *call) (any, error) {
	l := c.elbLBs()
	arns, names := plainList(c.input, "LoadBalancerArns"), plainList(c.input, "Names")
	if len(arns) > 0 && len(names) > 0 {
		return nil, errorf("ValidationError", "Load balancer names and load balancer ARNs cannot be specified at the same time")
	}
	var lbs []*elbLoadBalancer
	for _, a := range arns {
		lb := l.byARN(fmt.Sprint(a))
		if lb == nil {
			return nil, errorf("LoadBalancerNotFound", "One or more load balancers not found")
		}
		lbs = append(lbs, lb)
	}
	for _, n := range names {
		lb := l.byName[fmt.Sprint(n)]
		if lb == nil {
			return nil, errorf("LoadBalancerNotFound", "Load balancers '[%s]' not found", n)
		}
		lbs = append(lbs, lb)
	}
	if len(arns) == 0 && len(names) == 0 {
		for _, n := range sortedKeys(l.byName) {
			lbs = append(lbs, l.byName[n])
		}
	}
	items := make([]any, len(lbs))
	for i, lb := range lbs {
		items[i] = c.lbValue(lb)
	}
	return elbPage(c, "LoadBalancers", items)
}

// elbPage answers one page of items under key, with ELB's PageSize
// (1 to 400) and Marker.
func elbPage(c *call, key string, items []any) (any, error) {
	return listPage(key, "NextMarker", c.input, "PageSize", "Marker", items, pageLimits{def: 400, min: 1, max: 400, validation: "ValidationError", code: "ValidationError"})
}

// elbActions reads and checks a request's actions: each has a Type
// the sandbox knows, and every target group it forwards to exists.
func (c *call) elbActions(key string) ([]any, *awsError) {
	actions := plainList(c.input, key)
	if len(actions) == 0 {
		return nil, errorf("ValidationError", "%s must hold at least one action", key)
	}
	for _, a := range actions {
		m, _ := a.(map[string]any)
		typ := str(m, "Type")
		switch typ {
		case "forward":
			tgs := []string{str(m, "TargetGroupArn")}
			for _, tg := range asList(obj(m, "ForwardConfig")["TargetGroups"]) {
				tm, _ := tg.(map[string]any)
				tgs = append(tgs, str(tm, "TargetGroupArn"))
			}
			for _, tg := range tgs {
				if tg != "" && c.elb().byARN(tg) == nil {
					return nil, errorf("TargetGroupNotFound", "Target group '%s' not found", tg)
				}
			}
			if tgs[0] == "" && len(tgs) == 1 {
				return nil, errorf("ValidationError", "A forward action needs a TargetGroupArn or a ForwardConfig")
			}
		case "redirect", "fixed-response", "authenticate-oidc", "authenticate-cognito":
		default:
			return nil, errorf("ValidationError", "Action type '%s' must be one of forward, redirect, fixed-response, authenticate-oidc, authenticate-cognito", typ)
		}
	}
	return actions, nil
}

// forwardsTo reports whether actions forward to a target group.
func forwardsTo(actions []any, tgARN string) bool {
	for _, a := range actions {
		m, _ := a.(map[string]any)
		if str(m, "TargetGroupArn") == tgARN {
			return true
		}
		for _, tg := range asList(obj(m, "ForwardConfig")["TargetGroups"]) {
			if tm, _ := tg.(map[string]any); str(tm, "TargetGroupArn") == tgARN {
				return true
			}
		}
	}
	return false
}

// loadBalancersOf lists the load balancers whose listeners or rules
// forward to a target group, for DescribeTargetGroups' LoadBalancerArns.
func (l *elbLBs) loadBalancersOf(tgARN string) []any {
	out := []any{}
	for _, key := range sortedKeys(l.listeners) {
		ln := l.listeners[key]
		hit := forwardsTo(ln.Actions, tgARN)
		for _, r := range ln.rules {
			hit = hit || forwardsTo(r.Actions, tgARN)
		}
		if hit && !slices.Contains(out, any(ln.LB)) {
			out = append(out, ln.LB)
		}
	}
	return out
}

func priorityNumber(p string) int {
	n, err := strconv.Atoi(p)
	if err != nil {
		return 1 << 30
	}
	return n
}
