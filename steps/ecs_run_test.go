package steps

import (
	"fmt"
	"testing"
)

const ecsScenario = `
[[create]]
service   = "ecs"
region    = "eu-west-2"
operation = "CreateCluster"
input     = { clusterName = "store-recovery" }

[[create]]
service   = "ecs"
region    = "eu-west-2"
operation = "CreateService"
ago       = "168h"
input     = { cluster = "store-recovery", serviceName = "store-api", taskDefinition = "store-api:12", desiredCount = 2, launchType = "FARGATE", clientToken = "store-api" }
`

// ecsRunbook scales a service of a cluster to n tasks.
func ecsRunbook(cluster, service string, n int) string {
	return stepRunbook(fmt.Sprintf(`
[[steps]]
id = "scale-api"
phase = "reintegrate"
action = "ecs.scale-service"
doc = "Scale the API."
[steps.with]
cluster = %q
service = %q
desired_count = %d
[steps.outputs]
arn = "Service.ServiceArn"
running = "Service.RunningCount"
desired = "Service.DesiredCount"
deployed = "Service.Deployments[0].RunningCount"
`, cluster, service, n))
}

// ecsServiceState is a service as /_sandbox/state shows it.
func ecsServiceState(t *testing.T, tr *testRun, cluster, service string) map[string]any {
	t.Helper()
	s, _ := dig(sandboxState(t, tr), "ecs/eu-west-2", "clusters", cluster, "services", service).(map[string]any)
	return s
}

func TestECSScaleService(t *testing.T) {
	t.Parallel()
	for _, n := range []int{6, 0} { // out, then in: a scale-in waits for the draining tasks to stop
		t.Run(fmt.Sprintf("to %d", n), func(t *testing.T) {
			t.Parallel()
			src := ecsRunbook("store-recovery", "store-api", n)
			tr := startRun(t, src, ecsScenario, runOptions{})
			succeeded(t, tr)
			out := doneEvent(t, tr, "scale-api").Outputs
			if out["arn"] != "arn:aws:ecs:eu-west-2:123456789012:service/store-recovery/store-api" ||
				out["running"] != float64(n) || out["desired"] != float64(n) {
				t.Errorf("outputs %v, want the service's ARN and %d running of %d", out, n, n)
			}
			st := ecsServiceState(t, tr, "store-recovery", "store-api")
			if st["running"] != float64(n) || st["pending"] != float64(0) || st["deployments"] != float64(1) {
				t.Errorf("the sandbox shows %v, want %d running, none pending, one deployment", st, n)
			}

			againSendsNothing(t, tr, src, "scale-api", "UpdateService")
		})
	}
}

func TestECSScaleServiceDryRun(t *testing.T) {
	t.Parallel()
	tr := startRun(t, ecsRunbook("store-recovery", "store-api", 6), ecsScenario, runOptions{mode: ModeDryRun})
	out := dryRunSentNothing(t, tr, "scale-api").Outputs
	// The deployment's count read before the change is not the count
	// after it: a marker stands in for it too.
	if out["desired"] != int64(6) || out["running"] != "<simulated: steps.scale-api.running>" ||
		out["deployed"] != "<simulated: steps.scale-api.deployed>" {
		t.Errorf("dry-run outputs %v, want the simulated desired 6 and running and deployed markers", out)
	}
	if st := ecsServiceState(t, tr, "store-recovery", "store-api"); st["desired"] != float64(2) {
		t.Errorf("after a dry run the sandbox shows %v, want desired 2", st)
	}
}

func TestECSScaleServiceFailures(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, cluster, service string
		wants                  []string
	}{
		{"missing service", "store-recovery", "store-nope",
			[]string{"ECS service store-nope in cluster store-recovery (eu-west-2)", "MISSING"}},
		{"missing cluster", "store-nope", "store-api",
			[]string{"ECS service store-api in cluster store-nope (eu-west-2) not found", "ClusterNotFoundException"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tr := startRun(t, ecsRunbook(tc.cluster, tc.service, 4), ecsScenario, runOptions{})
			failedWith(t, tr, "scale-api", tc.wants...)
			if n := len(tr.mutatingRequests()); n != 0 {
				t.Errorf("%d mutating requests, want none", n)
			}
		})
	}
}
