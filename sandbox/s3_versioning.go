package sandbox

import (
	"net/http"
	"strings"
	"time"
)

// S3 versioning, listing and the replication of each object put.

func s3PutVersioning(c *call) (any, error) {
	b, err := c.bucket()
	if err != nil {
		return nil, err
	}
	status := str(c.document("VersioningConfiguration"), "Status")
	if status != "Enabled" && status != "Suspended" {
		return nil, errorf("MalformedXML", "VersioningConfiguration Status must be Enabled or Suspended, not %q", status)
	}
	if b.objectLock && status != "Enabled" {
		return nil, &awsError{Code: "InvalidBucketState", Status: http.StatusConflict,
			Message: "An Object Lock configuration is present on this bucket, so the versioning state cannot be changed."}
	}
	b.versioning = status
	return s3Response{}, nil
}

// s3GetVersioning answers with no Status for a bucket whose versioning was
// never set, as S3 does.
func s3GetVersioning(c *call) (any, error) {
	b, err := c.bucket()
	if err != nil {
		return nil, err
	}
	conf := map[string]any{}
	if b.versioning != "" {
		conf["Status"] = b.versioning
	}
	return s3Response{body: map[string]any{"VersioningConfiguration": conf}}, nil
}

// replicate starts the replication of an object just put, by the first
// enabled rule whose prefix covers its key. It is PENDING, then COMPLETED
// with its replica in the destination bucket (in any Region) after
// s3Replication; FAILED when the destination bucket is gone or no longer
// versioned; PENDING for good while the destination's Region is out; held
// while a stuck fault names its bucket (observeS3Stuck).
func (c *call) replicate(b *bucket, key string, o *object) {
	rule := replicationRule(b.rules, key)
	if rule == nil {
		return
	}
	destName := strings.TrimPrefix(str(obj(rule, "Destination"), "Bucket"), "arn:aws:s3:::")
	dest, ok := c.s3().buckets[destName]
	o.replication = &timeline{}
	if stuck := c.sb.faults.stuckState("s3", b.Region, b.Name); stuck != "" {
		o.replication.stuck = stuck
	}
	switch {
	case !ok || dest.versioning != "Enabled":
		o.replication.set(c.now, "PENDING", s3Replication, "FAILED")
	case c.sb.faults.downFor(dest.Region, "s3"):
		o.replication.set(c.now, "PENDING")
	default:
		o.replication.set(c.now, "PENDING", s3Replication, "COMPLETED")
		dest.objects[key] = &object{Size: o.Size, ETag: o.ETag, Type: o.Type, Modified: c.now, content: o.content, replica: true,
			visibleAt: c.now.Add(s3Replication), from: b, original: o}
	}
}

// observeS3Stuck holds or releases the replication of a bucket's objects
// that a stuck fault names (service s3, the bucket's Region, its name),
// at the moment the fault is given: the objects not replicated by then
// stay in the fault's state, PENDING (a stall) or FAILED, and so does
// every object put while it lasts (replicate). Released, the PENDING ones
// are replicated within s3Replication, as S3 catches up; the FAILED ones
// stay FAILED, as S3 does not retry them. Callers hold sb.mu.
func (sb *Sandbox) observeS3Stuck(st *Stuck, now time.Time) {
	s := existingState[s3State](sb, "s3", "global")
	if s == nil || s.buckets[st.ID] == nil || s.buckets[st.ID].Region != st.Region {
		return
	}
	for _, o := range s.buckets[st.ID].objects {
		r := o.replication
		switch {
		case r == nil:
		case st.State != "" && r.state(now) == "PENDING":
			r.stuck = st.State
		case st.State == "" && r.stuck == "PENDING":
			r.stuck = ""
			r.set(now, "PENDING", s3Replication, "COMPLETED")
		case st.State == "" && r.stuck != "":
			r.stuck = ""
			r.set(now, "FAILED")
		}
	}
}

// arrived reports whether an object is there to be read: always, unless
// it is a replica that replication has not delivered yet.
func (c *call) arrived(o *object) bool {
	return !o.replica || !c.now.Before(o.visibleAt) && o.original.replication.state(c.now) == "COMPLETED"
}

// replicationRule is the enabled rule that replicates key, or nil: its
// prefix is the rule's Filter Prefix, its Filter's And Prefix, or its
// older top-level Prefix.
func replicationRule(rules []any, key string) map[string]any {
	for _, r := range rules {
		rule := asMap(r)
		filter := obj(rule, "Filter")
		prefix := str(rule, "Prefix") + str(filter, "Prefix") + str(obj(filter, "And"), "Prefix")
		if str(rule, "Status") == "Enabled" && strings.HasPrefix(key, prefix) {
			return rule
		}
	}
	return nil
}
