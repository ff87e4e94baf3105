package steps

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// The Elastic Load Balancing v2 actions: put targets behind a load
// balancer and wait until they are healthy, or only wait.

// runELBv2RegisterTargets registers the targets (RegisterTargets is
// idempotent: a registered target stays as it is) and polls
// DescribeTargetHealth for them until every one is healthy. RegisterTargets
// answers nothing, so the response is the last DescribeTargetHealth answer.
func runELBv2RegisterTargets(ctx context.Context, s *StepRun) (map[string]any, error) {
	in := s.Input()
	targets, ok := in["Targets"].([]any)
	if !ok || len(targets) == 0 {
		return nil, fmt.Errorf("targets must list at least one target table, such as { id = \"i-0123456789abcdef0\" }")
	}
	if _, err := s.Mutate(ctx, "elasticloadbalancing:RegisterTargets", in, elbSimulated(targets)); err != nil {
		return nil, elbFailed(s, err)
	}
	return elbWaitHealthy(ctx, s, in)
}

// runELBv2WaitHealthy polls DescribeTargetHealth for the step's targets,
// or every registered one, until there is at least one and every one is
// healthy. The response is the last DescribeTargetHealth answer.
func runELBv2WaitHealthy(ctx context.Context, s *StepRun) (map[string]any, error) {
	return elbWaitHealthy(ctx, s, s.Input())
}

// elbWaitHealthy is both actions' wait. Its pace is the SDK's
// TargetInService waiter's: every 15 s, up to 120 s.
func elbWaitHealthy(ctx context.Context, s *StepRun, in map[string]any) (map[string]any, error) {
	out, err := s.Wait(ctx, WaitSpec{
		Operation: "elasticloadbalancing:DescribeTargetHealth", Input: in,
		Delays: targetInServiceDelays,
		Check: func(out map[string]any) (string, bool, error) {
			return elbHealth(s, out)
		},
	})
	return out, elbFailed(s, err)
}

// elbHealth reads one answer of the wait: done when there is a target and
// every one is healthy. A target whose health checks are disabled is
// "unavailable" for good, so it fails the wait at once; unhealthy, initial,
// draining and unused targets may yet turn healthy, so the wait goes on
// and the state shows each with its reason.
func elbHealth(s *StepRun, out map[string]any) (string, bool, error) {
	descs := memberMaps(out, "TargetHealthDescriptions")
	healthy := 0
	var others []string
	for _, d := range descs {
		target, health := memberMap(d, "Target"), memberMap(d, "TargetHealth")
		id, state := elbTargetName(target), memberString(health, "State")
		switch state {
		case "healthy":
			healthy++
			continue
		case "unavailable":
			return id + " unavailable", false, fmt.Errorf("target %s of %s is unavailable: the target group's health checks "+
				"are disabled, so it will never be reported healthy; enable them or drop this wait", id, s.String("target_group_arn"))
		}
		if reason := memberString(health, "Reason"); reason != "" {
			state += " (" + reason + ")"
		}
		others = append(others, id+" "+state)
	}
	if len(descs) == 0 {
		return "no targets registered", false, nil
	}
	summary := fmt.Sprintf("%d/%d healthy", healthy, len(descs))
	if len(others) > 0 {
		slices.Sort(others)
		summary += "; " + strings.Join(elbFirst(others, 3), ", ")
	}
	return summary, healthy == len(descs), nil
}

// elbTargetName is a target as the operator reads it: id:port.
func elbTargetName(target map[string]any) string {
	id := memberString(target, "Id")
	if port, ok := memberInt(target, "Port"); ok {
		return fmt.Sprintf("%s:%d", id, port)
	}
	return id
}

// elbFirst keeps a progress line short: the first n items, then a count.
func elbFirst(items []string, n int) []string {
	if len(items) <= n {
		return items
	}
	return append(slices.Clone(items[:n]), fmt.Sprintf("%d more", len(items)-n))
}

// elbSimulated is the answer dry-run shows for RegisterTargets: the
// targets as registered and not yet checked, as DescribeTargetHealth
// reports a new target.
func elbSimulated(targets []any) map[string]any {
	descs := make([]any, 0, len(targets))
	for _, t := range targets {
		target, _ := t.(map[string]any)
		descs = append(descs, map[string]any{
			"Target": maps.Clone(target),
			"TargetHealth": map[string]any{"State": "initial", "Reason": "Elb.RegistrationInProgress",
				"Description": "Target registration is in progress"},
		})
	}
	return map[string]any{"TargetHealthDescriptions": descs}
}

// elbFailed names the target group in a failed call's error.
func elbFailed(s *StepRun, err error) error {
	return callFailed(err, "target group "+s.String("target_group_arn"), "check target_group_arn and the step's Region",
		"TargetGroupNotFound", "TargetGroupNotFoundException")
}
