package steps

import "github.com/drpilot/drpilot/runbooks"

// s3Actions are the Amazon S3 actions (IAM prefix s3).
func s3Actions() []Action {
	return []Action{s3CheckReplication().runs(runS3CheckReplication)}
}

// s3CheckReplication says whether a bucket's data has reached its replica:
// before a failover, how much the recovery Region's copy lacks; after it,
// that the objects written last are there.
func s3CheckReplication() Action {
	return Action{
		spec: runbooks.ActionSpec{
			Name: "s3.check-replication",
			Summary: "Check that an S3 bucket replicates, with versioning on, and that its newest object (under a prefix, or a given key) has been replicated, " +
				"optionally waiting until it is.",
			Phases: []string{"verify"},
			Calls: []runbooks.Call{
				lookup("s3:GetBucketReplication"),
				check("s3:GetBucketVersioning"),
				lookup("s3:ListObjectsV2"),
				waitOn("s3:HeadObject"),
			},
			Params: []runbooks.Param{
				required(str("bucket", "", "The source bucket, the one that replicates; the step's region is the bucket's.")),
				str("prefix", "", "Check the newest object under this prefix (such as a canary's) rather than the whole bucket's."),
				str("key", "", "Check this object rather than the newest one."),
				region("destination_region", "",
					"The Region of the destination bucket, where its versioning is read; the step's region when left out. "+
						"When the destination cannot be read there, the step notes it and goes on."),
				boolean("wait", "", "Wait until the object is replicated (COMPLETED) instead of reporting it as it is."),
				duration("max_lag", "Fail when the object has waited longer than this to be replicated, as measured from its LastModified."),
			},
			Outputs: []string{
				"ReplicationStatus", "NewestKey", "LastModified", "Lag", "LagSeconds", "DestinationBucket",
				"SourceVersioning", "DestinationVersioning",
			},
			Idempotency: "Read-only: nothing to repeat.",
			Wait: "GetBucketReplication must show an enabled rule that covers the object (its destination is DestinationBucket), " +
				"and GetBucketVersioning must show versioning Enabled on the bucket and, when it can be read in destination_region, on the destination; otherwise the step fails " +
				"(a destination that cannot be read is noted, and its objects' ReplicationStatus tells). " +
				"The object is key, or the newest (by LastModified) that ListObjectsV2 lists under prefix, every page read. " +
				"HeadObject gives its ReplicationStatus: COMPLETED (or REPLICA) is replicated, with Lag 0; FAILED fails the step; " +
				"PENDING has a Lag, the object's age, and fails the step when that is above max_lag. With wait, HeadObject is polled until COMPLETED. " +
				"The response is {ReplicationStatus, NewestKey, LastModified, Lag, LagSeconds, DestinationBucket, SourceVersioning, DestinationVersioning}.",
			Expect:  runbooks.Minutes(1),
			Timeout: runbooks.Minutes(30),
		},
		example: example{
			id: "assets-replicated", phase: "verify", title: "The newest asset has reached the recovery Region",
			with: []setting{
				{"bucket", `"shop-assets-${runbook.account}"`},
				{"prefix", `"images/"`},
				{"destination_region", `"${runbook.regions.recovery}"`},
				{"wait", `true`},
				{"max_lag", `"15m"`},
			},
			outputs: []setting{{"newest", `"NewestKey"`}, {"lag", `"Lag"`}},
		},
	}
}
