package steps

import "github.com/drpilot/drpilot/runbooks"

// ec2Actions are the Amazon EC2 (EBS) actions (IAM prefix ec2).
func ec2Actions() []Action {
	return []Action{
		ec2CreateVolume().runs(runEC2CreateVolume).plans(planEC2CreateVolume),
		ec2AttachVolume().runs(runEC2AttachVolume),
	}
}

// ec2CreateVolume restores an EBS snapshot, usually one copied to the
// recovery Region, as a new volume.
func ec2CreateVolume() Action {
	return Action{
		spec: runbooks.ActionSpec{
			Name:     "ec2.create-volume",
			Summary:  "Create an EBS volume from a snapshot and wait until it is available.",
			Phases:   []string{"restore"},
			Mutating: true,
			Calls: []runbooks.Call{
				check("ec2:DescribeSnapshots"),
				act("ec2:CreateVolume"),
				waitOn("ec2:DescribeVolumes"),
			},
			Params: []runbooks.Param{
				required(str("snapshot_id", "SnapshotId", "The snapshot to create the volume from.")),
				str("availability_zone", "AvailabilityZone", "The Availability Zone of the volume, such as ap-northeast-3a."),
				str("availability_zone_id", "AvailabilityZoneId", "The Availability Zone id of the volume, such as apne3-az1."),
				enum("volume_type", "VolumeType", []string{"gp2", "gp3", "io1", "io2", "sc1", "st1", "standard"},
					"The volume type; gp2 when left out."),
				atLeast("size", "Size", 1, "The size in GiB; the snapshot's size when left out."),
				atLeast("iops", "Iops", 100, "The provisioned IOPS, for gp3, io1 and io2 volumes."),
				atLeast("throughput", "Throughput", 125, "The throughput in MiB/s, for gp3 volumes."),
				boolean("encrypted", "Encrypted", "Whether the volume is encrypted; volumes from encrypted snapshots always are."),
				str("kms_key_id", "KmsKeyId", "The KMS key for an encrypted volume, when not the account's default EBS key."),
			},
			OneOf:       [][]string{{"availability_zone", "availability_zone_id"}},
			Outputs:     []string{"VolumeId", "AvailabilityZone", "State"},
			Idempotency: "CreateVolume gets a ClientToken derived from the run id and step id, so a retried or resumed step returns the same volume.",
			Wait:        "Checks with DescribeSnapshots that the snapshot is completed, then polls DescribeVolumes until the volume is available; the response is refreshed from that last read.",
			Expect:      runbooks.Minutes(2),
			Timeout:     runbooks.Minutes(30),
		},
		example: example{
			id: "create-data-volume", phase: "restore", title: "Create the data volume from the replicated snapshot",
			with: []setting{
				{"snapshot_id", `"${vars.data_snapshot}"`},
				{"availability_zone", `"${runbook.regions.recovery}a"`},
				{"volume_type", `"gp3"`},
			},
			outputs: []setting{{"volume_id", `"VolumeId"`}},
		},
	}
}

// ec2AttachVolume puts a restored volume back under its server.
func ec2AttachVolume() Action {
	return Action{
		spec: runbooks.ActionSpec{
			Name:     "ec2.attach-volume",
			Summary:  "Attach an EBS volume to an EC2 instance and wait until it is attached.",
			Phases:   []string{"reintegrate"},
			Mutating: true,
			Calls: []runbooks.Call{
				act("ec2:AttachVolume"),
				waitOn("ec2:DescribeVolumes"),
			},
			Params: []runbooks.Param{
				required(str("volume_id", "VolumeId", "The volume to attach.")),
				required(str("instance_id", "InstanceId", "The instance to attach the volume to.")),
				required(str("device", "Device", "The device name the instance sees, such as /dev/sdf.")),
			},
			Outputs:     []string{"VolumeId", "InstanceId", "Device", "State"},
			Idempotency: "Check-before-act: DescribeVolumes shows the volume's attachments; when it is already attached to the instance at that device the action only waits.",
			Wait:        "Polls DescribeVolumes until the attachment's state is attached; the response's State is refreshed from that last read.",
			Expect:      runbooks.Seconds(30),
			Timeout:     runbooks.Minutes(10),
		},
		example: example{
			id: "attach-data-volume", phase: "reintegrate", title: "Attach the restored data volume to the app server",
			with: []setting{
				{"volume_id", `"${steps.create-data-volume.volume_id}"`},
				{"instance_id", `"${vars.app_instance}"`},
				{"device", `"/dev/sdf"`},
			},
		},
	}
}
