package sandbox

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Object versions: GetObject, DeleteObject and ListObjectVersions. A
// versioning-Enabled bucket keeps every version a put makes and adds a
// delete marker for a delete without a version id; otherwise a put
// replaces the key's "null" version. Version ids count per bucket, so
// that a replay makes the same ones.

// addVersion makes o the key's newest version.
func (b *bucket) addVersion(key string, o *object) {
	if b.history == nil {
		b.history = map[string][]*object{}
	}
	h := b.history[key]
	if b.versioning == "Enabled" {
		b.versionSeq++
		o.VersionID = resourceID("", fmt.Sprintf("%s/%s/%d", b.Name, key, b.versionSeq))
	} else {
		o.VersionID = "null"
		h = slices.DeleteFunc(h, func(v *object) bool { return v.VersionID == "null" })
	}
	b.history[key] = append(h, o)
	b.refresh(key)
}

// refresh makes the key's current object its newest version, or none
// when that is a delete marker.
func (b *bucket) refresh(key string) {
	h := b.history[key]
	switch {
	case len(h) == 0:
		delete(b.history, key)
		delete(b.objects, key)
	case h[len(h)-1].deleteMarker:
		delete(b.objects, key)
	default:
		b.objects[key] = h[len(h)-1]
	}
}

// objectVersion is the object a GET or HEAD names: its versionId's
// version, or the key's current object. HEAD's errors have no body, so
// its not-found is the bare NotFound.
func (c *call) objectVersion(b *bucket, head bool) (*object, *awsError) {
	key := str(c.input, "Key")
	vid := str(c.input, "versionId")
	if vid == "" {
		o, ok := b.objects[key]
		if !ok || !c.arrived(o) {
			if head {
				return nil, notFound("NotFound", "Not Found")
			}
			return nil, notFound("NoSuchKey", "The specified key does not exist.")
		}
		return o, nil
	}
	for _, o := range b.history[key] {
		if o.VersionID != vid {
			continue
		}
		if o.deleteMarker {
			return nil, &awsError{Code: "MethodNotAllowed", Message: "The specified method is not allowed against this resource.", Status: http.StatusMethodNotAllowed}
		}
		return o, nil
	}
	if head {
		return nil, notFound("NotFound", "Not Found")
	}
	return nil, notFound("NoSuchVersion", "The specified version does not exist.")
}

func s3GetObject(c *call) (any, error) {
	b, err := c.bucket()
	if err != nil {
		return nil, err
	}
	o, err := c.objectVersion(b, false)
	if err != nil {
		return nil, err
	}
	raw := o.content
	if raw == nil {
		raw = []byte{}
	}
	return s3Response{headers: c.objectHeaders(b, o), raw: raw}, nil
}

// s3DeleteObject deletes as S3 does: without a version id, a delete
// marker in a versioned bucket (allowed under Object Lock: nothing is
// destroyed), the object otherwise; with one, that version, unless Object
// Lock retains it (GOVERNANCE gives way to x-amz-bypass-governance-
// retention; COMPLIANCE to nothing).
func s3DeleteObject(c *call) (any, error) {
	b, err := c.bucket()
	if err != nil {
		return nil, err
	}
	key, vid := str(c.input, "Key"), str(c.input, "versionId")
	h := map[string]string{}
	if vid == "" {
		if b.versioning == "" {
			delete(b.objects, key)
			delete(b.history, key)
			return s3Response{status: http.StatusNoContent}, nil
		}
		marker := &object{deleteMarker: true, Modified: c.now}
		b.addVersion(key, marker)
		h["X-Amz-Delete-Marker"], h["X-Amz-Version-Id"] = "true", marker.VersionID
		return s3Response{headers: h, status: http.StatusNoContent}, nil
	}
	versions := b.history[key]
	i := slices.IndexFunc(versions, func(o *object) bool { return o.VersionID == vid })
	if i < 0 {
		return s3Response{status: http.StatusNoContent}, nil
	}
	o := versions[i]
	if o.retained(c.now) && !(o.lockMode == "GOVERNANCE" && c.bypassGovernance()) {
		return nil, &awsError{Code: "AccessDenied", Message: "Access Denied because object protected by object lock.", Status: http.StatusForbidden}
	}
	b.history[key] = slices.Delete(slices.Clone(versions), i, i+1)
	b.refresh(key)
	h["X-Amz-Version-Id"] = vid
	if o.deleteMarker {
		h["X-Amz-Delete-Marker"] = "true"
	}
	return s3Response{headers: h, status: http.StatusNoContent}, nil
}

func (c *call) bypassGovernance() bool {
	return strings.EqualFold(str(c.input, "BypassGovernanceRetention"), "true")
}

// s3ListObjectVersions lists versions and delete markers in key order,
// newest first within a key: prefix, key-marker and version-id-marker
// (start after that version, or after the whole key without one), and
// max-keys (1,000 at most).
func s3ListObjectVersions(c *call) (any, error) {
	b, err := c.bucket()
	if err != nil {
		return nil, err
	}
	prefix, keyMarker, vidMarker := str(c.input, "prefix"), str(c.input, "key-marker"), str(c.input, "version-id-marker")
	maxKeys := 1000
	if v := str(c.input, "max-keys"); v != "" {
		n, convErr := strconv.Atoi(v)
		if convErr != nil || n < 0 {
			return nil, errorf("InvalidArgument", "max-keys %q is not a number from 0 to 1000", v)
		}
		maxKeys = min(n, 1000)
	}
	type entry struct {
		key string
		o   *object
	}
	var all []entry
	for _, key := range sortedKeys(b.history) {
		if !strings.HasPrefix(key, prefix) || key < keyMarker || key == keyMarker && vidMarker == "" {
			continue
		}
		versions := b.history[key]
		skipping := key == keyMarker
		for i := len(versions) - 1; i >= 0; i-- {
			if skipping {
				skipping = versions[i].VersionID != vidMarker
				continue
			}
			all = append(all, entry{key, versions[i]})
		}
	}
	out := map[string]any{"Name": b.Name, "Prefix": prefix, "KeyMarker": keyMarker, "VersionIdMarker": vidMarker,
		"MaxKeys": maxKeys, "IsTruncated": len(all) > maxKeys}
	if len(all) > maxKeys {
		if maxKeys > 0 {
			last := all[maxKeys-1]
			out["NextKeyMarker"], out["NextVersionIdMarker"] = last.key, last.o.VersionID
		}
		all = all[:maxKeys]
	}
	versions, markers := flattened{}, flattened{}
	for _, e := range all {
		v := map[string]any{"Key": e.key, "VersionId": e.o.VersionID, "IsLatest": b.history[e.key][len(b.history[e.key])-1] == e.o,
			"LastModified": e.o.Modified}
		if e.o.deleteMarker {
			markers = append(markers, v)
			continue
		}
		v["ETag"], v["Size"], v["StorageClass"] = e.o.ETag, e.o.Size, "STANDARD"
		versions = append(versions, v)
	}
	out["Version"], out["DeleteMarker"] = versions, markers
	return s3Response{body: map[string]any{"ListVersionsResult": out}}, nil
}
