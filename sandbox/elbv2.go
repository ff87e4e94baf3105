package sandbox

import (
	"fmt"
	"hash/fnv"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ELBv2 durations in simulated time, as docs/sandbox.md lists them.
const (
	// elbHealthy is how long a registered target stays initial before its
	// health checks pass.
	elbHealthy = 30 * time.Second
)

type elbRegion struct {
	region string
	sb     *Sandbox // faults: the Region's application failing fails health checks, in dump as in calls
	groups map[string]*elbTargetGroup
}

type elbTargetGroup struct {
	Name, ARN, Protocol, TargetType, VpcID string
	Port                                   int64
	// health holds the HealthCheck* members, Matcher and the other
	// settings as DescribeTargetGroups returns them.
	health  map[string]any
	targets []*elbTarget // registration order
}

type elbTarget struct {
	ID, AZ string
	Port   int64
	state  timeline
}

// elbReasons gives each target health state but healthy its Reason and
// Description.
var elbReasons = map[string][2]string{
	"initial":     {"Elb.RegistrationInProgress", "Target registration is in progress"},
	"unhealthy":   {"Target.FailedHealthChecks", "Health checks failed"},
	"unused":      {"Target.NotRegistered", "Target is not registered to the target group"},
	"draining":    {"Target.DeregistrationInProgress", "Target deregistration is in progress"},
	"unavailable": {"Target.HealthCheckDisabled", "Health checks are disabled"},
}

var (
	elbNameRE     = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$`)
	elbInstanceRE = regexp.MustCompile(`^i-[0-9a-f]{8}(?:[0-9a-f]{9})?$`)
	elbProtocols  = map[string]bool{"HTTP": true, "HTTPS": true, "TCP": true, "TLS": true, "UDP": true, "TCP_UDP": true, "GENEVE": true}
)

func (c *call) elb() *elbRegion {
	return stateOf(c.sb, "elasticloadbalancing", c.region, func() *elbRegion {
		return &elbRegion{region: c.region, sb: c.sb, groups: map[string]*elbTargetGroup{}}
	})
}

func registerELBv2(s *Sandbox) {
	s.addService(&service{name: "elasticloadbalancing", protocol: queryProtocol{},
		xmlns: "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/", version: "2015-12-01", throttleCode: "Throttling"},
		&operation{name: "CreateTargetGroup", mutating: true, handler: elbCreateTargetGroup},
		&operation{name: "DescribeTargetGroups", handler: elbDescribeTargetGroups},
		&operation{name: "RegisterTargets", mutating: true, handler: elbRegisterTargets},
		&operation{name: "DeregisterTargets", mutating: true, handler: elbDeregisterTargets},
		&operation{name: "DescribeTargetHealth", handler: elbDescribeTargetHealth},
		&operation{name: "CreateLoadBalancer", mutating: true, handler: elbCreateLoadBalancer},
		&operation{name: "DescribeLoadBalancers", handler: elbDescribeLoadBalancers},
		&operation{name: "CreateListener", mutating: true, handler: elbCreateListener},
		&operation{name: "DescribeListeners", handler: elbDescribeListeners},
		&operation{name: "ModifyListener", mutating: true, handler: elbModifyListener},
		&operation{name: "CreateRule", mutating: true, handler: elbCreateRule},
		&operation{name: "DescribeRules", handler: elbDescribeRules},
		&operation{name: "ModifyRule", mutating: true, handler: elbModifyRule},
	)
}

func (r *elbRegion) dump(now time.Time) any {
	out := map[string]any{}
	for name, g := range r.groups {
		targets := []any{}
		for _, t := range r.targetsOf(g, now) {
			state, _ := r.targetHealth(g, t, now)
			targets = append(targets, map[string]any{"id": t.ID, "port": t.Port, "state": state})
		}
		out[name] = map[string]any{"arn": g.ARN, "targets": targets}
	}
	return map[string]any{"target_groups": out}
}

// targetHealth returns a registered target's state and, unless healthy,
// its reason: a stuck fault (by target id) first, then draining (a
// deregistration runs whatever the health checks say), then disabled
// health checks, then the Region's application being down (an outage),
// which fails every health check, then the registration timeline.
func (r *elbRegion) targetHealth(g *elbTargetGroup, t *elbTarget, now time.Time) (string, [2]string) {
	state := r.sb.faults.stuckState("elasticloadbalancing", r.region, t.ID)
	switch {
	case state != "":
	case t.state.state(now) == "draining":
		state = "draining"
	case g.health["HealthCheckEnabled"] == false:
		state = "unavailable"
	case !r.sb.appUp(r.region):
		state = "unhealthy"
	default:
		state = t.state.state(now)
	}
	return state, elbReasons[state]
}

// elbHealthDefaults returns the health check settings AWS gives a target
// group of the protocol and target type.
func elbHealthDefaults(protocol, targetType string) map[string]any {
	h := map[string]any{"HealthCheckEnabled": true, "HealthCheckPort": "traffic-port", "HealthCheckIntervalSeconds": int64(30),
		"HealthCheckTimeoutSeconds": int64(5), "HealthyThresholdCount": int64(5), "UnhealthyThresholdCount": int64(2),
		"HealthCheckProtocol": "TCP", "LoadBalancerArns": []any{}}
	switch protocol {
	case "HTTP", "HTTPS":
		h["HealthCheckProtocol"], h["HealthCheckPath"], h["ProtocolVersion"] = protocol, "/", "HTTP1"
		h["Matcher"] = map[string]any{"HttpCode": "200"}
	case "TCP", "TLS", "UDP", "TCP_UDP":
		h["HealthCheckTimeoutSeconds"] = int64(10)
	}
	if targetType == "lambda" {
		h = map[string]any{"HealthCheckEnabled": false, "HealthCheckIntervalSeconds": int64(35), "HealthCheckTimeoutSeconds": int64(30),
			"HealthyThresholdCount": int64(5), "UnhealthyThresholdCount": int64(2), "HealthCheckPath": "/",
			"Matcher": map[string]any{"HttpCode": "200"}, "LoadBalancerArns": []any{}}
	}
	return h
}

// elbHealthSettings overlays a CreateTargetGroup's health check members on
// the defaults, with AWS's bounds.
func elbHealthSettings(in map[string]any, h map[string]any) *awsError {
	bounds := []struct {
		key      string
		min, max int64
	}{{"HealthCheckIntervalSeconds", 5, 300}, {"HealthCheckTimeoutSeconds", 2, 120},
		{"HealthyThresholdCount", 2, 10}, {"UnhealthyThresholdCount", 2, 10}}
	for _, b := range bounds {
		n, set, err := integer(in, b.key)
		if err != nil {
			return err
		}
		if set && (n < b.min || n > b.max) {
			return errorf("ValidationError", "%s must be from %d to %d", b.key, b.min, b.max)
		}
		if set {
			h[b.key] = n
		}
	}
	if h["HealthCheckTimeoutSeconds"].(int64) >= h["HealthCheckIntervalSeconds"].(int64) {
		return errorf("ValidationError", "Health check timeout '%d' must be smaller than the interval '%d'",
			h["HealthCheckTimeoutSeconds"], h["HealthCheckIntervalSeconds"])
	}
	for _, key := range []string{"HealthCheckPath", "HealthCheckPort", "HealthCheckProtocol", "ProtocolVersion", "IpAddressType"} {
		if v := str(in, key); v != "" {
			h[key] = v
		}
	}
	if enabled, ok := boolean(in, "HealthCheckEnabled"); ok {
		h["HealthCheckEnabled"] = enabled
	}
	if m := obj(in, "Matcher"); m != nil {
		h["Matcher"] = map[string]any{"HttpCode": elbNilIfEmpty(str(m, "HttpCode")), "GrpcCode": elbNilIfEmpty(str(m, "GrpcCode"))}
	}
	return nil
}

func elbNilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// elbNewTargetGroup reads and checks a CreateTargetGroup request.
func (c *call) elbNewTargetGroup() (*elbTargetGroup, *awsError) {
	name, err := required(c.input, "Name", "ValidationError")
	if err != nil {
		return nil, err
	}
	if !elbNameRE.MatchString(name) || strings.HasPrefix(name, "internal-") {
		return nil, errorf("ValidationError", "Target group name '%s' can have at most 32 alphanumeric characters and hyphens, and cannot begin or end with a hyphen", name)
	}
	g := &elbTargetGroup{Name: name, Protocol: str(c.input, "Protocol"), TargetType: str(c.input, "TargetType"), VpcID: str(c.input, "VpcId")}
	if g.TargetType == "" {
		g.TargetType = "instance"
	}
	port, set, err := integer(c.input, "Port")
	if err != nil {
		return nil, err
	}
	switch {
	case g.TargetType != "instance" && g.TargetType != "ip" && g.TargetType != "lambda" && g.TargetType != "alb":
		return nil, errorf("ValidationError", "Target type '%s' is not one of instance, ip, lambda, alb", g.TargetType)
	case g.TargetType == "lambda" && (g.Protocol != "" || set || g.VpcID != ""):
		return nil, errorf("ValidationError", "A protocol, port and VPC ID cannot be specified for target groups with target type 'lambda'")
	case g.TargetType != "lambda" && (g.Protocol == "" || !set || g.VpcID == ""):
		return nil, errorf("ValidationError", "A protocol, a port and a VPC ID must be specified for target groups with target type '%s'", g.TargetType)
	case g.Protocol != "" && !elbProtocols[g.Protocol]:
		return nil, errorf("ValidationError", "Protocol '%s' is not supported", g.Protocol)
	case set && (port < 1 || port > 65535):
		return nil, errorf("ValidationError", "Port '%d' must be from 1 to 65535", port)
	}
	g.Port = port
	g.health = elbHealthDefaults(g.Protocol, g.TargetType)
	if g.TargetType != "lambda" {
		g.health["IpAddressType"] = "ipv4"
	}
	if err := elbHealthSettings(c.input, g.health); err != nil {
		return nil, err
	}
	h := fnv.New64a()
	h.Write([]byte(c.region + "/" + name))
	g.ARN = c.idOr(arn("elasticloadbalancing", c.region, c.account(), fmt.Sprintf("targetgroup/%s/%016x", name, h.Sum64())))
	return g, nil
}

// elbCreateTargetGroup is idempotent as in AWS: the same name with the same
// settings returns the existing group; with other settings it is
// DuplicateTargetGroupName.
func elbCreateTargetGroup(c *call) (any, error) {
	g, err := c.elbNewTargetGroup()
	if err != nil {
		return nil, err
	}
	r := c.elb()
	if old, exists := r.groups[g.Name]; exists {
		if old.Protocol != g.Protocol || old.Port != g.Port || old.VpcID != g.VpcID || old.TargetType != g.TargetType {
			return nil, errorf("DuplicateTargetGroupName", "A target group with the same name '%s' exists, but with different settings", g.Name)
		}
		g = old
	}
	r.groups[g.Name] = g
	return map[string]any{"TargetGroups": []any{elbTargetGroupValue(g)}}, nil
}

func elbTargetGroupValue(g *elbTargetGroup) map[string]any {
	v := map[string]any{"TargetGroupArn": g.ARN, "TargetGroupName": g.Name, "TargetType": g.TargetType}
	for k, x := range g.health {
		v[k] = x
	}
	if g.TargetType != "lambda" {
		v["Protocol"], v["Port"], v["VpcId"] = g.Protocol, g.Port, g.VpcID
	}
	return v
}

func elbDescribeTargetGroups(c *call) (any, error) {
	r := c.elb()
	arns, names := list(c.input, "TargetGroupArns"), list(c.input, "Names")
	if len(arns) > 0 && len(names) > 0 {
		return nil, errorf("ValidationError", "Target group names and target group ARNs cannot be specified at the same time")
	}
	var groups []*elbTargetGroup
	lbs := c.elbLBs()
	lb := str(c.input, "LoadBalancerArn")
	if lb != "" && lbs.byARN(lb) == nil {
		return nil, errorf("LoadBalancerNotFound", "Load balancer '%s' not found", lb)
	}
	for _, a := range arns {
		g := r.byARN(fmt.Sprint(a))
		if g == nil {
			return nil, errorf("TargetGroupNotFound", "One or more target groups not found")
		}
		groups = append(groups, g)
	}
	for _, n := range names {
		g := r.groups[fmt.Sprint(n)]
		if g == nil {
			return nil, errorf("TargetGroupNotFound", "One or more target groups not found")
		}
		groups = append(groups, g)
	}
	if len(arns) == 0 && len(names) == 0 {
		for _, n := range sortedKeys(r.groups) {
			if lb == "" || slices.Contains(lbs.loadBalancersOf(r.groups[n].ARN), any(lb)) {
				groups = append(groups, r.groups[n])
			}
		}
	}
	items := make([]any, len(groups))
	for i, g := range groups {
		v := elbTargetGroupValue(g)
		v["LoadBalancerArns"] = lbs.loadBalancersOf(g.ARN)
		items[i] = v
	}
	return elbPage(c, "TargetGroups", items)
}

func (r *elbRegion) byARN(a string) *elbTargetGroup {
	for _, g := range r.groups {
		if g.ARN == a {
			return g
		}
	}
	return nil
}

func (c *call) elbTargetGroup() (*elbTargetGroup, *awsError) {
	a, err := required(c.input, "TargetGroupArn", "ValidationError")
	if err != nil {
		return nil, err
	}
	g := c.elb().byARN(a)
	if g == nil {
		return nil, errorf("TargetGroupNotFound", "Target groups '%s' not found", a)
	}
	g.pruneTargets(c.now)
	return g, nil
}

// elbTargets reads a request's Targets for a target group, checking ids
// by target type; an instance id need only look like one, as a scenario
// may register instances it does not launch.
func elbTargets(g *elbTargetGroup, in map[string]any) ([]*elbTarget, *awsError) {
	var out []*elbTarget
	var bad []string
	for _, item := range list(in, "Targets") {
		m, _ := item.(map[string]any)
		t := &elbTarget{ID: str(m, "Id"), AZ: str(m, "AvailabilityZone"), Port: g.Port}
		port, set, err := integer(m, "Port")
		if err != nil {
			return nil, err
		}
		if set {
			t.Port = port
		}
		valid := t.Port >= 1 && t.Port <= 65535
		switch g.TargetType {
		case "instance":
			valid = valid && elbInstanceRE.MatchString(t.ID)
		case "ip":
			valid = valid && net.ParseIP(t.ID) != nil
		case "lambda":
			valid = strings.HasPrefix(t.ID, "arn:aws:lambda:")
		case "alb":
			valid = valid && strings.HasPrefix(t.ID, "arn:aws:elasticloadbalancing:")
		}
		if !valid {
			bad = append(bad, "'"+t.ID+"'")
		}
		out = append(out, t)
	}
	if len(bad) > 0 {
		return nil, errorf("InvalidTarget", "The following targets are not valid for target type '%s': %s", g.TargetType, strings.Join(bad, ", "))
	}
	return out, nil
}

// elbAskedTargets reads a request's target group and its Targets, of
// which there must be one at least.
func (c *call) elbAskedTargets() (*elbTargetGroup, []*elbTarget, error) {
	g, err := c.elbTargetGroup()
	if err != nil {
		return nil, nil, err
	}
	targets, err := elbTargets(g, c.input)
	if err != nil {
		return nil, nil, err
	}
	if len(targets) == 0 {
		return nil, nil, errorf("ValidationError", "Targets is required")
	}
	return g, targets, nil
}

func elbRegisterTargets(c *call) (any, error) {
	g, targets, err := c.elbAskedTargets()
	if err != nil {
		return nil, err
	}
	if g.TargetType == "lambda" && len(targets)+len(g.targets) > 1 {
		return nil, errorf("TooManyTargets", "A target group with target type 'lambda' can have one target")
	}
	for _, t := range targets {
		if old := elbFind(g.targets, t.ID, t.Port); old != nil {
			// Registering a registered target changes nothing; one
			// draining after DeregisterTargets is registered anew.
			if old.state.state(c.now) == "draining" {
				old.state.set(c.now, "initial", elbHealthy, "healthy")
			}
			continue
		}
		t.state.set(c.now, "initial", elbHealthy, "healthy")
		g.targets = append(g.targets, t)
	}
	return map[string]any{}, nil
}

// elbFind returns the target of that id and port among targets, or nil.
func elbFind(targets []*elbTarget, id string, port int64) *elbTarget {
	for _, t := range targets {
		if t.ID == id && t.Port == port {
			return t
		}
	}
	return nil
}

// elbDescribeTargetHealth reports the targets asked for, or every
// registered one (by RegisterTargets or by an Auto Scaling group or ECS
// service, see targets.go); a target asked for but not registered is
// unused.
func elbDescribeTargetHealth(c *call) (any, error) {
	g, err := c.elbTargetGroup()
	if err != nil {
		return nil, err
	}
	asked, err := elbTargets(g, c.input)
	if err != nil {
		return nil, err
	}
	r := c.elb()
	registered := r.targetsOf(g, c.now)
	shown := registered
	if len(asked) > 0 {
		shown = asked
	}
	items := make([]any, 0, len(shown))
	for _, t := range shown {
		state, reason := "unused", elbReasons["unused"]
		if reg := elbFind(registered, t.ID, t.Port); reg != nil {
			state, reason = r.targetHealth(g, reg, c.now)
		}
		health := map[string]any{"State": state}
		if reason[0] != "" {
			health["Reason"], health["Description"] = reason[0], reason[1]
		}
		target := map[string]any{"Id": t.ID}
		if g.TargetType != "lambda" {
			target["Port"] = t.Port
		}
		if t.AZ != "" {
			target["AvailabilityZone"] = t.AZ
		}
		hcPort, _ := g.health["HealthCheckPort"].(string)
		if hcPort == "traffic-port" {
			hcPort = strconv.FormatInt(t.Port, 10)
		}
		items = append(items, map[string]any{"Target": target, "TargetHealth": health, "HealthCheckPort": elbNilIfEmpty(hcPort)})
	}
	return map[string]any{"TargetHealthDescriptions": items}, nil
}
