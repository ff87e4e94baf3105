package sandbox

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/backup"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// recordRegion is where the recorded workload runs: Frankfurt, the
// recovery Region of the backup-and-restore scenario it starts from.
const recordRegion = "eu-central-1"

// recorded is what the workload made, by the ids the sandbox gave it, and
// how many changes it made of each kind.
type recorded struct {
	restoreJob, volume, zone, etag string
	requests, faults               int
	seen                           time.Time // the latest moment a read was answered at
}

// postAdmin posts to one of the sandbox's own endpoints.
func postAdmin(t *testing.T, url, path, body string) []byte {
	t.Helper()
	resp, err := http.Post(url+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s %s: %d %s", path, body, resp.StatusCode, out)
	}
	return out
}

// recordWorkload makes changes of every kind through the real SDK, with
// reads between them: a restore (whose job id comes from its request id),
// ids from sequences, parameter versions made through random throttling,
// an S3 object of bytes, an ECS service held by a stuck fault across a
// clock advance, a hosted zone and a webhook delivery.
func recordWorkload(t *testing.T, url string) recorded {
	t.Helper()
	cfg := awsConfig(t, url, recordRegion)
	var w recorded
	w.restoreJob = recordRestore(t, backup.NewFromConfig(cfg))
	ec2c := ec2.NewFromConfig(cfg)
	vol, err := ec2c.CreateVolume(ctx(t), &ec2.CreateVolumeInput{AvailabilityZone: aws.String(recordRegion + "a"), Size: aws.Int32(10)})
	if err != nil {
		t.Fatal(err)
	}
	w.volume = aws.ToString(vol.VolumeId)
	w.requests += 2
	w.requests += recordThrottledPuts(t, url, ssm.NewFromConfig(cfg))
	w.faults++
	w.etag = recordObject(t, s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }))
	w.requests += 2
	w.requests += recordStuckService(t, url, ecs.NewFromConfig(cfg))
	w.faults += 2
	zone, err := route53.NewFromConfig(awsConfig(t, url, "us-east-1")).CreateHostedZone(ctx(t), &route53.CreateHostedZoneInput{
		Name: aws.String("recorded.example.org"), CallerReference: aws.String("recorded")})
	if err != nil {
		t.Fatal(err)
	}
	w.zone = aws.ToString(zone.HostedZone.Id)
	w.requests++
	resp, err := http.Post(url+"/_sandbox/web/hooks.example.com/recorded", "text/plain", strings.NewReader("delivered"))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("webhook: %v %v", resp, err)
	}
	resp.Body.Close()
	if _, err := ec2c.DescribeVolumes(ctx(t), &ec2.DescribeVolumesInput{VolumeIds: []string{w.volume}}); err != nil {
		t.Fatal(err)
	}
	var state struct {
		Now time.Time `json:"now"`
	}
	resp, err = http.Get(url + "/_sandbox/state")
	if err != nil || json.NewDecoder(resp.Body).Decode(&state) != nil {
		t.Fatalf("state: %v", err)
	}
	resp.Body.Close()
	w.seen = state.Now
	return w
}

// recordRestore restores the newest copy of Ireland's volume into
// Frankfurt's zone a, and returns the job's id.
func recordRestore(t *testing.T, client *backup.Client) string {
	t.Helper()
	points, err := client.ListRecoveryPointsByBackupVault(ctx(t), &backup.ListRecoveryPointsByBackupVaultInput{
		BackupVaultName: aws.String("docstore-dr-vault"), ByResourceType: aws.String("EBS")})
	if err != nil || len(points.RecoveryPoints) == 0 {
		t.Fatalf("recovery points: %v %v", points, err)
	}
	job, err := client.StartRestoreJob(ctx(t), &backup.StartRestoreJobInput{RecoveryPointArn: points.RecoveryPoints[0].RecoveryPointArn,
		IamRoleArn: aws.String(backupTestRole), Metadata: map[string]string{"availabilityZone": recordRegion + "a"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.DescribeRestoreJob(ctx(t), &backup.DescribeRestoreJobInput{RestoreJobId: job.RestoreJobId}); err != nil {
		t.Fatal(err)
	}
	return aws.ToString(job.RestoreJobId)
}

// recordThrottledPuts writes three versions of a parameter while half of
// SSM's calls are throttled (the SDK does not retry here): only those that
// got through are recorded, and the throttle stays on, in the recording
// too, where it must not reject them when they are replayed.
func recordThrottledPuts(t *testing.T, url string, client *ssm.Client) int {
	t.Helper()
	postAdmin(t, url, "/_sandbox/faults", `{"throttle": {"service": "ssm", "rate": 0.5}}`)
	for _, v := range []string{"v1", "v2", "v3"} {
		for {
			_, err := client.PutParameter(ctx(t), &ssm.PutParameterInput{Name: aws.String("/recorded/flag"), Value: aws.String(v),
				Type: ssmtypes.ParameterTypeString, Overwrite: aws.Bool(true)})
			if err == nil {
				break
			}
			if !strings.Contains(err.Error(), "ThrottlingException") {
				t.Fatal(err)
			}
		}
	}
	return 3
}

// recordObject stores an object of every byte value and returns its ETag.
func recordObject(t *testing.T, client *s3.Client) string {
	t.Helper()
	if _, err := client.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String("recorded-bucket"),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(recordRegion)}}); err != nil {
		t.Fatal(err)
	}
	body := make([]byte, 256)
	for i := range body {
		body[i] = byte(i)
	}
	out, err := client.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("recorded-bucket"), Key: aws.String("bytes"), Body: bytes.NewReader(body)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.ETag)
}

// recordStuckService starts a service, holds it with a stuck fault across
// ten simulated minutes, releases it and scales it.
func recordStuckService(t *testing.T, url string, client *ecs.Client) int {
	t.Helper()
	if _, err := client.CreateCluster(ctx(t), &ecs.CreateClusterInput{ClusterName: aws.String("prod")}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.CreateService(ctx(t), &ecs.CreateServiceInput{Cluster: aws.String("prod"), ServiceName: aws.String("web"),
		TaskDefinition: aws.String("web:7"), DesiredCount: aws.Int32(2)}); err != nil {
		t.Fatal(err)
	}
	stuck := `{"stuck": {"service": "ecs", "region": "` + recordRegion + `", "id": "prod/web", "state": "%s"}}`
	postAdmin(t, url, "/_sandbox/faults", strings.Replace(stuck, "%s", "IN_PROGRESS", 1))
	postAdmin(t, url, "/_sandbox/clock", `{"advance": "10m"}`)
	postAdmin(t, url, "/_sandbox/faults", strings.Replace(stuck, "%s", "", 1))
	if _, err := client.UpdateService(ctx(t), &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("web"),
		DesiredCount: aws.Int32(3)}); err != nil {
		t.Fatal(err)
	}
	return 3
}

// stateAt is a sandbox's whole state at a simulated moment, as JSON.
func stateAt(t *testing.T, sb *Sandbox, at time.Time) string {
	t.Helper()
	sb.clock.holdAt(at)
	out, err := json.MarshalIndent(sb.dumpState(), "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// firstDifference shows where two texts part.
func firstDifference(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) && i < len(bl); i++ {
		if al[i] != bl[i] {
			return "line " + al[i] + " became " + bl[i]
		}
	}
	return "one is longer"
}

// TestRecordAndRebuild: a sandbox rebuilt from its recording is the one
// that was recorded: every resource with the id it was given and the state
// it is in at any moment, faults included, though a replayed request meets
// no fault; its clock starts no earlier than the last moment anyone saw.
func TestRecordAndRebuild(t *testing.T) {
	t.Parallel()
	sc, err := LoadScenario("../runbooks/scenarios/backup-restore-rapid-recovery.toml")
	if err != nil {
		t.Fatal(err)
	}
	original, err := NewFromScenario(sc, 60)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "sandbox")
	rec, err := original.StartRecording(dir, RecordOptions{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(original)
	defer srv.Close()
	w := recordWorkload(t, srv.URL)
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	recording, err := ReadRecording(dir)
	if err != nil {
		t.Fatal(err)
	}
	rebuilt, restored, err := recording.Rebuild()
	if err != nil {
		t.Fatal(err)
	}
	if restored.Requests != w.requests || restored.Faults != w.faults || restored.Advances != 1 || restored.Deliveries != 1 {
		t.Errorf("replayed %d requests, %d faults, %d advances, %d deliveries; the workload made %d, %d, 1, 1",
			restored.Requests, restored.Faults, restored.Advances, restored.Deliveries, w.requests, w.faults)
	}
	if restored.Clock.Before(w.seen) {
		t.Errorf("the rebuilt clock starts at %s, before %s, when the state was last read", restored.Clock, w.seen)
	}
	for _, at := range []time.Time{restored.Clock, restored.Clock.Add(3 * time.Hour)} {
		if want, got := stateAt(t, original, at), stateAt(t, rebuilt, at); want != got {
			t.Fatalf("at %s the rebuilt sandbox differs: %s", at, firstDifference(want, got))
		}
	}
	rebuilt.clock.release()
	checkRebuiltByClients(t, rebuilt, w)
}

// checkRebuiltByClients reads what the workload made from the rebuilt
// sandbox through the SDK.
func checkRebuiltByClients(t *testing.T, rebuilt *Sandbox, w recorded) {
	t.Helper()
	srv := httptest.NewServer(rebuilt)
	defer srv.Close()
	cfg := awsConfig(t, srv.URL, recordRegion)
	job, err := backup.NewFromConfig(cfg).DescribeRestoreJob(ctx(t), &backup.DescribeRestoreJobInput{RestoreJobId: aws.String(w.restoreJob)})
	if err != nil || job.Status != "COMPLETED" {
		t.Fatalf("restore job %s: %+v %v", w.restoreJob, job, err)
	}
	arn := aws.ToString(job.CreatedResourceArn)
	restored := arn[strings.LastIndex(arn, "/")+1:]
	vols, err := ec2.NewFromConfig(cfg).DescribeVolumes(ctx(t), &ec2.DescribeVolumesInput{VolumeIds: []string{w.volume, restored}})
	if err != nil || len(vols.Volumes) != 2 || vols.Volumes[0].State != ec2types.VolumeStateAvailable {
		t.Errorf("volumes %s and %s: %+v %v", w.volume, restored, vols, err)
	}
	param, err := ssm.NewFromConfig(cfg).GetParameter(ctx(t), &ssm.GetParameterInput{Name: aws.String("/recorded/flag")})
	for err != nil && strings.Contains(err.Error(), "ThrottlingException") { // the throttle was replayed too
		param, err = ssm.NewFromConfig(cfg).GetParameter(ctx(t), &ssm.GetParameterInput{Name: aws.String("/recorded/flag")})
	}
	if err != nil || aws.ToString(param.Parameter.Value) != "v3" || param.Parameter.Version != 3 {
		t.Errorf("parameter: %+v %v", param, err)
	}
	head, err := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }).HeadObject(ctx(t),
		&s3.HeadObjectInput{Bucket: aws.String("recorded-bucket"), Key: aws.String("bytes")})
	if err != nil || aws.ToString(head.ETag) != w.etag || aws.ToInt64(head.ContentLength) != 256 {
		t.Errorf("object: %+v %v, want ETag %s", head, err, w.etag)
	}
	zones, err := route53.NewFromConfig(awsConfig(t, srv.URL, "us-east-1")).ListHostedZones(ctx(t), &route53.ListHostedZonesInput{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, z := range zones.HostedZones {
		found = found || aws.ToString(z.Id) == w.zone && aws.ToString(z.Name) == "recorded.example.org."
	}
	if !found {
		t.Errorf("zone %s is not among %+v", w.zone, zones.HostedZones)
	}
	if deliveries, total := rebuilt.Deliveries(); total != 1 || deliveries[0].Body != "delivered" {
		t.Errorf("webhook deliveries: %d %+v", total, deliveries)
	}
}
