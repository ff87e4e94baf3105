package sandbox

import (
	"encoding/base64"
	"strconv"
	"strings"
)

// The S3 calls a person makes by hand to look around (aws s3 ls):
// listing the buckets, listing a bucket with the original ListObjects,
// and asking a bucket's Region.

// s3ListBuckets lists every bucket, in every Region, as S3 does: bucket
// names are global. A bucket whose Region is out is still listed (the
// list is served by us-east-1), as in AWS.
func s3ListBuckets(c *call) (any, error) {
	s := c.s3()
	prefix, region := str(c.input, "prefix"), str(c.input, "bucket-region")
	var names []string
	for _, name := range sortedKeys(s.buckets) {
		if strings.HasPrefix(name, prefix) && (region == "" || s.buckets[name].Region == region) {
			names = append(names, name)
		}
	}
	items := make([]any, len(names))
	for i, name := range names {
		b := s.buckets[name]
		items[i] = map[string]any{"Name": b.Name, "CreationDate": b.Created, "BucketRegion": b.Region}
	}
	page, next, err := paginate(c.input, "max-buckets", "continuation-token", items, pageLimits{def: 10000, min: 1, max: 10000})
	if err != nil {
		return nil, err
	}
	out := map[string]any{"Buckets": members{name: "Bucket", items: page},
		"Owner": map[string]any{"ID": c.account(), "DisplayName": "drpilot-sandbox"}}
	if next != "" {
		out["ContinuationToken"] = next
	}
	if prefix != "" {
		out["Prefix"] = prefix
	}
	return s3Response{body: map[string]any{"ListAllMyBucketsResult": out}}, nil
}

// s3Listing is one page of a bucket's keys after a key, with the keys
// that share a prefix up to the delimiter rolled into common prefixes, as
// both ListObjects and ListObjectsV2 answer (aws s3 ls sends "/").
type s3Listing struct {
	contents, prefixes flattened
	truncated          bool
	last               string // the last key the page covers
}

func (c *call) listKeys(b *bucket, prefix, after, delimiter string, maxKeys int) s3Listing {
	l := s3Listing{contents: flattened{}, prefixes: flattened{}}
	seen := map[string]bool{}
	for _, key := range sortedKeys(b.objects) {
		o := b.objects[key]
		if !strings.HasPrefix(key, prefix) || key <= after || !c.arrived(o) {
			continue
		}
		common := ""
		if i := strings.Index(key[len(prefix):], delimiter); delimiter != "" && i >= 0 {
			common = key[:len(prefix)+i+len(delimiter)]
		}
		if common != "" && seen[common] {
			l.last = key
			continue
		}
		if len(l.contents)+len(l.prefixes) == maxKeys {
			l.truncated = true
			break
		}
		l.last = key
		if common != "" {
			seen[common] = true
			l.prefixes = append(l.prefixes, map[string]any{"Prefix": common})
			continue
		}
		l.contents = append(l.contents, map[string]any{"Key": key, "LastModified": o.Modified, "ETag": o.ETag,
			"Size": o.Size, "StorageClass": "STANDARD"})
	}
	return l
}

// maxKeys reads max-keys: at most 1000, as S3 caps it.
func (c *call) maxKeys() (int, *awsError) {
	v := str(c.input, "max-keys")
	if v == "" {
		return 1000, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, errorf("InvalidArgument", "max-keys %q is not a number from 0 to 1000", v)
	}
	return min(n, 1000), nil
}

// s3ListObjects is the original ListObjects (a marker rather than a
// continuation token), which older scripts and tools still call.
func s3ListObjects(c *call) (any, error) {
	b, err := c.bucket()
	if err != nil {
		return nil, err
	}
	maxKeys, err := c.maxKeys()
	if err != nil {
		return nil, err
	}
	prefix, marker, delimiter := str(c.input, "prefix"), str(c.input, "marker"), str(c.input, "delimiter")
	l := c.listKeys(b, prefix, marker, delimiter, maxKeys)
	out := map[string]any{"Name": b.Name, "Prefix": prefix, "Marker": marker, "MaxKeys": maxKeys,
		"IsTruncated": l.truncated, "Contents": l.contents, "CommonPrefixes": l.prefixes}
	if delimiter != "" {
		out["Delimiter"] = delimiter
	}
	if l.truncated {
		out["NextMarker"] = l.last
	}
	return s3Response{body: map[string]any{"ListBucketResult": out}}, nil
}

// s3ListObjectsV2 pages with a continuation token: the last key the page
// covered, so that a page stays right when keys are put between calls.
func s3ListObjectsV2(c *call) (any, error) {
	b, err := c.bucket()
	if err != nil {
		return nil, err
	}
	maxKeys, err := c.maxKeys()
	if err != nil {
		return nil, err
	}
	prefix, delimiter := str(c.input, "prefix"), str(c.input, "delimiter")
	after := str(c.input, "start-after")
	if token := str(c.input, "continuation-token"); token != "" {
		raw, decErr := base64.RawURLEncoding.DecodeString(token)
		if decErr != nil {
			return nil, errorf("InvalidArgument", "The continuation token provided is incorrect")
		}
		after = max(after, string(raw))
	}
	l := c.listKeys(b, prefix, after, delimiter, maxKeys)
	out := map[string]any{"Name": b.Name, "Prefix": prefix, "MaxKeys": maxKeys, "KeyCount": len(l.contents) + len(l.prefixes),
		"IsTruncated": l.truncated, "Contents": l.contents, "CommonPrefixes": l.prefixes}
	if delimiter != "" {
		out["Delimiter"] = delimiter
	}
	if l.truncated {
		out["NextContinuationToken"] = base64.RawURLEncoding.EncodeToString([]byte(l.last))
	}
	return s3Response{body: map[string]any{"ListBucketResult": out}}, nil
}

// s3GetBucketLocation answers a bucket's Region; us-east-1 is the empty
// constraint, as S3 answers it.
func s3GetBucketLocation(c *call) (any, error) {
	b, err := c.bucket()
	if err != nil {
		return nil, err
	}
	region := b.Region
	if region == "us-east-1" {
		region = ""
	}
	return s3Response{body: map[string]any{"LocationConstraint": region}}, nil
}

// s3HeadBucket answers whether a bucket exists, with its Region in a
// header, as scripts check before they write.
func s3HeadBucket(c *call) (any, error) {
	b, err := c.bucket()
	if err != nil {
		if err.Code == "NoSuchBucket" {
			err = notFound("NotFound", "Not Found")
		}
		return nil, err
	}
	return s3Response{headers: map[string]string{"X-Amz-Bucket-Region": b.Region}}, nil
}
