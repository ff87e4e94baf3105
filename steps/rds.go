package steps

import (
	"slices"

	"github.com/drpilot/drpilot/runbooks"
)

// rdsActions are the Amazon RDS and Aurora actions (IAM prefix rds).
func rdsActions() []Action {
	return []Action{
		rdsRestoreToPointInTime().runs(runRDSRestoreToPointInTime),
		rdsRestoreFromSnapshot().runs(runRDSRestoreFromSnapshot).plans(planRDSRestoreFromSnapshot),
		rdsPromoteReadReplica().runs(runRDSPromoteReadReplica),
		globalClusterFailover(auroraGlobal).runs(auroraGlobal.failover),
		rdsWaitAvailable().runs(runRDSWaitAvailable),
	}
}

// instanceOutputs are the members of a DBInstance response most worth
// capturing: what the application needs to connect, and what later steps
// need to name the instance.
var instanceOutputs = []string{
	"DBInstance.Endpoint.Address", "DBInstance.Endpoint.Port",
	"DBInstance.DBInstanceArn", "DBInstance.DBInstanceStatus",
}

// restoredInstanceParams are the settings a restore usually overrides,
// because the recovery Region's network is not the primary's. They are the
// same members in both restore operations.
func restoredInstanceParams() []runbooks.Param {
	return []runbooks.Param{
		str("db_instance_class", "DBInstanceClass", "The compute class of the new instance, such as db.r6g.large; the source's when left out."),
		str("db_subnet_group_name", "DBSubnetGroupName", "The DB subnet group to place the new instance in."),
		listOf("vpc_security_group_ids", "VpcSecurityGroupIds", stringElem(), "The VPC security groups of the new instance."),
		boolean("multi_az", "MultiAZ", "Whether the new instance is a Multi-AZ deployment."),
		boolean("deletion_protection", "DeletionProtection", "Whether the new instance is protected from deletion."),
	}
}

// rdsRestoreToPointInTime restores an instance to a moment, from the
// source's automated backups or their cross-Region replica.
func rdsRestoreToPointInTime() Action {
	params := append([]runbooks.Param{
		str("source_db_instance_identifier", "SourceDBInstanceIdentifier", "The identifier of the instance to restore from."),
		arn("source_db_instance_automated_backups_arn", "SourceDBInstanceAutomatedBackupsArn", "rds",
			"The ARN of replicated automated backups to restore from, for a restore in another Region than the source's."),
		str("source_dbi_resource_id", "SourceDbiResourceId", "The resource id of the source instance, for a source that was deleted."),
		required(str("target_db_instance_identifier", "TargetDBInstanceIdentifier", "The identifier of the new instance.")),
		timestamp("restore_time", "RestoreTime", "The moment to restore to, as an RFC 3339 timestamp in UTC."),
		boolean("use_latest_restorable_time", "UseLatestRestorableTime", "Restore to the latest restorable time instead of restore_time."),
	}, restoredInstanceParams()...)
	return Action{
		spec: runbooks.ActionSpec{
			Name:     "rds.restore-to-point-in-time",
			Summary:  "Restore an RDS DB instance to a point in time as a new instance and wait until it is available.",
			Phases:   []string{"restore"},
			Mutating: true,
			Calls: []runbooks.Call{
				act("rds:RestoreDBInstanceToPointInTime"),
				waitOn("rds:DescribeDBInstances"),
			},
			Params: params,
			OneOf: [][]string{
				{"source_db_instance_identifier", "source_db_instance_automated_backups_arn", "source_dbi_resource_id"},
				{"restore_time", "use_latest_restorable_time"},
			},
			Outputs:     instanceOutputs,
			Idempotency: "Check-before-act: DescribeDBInstances looks for the target instance first; when it exists (a retried or resumed step) the action waits on it instead of restoring again.",
			Wait:        "Polls DescribeDBInstances until the new instance is available; the response's DBInstance is refreshed from that last read, so it has an Endpoint.",
			Expect:      runbooks.Minutes(20),
			Timeout:     runbooks.Minutes(120),
		},
		example: example{
			id: "restore-orders-db", phase: "restore", title: "Restore the orders database to the latest restorable time",
			with: []setting{
				{"source_db_instance_automated_backups_arn", `"${vars.orders_backups_arn}"`},
				{"target_db_instance_identifier", `"orders-restored"`},
				{"use_latest_restorable_time", `true`},
				{"db_subnet_group_name", `"recovery-db-subnets"`},
			},
			outputs: []setting{{"endpoint", `"DBInstance.Endpoint.Address"`}},
		},
	}
}

// rdsRestoreFromSnapshot creates an instance from a (usually copied
// cross-Region) snapshot, named or the newest of an instance or a name.
func rdsRestoreFromSnapshot() Action {
	params := append([]runbooks.Param{
		required(str("db_instance_identifier", "DBInstanceIdentifier", "The identifier of the new instance.")),
		str("db_snapshot_identifier", "DBSnapshotIdentifier", "The snapshot to restore; its ARN when it is shared from another account."),
		str("newest_snapshot_of", "",
			"Restore the newest available snapshot of this DB instance (its identifier) in the step's Region instead of a named one."),
		str("newest_snapshot_matching", "",
			"Restore the newest available snapshot whose identifier matches this pattern (* any characters, ? one, [a-z] a class), such as \"orders-db-*\" or \"rds:orders-db-*\", instead of a named one."),
		enum("snapshot_type", "", []string{"manual", "automated", "awsbackup"},
			"With newest_snapshot_of or newest_snapshot_matching: only snapshots of this type."),
	}, restoredInstanceParams()...)
	return Action{
		spec: runbooks.ActionSpec{
			Name: "rds.restore-from-snapshot",
			Summary: "Create an RDS DB instance from a DB snapshot, given by identifier or as the newest available one of an instance or a name pattern, " +
				"and wait until it is available.",
			Phases:   []string{"restore"},
			Mutating: true,
			Calls: []runbooks.Call{
				check("rds:DescribeDBSnapshots"),
				act("rds:RestoreDBInstanceFromDBSnapshot"),
				waitOn("rds:DescribeDBInstances"),
			},
			Params:  params,
			OneOf:   [][]string{{"db_snapshot_identifier", "newest_snapshot_of", "newest_snapshot_matching"}},
			Outputs: append(slices.Clone(instanceOutputs), "DBSnapshotIdentifier", "SnapshotCreateTime"),
			Idempotency: "Check-before-act: DescribeDBInstances looks for the new instance first; when it exists the action waits on it instead of restoring again. " +
				"Before the gate, DescribeDBSnapshots checks the named snapshot is available or, for newest_snapshot_of and newest_snapshot_matching, " +
				"lists every page of the Region's snapshots (of that instance, of snapshot_type) and chooses the available one with the newest SnapshotCreateTime; " +
				"the gate's request names it, the notes give its age, and the step fails when none matches. " +
				"The snapshot's creation time is the step's recovery point.",
			Wait: "Polls DescribeDBInstances until the new instance is available; the response's DBInstance is refreshed from that last read, " +
				"plus DBSnapshotIdentifier and SnapshotCreateTime, the snapshot restored.",
			Expect:  runbooks.Minutes(20),
			Timeout: runbooks.Minutes(120),
		},
		example: example{
			id: "restore-catalog-db", phase: "restore", title: "Create the catalog database from the newest snapshot copied to the recovery Region",
			with: []setting{
				{"db_instance_identifier", `"catalog-restored"`},
				{"newest_snapshot_matching", `"catalog-db-copy-*"`},
				{"db_instance_class", `"db.r6g.large"`},
				{"multi_az", `true`},
			},
			outputs: []setting{{"endpoint", `"DBInstance.Endpoint.Address"`}, {"snapshot", `"DBSnapshotIdentifier"`}},
		},
	}
}

// rdsPromoteReadReplica turns a cross-Region read replica into a
// standalone, writable instance: the pilot-light database failover.
func rdsPromoteReadReplica() Action {
	return Action{
		spec: runbooks.ActionSpec{
			Name:     "rds.promote-read-replica",
			Summary:  "Promote an RDS read replica to a standalone, writable DB instance and wait until it is available.",
			Phases:   []string{"reintegrate"},
			Mutating: true,
			Calls: []runbooks.Call{
				check("cloudwatch:GetMetricStatistics"),
				act("rds:PromoteReadReplica"),
				waitOn("rds:DescribeDBInstances"),
			},
			Params: []runbooks.Param{
				required(str("db_instance_identifier", "DBInstanceIdentifier", "The identifier of the read replica to promote.")),
				between("backup_retention_period", "BackupRetentionPeriod", 0, 35,
					"Days of automated backups to keep for the promoted instance; 0 disables them."),
				str("preferred_backup_window", "PreferredBackupWindow", "The daily backup window in UTC, as hh24:mi-hh24:mi."),
			},
			Outputs:     instanceOutputs,
			Idempotency: "Check-before-act: DescribeDBInstances shows whether the instance still has a replication source; when it has none it was already promoted and the action only waits.",
			Wait:        "Polls DescribeDBInstances until the instance is available with no replication source; the response's DBInstance is refreshed from that last read.",
			Expect:      runbooks.Minutes(10),
			Timeout:     runbooks.Minutes(45),
		},
		example: example{
			id: "promote-replica", phase: "reintegrate", title: "Promote the read replica in the recovery Region",
			with: []setting{
				{"db_instance_identifier", `"${vars.db_replica}"`},
				{"backup_retention_period", `7`},
			},
			outputs: []setting{{"endpoint", `"DBInstance.Endpoint.Address"`}},
		},
	}
}

// rdsWaitAvailable checks an instance is serving, for verify steps and
// for instances changed outside the runbook.
func rdsWaitAvailable() Action {
	return Action{
		spec: runbooks.ActionSpec{
			Name:    "rds.wait-available",
			Summary: "Wait until an RDS DB instance is available.",
			Phases:  []string{"verify"},
			Calls:   []runbooks.Call{waitOn("rds:DescribeDBInstances")},
			Params: []runbooks.Param{
				required(str("db_instance_identifier", "DBInstanceIdentifier", "The identifier of the DB instance.")),
			},
			Outputs: []string{
				"DBInstances[0].Endpoint.Address", "DBInstances[0].DBInstanceStatus", "DBInstances[0].DBInstanceArn",
			},
			Response:    "rds:DescribeDBInstances",
			Idempotency: "Read-only: nothing to repeat.",
			Wait:        "Polls DescribeDBInstances until DBInstanceStatus is available; the response is that last DescribeDBInstances response.",
			Expect:      runbooks.Minutes(1),
			Timeout:     runbooks.Minutes(60),
		},
		example: example{
			id: "db-available", phase: "verify", title: "The promoted database is available",
			with:    []setting{{"db_instance_identifier", `"${vars.db_replica}"`}},
			outputs: []setting{{"endpoint", `"DBInstances[0].Endpoint.Address"`}},
		},
	}
}
