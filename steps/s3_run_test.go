package steps

import (
	"fmt"
	"strings"
	"testing"
)

// s3Scenario: orders-data in Ireland replicates exports/ and canary/ to
// orders-data-dr in Frankfurt, both versioned. exports/ has an object
// replicated two hours ago and a newer one written 5 s before the start,
// still PENDING; canary/ has one replicated an hour ago; logs/ is not
// replicated; orders-plain has no replication.
const s3Scenario = `
account = "123456789012"

[[create]]
service = "s3"
region = "eu-west-1"
operation = "CreateBucket"
ago = "1000h"
input = { Bucket = "orders-data", CreateBucketConfiguration = { LocationConstraint = "eu-west-1" } }

[[create]]
service = "s3"
region = "eu-central-1"
operation = "CreateBucket"
ago = "1000h"
input = { Bucket = "orders-data-dr", CreateBucketConfiguration = { LocationConstraint = "eu-central-1" } }

[[create]]
service = "s3"
region = "eu-west-1"
operation = "CreateBucket"
ago = "1000h"
input = { Bucket = "orders-plain", CreateBucketConfiguration = { LocationConstraint = "eu-west-1" } }

[[create]]
service = "s3"
region = "eu-central-1"
operation = "PutBucketVersioning"
ago = "1000h"
input = { Bucket = "orders-data-dr", VersioningConfiguration = { Status = "Enabled" } }

[[create]]
service = "s3"
region = "eu-west-1"
operation = "PutBucketVersioning"
ago = "1000h"
input = { Bucket = "orders-data", VersioningConfiguration = { Status = "Enabled" } }

[[create]]
service = "s3"
region = "eu-west-1"
operation = "PutBucketReplication"
ago = "1000h"
[create.input]
Bucket = "orders-data"
[create.input.ReplicationConfiguration]
Role = "arn:aws:iam::123456789012:role/orders-replication"
Rules = [
  { ID = "exports", Status = "Enabled", Priority = 1, Filter = { Prefix = "exports/" }, DeleteMarkerReplication = { Status = "Disabled" }, Destination = { Bucket = "arn:aws:s3:::orders-data-dr" } },
  { ID = "canary", Status = "Enabled", Priority = 2, Filter = { Prefix = "canary/" }, DeleteMarkerReplication = { Status = "Disabled" }, Destination = { Bucket = "arn:aws:s3:::orders-data-dr" } },
]

[[create]]
service = "s3"
region = "eu-west-1"
operation = "PutObject"
ago = "2h"
input = { Bucket = "orders-data", Key = "exports/2026-01-01.csv", Body = "a,b" }

[[create]]
service = "s3"
region = "eu-west-1"
operation = "PutObject"
ago = "5s"
input = { Bucket = "orders-data", Key = "exports/2026-01-02.csv", Body = "c,d" }

[[create]]
service = "s3"
region = "eu-west-1"
operation = "PutObject"
ago = "1h"
input = { Bucket = "orders-data", Key = "canary/heartbeat", Body = "ok" }

[[create]]
service = "s3"
region = "eu-west-1"
operation = "PutObject"
ago = "1h"
input = { Bucket = "orders-data", Key = "logs/app.log", Body = "line" }
`

// s3Stuck is s3Scenario with orders-data's replication held in state:
// the objects not replicated at the start stay so, however long the run.
func s3Stuck(state string) string {
	return s3Scenario + fmt.Sprintf("\n[[faults]]\nstuck = { service = \"s3\", region = \"eu-west-1\", id = \"orders-data\", state = %q }\n", state)
}

// s3Step is an s3.check-replication step in Ireland with the given with
// lines.
func s3Step(with string) string {
	outputs := `status = "ReplicationStatus"` + "\n" + `newest = "NewestKey"` + "\n" + `lag = "Lag"` + "\n" + `destination = "DestinationBucket"` +
		"\n" + `dest_versioning = "DestinationVersioning"`
	return strings.Replace(rdsStep("c", "s3.check-replication", `bucket = "orders-data"`+"\n"+with, outputs), `phase = "restore"`, `phase = "verify"`, 1)
}

// TestS3CheckReplication: the newest object under a prefix, or a given
// key, replicated, pending, or waited for; and nothing mutating is sent,
// in a live run or a dry run.
func TestS3CheckReplication(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, with, scenario, status, newest, lag string
	}{
		{"the newest object, replicated an hour ago", `prefix = "canary/"`, s3Scenario, "COMPLETED", "canary/heartbeat", "0s"},
		{"the newest object, still pending", `prefix = "exports/"`, s3Stuck("PENDING"), "PENDING", "exports/2026-01-02.csv", ""},
		{"the newest object, waited for", `prefix = "exports/"` + "\nwait = true\n" + `max_lag = "15m"`, s3Scenario, "COMPLETED", "exports/2026-01-02.csv", "0s"},
		{"a given key", `key = "exports/2026-01-01.csv"` + "\n" + `destination_region = "eu-central-1"`, s3Scenario, "COMPLETED", "exports/2026-01-01.csv", "0s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := restoreRunbook("eu-west-1", "eu-central-1", "1h", s3Step(tc.with))
			tr := startRun(t, src, tc.scenario, runOptions{})
			out := stepOutputs(t, tr, "c")
			if out["status"] != tc.status || out["newest"] != tc.newest || out["destination"] != "orders-data-dr" ||
				out["dest_versioning"] != "Enabled" || tc.lag != "" && out["lag"] != tc.lag || tc.lag == "" && out["lag"] == "0s" {
				t.Errorf("outputs %v, want %s %s lag %s", out, tc.status, tc.newest, tc.lag)
			}
			if n := len(tr.mutatingRequests()); n != 0 {
				t.Errorf("%d mutating requests", n)
			}
			tr.verify()
			dry := startRun(t, src, tc.scenario, runOptions{mode: ModeDryRun})
			if n := len(dry.mutatingRequests()); n != 0 || stepError(dry) != "" {
				t.Errorf("dry-run: %d mutating requests, error %q", n, stepError(dry))
			}
		})
	}
}

// TestS3CheckReplicationFails: each way a bucket is not replicating, or
// not fast enough, fails the step and says why.
func TestS3CheckReplicationFails(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, with, scenario, want string }{
		{"replication FAILED", `prefix = "exports/"` + "\nwait = true", s3Stuck("FAILED"), "replication of orders-data/exports/2026-01-02.csv to bucket orders-data-dr FAILED"},
		{"replication stalled past max_lag", `prefix = "exports/"` + "\nwait = true\n" + `max_lag = "2m"`, s3Stuck("PENDING"),
			"more than max_lag 2m"},
		{"an object no rule covers", `prefix = "logs/"`, s3Scenario, "no enabled replication rule of bucket orders-data covers logs/app.log"},
		{"nothing under the prefix", `prefix = "imports/"`, s3Scenario, `bucket orders-data holds no object under "imports/"`},
		{"a bucket that does not replicate", `prefix = "x/"`, s3Scenario, "bucket orders-plain has no replication configuration"},
		{"versioning suspended", `prefix = "exports/"`, s3Scenario + `
[[create]]
service = "s3"
region = "eu-west-1"
operation = "PutBucketVersioning"
ago = "1m"
input = { Bucket = "orders-data", VersioningConfiguration = { Status = "Suspended" } }
`, "versioning of bucket orders-data is Suspended, not Enabled"},
		{"destination versioning suspended", `prefix = "exports/"` + "\n" + `destination_region = "eu-central-1"`, s3Scenario + `
[[create]]
service = "s3"
region = "eu-central-1"
operation = "PutBucketVersioning"
ago = "1m"
input = { Bucket = "orders-data-dr", VersioningConfiguration = { Status = "Suspended" } }
`, "versioning of destination bucket orders-data-dr is Suspended, not Enabled"},
		{"key and prefix", `prefix = "exports/"` + "\n" + `key = "exports/a"`, s3Scenario, "give key or prefix, not both"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			step := s3Step(tc.with)
			if strings.Contains(tc.want, "orders-plain") {
				step = strings.Replace(step, `"orders-data"`, `"orders-plain"`, 1)
			}
			tr := startRun(t, restoreRunbook("eu-west-1", "eu-central-1", "1h", step), tc.scenario, runOptions{})
			if err := stepError(tr); !strings.Contains(err, tc.want) {
				t.Errorf("error %q, want it to say %q", err, tc.want)
			}
		})
	}
}
