package steps

import (
	"testing"
)

const asgScenario = `
[[create]]
service   = "autoscaling"
region    = "eu-west-2"
operation = "CreateAutoScalingGroup"
input     = { AutoScalingGroupName = "web-standby", MinSize = 2, MaxSize = 4, DesiredCapacity = 2, LaunchTemplate = { LaunchTemplateName = "web", Version = "$Latest" }, VPCZoneIdentifier = "subnet-0a1b2c3d4e5f60718,subnet-0a1b2c3d4e5f60719" }
`

// asgRunbook sets a group's sizes; with is the step's with table.
func asgRunbook(with string) string {
	return stepRunbook(`
[[steps]]
id = "scale-web"
phase = "reintegrate"
action = "autoscaling.set-capacity"
doc = "Scale the web fleet."
[steps.with]
` + with + `
[steps.outputs]
desired = "AutoScalingGroups[0].DesiredCapacity"
instances = "AutoScalingGroups[0].Instances[].InstanceId"
`)
}

// asgInstances returns the group's instances as /_sandbox/state shows
// them: id → lifecycle state.
func asgInstances(t *testing.T, tr *testRun, group string) map[string]string {
	t.Helper()
	list, _ := dig(sandboxState(t, tr), "autoscaling/eu-west-2", "auto_scaling_groups", group, "instances").([]any)
	out := map[string]string{}
	for _, in := range list {
		id, _ := dig(in, "id").(string)
		out[id], _ = dig(in, "state").(string)
	}
	return out
}

func TestAutoScalingSetCapacityScalesOut(t *testing.T) {
	t.Parallel()
	src := asgRunbook(`auto_scaling_group_name = "web-standby"
min_size = 6
max_size = 8
desired_capacity = 6`)
	tr := startRun(t, src, asgScenario, runOptions{})
	succeeded(t, tr)
	out := doneEvent(t, tr, "scale-web").Outputs
	ids, _ := out["instances"].([]any)
	if out["desired"] != float64(6) || len(ids) != 6 {
		t.Fatalf("outputs %v, want desired 6 and six instance ids", out)
	}
	// The step ended only once every instance was InService: the sandbox
	// agrees without any more time passing.
	instances := asgInstances(t, tr, "web-standby")
	for _, id := range ids {
		if instances[id.(string)] != "InService" {
			t.Errorf("instance %v is %q, want InService (all: %v)", id, instances[id.(string)], instances)
		}
	}

	againSendsNothing(t, tr, src, "scale-web", "UpdateAutoScalingGroup")
}

// A scale-in is over when the instances it removes are gone, not when
// they start terminating.
func TestAutoScalingSetCapacityScalesIn(t *testing.T) {
	t.Parallel()
	tr := startRun(t, asgRunbook(`auto_scaling_group_name = "web-standby"
min_size = 0
desired_capacity = 0`), asgScenario, runOptions{})
	succeeded(t, tr)
	if instances := asgInstances(t, tr, "web-standby"); len(instances) != 0 {
		t.Errorf("the group still has instances %v, want none", instances)
	}
	if got := doneEvent(t, tr, "scale-web").Outputs["desired"]; got != float64(0) {
		t.Errorf("desired output %v, want 0", got)
	}
}

func TestAutoScalingSetCapacityDryRun(t *testing.T) {
	t.Parallel()
	tr := startRun(t, asgRunbook(`auto_scaling_group_name = "web-standby"
max_size = 8
desired_capacity = 6`), asgScenario, runOptions{mode: ModeDryRun})
	out := dryRunSentNothing(t, tr, "scale-web").Outputs
	if out["desired"] != int64(6) || out["instances"] != "<simulated: steps.scale-web.instances>" {
		t.Errorf("dry-run outputs %v, want the simulated desired 6 and an instances marker", out)
	}
	if n := len(asgInstances(t, tr, "web-standby")); n != 2 {
		t.Errorf("after a dry run the group has %d instances, want 2", n)
	}
}

func TestAutoScalingSetCapacityFailures(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, with string
		wants      []string
	}{
		{"missing group", `auto_scaling_group_name = "web-nope"
desired_capacity = 2`, []string{"no Auto Scaling group named web-nope in eu-west-2", "auto_scaling_group_name"}},
		{"desired above max", `auto_scaling_group_name = "web-standby"
desired_capacity = 9`, []string{"Auto Scaling group web-standby in eu-west-2", "ValidationError", "max size:4"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tr := startRun(t, asgRunbook(tc.with), asgScenario, runOptions{})
			failedWith(t, tr, "scale-web", tc.wants...)
		})
	}
}
