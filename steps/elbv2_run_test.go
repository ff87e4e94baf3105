package steps

import (
	"slices"
	"testing"
)

const (
	webTargetGroup = "arn:aws:elasticloadbalancing:eu-west-2:123456789012:targetgroup/web-euw2/1a2b3c4d5e6f7081"
	gwTargetGroup  = "arn:aws:elasticloadbalancing:eu-west-2:123456789012:targetgroup/gw-euw2/2b3c4d5e6f708192"
	offTargetGroup = "arn:aws:elasticloadbalancing:eu-west-2:123456789012:targetgroup/batch-euw2/3c4d5e6f70819203"
)

// elbScenario has an empty target group (web), one an Auto Scaling group
// launching as the run starts fills as its instances go InService (gw),
// and one whose health checks are off (batch).
const elbScenario = `
[[create]]
service   = "elasticloadbalancing"
region    = "eu-west-2"
operation = "CreateTargetGroup"
id        = "` + webTargetGroup + `"
input     = { Name = "web-euw2", Protocol = "HTTP", Port = 8080, VpcId = "vpc-0a1b2c3d4e5f60718", TargetType = "instance" }

[[create]]
service   = "elasticloadbalancing"
region    = "eu-west-2"
operation = "CreateTargetGroup"
id        = "` + gwTargetGroup + `"
input     = { Name = "gw-euw2", Protocol = "TCP", Port = 8883, VpcId = "vpc-0a1b2c3d4e5f60718", TargetType = "instance" }

[[create]]
service   = "elasticloadbalancing"
region    = "eu-west-2"
operation = "CreateTargetGroup"
id        = "` + offTargetGroup + `"
input     = { Name = "batch-euw2", Protocol = "HTTP", Port = 80, VpcId = "vpc-0a1b2c3d4e5f60718", TargetType = "instance", HealthCheckEnabled = false }

[[create]]
service   = "autoscaling"
region    = "eu-west-2"
operation = "CreateAutoScalingGroup"
ago       = "0s"
input     = { AutoScalingGroupName = "gw", MinSize = 3, MaxSize = 3, LaunchTemplate = { LaunchTemplateName = "gw" }, AvailabilityZones = ["eu-west-2a", "eu-west-2b"], TargetGroupARNs = ["` + gwTargetGroup + `"] }
`

// registerRunbook registers two instances on port 8080 of a target group.
func registerRunbook(group string) string {
	return stepRunbook(`
[[steps]]
id = "register-app"
phase = "reintegrate"
action = "elbv2.register-targets"
doc = "Put the app servers behind the load balancer."
[steps.with]
target_group_arn = "` + group + `"
targets = [{ id = "i-0123456789abcdef0" }, { id = "i-0123456789abcdef1", port = 8080 }]
[steps.outputs]
ids = "TargetHealthDescriptions[].Target.Id"
states = "TargetHealthDescriptions[].TargetHealth.State"
`)
}

// waitHealthyRunbook waits for every target of a target group.
func waitHealthyRunbook(group string) string {
	return stepRunbook(`
[[steps]]
id = "targets-healthy"
phase = "verify"
action = "elbv2.wait-healthy"
doc = "Every target is healthy."
[steps.with]
target_group_arn = "` + group + `"
[steps.outputs]
ids = "TargetHealthDescriptions[].Target.Id"
states = "TargetHealthDescriptions[].TargetHealth.State"
`)
}

// targetStates returns a target group's targets as /_sandbox/state shows
// them: id → health state.
func targetStates(t *testing.T, tr *testRun, name string) map[string]string {
	t.Helper()
	list, _ := dig(sandboxState(t, tr), "elasticloadbalancing/eu-west-2", "target_groups", name, "targets").([]any)
	out := map[string]string{}
	for _, tg := range list {
		id, _ := dig(tg, "id").(string)
		out[id], _ = dig(tg, "state").(string)
	}
	return out
}

// allHealthy reports whether a states output lists n healthy targets.
func allHealthy(states any, n int) bool {
	list, _ := states.([]any)
	return len(list) == n && !slices.ContainsFunc(list, func(s any) bool { return s != "healthy" })
}

func TestELBv2RegisterTargets(t *testing.T) {
	t.Parallel()
	tr := startRun(t, registerRunbook(webTargetGroup), elbScenario, runOptions{})
	succeeded(t, tr)
	out := doneEvent(t, tr, "register-app").Outputs
	if ids, _ := out["ids"].([]any); len(ids) != 2 || ids[0] != "i-0123456789abcdef0" || !allHealthy(out["states"], 2) {
		t.Fatalf("outputs %v, want both instances healthy", out)
	}
	if st := targetStates(t, tr, "web-euw2"); len(st) != 2 || st["i-0123456789abcdef1"] != "healthy" {
		t.Errorf("the sandbox shows targets %v, want the two, healthy", st)
	}

	// RegisterTargets is idempotent: a second run sends it again and the
	// target group still has the two targets, healthy from the start.
	again := startRun(t, registerRunbook(webTargetGroup), "", runOptions{on: tr})
	succeeded(t, again)
	if st := targetStates(t, tr, "web-euw2"); len(st) != 2 {
		t.Errorf("after a second run the sandbox shows targets %v, want the same two", st)
	}
	if !allHealthy(doneEvent(t, again, "register-app").Outputs["states"], 2) {
		t.Error("second run's targets are not all healthy")
	}
}

func TestELBv2RegisterTargetsDryRun(t *testing.T) {
	t.Parallel()
	tr := startRun(t, registerRunbook(webTargetGroup), elbScenario, runOptions{mode: ModeDryRun})
	out := dryRunSentNothing(t, tr, "register-app").Outputs
	if states, _ := out["states"].([]any); len(states) != 2 || states[0] != "initial" {
		t.Errorf("dry-run outputs %v, want the two targets simulated initial", out)
	}
	if st := targetStates(t, tr, "web-euw2"); len(st) != 0 {
		t.Errorf("after a dry run the sandbox shows targets %v, want none", st)
	}
}

// The gateway group's instances are still launching: the wait sees no
// target, then initial ones, and ends when all three are healthy. At time
// scale 60 the launches take 1.5 s, ample for the first poll to come
// before them.
func TestELBv2WaitHealthy(t *testing.T) {
	t.Parallel()
	tr := startRun(t, waitHealthyRunbook(gwTargetGroup), elbScenario, runOptions{timeScale: 60})
	succeeded(t, tr)
	out := doneEvent(t, tr, "targets-healthy").Outputs
	if !allHealthy(out["states"], 3) {
		t.Errorf("outputs %v, want three healthy targets", out)
	}
	progress := tr.rec.of(EventWaitProgress, "targets-healthy")
	if len(progress) < 2 || progress[0].Wait.State != "no targets registered" {
		t.Errorf("wait progress %d polls, first %q; want it to start with no targets registered", len(progress), progress[0].Wait.State)
	}
	if n := len(tr.mutatingRequests()); n != 0 {
		t.Errorf("a read-only step sent %d mutating requests", n)
	}
}

// In dry-run a verify step polls once and reports what it saw.
func TestELBv2WaitHealthyDryRun(t *testing.T) {
	t.Parallel()
	tr := startRun(t, waitHealthyRunbook(gwTargetGroup), elbScenario, runOptions{mode: ModeDryRun})
	succeeded(t, tr)
	if n := len(tr.mutatingRequests()); n != 0 {
		t.Errorf("dry run sent %d mutating requests", n)
	}
	if n := sent(tr, "DescribeTargetHealth"); n != 1 {
		t.Errorf("dry run polled DescribeTargetHealth %d times, want once", n)
	}
	if notes(tr, "targets-healthy") == "" {
		t.Error("the dry run did not note that a live run would wait")
	}
}

func TestELBv2Failures(t *testing.T) {
	t.Parallel()
	missing := "arn:aws:elasticloadbalancing:eu-west-2:123456789012:targetgroup/nope/0000000000000000"
	for _, tc := range []struct {
		name, runbook, step string
		wants               []string
	}{
		{"register in a missing group", registerRunbook(missing), "register-app",
			[]string{"target group " + missing + " not found", "TargetGroupNotFound"}},
		{"wait on a missing group", waitHealthyRunbook(missing), "targets-healthy",
			[]string{"target group " + missing + " not found", "TargetGroupNotFound"}},
		{"health checks off", registerRunbook(offTargetGroup), "register-app",
			[]string{"i-0123456789abcdef0:80 of " + offTargetGroup + " is unavailable", "health checks are disabled"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tr := startRun(t, tc.runbook, elbScenario, runOptions{})
			failedWith(t, tr, tc.step, tc.wants...)
		})
	}
}
