package steps

import (
	"context"
	"fmt"
	"maps"
)

// ecs.scale-service changes an ECS service's task count: to zero to freeze
// consumers in the primary, to production size in the recovery Region.

// runECSScaleService reads the service, updates its desired count unless
// it already is the step's, and waits until the service is stable as the
// SDK's ServicesStable waiter defines it: one deployment, and runningCount
// equal to desiredCount. A scale-in is therefore over only when the
// draining tasks have stopped. The response is {"Service": ...} from the
// last DescribeServices answer.
func runECSScaleService(ctx context.Context, s *StepRun) (map[string]any, error) {
	describe := map[string]any{"Services": []any{s.String("service")}}
	if cluster := s.String("cluster"); cluster != "" {
		describe["Cluster"] = cluster
	}
	failed := func(err error) error {
		return callFailed(err, ecsServiceWhat(s), "check cluster, service and the step's Region",
			"ClusterNotFoundException", "ServiceNotFoundException", "ServiceNotActiveException")
	}
	out, err := s.Read(ctx, "ecs:DescribeServices", describe)
	if err != nil {
		return nil, failed(err)
	}
	svc, err := ecsOnly(s, out)
	if err != nil {
		return nil, err
	}
	in := s.Input()
	want, ok := s.Int("desired_count")
	if !ok {
		return nil, fmt.Errorf("desired_count must be a whole number, not %v", s.Params()["desired_count"])
	}
	if have, _ := memberInt(svc, "DesiredCount"); have == want {
		s.Note("service %s already has a desired count of %d: nothing to change; waiting until it is stable",
			memberString(svc, "ServiceName"), want)
	} else if _, err := s.Mutate(ctx, "ecs:UpdateService", in, ecsSimulated(svc, want)); err != nil {
		return nil, failed(err)
	}
	last, err := s.Wait(ctx, WaitSpec{
		Operation: "ecs:DescribeServices", Input: describe,
		Delays: servicesStableDelays,
		Check: func(out map[string]any) (string, bool, error) {
			svc, err := ecsOnly(s, out)
			if err != nil {
				return "service gone", false, err
			}
			return ecsStable(svc)
		},
	})
	if err != nil || s.Simulated() {
		return last, failed(err)
	}
	svc, _ = ecsOnly(s, last)
	return map[string]any{"Service": svc}, nil
}

// ecsSimulated is dry-run's answer to UpdateService: the service as read,
// with the new count. The counts ECS would reach, and the deployments and
// events that carry them, are left out, so that outputs name this step
// instead of showing today's as if they were after the change.
func ecsSimulated(svc map[string]any, desired int64) map[string]any {
	simulated := maps.Clone(svc)
	simulated["DesiredCount"] = desired
	for _, k := range []string{"RunningCount", "PendingCount", "Deployments", "TaskSets", "Events"} {
		delete(simulated, k)
	}
	return map[string]any{"Service": simulated}
}

// ecsServiceWhat names the step's service for an error message.
func ecsServiceWhat(s *StepRun) string {
	cluster := s.String("cluster")
	if cluster == "" {
		cluster = "default"
	}
	return fmt.Sprintf("ECS service %s in cluster %s (%s)", s.String("service"), cluster, s.Region())
}

// ecsOnly returns the one service a DescribeServices answered, or an error
// naming it when ECS reports it missing or no longer ACTIVE: the failures
// the ServicesStable waiter stops on.
func ecsOnly(s *StepRun, out map[string]any) (map[string]any, error) {
	if failures := memberMaps(out, "Failures"); len(failures) > 0 {
		f := failures[0]
		return nil, fmt.Errorf("%s: ECS reports it %s (%s): check service, cluster and the step's Region",
			ecsServiceWhat(s), memberString(f, "Reason"), memberString(f, "Arn"))
	}
	services := memberMaps(out, "Services")
	if len(services) == 0 {
		return nil, fmt.Errorf("%s: DescribeServices returned neither the service nor a failure", ecsServiceWhat(s))
	}
	svc := services[0]
	if status := memberString(svc, "Status"); status != "ACTIVE" {
		return nil, fmt.Errorf("%s is %s, not ACTIVE: it is being deleted and cannot be scaled", ecsServiceWhat(s), status)
	}
	return svc, nil
}

// ecsStable reads one answer of the wait.
func ecsStable(svc map[string]any) (string, bool, error) {
	running, _ := memberInt(svc, "RunningCount")
	pending, _ := memberInt(svc, "PendingCount")
	desired, _ := memberInt(svc, "DesiredCount")
	deployments := len(memberMaps(svc, "Deployments"))
	state := fmt.Sprintf("%d/%d running, %d pending, %d deployment(s)", running, desired, pending, deployments)
	return state, deployments == 1 && running == desired, nil
}
