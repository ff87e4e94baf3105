package steps

import (
	"context"
	"fmt"
)

// The Amazon EC2 (EBS) actions: a volume from a snapshot, and a volume
// attached to its server.

// tokenTag is the tag drpilot puts on a volume it creates, with the step's
// client token as its value: the volume a step made can be found by it
// before anything is sent again, so that a retried or resumed step neither
// makes a second volume nor sends a second CreateVolume. (EC2 keeps a
// client token for a while, but a second request is still a second
// request, and DescribeVolumes cannot search by token.)
const tokenTag = "drpilot:client-token"

// planEC2CreateVolume is CreateVolume with the step's client token, and the
// token as a tag on the volume.
func planEC2CreateVolume(_ context.Context, s *StepRun) ([]request, error) {
	in := s.Input()
	in["ClientToken"] = s.Token()
	in["TagSpecifications"] = withTag(in["TagSpecifications"], "volume", tokenTag, s.Token())
	guess := map[string]any{"SnapshotId": s.String("snapshot_id"), "State": "creating"}
	for _, k := range []string{"AvailabilityZone", "AvailabilityZoneId", "VolumeType", "Size", "Iops", "Throughput", "Encrypted"} {
		if v, ok := in[k]; ok {
			guess[k] = v
		}
	}
	return []request{s.primaryRequest("ec2:CreateVolume", in, guess)}, nil
}

// runEC2CreateVolume checks the snapshot is completed, creates the volume
// with the step's client token (a retried or resumed step gets the volume
// the first attempt made) and waits until it is available. The response
// is the volume from the wait's last read, in CreateVolume's shape.
func runEC2CreateVolume(ctx context.Context, s *StepRun) (map[string]any, error) {
	snapshot := s.String("snapshot_id")
	if err := checkSnapshotCompleted(ctx, s, snapshot); err != nil {
		return nil, err
	}
	r, _, err := s.plannedRequest(ctx)
	if err != nil {
		return nil, err
	}
	id, err := madeBefore(ctx, s)
	if err != nil {
		return nil, err
	}
	if id == "" {
		created, err := s.send(ctx, r)
		if err != nil {
			return nil, fmt.Errorf("create a volume from snapshot %s: %w", snapshot, err)
		}
		id = respString(created, "VolumeId")
	}
	if id == "" && !s.Simulated() {
		return nil, fmt.Errorf("CreateVolume answered without a VolumeId: look for the new volume in %s by its snapshot %s", s.Region(), snapshot)
	}
	out, err := s.Wait(ctx, WaitSpec{
		Operation: "ec2:DescribeVolumes", Input: map[string]any{"VolumeIds": []any{id}},
		Check: volumeAvailable(id), Delays: volumeAvailableDelays,
	})
	if err != nil || s.Simulated() {
		return out, err
	}
	return respFirst(out, "Volumes"), nil
}

// madeBefore finds the volume an earlier attempt of this step made (a
// retry, or a run resumed after a crash between CreateVolume and its
// answer) by the step's token tag, or "" when there is none.
func madeBefore(ctx context.Context, s *StepRun) (string, error) {
	if s.DryRun() {
		return "", nil
	}
	out, err := s.Read(ctx, "ec2:DescribeVolumes", map[string]any{"Filters": []any{
		map[string]any{"Name": "tag:" + tokenTag, "Values": []any{s.Token()}}}})
	if err != nil {
		return "", fmt.Errorf("look for a volume this step made before: %w", err)
	}
	id := respString(respFirst(out, "Volumes"), "VolumeId")
	if id != "" {
		s.Note("volume %s was made by an earlier attempt of this step (tag %s): CreateVolume is not sent again", id, tokenTag)
	}
	return id, nil
}

// withTag adds a tag to the TagSpecifications entry of a resource type,
// making the entry when there is none: EC2 takes one entry per type.
func withTag(specs any, resourceType, key, value string) []any {
	list, _ := specs.([]any)
	tag := map[string]any{"Key": key, "Value": value}
	for _, spec := range list {
		if m, ok := spec.(map[string]any); ok && m["ResourceType"] == resourceType {
			tags, _ := m["Tags"].([]any)
			m["Tags"] = append(tags, tag)
			return list
		}
	}
	return append(list, map[string]any{"ResourceType": resourceType, "Tags": []any{tag}})
}

// checkSnapshotCompleted refuses a snapshot that is not completed: a copy
// into the recovery Region may still be running.
func checkSnapshotCompleted(ctx context.Context, s *StepRun, snapshot string) error {
	out, err := s.Read(ctx, "ec2:DescribeSnapshots", map[string]any{"SnapshotIds": []any{snapshot}})
	if err != nil {
		if missingInDryRun(s, err, "snapshot "+snapshot) {
			return nil
		}
		if notFoundCodes[errorCode(err)] {
			return fmt.Errorf("snapshot %s does not exist in %s: check snapshot_id (a snapshot copied from another Region has a new id)", snapshot, s.Region())
		}
		return fmt.Errorf("check snapshot %s: %w", snapshot, err)
	}
	sn := respFirst(out, "Snapshots")
	switch state := respString(sn, "State"); state {
	case "completed":
		return nil
	case "pending":
		return fmt.Errorf("snapshot %s is still pending (%s done): wait until it is completed, then retry the step", snapshot, respString(sn, "Progress"))
	default:
		return fmt.Errorf("snapshot %s is %q: a volume cannot be created from it; use another snapshot", snapshot, state)
	}
}

// volumeAvailable is the Check of the create-volume wait. A volume that is
// in-use was available and has been attached since, which is done too.
func volumeAvailable(id string) func(map[string]any) (string, bool, error) {
	return func(out map[string]any) (string, bool, error) {
		state := respString(respFirst(out, "Volumes"), "State")
		switch state {
		case "available", "in-use":
			return state, true, nil
		case "error", "deleting", "deleted":
			return state, false, fmt.Errorf("volume %s is %s: it will not become available; create another from the snapshot", id, state)
		}
		return state, false, nil
	}
}

// runEC2AttachVolume attaches the volume unless it already is attached to
// that instance at that device (a retried or resumed step), and waits
// until the attachment is attached. The response is that attachment, in
// AttachVolume's shape, from the wait's last read.
func runEC2AttachVolume(ctx context.Context, s *StepRun) (map[string]any, error) {
	volume, instance, device := s.String("volume_id"), s.String("instance_id"), s.String("device")
	out, err := s.Read(ctx, "ec2:DescribeVolumes", map[string]any{"VolumeIds": []any{volume}})
	switch {
	case err != nil && missingInDryRun(s, err, "volume "+volume):
		// Go on: the attachment is simulated too.
	case notFoundCodes[errorCode(err)]:
		return nil, fmt.Errorf("volume %s does not exist in %s: check volume_id and the step's region", volume, s.Region())
	case err != nil:
		return nil, fmt.Errorf("look up volume %s: %w", volume, err)
	}
	already, err := attachedAlready(respFirst(out, "Volumes"), volume, instance, device)
	if err != nil {
		return nil, err
	}
	if already {
		s.Note("volume %s is already attached to %s at %s: not attaching it again", volume, instance, device)
	} else {
		in := s.Input()
		guess := map[string]any{"VolumeId": volume, "InstanceId": instance, "Device": device, "State": "attaching"}
		if _, err := s.Mutate(ctx, "ec2:AttachVolume", in, guess); err != nil {
			return nil, fmt.Errorf("attach volume %s to %s at %s: %w", volume, instance, device, err)
		}
	}
	out, err = s.Wait(ctx, WaitSpec{
		Operation: "ec2:DescribeVolumes", Input: map[string]any{"VolumeIds": []any{volume}},
		Check: attachmentAttached(volume, instance, device), Delays: volumeInUseDelays,
	})
	if err != nil || s.Simulated() {
		return out, err
	}
	return findAttachment(respFirst(out, "Volumes"), instance, device), nil
}

// attachedAlready reports whether the volume is attached (or attaching)
// to the instance at the device, and refuses a volume attached anywhere
// else, which AttachVolume would refuse less clearly.
func attachedAlready(vol map[string]any, volume, instance, device string) (bool, error) {
	for _, a := range respList(vol, "Attachments") {
		att := respMap(a)
		switch st := respString(att, "State"); {
		case st != "attaching" && st != "attached":
		case respString(att, "InstanceId") == instance && respString(att, "Device") == device:
			return true, nil
		case vol["MultiAttachEnabled"] != true:
			return false, fmt.Errorf("volume %s is %s to %s at %s: detach it first (stop what uses it), or attach it where it is",
				volume, st, respString(att, "InstanceId"), respString(att, "Device"))
		}
	}
	return false, nil
}

// findAttachment is the volume's attachment to the instance at the
// device, or nil.
func findAttachment(vol map[string]any, instance, device string) map[string]any {
	for _, a := range respList(vol, "Attachments") {
		att := respMap(a)
		if respString(att, "InstanceId") == instance && respString(att, "Device") == device {
			return att
		}
	}
	return nil
}

// attachmentAttached is the Check of the attach wait. An attachment not
// listed yet is waited for: DescribeVolumes may lag AttachVolume.
func attachmentAttached(volume, instance, device string) func(map[string]any) (string, bool, error) {
	return func(out map[string]any) (string, bool, error) {
		att := findAttachment(respFirst(out, "Volumes"), instance, device)
		if att == nil {
			return "not attached yet", false, nil
		}
		switch state := respString(att, "State"); state {
		case "attached":
			return state, true, nil
		case "detaching", "detached":
			return state, false, fmt.Errorf("volume %s is %s from %s at %s while it was being attached: someone detached it; find out why before retrying",
				volume, state, instance, device)
		default:
			return state, false, nil
		}
	}
}
