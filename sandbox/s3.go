package sandbox

import (
	"crypto/md5"
	"encoding/base64"
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
	// history is every version of each key, delete markers too, oldest
	// first; objects holds each key's current version (or a replica).
	history    map[string][]*object
	versionSeq int
	// objectLock is Object Lock enabled; lockRule its default retention
	// (Mode, Days or Years), nil for none.
	objectLock bool
	lockRule   map[string]any
}

type object struct {
	Size       int
	ETag, Type string
	Modified   time.Time
	content    []byte // what CloudFormation reads a template from
	// checksumHeader and checksum are the checksum the put gave
	// (x-amz-checksum-sha256 and its value), returned to reads that ask.
	checksumHeader, checksum string
	replica                  bool      // a copy made by replication
	visibleAt                time.Time // a replica exists from then on, unless held (arrived)
	from                     *bucket   // a replica's source bucket and object
	original                 *object
	replication              *timeline // PENDING → COMPLETED on a replicated source
	// VersionID is "null" for a version put while versioning was not
	// Enabled; deleteMarker makes it a delete marker.
	VersionID    string
	deleteMarker bool
	// lockMode (GOVERNANCE or COMPLIANCE) and retainUntil are its Object
	// Lock retention; "" for none.
	lockMode    string
	retainUntil time.Time
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

// s3Subresources are the query parameters that name an S3 operation
// rather than parameterize one (PUT /b?tagging is PutBucketTagging, not
// CreateBucket; PUT /b/k?uploadId= is UploadPart, not PutObject).
var s3Subresources = setOf("accelerate", "acl", "analytics", "attributes", "cors", "delete", "encryption",
	"intelligent-tiering", "inventory", "legal-hold", "lifecycle", "location", "logging", "metadataTable",
	"metrics", "notification", "object-lock", "ownershipControls", "policy", "policyStatus",
	"publicAccessBlock", "renameObject", "replication", "requestPayment", "restore", "retention", "select",
	"session", "tagging", "torrent", "uploadId", "uploads", "versioning", "versions", "website")

func setOf(keys ...string) map[string]bool {
	m := make(map[string]bool, len(keys))
	for _, k := range keys {
		m[k] = true
	}
	return m
}

func registerS3(s *Sandbox) {
	s.addService(&service{name: "s3", protocol: s3Protocol{}, xmlns: "http://s3.amazonaws.com/doc/2006-03-01/", throttleCode: "SlowDown",
		subresources: s3Subresources},
		&operation{name: "CreateBucket", mutating: true, method: "PUT", path: "/{Bucket}", handler: s3CreateBucket},
		&operation{name: "PutBucketReplication", mutating: true, method: "PUT", path: "/{Bucket}?replication", handler: s3PutReplication},
		&operation{name: "GetBucketReplication", method: "GET", path: "/{Bucket}?replication", handler: s3GetReplication},
		&operation{name: "PutBucketVersioning", mutating: true, method: "PUT", path: "/{Bucket}?versioning", handler: s3PutVersioning},
		&operation{name: "GetBucketVersioning", method: "GET", path: "/{Bucket}?versioning", handler: s3GetVersioning},
		&operation{name: "ListBuckets", method: "GET", path: "/", handler: s3ListBuckets},
		&operation{name: "ListObjects", method: "GET", path: "/{Bucket}", handler: s3ListObjects},
		&operation{name: "ListObjectsV2", method: "GET", path: "/{Bucket}?list-type", handler: s3ListObjectsV2},
		&operation{name: "HeadBucket", method: "HEAD", path: "/{Bucket}", handler: s3HeadBucket},
		&operation{name: "GetBucketLocation", method: "GET", path: "/{Bucket}?location", handler: s3GetBucketLocation},
		&operation{name: "PutObject", mutating: true, method: "PUT", path: "/{Bucket}/{Key+}", handler: s3PutObject},
		&operation{name: "HeadObject", method: "HEAD", path: "/{Bucket}/{Key+}", handler: s3HeadObject},
		&operation{name: "GetObject", method: "GET", path: "/{Bucket}/{Key+}", handler: s3GetObject},
		&operation{name: "DeleteObject", mutating: true, method: "DELETE", path: "/{Bucket}/{Key+}", handler: s3DeleteObject},
		&operation{name: "ListObjectVersions", method: "GET", path: "/{Bucket}?versions", handler: s3ListObjectVersions},
		&operation{name: "PutObjectLockConfiguration", mutating: true, method: "PUT", path: "/{Bucket}?object-lock", handler: s3PutObjectLockConfiguration},
		&operation{name: "GetObjectLockConfiguration", method: "GET", path: "/{Bucket}?object-lock", handler: s3GetObjectLockConfiguration},
		&operation{name: "PutObjectRetention", mutating: true, method: "PUT", path: "/{Bucket}/{Key+}?retention", handler: s3PutObjectRetention},
		&operation{name: "GetObjectRetention", method: "GET", path: "/{Bucket}/{Key+}?retention", handler: s3GetObjectRetention},
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
	b := &bucket{Name: name, Region: region, Created: c.now, objects: map[string]*object{}}
	// Object Lock at creation turns versioning on, for good (S3 refuses
	// to suspend it on such a bucket).
	if strings.EqualFold(str(c.input, "ObjectLockEnabledForBucket"), "true") {
		b.objectLock, b.versioning = true, "Enabled"
	}
	s.buckets[name] = b
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

// s3PutObject stores an object: a new version in a versioned bucket,
// with its Object Lock retention (s3_objectlock.go); in a bucket that
// replicates it, it starts PENDING and is COMPLETED (and its replica
// appears) after s3Replication (see replicate).
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
	if want := str(c.input, "ContentMD5"); want != "" && want != base64.StdEncoding.EncodeToString(sum[:]) {
		return nil, errorf("BadDigest", "The Content-MD5 you specified did not match what we received.")
	}
	o := &object{Size: len(body), ETag: `"` + hex.EncodeToString(sum[:]) + `"`, Type: str(c.input, "ContentType"), Modified: c.now, content: body}
	if stored := obj(c.input, "StoredChecksum"); stored != nil {
		o.checksumHeader, o.checksum = str(stored, "name"), str(stored, "value")
	}
	if err := c.putRetention(b, o); err != nil {
		return nil, err
	}
	key := str(c.input, "Key")
	b.addVersion(key, o)
	c.replicate(b, key, o)
	h := map[string]string{"ETag": o.ETag}
	if b.versioning != "" {
		h["X-Amz-Version-Id"] = o.VersionID
	}
	return s3Response{headers: h}, nil
}

func s3HeadObject(c *call) (any, error) {
	b, err := c.bucket()
	if err != nil {
		return nil, err
	}
	o, err := c.objectVersion(b, true)
	if err != nil {
		return nil, err
	}
	return s3Response{headers: c.objectHeaders(b, o)}, nil
}

// objectHeaders are what HEAD and GET of an object answer with.
func (c *call) objectHeaders(b *bucket, o *object) map[string]string {
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
	if b.versioning != "" && o.VersionID != "" {
		h["X-Amz-Version-Id"] = o.VersionID
	}
	if o.checksum != "" && strings.EqualFold(str(c.input, "ChecksumMode"), "ENABLED") {
		h[o.checksumHeader] = o.checksum
	}
	if o.lockMode != "" {
		h["X-Amz-Object-Lock-Mode"] = o.lockMode
		h["X-Amz-Object-Lock-Retain-Until-Date"] = o.retainUntil.UTC().Format(s3LockTime)
	}
	return h
}
