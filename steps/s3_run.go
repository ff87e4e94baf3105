package steps

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/drpilot/drpilot/runbooks"
)

// s3.check-replication: read a bucket's replication rules and versioning,
// find the object that says how far replication has come (the newest one
// under a prefix, or a given key) and read its ReplicationStatus.

const (
	// maxObjectPages bounds the listing under a prefix: 1,000 pages of
	// 1,000 keys. A prefix that holds more is too coarse to say what was
	// written last; a canary's prefix holds a handful.
	maxObjectPages = 1000
)

// replication is what the step found of the bucket's replication.
type replication struct {
	bucket, key, destination string
	modified                 time.Time
	sourceVersioning         string
	destVersioning           string
}

func runS3CheckReplication(ctx context.Context, s *StepRun) (map[string]any, error) {
	r := &replication{bucket: s.String("bucket"), key: s.String("key")}
	if r.key != "" && s.String("prefix") != "" {
		return nil, fmt.Errorf("give key or prefix, not both: key names the object to check, prefix asks for the newest under it")
	}
	maxLag := time.Duration(-1)
	if _, set := s.Param("max_lag"); set {
		d, err := s.Duration("max_lag")
		if err != nil {
			return nil, err
		}
		maxLag = d
	}
	rules, err := bucketReplicationRules(ctx, s, r.bucket)
	if err != nil {
		return nil, err
	}
	if err := checkBucketVersioning(ctx, s, r); err != nil {
		return nil, err
	}
	if r.key == "" {
		if err := newestObject(ctx, s, r, s.String("prefix")); err != nil {
			return nil, err
		}
	}
	rule := coveringRule(rules, r.key)
	if rule == nil {
		return nil, fmt.Errorf("no enabled replication rule of bucket %s covers %s: check the rules' status and prefixes", r.bucket, r.key)
	}
	r.destination = strings.TrimPrefix(respString(respMap(rule["Destination"]), "Bucket"), "arn:aws:s3:::")
	if err := checkDestinationVersioning(ctx, s, r); err != nil {
		return nil, err
	}
	wait, _ := s.Bool("wait")
	status, err := waitReplicated(ctx, s, r, wait, maxLag)
	if err != nil {
		return nil, err
	}
	return r.response(s, status), nil
}

// bucketReplicationRules are the bucket's replication rules; a bucket
// with none does not replicate, which is what the step is there to catch.
func bucketReplicationRules(ctx context.Context, s *StepRun, bucket string) ([]any, error) {
	out, err := s.Read(ctx, "s3:GetBucketReplication", map[string]any{"Bucket": bucket})
	switch code := errorCode(err); {
	case err == nil:
	case code == "ReplicationConfigurationNotFoundError":
		return nil, fmt.Errorf("bucket %s has no replication configuration: its objects are not copied anywhere (is it the destination? name the source bucket)", bucket)
	case code == "NoSuchBucket":
		return nil, fmt.Errorf("bucket %s does not exist: check bucket", bucket)
	default:
		return nil, fmt.Errorf("read the replication configuration of bucket %s: %w", bucket, err)
	}
	return respList(respMap(out["ReplicationConfiguration"]), "Rules"), nil
}

// coveringRule is the enabled rule whose prefix covers key, or nil. A
// rule's prefix is its Filter's Prefix, its Filter's And Prefix, or its
// older top-level Prefix.
func coveringRule(rules []any, key string) map[string]any {
	for _, item := range rules {
		rule := respMap(item)
		filter := respMap(rule["Filter"])
		prefix := respString(rule, "Prefix") + respString(filter, "Prefix") + respString(respMap(filter["And"]), "Prefix")
		if respString(rule, "Status") == "Enabled" && strings.HasPrefix(key, prefix) {
			return rule
		}
	}
	return nil
}

// checkBucketVersioning refuses a source bucket whose versioning is not
// Enabled: S3 replicates only versioned buckets' objects.
func checkBucketVersioning(ctx context.Context, s *StepRun, r *replication) error {
	out, err := s.Read(ctx, "s3:GetBucketVersioning", map[string]any{"Bucket": r.bucket})
	if err != nil {
		return fmt.Errorf("read the versioning of bucket %s: %w", r.bucket, err)
	}
	if r.sourceVersioning = respString(out, "Status"); r.sourceVersioning != "Enabled" {
		return fmt.Errorf("versioning of bucket %s is %s, not Enabled: S3 replicates no new object of it", r.bucket, orNever(r.sourceVersioning))
	}
	return nil
}

// checkDestinationVersioning reads the destination's versioning where the
// step says it lives, and refuses one not Enabled: S3 fails to replicate
// into it. That read failing (another Region, another account) is noted
// and the step goes on: the object's ReplicationStatus says whether the
// copies arrive.
func checkDestinationVersioning(ctx context.Context, s *StepRun, r *replication) error {
	region := s.String("destination_region")
	if region == "" {
		region = s.Region()
	}
	out, err := s.ReadIn(ctx, region, "s3:GetBucketVersioning", map[string]any{"Bucket": r.destination})
	if err != nil {
		s.Note("the versioning of destination bucket %s could not be read in %s (%v): the object's ReplicationStatus is what tells", r.destination, region, shortError(err))
		return nil
	}
	if r.destVersioning = respString(out, "Status"); r.destVersioning != "Enabled" {
		return fmt.Errorf("versioning of destination bucket %s is %s, not Enabled: S3 fails to replicate into it", r.destination, orNever(r.destVersioning))
	}
	return nil
}

func orNever(status string) string {
	if status == "" {
		return "never enabled"
	}
	return status
}

// newestObject finds the object under prefix last modified, reading
// every page: listing is by key, not by time.
func newestObject(ctx context.Context, s *StepRun, r *replication, prefix string) error {
	in := map[string]any{"Bucket": r.bucket, "Prefix": prefix}
	for page := 0; page < maxObjectPages; page++ {
		out, err := s.Read(ctx, "s3:ListObjectsV2", in)
		if err != nil {
			return fmt.Errorf("list the objects of bucket %s under %q: %w", r.bucket, prefix, err)
		}
		for _, item := range respList(out, "Contents") {
			o := respMap(item)
			if at, ok := respTime(o, "LastModified"); ok && (r.key == "" || at.After(r.modified)) {
				r.key, r.modified = respString(o, "Key"), at
			}
		}
		token := respString(out, "NextContinuationToken")
		if token == "" {
			break
		}
		in["ContinuationToken"] = token
	}
	if r.key == "" {
		return fmt.Errorf("bucket %s holds no object under %q: there is nothing to check replication with (a canary writer may have stopped)", r.bucket, prefix)
	}
	return nil
}

// waitReplicated reads the object's ReplicationStatus, once or, with
// wait, until it is replicated, and returns it.
func waitReplicated(ctx context.Context, s *StepRun, r *replication, wait bool, maxLag time.Duration) (string, error) {
	status := ""
	check := func(out map[string]any) (string, bool, error) {
		status = respString(out, "ReplicationStatus")
		if at, ok := respTime(out, "LastModified"); ok {
			r.modified = at
		}
		switch status {
		case "COMPLETED", "REPLICA":
			return status, true, nil
		case "FAILED":
			return status, false, fmt.Errorf("replication of %s/%s to bucket %s FAILED: check the replication role's permissions and the destination's versioning and key policy, then write the object again",
				r.bucket, r.key, r.destination)
		case "":
			return status, false, fmt.Errorf("object %s/%s has no replication status: it was written before replication was configured, or no rule covers it", r.bucket, r.key)
		}
		lag := r.lag(s, status)
		if maxLag >= 0 && lag > maxLag {
			return status, false, fmt.Errorf("object %s/%s has waited %s to be replicated to bucket %s, more than max_lag %s: replication is stalled or behind",
				r.bucket, r.key, runbooks.FormatDuration(lag), r.destination, runbooks.FormatDuration(maxLag))
		}
		return fmt.Sprintf("%s for %s", status, runbooks.FormatDuration(lag)), !wait, nil
	}
	in := map[string]any{"Bucket": r.bucket, "Key": r.key}
	if !wait {
		out, err := s.Read(ctx, "s3:HeadObject", in)
		if err != nil {
			return "", fmt.Errorf("read object %s/%s: %w", r.bucket, r.key, err)
		}
		_, _, err = check(out)
		return status, err
	}
	_, err := s.Wait(ctx, WaitSpec{Operation: "s3:HeadObject", Input: in, Check: check,
		Delays: objectExistsDelays})
	return status, err
}

// lag is how long the object has waited to be replicated: its age while
// it is not, 0 once it is.
func (r *replication) lag(s *StepRun, status string) time.Duration {
	if status == "COMPLETED" || status == "REPLICA" || r.modified.IsZero() {
		return 0
	}
	return max(s.exec.now().Sub(r.modified), 0).Round(time.Second)
}

func (r *replication) response(s *StepRun, status string) map[string]any {
	lag := r.lag(s, status)
	if status == "PENDING" {
		s.Note("object %s/%s is not replicated yet: written %s ago", r.bucket, r.key, runbooks.FormatDuration(lag))
	}
	return map[string]any{
		"ReplicationStatus": status, "NewestKey": r.key, "LastModified": r.modified.UTC().Format(time.RFC3339),
		"Lag": runbooks.FormatDuration(lag), "LagSeconds": lag.Seconds(), "DestinationBucket": r.destination,
		"SourceVersioning": r.sourceVersioning, "DestinationVersioning": r.destVersioning,
	}
}
