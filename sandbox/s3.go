package sandbox

import (
	"crypto/md5"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// s3Replication is how long cross-Region replication takes in simulated
// time (S3 RTC's typical case).
const s3Replication = 15 * time.Second

// s3State is global: bucket names are one namespace, each bucket lives in
// a Region.
type s3State struct {
	buckets map[string]*bucket
}

type bucket struct {
	Name, Region string
	Created      time.Time
	objects      map[string]*object
	replication  map[string]any // the ReplicationConfiguration as put
	rules        []any
	versioning   string // "" (never set), Enabled or Suspended
}

type object struct {
	Size        int
	ETag, Type  string
	Modified    time.Time
	content     []byte    // what CloudFormation reads a template from
	replica     bool      // a copy made by replication
	visibleAt   time.Time // a replica exists from then on, unless held (arrived)
	from        *bucket   // a replica's source bucket and object
	original    *object
	replication *timeline // PENDING → COMPLETED on a replicated source
}

func (s *s3State) dump(now time.Time) any {
	out := map[string]any{}
	for name, b := range s.buckets {
		out[name] = map[string]any{"region": b.Region, "objects": len(b.objects), "replication": b.replication != nil}
	}
	return map[string]any{"buckets": out}
}

func (c *call) s3() *s3State {
	return stateOf(c.sb, "s3", "global", func() *s3State { return &s3State{buckets: map[string]*bucket{}} })
}

func registerS3(s *Sandbox) {
	s.addService(&service{name: "s3", protocol: s3Protocol{}, xmlns: "http://s3.amazonaws.com/doc/2006-03-01/", throttleCode: "SlowDown"},
		&operation{name: "CreateBucket", mutating: true, method: "PUT", path: "/{Bucket}", handler: s3CreateBucket},
		&operation{name: "PutBucketReplication", mutating: true, method: "PUT", path: "/{Bucket}?replication", handler: s3PutReplication},
		&operation{name: "GetBucketReplication", method: "GET", path: "/{Bucket}?replication", handler: s3GetReplication},
		&operation{name: "PutBucketVersioning", mutating: true, method: "PUT", path: "/{Bucket}?versioning", handler: s3PutVersioning},
		&operation{name: "GetBucketVersioning", method: "GET", path: "/{Bucket}?versioning", handler: s3GetVersioning},
		&operation{name: "ListObjectsV2", method: "GET", path: "/{Bucket}?list-type", handler: s3ListObjectsV2},
		&operation{name: "PutObject", mutating: true, method: "PUT", path: "/{Bucket}/{Key+}", handler: s3PutObject},
		&operation{name: "HeadObject", method: "HEAD", path: "/{Bucket}/{Key+}", handler: s3HeadObject},
	)
}

// bucket finds the request's bucket, failing as S3 does when its Region
// is out.
func (c *call) bucket() (*bucket, *awsError) {
	name := str(c.input, "Bucket")
	b, ok := c.s3().buckets[name]
	if !ok {
		return nil, notFound("NoSuchBucket", "The specified bucket does not exist")
	}
	if c.sb.faults.downFor(b.Region, "s3") {
		return nil, &awsError{Code: "ServiceUnavailable", Message: "S3 is unavailable in " + b.Region, Status: http.StatusServiceUnavailable}
	}
	return b, nil
}

func s3CreateBucket(c *call) (any, error) {
	name := str(c.input, "Bucket")
	if len(name) < 3 || len(name) > 63 || strings.ToLower(name) != name {
		return nil, errorf("InvalidBucketName", "The specified bucket is not valid.")
	}
	s := c.s3()
	if _, exists := s.buckets[name]; exists {
		return nil, &awsError{Code: "BucketAlreadyOwnedByYou", Message: "Your previous request to create the named bucket succeeded and you already own it.", Status: http.StatusConflict}
	}
	region := c.region
	if lc := str(c.document("CreateBucketConfiguration"), "LocationConstraint"); lc != "" {
		region = lc
	}
	s.buckets[name] = &bucket{Name: name, Region: region, Created: c.now, objects: map[string]*object{}}
	return s3Response{headers: map[string]string{"Location": "/" + name}}, nil
}

func s3PutReplication(c *call) (any, error) {
	b, err := c.bucket()
	if err != nil {
		return nil, err
	}
	doc := c.document("ReplicationConfiguration")
	var rules []any
	switch r := doc["Rule"].(type) {
	case map[string]any:
		rules = []any{r}
	case []any:
		rules = r
	}
	if str(doc, "Role") == "" || len(rules) == 0 {
		return nil, errorf("MalformedXML", "a ReplicationConfiguration needs a Role and at least one Rule")
	}
	if b.versioning != "Enabled" {
		return nil, errorf("InvalidRequest", "Versioning must be 'Enabled' on the bucket to apply a replication configuration")
	}
	for _, r := range rules {
		dest := str(obj(asMap(r), "Destination"), "Bucket")
		if !strings.HasPrefix(dest, "arn:aws:s3:::") {
			return nil, errorf("InvalidArgument", "Destination.Bucket must be a bucket ARN, not %q", dest)
		}
		if d, ok := c.s3().buckets[strings.TrimPrefix(dest, "arn:aws:s3:::")]; ok && d.versioning != "Enabled" {
			return nil, errorf("InvalidRequest", "Destination bucket must have versioning enabled.")
		}
	}
	b.replication, b.rules = doc, rules
	return s3Response{}, nil
}

// document is an operation's XML body: decoded from the request, or, from
// a scenario, given under its AWS member name.
func (c *call) document(member string) map[string]any {
	if d := obj(c.input, "Document"); d != nil {
		return d
	}
	return obj(c.input, member)
}

func asMap(v any) map[string]any { m, _ := v.(map[string]any); return m }

func s3GetReplication(c *call) (any, error) {
	b, err := c.bucket()
	if err != nil {
		return nil, err
	}
	if b.replication == nil {
		return nil, notFound("ReplicationConfigurationNotFoundError", "The replication configuration was not found")
	}
	return s3Response{body: map[string]any{"ReplicationConfiguration": map[string]any{
		"Role": str(b.replication, "Role"), "Rule": flattened(b.rules)}}}, nil
}

// s3PutObject stores an object; in a bucket that replicates it, it
// starts PENDING and is COMPLETED (and its replica appears) after
// s3Replication (see replicate).
func s3PutObject(c *call) (any, error) {
	b, err := c.bucket()
	if err != nil {
		return nil, err
	}
	var body []byte
	switch b := c.input["Body"].(type) {
	case []byte:
		body = b
	case string: // from a scenario
		body = []byte(b)
	}
	sum := md5.Sum(body)
	o := &object{Size: len(body), ETag: `"` + hex.EncodeToString(sum[:]) + `"`, Type: str(c.input, "ContentType"), Modified: c.now, content: body}
	key := str(c.input, "Key")
	b.objects[key] = o
	c.replicate(b, key, o)
	return s3Response{headers: map[string]string{"ETag": o.ETag}}, nil
}

func s3HeadObject(c *call) (any, error) {
	b, err := c.bucket()
	if err != nil {
		return nil, err
	}
	o, ok := b.objects[str(c.input, "Key")]
	if !ok || !c.arrived(o) {
		return nil, notFound("NotFound", "Not Found")
	}
	h := map[string]string{"Content-Length": strconv.Itoa(o.Size), "ETag": o.ETag,
		"Last-Modified": o.Modified.UTC().Format(http.TimeFormat), "Content-Type": o.Type}
	switch {
	case o.replica:
		h["X-Amz-Replication-Status"] = "REPLICA"
	case o.replication != nil:
		h["X-Amz-Replication-Status"] = o.replication.state(c.now)
	}
	if h["Content-Type"] == "" {
		h["Content-Type"] = "binary/octet-stream"
	}
	return s3Response{headers: h}, nil
}
