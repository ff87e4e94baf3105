package steps

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// autoscaling.set-capacity scales an Auto Scaling group: down to freeze
// the primary, up to bring a standby fleet to production size.

// asgSizeMembers are the sizes the step may set, as the API names them.
var asgSizeMembers = []string{"MinSize", "MaxSize", "DesiredCapacity"}

// runAutoScalingSetCapacity reads the group, updates its sizes unless they
// already are the step's, and waits until the group runs exactly its
// desired capacity, every instance InService and Healthy (a scale-in is
// over when the extra instances are gone, not when they start
// terminating). UpdateAutoScalingGroup answers nothing, so the response is
// the last DescribeAutoScalingGroups answer.
func runAutoScalingSetCapacity(ctx context.Context, s *StepRun) (map[string]any, error) {
	name := s.String("auto_scaling_group_name")
	describe := map[string]any{"AutoScalingGroupNames": []any{name}}
	what := fmt.Sprintf("Auto Scaling group %s in %s", name, s.Region())
	out, err := s.Read(ctx, "autoscaling:DescribeAutoScalingGroups", describe)
	if err != nil {
		return nil, callFailed(err, what, "")
	}
	group, err := asgOnly(out, name, s.Region())
	if err != nil {
		return nil, err
	}
	in := s.Input()
	if asgUnchanged(group, in) {
		s.Note("group %s already has %s: nothing to change; waiting for its instances", name, asgSizes(group))
	} else if _, err := s.Mutate(ctx, "autoscaling:UpdateAutoScalingGroup", in, asgSimulated(group, in)); err != nil {
		return nil, callFailed(err, what, "")
	}
	asked, askedSet := s.Int("desired_capacity")
	last, err := s.Wait(ctx, WaitSpec{
		Operation: "autoscaling:DescribeAutoScalingGroups", Input: describe,
		Delays: groupInServiceDelays,
		Check: func(out map[string]any) (string, bool, error) {
			g, err := asgOnly(out, name, s.Region())
			if err != nil {
				return "group gone", false, err
			}
			// Without a desired_capacity of its own, the step waits for
			// the one the group chose within its new bounds.
			want, _ := memberInt(g, "DesiredCapacity")
			if askedSet {
				want = asked
			}
			return asgProgress(g, want)
		},
	})
	return last, callFailed(err, what, "")
}

// asgOnly returns the one group a DescribeAutoScalingGroups by name
// answers, or an error naming the group when there is none.
func asgOnly(out map[string]any, name, region string) (map[string]any, error) {
	for _, g := range memberMaps(out, "AutoScalingGroups") {
		if memberString(g, "AutoScalingGroupName") == name {
			return g, nil
		}
	}
	return nil, fmt.Errorf("no Auto Scaling group named %s in %s: check auto_scaling_group_name and the step's Region", name, region)
}

// asgUnchanged reports whether every size the step sets is the group's
// already. A size that is not a whole number counts as a change, so that
// the update is sent and the SDK names what is wrong with it.
func asgUnchanged(group, in map[string]any) bool {
	for _, m := range asgSizeMembers {
		if _, set := in[m]; !set {
			continue
		}
		want, ok := memberInt(in, m)
		have, _ := memberInt(group, m)
		if !ok || want != have {
			return false
		}
	}
	return true
}

// asgSizes describes a group's sizes for a note.
func asgSizes(group map[string]any) string {
	parts := make([]string, len(asgSizeMembers))
	for i, m := range asgSizeMembers {
		v, _ := memberInt(group, m)
		parts[i] = fmt.Sprintf("%s %d", m, v)
	}
	return strings.Join(parts, ", ")
}

// asgSimulated is the answer dry-run shows: the group as it was read, with
// the step's sizes. Its instances are left out: which ones the group would
// run is Auto Scaling's to decide, and outputs then name this step.
func asgSimulated(group, in map[string]any) map[string]any {
	g := maps.Clone(group)
	delete(g, "Instances")
	for _, m := range asgSizeMembers {
		if v, ok := in[m]; ok {
			g[m] = v
		}
	}
	return map[string]any{"AutoScalingGroups": []any{g}}
}

// asgProgress reads one answer of the wait: done when the group runs
// exactly want instances, all InService and Healthy.
func asgProgress(group map[string]any, want int64) (string, bool, error) {
	counts := map[string]int{}
	ready := int64(0)
	instances := memberMaps(group, "Instances")
	for _, in := range instances {
		state := memberString(in, "LifecycleState")
		counts[state]++
		if state == "InService" && memberString(in, "HealthStatus") == "Healthy" {
			ready++
		}
	}
	state := fmt.Sprintf("%d/%d InService and Healthy", ready, want)
	for _, st := range slices.Sorted(maps.Keys(counts)) {
		if st != "InService" {
			state += fmt.Sprintf(", %d %s", counts[st], st)
		}
	}
	return state, ready == want && int64(len(instances)) == want, nil
}
