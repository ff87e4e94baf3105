package steps

import (
	"fmt"
	"strings"
	"testing"
)

// ec2Scenario has, in eu-central-1, the data volume vol-0data00000000001
// in eu-central-1a with a completed snapshot (a day old) and a pending one
// (a minute old); the app server i-0app0000000000001 in eu-central-1a;
// and the volume vol-0busy00000000001 attached to i-0other000000000001.
const ec2Scenario = `
account = "123456789012"

[[create]]
service   = "ec2"
region    = "eu-central-1"
operation = "CreateVolume"
id        = "vol-0data00000000001"
ago       = "1000h"
input     = { AvailabilityZone = "eu-central-1a", Size = 100, VolumeType = "gp3" }

[[create]]
service   = "ec2"
region    = "eu-central-1"
operation = "CreateSnapshot"
ago       = "24h"
input     = { VolumeId = "vol-0data00000000001", Description = "nightly" }

[[create]]
service   = "ec2"
region    = "eu-central-1"
operation = "CreateSnapshot"
ago       = "1m"
input     = { VolumeId = "vol-0data00000000001", Description = "just started" }

[[create]]
service   = "ec2"
region    = "eu-central-1"
operation = "RunInstances"
id        = "i-0app0000000000001"
ago       = "100h"
input     = { ImageId = "ami-0golden", InstanceType = "m6i.large", MinCount = 1, MaxCount = 1, Placement = { AvailabilityZone = "eu-central-1a" } }

[[create]]
service   = "ec2"
region    = "eu-central-1"
operation = "RunInstances"
id        = "i-0other000000000001"
ago       = "100h"
input     = { ImageId = "ami-0golden", InstanceType = "m6i.large", MinCount = 1, MaxCount = 1, Placement = { AvailabilityZone = "eu-central-1a" } }

[[create]]
service   = "ec2"
region    = "eu-central-1"
operation = "CreateVolume"
id        = "vol-0busy00000000001"
ago       = "100h"
input     = { AvailabilityZone = "eu-central-1a", Size = 10 }

[[create]]
service   = "ec2"
region    = "eu-central-1"
operation = "AttachVolume"
ago       = "50h"
input     = { VolumeId = "vol-0busy00000000001", InstanceId = "i-0other000000000001", Device = "/dev/sdf" }
`

// findSnapshot finds the data volume's snapshot in a state, whose id the
// sandbox makes up.
func findSnapshot(state string) string {
	return fmt.Sprintf(`
[[steps]]
id     = "find-snapshot"
phase  = "restore"
title  = "Find the snapshot"
action = "aws.call"
doc    = "x"
[steps.with]
call  = "ec2:DescribeSnapshots"
input = { Filters = [{ Name = "volume-id", Values = ["vol-0data00000000001"] }, { Name = "status", Values = [%q] }] }
[steps.outputs]
snapshot_id = "Snapshots[0].SnapshotId"
`, state)
}

// createVolume makes a volume from snapshot in eu-central-1a.
func createVolume(snapshot string) string {
	return fmt.Sprintf(`
[[steps]]
id     = "create-volume"
phase  = "restore"
title  = "Create the data volume"
action = "ec2.create-volume"
doc    = "x"
[steps.with]
snapshot_id       = %q
availability_zone = "eu-central-1a"
volume_type       = "gp3"
[steps.outputs]
volume_id = "VolumeId"
state     = "State"
az        = "AvailabilityZone"
`, snapshot)
}

// attachVolume attaches volume to the app server at /dev/sdf.
func attachVolume(volume string) string {
	return fmt.Sprintf(`
[[steps]]
id     = "attach-volume"
phase  = "reintegrate"
title  = "Attach the data volume"
action = "ec2.attach-volume"
doc    = "x"
[steps.with]
volume_id   = %q
instance_id = "i-0app0000000000001"
device      = "/dev/sdf"
[steps.outputs]
volume_id   = "VolumeId"
instance_id = "InstanceId"
device      = "Device"
state       = "State"
`, volume)
}

// TestEC2CreateAndAttachVolume runs a restore of the data volume and its
// attachment, again against what it left (a retried or resumed run),
// then in dry-run.
func TestEC2CreateAndAttachVolume(t *testing.T) {
	t.Parallel()
	src := restoreRunbook("eu-west-1", "eu-central-1", "1h",
		findSnapshot("completed"), createVolume("${steps.find-snapshot.snapshot_id}"), attachVolume("${steps.create-volume.volume_id}"))
	tr := startRun(t, src, ec2Scenario, runOptions{})
	created := stepOutputs(t, tr, "create-volume")
	volumeID, _ := created["volume_id"].(string)
	if !strings.HasPrefix(volumeID, "vol-") || created["state"] != "available" || created["az"] != "eu-central-1a" {
		t.Fatalf("create-volume outputs %v", created)
	}
	attached := stepOutputs(t, tr, "attach-volume")
	if attached["volume_id"] != volumeID || attached["instance_id"] != "i-0app0000000000001" ||
		attached["device"] != "/dev/sdf" || attached["state"] != "attached" {
		t.Errorf("attach-volume outputs %v", attached)
	}
	vol := respFirst(readBack(t, tr, "ec2", "eu-central-1", "DescribeVolumes", map[string]any{"VolumeIds": []any{volumeID}}), "Volumes")
	if respString(vol, "State") != "in-use" || respString(vol, "SnapshotId") == "" {
		t.Errorf("the volume after the run: %v", vol)
	}
	tr.verify()

	// The same run again: CreateVolume's client token gives back the same
	// volume, and the attachment is found in place.
	again := startRun(t, src, "", runOptions{on: tr})
	if got := stepOutputs(t, again, "create-volume")["volume_id"]; got != volumeID {
		t.Errorf("the second run created %v, want the first run's %s", got, volumeID)
	}
	if n := countRequests(again, "AttachVolume", ""); n != 1 || !hasNote(again, "attach-volume", "already attached") {
		t.Errorf("second run: %d AttachVolume requests in all, notes %v", n, stepNotes(again, "attach-volume"))
	}
	all := readBack(t, tr, "ec2", "eu-central-1", "DescribeVolumes", nil)
	if n := len(respList(all, "Volumes")); n != 3 {
		t.Errorf("%d volumes after two runs, want the data volume, the busy one and one restored", n)
	}
	again.verify()

	// In dry-run the volume is not made, so the attachment looks for a
	// volume that does not exist and is simulated too.
	dry := startRun(t, src, ec2Scenario, runOptions{mode: ModeDryRun})
	if n := len(dry.mutatingRequests()); n != 0 {
		t.Errorf("dry-run sent %d mutating requests", n)
	}
	for _, step := range []string{"create-volume", "attach-volume"} {
		if done := dry.rec.of(EventStepDone, step); len(done) != 1 || !done[0].Simulated {
			t.Errorf("dry-run %s: %+v, error %s", step, done, stepError(dry))
		}
	}
	if out := stepOutputs(t, dry, "attach-volume"); out["state"] != "attaching" || out["device"] != "/dev/sdf" {
		t.Errorf("dry-run attach outputs %v", out)
	}
	dry.verify()
}

func TestEC2VolumeActionsRefuse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, want string
		steps      []string
	}{
		{"a pending snapshot", "is still pending",
			[]string{findSnapshot("pending"), createVolume("${steps.find-snapshot.snapshot_id}")}},
		{"a snapshot that does not exist", "snapshot snap-0fffffffffffffff0 does not exist in eu-central-1",
			[]string{createVolume("snap-0fffffffffffffff0")}},
		{"a volume that does not exist", "volume vol-0fffffffffffffff0 does not exist in eu-central-1",
			[]string{attachVolume("vol-0fffffffffffffff0")}},
		{"a volume attached elsewhere", "volume vol-0busy00000000001 is attached to i-0other000000000001 at /dev/sdf: detach it first",
			[]string{attachVolume("vol-0busy00000000001")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tr := startRun(t, restoreRunbook("eu-west-1", "eu-central-1", "1h", tc.steps...), ec2Scenario, runOptions{})
			if err := stepError(tr); !strings.Contains(err, tc.want) {
				t.Errorf("error %q, want it to say %q", err, tc.want)
			}
			if n := len(tr.mutatingRequests()); n != 0 {
				t.Errorf("%d mutating requests sent", n)
			}
			tr.verify()
		})
	}
}
