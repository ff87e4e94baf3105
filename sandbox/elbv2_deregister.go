package sandbox

import (
	"strings"
	"time"
)

// elbDeregistrationDelay is how long a deregistered target drains before
// it is gone: a target group's default deregistration_delay.timeout_seconds
// (the sandbox does not model the attribute).
const elbDeregistrationDelay = 300 * time.Second

// elbDeregisterTargets deregisters targets registered with
// RegisterTargets: each drains (draining, Target.DeregistrationInProgress)
// for elbDeregistrationDelay, then is gone. A draining target asked again
// keeps draining. A target not registered is refused, as is one an Auto
// Scaling group or ECS service registered: they deregister their own
// members (change the group's or service's capacity instead).
func elbDeregisterTargets(c *call) (any, error) {
	g, asked, err := c.elbAskedTargets()
	if err != nil {
		return nil, err
	}
	registered := c.elb().targetsOf(g, c.now)
	var mine []*elbTarget
	var unknown, managed []string
	for _, t := range asked {
		own := elbFind(g.targets, t.ID, t.Port)
		switch {
		case own != nil:
			mine = append(mine, own)
		case elbFind(registered, t.ID, t.Port) != nil:
			managed = append(managed, "'"+t.ID+"'")
		default:
			unknown = append(unknown, "'"+t.ID+"'")
		}
	}
	if len(unknown) > 0 {
		return nil, errorf("InvalidTarget", "The following targets are not registered in target group '%s': %s", g.Name, strings.Join(unknown, ", "))
	}
	if len(managed) > 0 {
		return nil, errorf("InvalidTarget", "The following targets were registered by an Auto Scaling group or ECS service, which deregisters them itself: %s",
			strings.Join(managed, ", "))
	}
	for _, t := range mine {
		if t.state.state(c.now) != "draining" {
			t.state.set(c.now, "draining", elbDeregistrationDelay, "")
		}
	}
	return map[string]any{}, nil
}

// pruneTargets drops the targets whose deregistration has finished.
func (g *elbTargetGroup) pruneTargets(now time.Time) {
	kept := g.targets[:0]
	for _, t := range g.targets {
		if n := len(t.state.steps); n > 0 && t.state.steps[n-1].state == "" && !t.state.steps[n-1].at.After(now) {
			continue
		}
		kept = append(kept, t)
	}
	g.targets = kept
}
