package sandbox

import (
	"fmt"
	"strings"
	"time"
)

func (c *call) volumeValue(v *volume) map[string]any {
	state := v.status.state(c.now)
	if st := c.sb.faults.stuckState("ec2", c.region, v.ID); st != "" {
		state = st
	}
	out := map[string]any{"volumeId": v.ID, "size": v.Size, "availabilityZone": v.AZ, "status": state,
		"createTime": v.Created, "volumeType": v.Type, "encrypted": false, "multiAttachEnabled": false, "attachmentSet": []any{},
		"tagSet": c.ec2TagSet(v.ID)}
	if v.Snapshot != "" {
		out["snapshotId"] = v.Snapshot
	}
	if v.attach != nil {
		out["attachmentSet"] = []any{c.attachmentValue(v)}
	}
	return out
}

func (c *call) attachmentValue(v *volume) map[string]any {
	return map[string]any{"volumeId": v.ID, "instanceId": v.attach.Instance, "device": v.attach.Device,
		"status": v.attach.status.state(c.now), "attachTime": v.attach.At, "deleteOnTermination": false}
}

func ec2CreateVolume(c *call) (any, error) {
	az, err := required(c.input, "AvailabilityZone", "MissingParameter")
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(az, c.region) {
		return nil, errorf("InvalidParameterValue", "Invalid availability zone: [%s]", az)
	}
	tags, aerr := c.tagSpecifications("volume")
	if aerr != nil {
		return nil, aerr
	}
	r := c.ec2()
	token := str(c.input, "ClientToken")
	if v, ok := r.volumes[r.tokens[token]]; ok && token != "" {
		return c.volumeValue(v), nil
	}
	size, sizeSet, aerr := integer(c.input, "Size")
	if aerr != nil {
		return nil, aerr
	}
	v := &volume{ID: c.idOr(r.newID("vol")), AZ: az, Snapshot: str(c.input, "SnapshotId"), Type: str(c.input, "VolumeType"), Size: size, Created: c.now}
	if v.Type == "" {
		v.Type = "gp3"
	}
	took := ec2VolumeCreate
	if v.Snapshot != "" {
		sn, ok := r.snapshots[v.Snapshot]
		if !ok {
			return nil, errorf("InvalidSnapshot.NotFound", "The snapshot '%s' does not exist.", v.Snapshot)
		}
		if !sizeSet {
			v.Size = sn.Size
		}
		took = ec2VolumeFromSn
	} else if !sizeSet || size < 1 || size > 16384 {
		return nil, errorf("InvalidParameterValue", "a volume needs a Size from 1 to 16384 GiB or a SnapshotId")
	}
	v.status.set(c.now, "creating", took, "available")
	r.volumes[v.ID] = v
	if token != "" {
		r.tokens[token] = v.ID
	}
	_ = c.tagEC2(v.ID, tags) // checked above
	return c.volumeValue(v), nil
}

// addRestoredVolume adds a volume that an AWS Backup restore makes in the
// call's Region: creating for the given time (the restore job's), then
// available.
func (c *call) addRestoredVolume(v *volume, creating time.Duration) {
	v.Created = c.now
	v.status.set(c.now, "creating", creating, "available")
	c.ec2().volumes[v.ID] = v
}

func ec2DescribeVolumes(c *call) (any, error) {
	r, want, fs := c.ec2(), ids(c.input, "VolumeId"), filters(c.input)
	for id := range want {
		if _, ok := r.volumes[id]; !ok {
			return nil, errorf("InvalidVolume.NotFound", "The volume '%s' does not exist.", id)
		}
	}
	var items []any
	for _, id := range sortedIDs(r.volumes) {
		v := r.volumes[id]
		val := c.volumeValue(v)
		fields := map[string]string{"volume-id": id, "status": val["status"].(string), "availability-zone": v.AZ,
			"snapshot-id": v.Snapshot, "attachment.instance-id": ""}
		if v.attach != nil {
			fields["attachment.instance-id"] = v.attach.Instance
		}
		if len(want) > 0 && !want[id] || !matches(fields, fs) || !c.ec2TagsMatch(id, fs) {
			continue
		}
		items = append(items, val)
	}
	return listPage("volumeSet", "nextToken", c.input, "MaxResults", "NextToken", items, pageLimits{def: 500, min: 5, max: 500, capped: true})
}

// ec2AttachVolume attaches an available volume to a running instance in
// the same Availability Zone, as re-attaching a restored volume does.
func ec2AttachVolume(c *call) (any, error) {
	r := c.ec2()
	volID, err := required(c.input, "VolumeId", "MissingParameter")
	if err != nil {
		return nil, err
	}
	instID, err := required(c.input, "InstanceId", "MissingParameter")
	if err != nil {
		return nil, err
	}
	device, err := required(c.input, "Device", "MissingParameter")
	if err != nil {
		return nil, err
	}
	v, ok := r.volumes[volID]
	if !ok {
		return nil, errorf("InvalidVolume.NotFound", "The volume '%s' does not exist.", volID)
	}
	i, ok := r.instances[instID]
	if !ok {
		return nil, errorf("InvalidInstanceID.NotFound", "The instance ID '%s' does not exist", instID)
	}
	switch {
	case v.AZ != i.AZ:
		return nil, errorf("InvalidVolume.ZoneMismatch", "The volume '%s' is not in the same availability zone as instance '%s'", volID, instID)
	case c.volumeValue(v)["status"] != "available":
		return nil, errorf("IncorrectState", "vol '%s' is not 'available'.", volID)
	case i.status.state(c.now) != "running" && i.status.state(c.now) != "stopped":
		return nil, errorf("IncorrectInstanceState", "The instance '%s' is not 'running' or 'stopped'.", instID)
	}
	for _, other := range r.volumes {
		if other.attach != nil && other.attach.Instance == instID && other.attach.Device == device {
			return nil, errorf("InvalidParameterValue", "Attachment point %s is already in use", device)
		}
	}
	v.attach = &volumeAttachment{Instance: instID, Device: device, At: c.now}
	v.attach.status.set(c.now, "attaching", ec2Attach, "attached")
	v.status.set(c.now, "in-use")
	return c.attachmentValue(v), nil
}

func ec2CreateSnapshot(c *call) (any, error) {
	r := c.ec2()
	volID, err := required(c.input, "VolumeId", "MissingParameter")
	if err != nil {
		return nil, err
	}
	v, ok := r.volumes[volID]
	if !ok {
		return nil, errorf("InvalidVolume.NotFound", "The volume '%s' does not exist.", volID)
	}
	tags, aerr := c.tagSpecifications("snapshot")
	if aerr != nil {
		return nil, aerr
	}
	sn := &snapshot{ID: c.idOr(r.newID("snap")), Volume: volID, Description: str(c.input, "Description"), Size: v.Size, Started: c.now}
	sn.status.set(c.now, "pending", ec2Snapshot, "completed")
	r.snapshots[sn.ID] = sn
	_ = c.tagEC2(sn.ID, tags) // checked above
	return c.snapshotValue(sn), nil
}

func (c *call) snapshotValue(sn *snapshot) map[string]any {
	state, progress := sn.status.state(c.now), "100%"
	if state == "pending" {
		progress = fmt.Sprintf("%d%%", int(100*c.now.Sub(sn.Started)/ec2Snapshot))
	}
	return map[string]any{"snapshotId": sn.ID, "volumeId": sn.Volume, "status": state, "startTime": sn.Started,
		"progress": progress, "ownerId": c.account(), "volumeSize": sn.Size, "description": sn.Description, "encrypted": false,
		"tagSet": c.ec2TagSet(sn.ID)}
}

func ec2DescribeSnapshots(c *call) (any, error) {
	r, want, fs := c.ec2(), ids(c.input, "SnapshotId"), filters(c.input)
	for id := range want {
		if _, ok := r.snapshots[id]; !ok {
			return nil, errorf("InvalidSnapshot.NotFound", "The snapshot '%s' does not exist.", id)
		}
	}
	var items []any
	for _, id := range sortedIDs(r.snapshots) {
		sn := r.snapshots[id]
		val := c.snapshotValue(sn)
		fields := map[string]string{"snapshot-id": id, "volume-id": sn.Volume, "status": val["status"].(string)}
		if len(want) > 0 && !want[id] || !matches(fields, fs) || !c.ec2TagsMatch(id, fs) {
			continue
		}
		items = append(items, val)
	}
	return listPage("snapshotSet", "nextToken", c.input, "MaxResults", "NextToken", items, pageLimits{def: 1000, min: 5, max: 1000, capped: true})
}
