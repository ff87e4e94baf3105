package sandbox

import (
	"fmt"
	"hash/fnv"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Auto Scaling durations in simulated time, as docs/sandbox.md lists them.
const (
	asgLaunch    = 90 * time.Second // an instance's Pending → InService
	asgTerminate = 60 * time.Second // an instance's Terminating → gone
	// asgDefaultCooldown is DefaultCooldown when the group leaves it out,
	// in seconds, as the API has it.
	asgDefaultCooldown = 300
)

type asgRegion struct {
	region string
	faults *faults  // for stuck instances, in dump as in calls
	sb     *Sandbox // for the Region's EC2 state: the group's instances are EC2 instances
	groups map[string]*asgGroup
	seq    uint64 // instances launched, for their ids
}

type asgGroup struct {
	Name, ARN             string
	Min, Max, Desired     int64
	Cooldown, Grace       int64
	HealthCheckType       string
	AZs                   []string
	VPCZoneIdentifier     string
	LaunchConfig          string
	LaunchTemplate        map[string]any
	TargetGroupARNs, Tags []any
	Created               time.Time
	// settled is when the latest capacity change's launches and
	// terminations finish; HonorCooldown counts the cooldown from there.
	settled   time.Time
	instances []*asgInstance // launch order
	// activities are its launches and terminations, oldest first.
	activities []asgActivity
}

type asgInstance struct {
	ID, AZ  string
	leaving bool // chosen for scale-in
	life    timeline
	// launched and left (when leaving) are when the instance was launched
	// and chosen for scale-in: its target group registrations are derived
	// from them (targets.go), as scale-in replaces its timeline.
	launched, left time.Time
}

func (c *call) autoscaling() *asgRegion {
	return stateOf(c.sb, "autoscaling", c.region, func() *asgRegion {
		return &asgRegion{region: c.region, faults: c.sb.faults, sb: c.sb, groups: map[string]*asgGroup{}}
	})
}

func registerAutoScaling(s *Sandbox) {
	s.addService(&service{name: "autoscaling", protocol: queryProtocol{}, xmlns: "http://autoscaling.amazonaws.com/doc/2011-01-01/",
		version: "2011-01-01", throttleCode: "Throttling"},
		&operation{name: "CreateAutoScalingGroup", mutating: true, handler: asgCreateGroup},
		&operation{name: "UpdateAutoScalingGroup", mutating: true, handler: asgUpdateGroup},
		&operation{name: "SetDesiredCapacity", mutating: true, handler: asgSetDesiredCapacity},
		&operation{name: "DescribeAutoScalingGroups", handler: asgDescribeGroups},
		&operation{name: "DescribeScalingActivities", handler: asgDescribeScalingActivities},
	)
}

func (r *asgRegion) dump(now time.Time) any {
	out := map[string]any{}
	for name, g := range r.groups {
		instances := []any{}
		for _, in := range r.present(g, now) {
			instances = append(instances, map[string]any{"id": in.ID, "az": in.AZ, "state": r.lifecycle(in, now)})
		}
		out[name] = map[string]any{"min": g.Min, "max": g.Max, "desired": g.Desired, "instances": instances}
	}
	return map[string]any{"auto_scaling_groups": out}
}

// lifecycle is an instance's LifecycleState at now; a stuck fault names
// the instance by its id.
func (r *asgRegion) lifecycle(in *asgInstance, now time.Time) string {
	if st := r.faults.stuckState("autoscaling", r.region, in.ID); st != "" {
		return st
	}
	return in.life.state(now)
}

// present returns the group's instances that have not yet gone.
func (r *asgRegion) present(g *asgGroup, now time.Time) []*asgInstance {
	out := make([]*asgInstance, 0, len(g.instances))
	for _, in := range g.instances {
		if r.lifecycle(in, now) != "Terminated" {
			out = append(out, in)
		}
	}
	return out
}

// reconcile starts the launches and terminations that bring the group to
// its desired capacity: launches into the Availability Zone with the fewest
// instances, scale-in from the one with the most, newest instance first
// (so launches still pending are cancelled before serving ones go). Each
// instance is an EC2 instance too, launched and terminated with it: EC2
// keeps its own record because a terminated instance outlives the group's
// (ec2TerminatedShown) and AttachVolume looks instances up there.
func (r *asgRegion) reconcile(g *asgGroup, now time.Time) {
	ec2 := func() *ec2Region { return ec2RegionOf(r.sb, r.region) } // made on first launch
	g.instances = r.present(g, now)
	perAZ := map[string][]*asgInstance{}
	live := 0
	for _, in := range g.instances {
		if !in.leaving {
			perAZ[in.AZ] = append(perAZ[in.AZ], in)
			live++
		}
	}
	for ; int64(live) < g.Desired; live++ {
		az := g.AZs[0]
		for _, z := range g.AZs[1:] {
			if len(perAZ[z]) < len(perAZ[az]) {
				az = z
			}
		}
		r.seq++
		in := &asgInstance{ID: asgInstanceID(r.region, r.seq), AZ: az, launched: now}
		in.life.set(now, "Pending", asgLaunch, "InService")
		ec2().launchManaged(in.ID, az, now, asgLaunch)
		// Auto Scaling's own tag, which a runbook may filter instances by;
		// CreateTags refuses aws: keys, so it is written directly.
		ec2TagsOf(r.sb, r.region).byID[in.ID] = []resourceTag{{Key: "aws:autoscaling:groupName", Value: g.Name}}
		g.instances = append(g.instances, in)
		perAZ[az] = append(perAZ[az], in)
		g.settled = maxTime(g.settled, now.Add(asgLaunch))
		g.record(now, asgLaunch, "Launching a new EC2 instance: "+in.ID, "an instance was started in response to a difference between desired and actual capacity, increasing the capacity to "+strconv.Itoa(live+1))
	}
	for ; int64(live) > g.Desired; live-- {
		az := ""
		for _, z := range sortedKeys(perAZ) {
			if az == "" || len(perAZ[z]) > len(perAZ[az]) {
				az = z
			}
		}
		victims := perAZ[az]
		in := victims[len(victims)-1]
		perAZ[az] = victims[:len(victims)-1]
		if len(perAZ[az]) == 0 {
			delete(perAZ, az)
		}
		in.leaving, in.left = true, now
		in.life.set(now, "Terminating", asgTerminate, "Terminated")
		ec2().terminateManaged(in.ID, now, asgTerminate)
		g.settled = maxTime(g.settled, now.Add(asgTerminate))
		g.record(now, asgTerminate, "Terminating EC2 instance: "+in.ID, "an instance was taken out of service in response to a difference between desired and actual capacity, shrinking the capacity to "+strconv.Itoa(live-1))
	}
}

// asgInstanceID makes an EC2-style instance id, unique per Region.
func asgInstanceID(region string, seq uint64) string {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s/%d", region, seq)
	return fmt.Sprintf("i-0%016x", h.Sum64())
}

func (c *call) asgGroup() (*asgGroup, *awsError) {
	name, err := required(c.input, "AutoScalingGroupName", "ValidationError")
	if err != nil {
		return nil, err
	}
	g, ok := c.autoscaling().groups[name]
	if !ok {
		return nil, errorf("ValidationError", "AutoScalingGroup name not found - AutoScalingGroup %s not found", name)
	}
	return g, nil
}

// asgSizes reads the optional size members of a call.
func asgSizes(in map[string]any) (map[string]int64, *awsError) {
	vals := map[string]int64{}
	for _, key := range []string{"MinSize", "MaxSize", "DesiredCapacity", "DefaultCooldown", "HealthCheckGracePeriod"} {
		n, set, err := integer(in, key)
		if err != nil {
			return nil, err
		}
		if set && n < 0 {
			return nil, errorf("ValidationError", "%s must be at least 0", key)
		}
		if set {
			vals[key] = n
		}
	}
	return vals, nil
}

func asgCheckSizes(min, max, desired int64) *awsError {
	if min > max {
		return errorf("ValidationError", "Max bound, %d, must be greater than or equal to min bound, %d", max, min)
	}
	if desired < min || desired > max {
		return errorf("ValidationError", "Desired capacity:%d must be between the specified min size:%d and max size:%d", desired, min, max)
	}
	return nil
}

// asgSetLaunch applies the launch and placement members a call gives.
func (c *call) asgSetLaunch(g *asgGroup) {
	if lc := str(c.input, "LaunchConfigurationName"); lc != "" {
		g.LaunchConfig, g.LaunchTemplate = lc, nil
	}
	if lt := obj(c.input, "LaunchTemplate"); lt != nil {
		g.LaunchTemplate, g.LaunchConfig = map[string]any{}, ""
		for _, k := range []string{"LaunchTemplateId", "LaunchTemplateName", "Version"} {
			if v := str(lt, k); v != "" {
				g.LaunchTemplate[k] = v
			}
		}
	}
	if hc := str(c.input, "HealthCheckType"); hc != "" {
		g.HealthCheckType = hc
	}
	if zones := list(c.input, "AvailabilityZones"); len(zones) > 0 {
		g.AZs = g.AZs[:0]
		for _, z := range zones {
			g.AZs = append(g.AZs, fmt.Sprint(z))
		}
	}
	if subnets := str(c.input, "VPCZoneIdentifier"); subnets != "" {
		g.VPCZoneIdentifier = subnets
		g.AZs = asgSubnetZones(c.region, subnets)
	}
}

// asgSubnetZones places each subnet of a VPCZoneIdentifier in one of the
// Region's first three zones; the sandbox simulates no VPCs, so the same
// subnet id always lands in the same zone.
func asgSubnetZones(region, subnets string) []string {
	seen, zones := map[string]bool{}, []string{}
	for _, s := range strings.Split(subnets, ",") {
		h := fnv.New32a()
		h.Write([]byte(strings.TrimSpace(s)))
		z := region + string(rune('a'+h.Sum32()%3))
		if !seen[z] {
			seen[z] = true
			zones = append(zones, z)
		}
	}
	sort.Strings(zones)
	return zones
}

func asgCreateGroup(c *call) (any, error) {
	name, err := required(c.input, "AutoScalingGroupName", "ValidationError")
	if err != nil {
		return nil, err
	}
	r := c.autoscaling()
	if _, exists := r.groups[name]; exists {
		return nil, errorf("AlreadyExists", "AutoScalingGroup by this name already exists - A group with the name %s already exists", name)
	}
	sizes, err := asgSizes(c.input)
	if err != nil {
		return nil, err
	}
	min, okMin := sizes["MinSize"]
	max, okMax := sizes["MaxSize"]
	if !okMin || !okMax {
		return nil, errorf("ValidationError", "MinSize and MaxSize are required")
	}
	desired, set := sizes["DesiredCapacity"]
	if !set {
		desired = min
	}
	if err := asgCheckSizes(min, max, desired); err != nil {
		return nil, err
	}
	g := &asgGroup{Name: name, Min: min, Max: max, Desired: desired, Cooldown: asgDefaultCooldown, HealthCheckType: "EC2",
		Created: c.now, TargetGroupARNs: list(c.input, "TargetGroupARNs"), Tags: asgTags(name, list(c.input, "Tags")),
		ARN: arn("autoscaling", c.region, c.account(), "autoScalingGroup:"+asgUUID(c.region, name)+":autoScalingGroupName/"+name)}
	if v, ok := sizes["DefaultCooldown"]; ok {
		g.Cooldown = v
	}
	g.Grace = sizes["HealthCheckGracePeriod"]
	c.asgSetLaunch(g)
	if g.LaunchConfig == "" && g.LaunchTemplate == nil && obj(c.input, "MixedInstancesPolicy") == nil && str(c.input, "InstanceId") == "" {
		return nil, errorf("ValidationError", "Valid requests must contain either LaunchTemplate, LaunchConfigurationName, InstanceId or MixedInstancesPolicy parameter.")
	}
	if len(g.AZs) == 0 {
		return nil, errorf("ValidationError", "At least one Availability Zone or VPC Subnet is required.")
	}
	r.groups[name] = g
	r.reconcile(g, c.now)
	return map[string]any{}, nil
}

// asgUUID makes the group id part of a group's ARN.
func asgUUID(region, name string) string {
	h := fnv.New64a()
	h.Write([]byte(region + "/" + name))
	x := fmt.Sprintf("%016x%016x", h.Sum64(), ^h.Sum64())
	return x[:8] + "-" + x[8:12] + "-4" + x[13:16] + "-8" + x[17:20] + "-" + x[20:32]
}

// asgTags turns the Tags of a request into the group's TagDescriptions.
func asgTags(group string, tags []any) []any {
	out := make([]any, 0, len(tags))
	for _, t := range tags {
		m, _ := t.(map[string]any)
		propagate, _ := boolean(m, "PropagateAtLaunch")
		out = append(out, map[string]any{"Key": str(m, "Key"), "Value": str(m, "Value"), "PropagateAtLaunch": propagate,
			"ResourceId": group, "ResourceType": "auto-scaling-group"})
	}
	return out
}

// asgUpdateGroup changes sizes and settings. As in AWS, a new MinSize or
// MaxSize given without DesiredCapacity pulls the desired capacity inside
// the new bounds.
func asgUpdateGroup(c *call) (any, error) {
	g, err := c.asgGroup()
	if err != nil {
		return nil, err
	}
	sizes, err := asgSizes(c.input)
	if err != nil {
		return nil, err
	}
	min, max, desired := g.Min, g.Max, g.Desired
	if v, ok := sizes["MinSize"]; ok {
		min = v
	}
	if v, ok := sizes["MaxSize"]; ok {
		max = v
	}
	if v, ok := sizes["DesiredCapacity"]; ok {
		desired = v
	} else {
		desired = asgClamp(desired, min, max)
	}
	if err := asgCheckSizes(min, max, desired); err != nil {
		return nil, err
	}
	g.Min, g.Max, g.Desired = min, max, desired
	if v, ok := sizes["DefaultCooldown"]; ok {
		g.Cooldown = v
	}
	if v, ok := sizes["HealthCheckGracePeriod"]; ok {
		g.Grace = v
	}
	c.asgSetLaunch(g)
	c.autoscaling().reconcile(g, c.now)
	return map[string]any{}, nil
}

func asgClamp(v, lo, hi int64) int64 {
	if v < lo {
		return lo
	}
	if v > hi && hi >= lo {
		return hi
	}
	return v
}

func asgSetDesiredCapacity(c *call) (any, error) {
	g, err := c.asgGroup()
	if err != nil {
		return nil, err
	}
	desired, set, err := integer(c.input, "DesiredCapacity")
	if err != nil {
		return nil, err
	}
	if !set {
		return nil, errorf("ValidationError", "DesiredCapacity is required")
	}
	if honor, _ := boolean(c.input, "HonorCooldown"); honor && c.now.Before(g.settled.Add(time.Duration(g.Cooldown)*time.Second)) {
		return nil, errorf("ScalingActivityInProgress", "Scaling activity or cooldown in progress for %s blocks this action", g.Name)
	}
	if desired > g.Max {
		return nil, errorf("ValidationError", "New SetDesiredCapacity value %d is above max value %d for the AutoScalingGroup.", desired, g.Max)
	}
	if desired < g.Min {
		return nil, errorf("ValidationError", "New SetDesiredCapacity value %d is below min value %d for the AutoScalingGroup.", desired, g.Min)
	}
	g.Desired = desired
	c.autoscaling().reconcile(g, c.now)
	return map[string]any{}, nil
}

func asgDescribeGroups(c *call) (any, error) {
	r := c.autoscaling()
	names := sortedKeys(r.groups)
	if wanted := list(c.input, "AutoScalingGroupNames"); len(wanted) > 0 {
		names = names[:0]
		for _, n := range wanted {
			if s, _ := n.(string); r.groups[s] != nil {
				names = append(names, s)
			}
		}
		sort.Strings(names)
		names = asgUniq(names)
	}
	filters := list(c.input, "Filters")
	withInstances, set := boolean(c.input, "IncludeInstances")
	items := []any{}
	for _, n := range names {
		g := r.groups[n]
		ok, err := asgMatches(g, filters)
		if err != nil {
			return nil, err
		}
		if ok {
			items = append(items, c.asgGroupValue(g, withInstances || !set))
		}
	}
	page, next, err := asgPage(c.input, items)
	if err != nil {
		return nil, err
	}
	out := map[string]any{"AutoScalingGroups": page}
	if next != "" {
		out["NextToken"] = next
	}
	return out, nil
}

func asgUniq(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// asgPage pages groups as Auto Scaling does: an unknown NextToken is
// InvalidNextToken, a MaxRecords out of 1–100 a ValidationError. The token
// check mirrors paginate's markers (the index of the next item).
func asgPage(in map[string]any, items []any) ([]any, string, error) {
	if tok := str(in, "NextToken"); tok != "" {
		if n, err := strconv.Atoi(tok); err != nil || n < 0 || n > len(items) {
			return nil, "", errorf("InvalidNextToken", "The token '%s' is invalid.", tok)
		}
	}
	return paginate(in, "MaxRecords", "NextToken", items, pageLimits{def: 50, min: 1, max: 100, validation: "ValidationError", code: "ValidationError"})
}

// asgMatches applies DescribeAutoScalingGroups' tag filters: tag:KEY,
// tag-key and tag-value, each matching any of its values.
func asgMatches(g *asgGroup, filters []any) (bool, *awsError) {
	for _, f := range filters {
		m, _ := f.(map[string]any)
		name, values := str(m, "Name"), map[string]bool{}
		if name != "tag-key" && name != "tag-value" && !strings.HasPrefix(name, "tag:") {
			return false, errorf("ValidationError", "Filter name %q is not valid: use tag:<key>, tag-key or tag-value", name)
		}
		for _, v := range list(m, "Values") {
			values[fmt.Sprint(v)] = true
		}
		hit := false
		for _, t := range g.Tags {
			tag := t.(map[string]any)
			key, val := tag["Key"].(string), tag["Value"].(string)
			switch {
			case name == "tag-key":
				hit = hit || values[key]
			case name == "tag-value":
				hit = hit || values[val]
			default:
				hit = hit || (key == strings.TrimPrefix(name, "tag:") && values[val])
			}
		}
		if !hit {
			return false, nil
		}
	}
	return true, nil
}

func (c *call) asgGroupValue(g *asgGroup, withInstances bool) map[string]any {
	zones := make([]any, len(g.AZs))
	for i, z := range g.AZs {
		zones[i] = z
	}
	v := map[string]any{
		"AutoScalingGroupName":             g.Name,
		"AutoScalingGroupARN":              g.ARN,
		"MinSize":                          g.Min,
		"MaxSize":                          g.Max,
		"DesiredCapacity":                  g.Desired,
		"DefaultCooldown":                  g.Cooldown,
		"HealthCheckType":                  g.HealthCheckType,
		"HealthCheckGracePeriod":           g.Grace,
		"AvailabilityZones":                zones,
		"CreatedTime":                      g.Created,
		"TargetGroupARNs":                  g.TargetGroupARNs,
		"Tags":                             g.Tags,
		"LoadBalancerNames":                []any{},
		"SuspendedProcesses":               []any{},
		"TerminationPolicies":              []any{"Default"},
		"NewInstancesProtectedFromScaleIn": false,
		"ServiceLinkedRoleARN": arn("iam", "", c.account(),
			"role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"),
	}
	if g.VPCZoneIdentifier != "" {
		v["VPCZoneIdentifier"] = g.VPCZoneIdentifier
	}
	if g.LaunchConfig != "" {
		v["LaunchConfigurationName"] = g.LaunchConfig
	}
	if g.LaunchTemplate != nil {
		v["LaunchTemplate"] = g.LaunchTemplate
	}
	if withInstances {
		r := c.autoscaling()
		instances := []any{}
		for _, in := range r.present(g, c.now) {
			iv := map[string]any{"InstanceId": in.ID, "AvailabilityZone": in.AZ, "LifecycleState": r.lifecycle(in, c.now),
				"HealthStatus": "Healthy", "ProtectedFromScaleIn": false}
			if g.LaunchConfig != "" {
				iv["LaunchConfigurationName"] = g.LaunchConfig
			}
			if g.LaunchTemplate != nil {
				iv["LaunchTemplate"] = g.LaunchTemplate
			}
			instances = append(instances, iv)
		}
		v["Instances"] = instances
	}
	return v
}
