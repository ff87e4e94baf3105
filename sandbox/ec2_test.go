package sandbox

import (
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
)

// TestEC2RestoreAndReattachVolume walks the backup-and-restore path: a
// snapshot of a data volume, a new volume from it in the instance's zone,
// attached to a running instance — each waited for with the SDK's own
// waiters.
func TestEC2RestoreAndReattachVolume(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t, Options{TimeScale: 600})
	client := ec2.NewFromConfig(awsConfig(t, url, "eu-central-1"))
	fast := func(min, max *time.Duration) { *min, *max = 20*time.Millisecond, 100*time.Millisecond }
	run, err := client.RunInstances(ctx(t), &ec2.RunInstancesInput{ImageId: aws.String("ami-0abc"), InstanceType: ec2types.InstanceTypeM5Large,
		MinCount: aws.Int32(1), MaxCount: aws.Int32(1), Placement: &ec2types.Placement{AvailabilityZone: aws.String("eu-central-1b")}})
	if err != nil || len(run.Instances) != 1 || run.Instances[0].State.Name != ec2types.InstanceStateNamePending {
		t.Fatalf("run: %+v %v", run, err)
	}
	instanceID := run.Instances[0].InstanceId
	if err := ec2.NewInstanceRunningWaiter(client, func(o *ec2.InstanceRunningWaiterOptions) { fast(&o.MinDelay, &o.MaxDelay) }).
		Wait(ctx(t), &ec2.DescribeInstancesInput{InstanceIds: []string{*instanceID}}, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	data, err := client.CreateVolume(ctx(t), &ec2.CreateVolumeInput{AvailabilityZone: aws.String("eu-central-1b"), Size: aws.Int32(200)})
	if err != nil {
		t.Fatal(err)
	}
	volWaiter := ec2.NewVolumeAvailableWaiter(client, func(o *ec2.VolumeAvailableWaiterOptions) { fast(&o.MinDelay, &o.MaxDelay) })
	if err := volWaiter.Wait(ctx(t), &ec2.DescribeVolumesInput{VolumeIds: []string{*data.VolumeId}}, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	snap, err := client.CreateSnapshot(ctx(t), &ec2.CreateSnapshotInput{VolumeId: data.VolumeId, Description: aws.String("nightly")})
	if err != nil || snap.State != ec2types.SnapshotStatePending {
		t.Fatalf("snapshot: %+v %v", snap, err)
	}
	if err := ec2.NewSnapshotCompletedWaiter(client, func(o *ec2.SnapshotCompletedWaiterOptions) { fast(&o.MinDelay, &o.MaxDelay) }).
		Wait(ctx(t), &ec2.DescribeSnapshotsInput{SnapshotIds: []string{*snap.SnapshotId}}, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	restored, err := client.CreateVolume(ctx(t), &ec2.CreateVolumeInput{AvailabilityZone: aws.String("eu-central-1b"), SnapshotId: snap.SnapshotId})
	if err != nil || aws.ToInt32(restored.Size) != 200 || aws.ToString(restored.SnapshotId) != *snap.SnapshotId {
		t.Fatalf("restore: %+v %v", restored, err)
	}
	if err := volWaiter.Wait(ctx(t), &ec2.DescribeVolumesInput{VolumeIds: []string{*restored.VolumeId}}, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	att, err := client.AttachVolume(ctx(t), &ec2.AttachVolumeInput{VolumeId: restored.VolumeId, InstanceId: instanceID, Device: aws.String("/dev/sdf")})
	if err != nil || att.State != ec2types.VolumeAttachmentStateAttaching {
		t.Fatalf("attach: %+v %v", att, err)
	}
	if err := ec2.NewVolumeInUseWaiter(client, func(o *ec2.VolumeInUseWaiterOptions) { fast(&o.MinDelay, &o.MaxDelay) }).
		Wait(ctx(t), &ec2.DescribeVolumesInput{VolumeIds: []string{*restored.VolumeId}}, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	// The volume is in-use at once; its attachment is attaching, then
	// attached.
	deadline := time.Now().Add(5 * time.Second)
	for {
		byInstance, err := client.DescribeVolumes(ctx(t), &ec2.DescribeVolumesInput{Filters: []ec2types.Filter{{Name: aws.String("attachment.instance-id"), Values: []string{*instanceID}}}})
		if err != nil || len(byInstance.Volumes) != 1 || aws.ToString(byInstance.Volumes[0].VolumeId) != *restored.VolumeId {
			t.Fatalf("volumes of the instance: %+v %v", byInstance, err)
		}
		if byInstance.Volumes[0].Attachments[0].State == ec2types.VolumeAttachmentStateAttached {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the attachment stays %s", byInstance.Volumes[0].Attachments[0].State)
		}
		time.Sleep(20 * time.Millisecond)
	}
	other, _ := client.CreateVolume(ctx(t), &ec2.CreateVolumeInput{AvailabilityZone: aws.String("eu-central-1a"), Size: aws.Int32(10)})
	volWaiter.Wait(ctx(t), &ec2.DescribeVolumesInput{VolumeIds: []string{*other.VolumeId}}, 10*time.Second)
	_, err = client.AttachVolume(ctx(t), &ec2.AttachVolumeInput{VolumeId: other.VolumeId, InstanceId: instanceID, Device: aws.String("/dev/sdg")})
	if apiCode(err) != "InvalidVolume.ZoneMismatch" {
		t.Fatalf("attach across zones: %v", err)
	}
	var ae smithy.APIError
	_, err = client.DescribeVolumes(ctx(t), &ec2.DescribeVolumesInput{VolumeIds: []string{"vol-nope"}})
	if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidVolume.NotFound" {
		t.Fatalf("missing volume: %v", err)
	}
}

// TestEC2CreateVolumeClientToken: a create retried with its ClientToken
// returns the volume the first one made, as EC2 does, so that a retried
// restore step does not leave a second volume behind.
func TestEC2CreateVolumeClientToken(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t, Options{TimeScale: 600})
	client := ec2.NewFromConfig(awsConfig(t, url, "eu-central-1"))
	in := &ec2.CreateVolumeInput{AvailabilityZone: aws.String("eu-central-1a"), Size: aws.Int32(20), ClientToken: aws.String("step-1")}
	first, err := client.CreateVolume(ctx(t), in)
	if err != nil {
		t.Fatal(err)
	}
	again, err := client.CreateVolume(ctx(t), in)
	if err != nil || aws.ToString(again.VolumeId) != aws.ToString(first.VolumeId) {
		t.Fatalf("retried create: %v %v, want volume %s", aws.ToString(again.VolumeId), err, aws.ToString(first.VolumeId))
	}
	in.ClientToken = aws.String("step-2")
	other, err := client.CreateVolume(ctx(t), in)
	if err != nil || aws.ToString(other.VolumeId) == aws.ToString(first.VolumeId) {
		t.Fatalf("another token made %v %v, want a new volume", aws.ToString(other.VolumeId), err)
	}
	all, err := client.DescribeVolumes(ctx(t), &ec2.DescribeVolumesInput{})
	if err != nil || len(all.Volumes) != 2 {
		t.Fatalf("volumes: %d %v, want 2", len(all.Volumes), err)
	}
}
