package sandbox

import (
	"fmt"
	"hash/fnv"
	"time"
)

// Targets that other services register on their own. In AWS an Auto
// Scaling group registers each InService instance in its target groups,
// and ECS each RUNNING task of a service with load balancers; both
// deregister them as they go. The sandbox stores none of these
// registrations: whenever a target group is read, each source below lists
// the targets its resources in the Region have there, with a timeline laid
// out from their members' own times. So they cannot go stale, nothing is
// scheduled, and it does not matter whether the target group or the group
// or service naming it was made first (scenarios make them in any order).

// targetSource lists the targets one service has registered in a target
// group, by then or later (targetsOf keeps those registered at now).
type targetSource func(sb *Sandbox, region string, g *elbTargetGroup, now time.Time) []*elbTarget

var targetSources = []targetSource{asgTargets, ecsTargets}

// targetsOf returns a target group's targets at now: those registered with
// RegisterTargets, then those its sources have registered and not yet
// fully deregistered, each id and port once.
func (r *elbRegion) targetsOf(g *elbTargetGroup, now time.Time) []*elbTarget {
	var out []*elbTarget
	for _, t := range g.targets {
		if t.state.state(now) != "" { // not yet gone after DeregisterTargets
			out = append(out, t)
		}
	}
	for _, source := range targetSources {
		for _, t := range source(r.sb, r.region, g, now) {
			if t.state.state(now) != "" && elbFind(out, t.ID, t.Port) == nil {
				out = append(out, t)
			}
		}
	}
	return out
}

// memberTarget makes the target a service registers for one of its
// members: registered at reg (initial, then healthy after elbHealthy, as
// RegisterTargets' targets), draining from dereg, gone at gone. A zero
// dereg or gone has not happened.
func memberTarget(id string, port int64, reg, dereg, gone time.Time) *elbTarget {
	t := &elbTarget{ID: id, Port: port}
	steps := []timelineStep{{at: reg, state: "initial"}}
	if healthy := reg.Add(elbHealthy); dereg.IsZero() || healthy.Before(dereg) {
		steps = append(steps, timelineStep{at: healthy, state: "healthy"})
	}
	if !dereg.IsZero() {
		steps = append(steps, timelineStep{at: dereg, state: "draining"})
	}
	if !gone.IsZero() {
		steps = append(steps, timelineStep{at: gone, state: ""})
	}
	t.state.steps = steps
	return t
}

// existingState returns a service's state in a Region, or nil: reading
// a target group makes no state for services never called there.
func existingState[T any](sb *Sandbox, service, region string) *T {
	v, _ := sb.state[service+"/"+region].(*T)
	return v
}

// asgTargets lists the instances of the Region's Auto Scaling groups that
// name the target group (of type instance, the only one a group takes):
// each registered when it goes InService, draining from when it is chosen
// for scale-in until it is Terminated. An instance scaled in before it
// served was never registered.
func asgTargets(sb *Sandbox, region string, g *elbTargetGroup, _ time.Time) []*elbTarget {
	r := existingState[asgRegion](sb, "autoscaling", region)
	if r == nil || g.TargetType != "instance" {
		return nil
	}
	var out []*elbTarget
	for _, name := range sortedKeys(r.groups) {
		group := r.groups[name]
		if !namesARN(group.TargetGroupARNs, g.ARN) {
			continue
		}
		for _, in := range group.instances {
			inService, gone := in.launched.Add(asgLaunch), time.Time{}
			if in.leaving {
				if !in.left.After(inService) {
					continue
				}
				gone = in.left.Add(asgTerminate)
			}
			out = append(out, memberTarget(in.ID, g.Port, inService, in.left, gone))
		}
	}
	return out
}

func namesARN(arns []any, want string) bool {
	for _, a := range arns {
		if fmt.Sprint(a) == want {
			return true
		}
	}
	return false
}

// ecsTargets lists the tasks of the Region's ECS services whose
// loadBalancers name the target group (of type ip, as for awsvpc tasks),
// by private IP and container port: each registered when it is RUNNING,
// draining while it drains, gone when it stops.
func ecsTargets(sb *Sandbox, region string, g *elbTargetGroup, now time.Time) []*elbTarget {
	r := existingState[ecsRegion](sb, "ecs", region)
	if r == nil || g.TargetType != "ip" {
		return nil
	}
	var out []*elbTarget
	for _, cname := range sortedKeys(r.clusters) {
		cl := r.clusters[cname]
		for _, sname := range cl.order {
			s := cl.services[sname]
			for _, lb := range s.LoadBalancers {
				m := lb.(map[string]any)
				if m["targetGroupArn"] != g.ARN {
					continue
				}
				at := s.observe(sb.faults, region, now)
				for _, d := range s.deployments {
					for _, t := range d.tasks {
						if target := ecsTaskTarget(t, m["containerPort"].(int64), at); target != nil {
							out = append(out, target)
						}
					}
				}
			}
		}
	}
	return out
}

// ecsTaskTarget makes a task's target, or nil if it never ran. Of the
// task's changes only those ECS has made by at count: while a stuck fault
// holds the service (at is then the moment it was first seen), its tasks
// neither register nor deregister, as they neither start nor stop.
func ecsTaskTarget(t ecsTask, port int64, at time.Time) *elbTarget {
	if t.start.After(at) || !t.stop.IsZero() && !t.stop.After(t.start) {
		return nil
	}
	var dereg, gone time.Time
	if !t.stop.IsZero() {
		// A task drains for ecsTaskStop before it stops (less if it
		// started later): that is its deregistration.
		if drain := maxTime(t.start, t.stop.Add(-ecsTaskStop)); !drain.After(at) {
			dereg = drain
		}
		if !t.stop.After(at) {
			gone = t.stop
		}
	}
	return memberTarget(t.ip, port, t.start, dereg, gone)
}

// regionIP returns the nth private address of a Region's simulated VPC,
// 10.N.0.0/16 with N taken from the Region's name (so that two Regions'
// addresses rarely look alike); it skips the first ten, as AWS keeps a
// subnet's first addresses, and wraps after 65,000.
func regionIP(region string, n uint64) string {
	h := fnv.New32a()
	h.Write([]byte(region))
	host := 10 + n%65000
	return fmt.Sprintf("10.%d.%d.%d", h.Sum32()%256, host/256, host%256)
}
