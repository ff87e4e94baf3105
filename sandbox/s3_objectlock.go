package sandbox

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// S3 Object Lock: a bucket made with it (x-amz-bucket-object-lock-enabled)
// or given it later (PutObjectLockConfiguration on a versioned bucket)
// retains object versions until a date, in GOVERNANCE mode (which a
// caller may bypass with x-amz-bypass-governance-retention and the
// s3:BypassGovernanceRetention permission) or COMPLIANCE mode (which no
// one may shorten or remove). Retention protects versions: a delete
// without a version id still adds a delete marker. Legal holds are not
// simulated.

// s3LockTime is how S3 writes a retain-until date in headers.
const s3LockTime = "2006-01-02T15:04:05.000Z"

func errNoLockConfig() *awsError {
	return errorf("InvalidRequest", "Bucket is missing Object Lock Configuration")
}

func errChecksumRequired() *awsError {
	return errorf("InvalidRequest", "Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters")
}

// retained reports whether a version's retention holds at now.
func (o *object) retained(now time.Time) bool {
	return o.lockMode != "" && o.retainUntil.After(now)
}

// hasChecksum reports whether a put carries Content-MD5 or a checksum, in
// a header or announced as a trailer, as S3 requires of a put with Object
// Lock parameters (the Go SDK sends a CRC32 by default).
func (c *call) hasChecksum() bool {
	return str(c.input, "ContentMD5") != "" || str(c.input, "Checksum") != "" || str(c.input, "ChecksumAlgorithm") != "" ||
		strings.Contains(strings.ToLower(str(c.input, "Trailer")), "x-amz-checksum-")
}

// putRetention gives an object being put its retention: the put's Object
// Lock headers (both or neither), else the bucket's default retention.
func (c *call) putRetention(b *bucket, o *object) *awsError {
	mode, until := str(c.input, "ObjectLockMode"), str(c.input, "ObjectLockRetainUntilDate")
	if strings.EqualFold(str(c.input, "ObjectLockLegalHoldStatus"), "ON") {
		// Refused rather than ignored: code that relies on a hold must not
		// pass here and then behave otherwise on AWS.
		return errorf("InvalidRequest", "the sandbox does not simulate Object Lock legal holds (x-amz-object-lock-legal-hold)")
	}
	if mode == "" && until == "" {
		if b.objectLock && b.lockRule != nil {
			// S3 asks the checksum of any put that gets a retention
			// period, the bucket's default one too.
			if !c.hasChecksum() {
				return errChecksumRequired()
			}
			o.lockMode, o.retainUntil = defaultRetention(b.lockRule, c.now)
		}
		return nil
	}
	if !b.objectLock {
		return errNoLockConfig()
	}
	if mode == "" || until == "" {
		return errorf("InvalidArgument", "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied")
	}
	if mode != "GOVERNANCE" && mode != "COMPLIANCE" {
		return errorf("InvalidArgument", "Unknown wormMode directive.")
	}
	t, err := time.Parse(time.RFC3339Nano, until)
	if err != nil {
		return errorf("InvalidArgument", "The retain until date must be provided in ISO 8601 format")
	}
	if !t.After(c.now) {
		return errorf("InvalidArgument", "The retain until date must be in the future!")
	}
	if !c.hasChecksum() {
		return errChecksumRequired()
	}
	o.lockMode, o.retainUntil = mode, t.UTC()
	return nil
}

// defaultRetention is a default retention rule's mode and date for an
// object put at now.
func defaultRetention(rule map[string]any, now time.Time) (string, time.Time) {
	days, _ := strconv.Atoi(str(rule, "Days"))
	years, _ := strconv.Atoi(str(rule, "Years"))
	return str(rule, "Mode"), now.AddDate(years, 0, days).UTC()
}

func s3PutObjectLockConfiguration(c *call) (any, error) {
	b, err := c.bucket()
	if err != nil {
		return nil, err
	}
	doc := c.document("ObjectLockConfiguration")
	if str(doc, "ObjectLockEnabled") != "Enabled" {
		return nil, errorf("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
	}
	if !b.objectLock && b.versioning != "Enabled" {
		return nil, &awsError{Code: "InvalidBucketState", Status: http.StatusConflict,
			Message: "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration"}
	}
	var rule map[string]any
	if r := obj(obj(doc, "Rule"), "DefaultRetention"); r != nil {
		mode, days, years := str(r, "Mode"), str(r, "Days"), str(r, "Years")
		if mode != "GOVERNANCE" && mode != "COMPLIANCE" || (days == "") == (years == "") {
			return nil, errorf("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
		}
		n, convErr := strconv.Atoi(days + years)
		if convErr != nil || n <= 0 || n > 36500 {
			return nil, errorf("InvalidArgument", "Default retention period must be a positive integer value")
		}
		rule = map[string]any{"Mode": mode}
		if days != "" {
			rule["Days"] = strconv.Itoa(n)
		} else {
			rule["Years"] = strconv.Itoa(n)
		}
	}
	b.objectLock, b.lockRule = true, rule
	return s3Response{}, nil
}

func s3GetObjectLockConfiguration(c *call) (any, error) {
	b, err := c.bucket()
	if err != nil {
		return nil, err
	}
	if !b.objectLock {
		return nil, notFound("ObjectLockConfigurationNotFoundError", "Object Lock configuration does not exist for this bucket")
	}
	conf := map[string]any{"ObjectLockEnabled": "Enabled"}
	if b.lockRule != nil {
		conf["Rule"] = map[string]any{"DefaultRetention": b.lockRule}
	}
	return s3Response{body: map[string]any{"ObjectLockConfiguration": conf}}, nil
}

// lockedVersion is the version a retention request names (versionId, or
// the current object) in an Object Lock bucket.
func (c *call) lockedVersion() (*object, *awsError) {
	b, err := c.bucket()
	if err != nil {
		return nil, err
	}
	if !b.objectLock {
		return nil, errNoLockConfig()
	}
	return c.objectVersion(b, false)
}

func s3GetObjectRetention(c *call) (any, error) {
	o, err := c.lockedVersion()
	if err != nil {
		return nil, err
	}
	if o.lockMode == "" {
		return nil, notFound("NoSuchObjectLockConfiguration", "The specified object does not have a ObjectLock configuration")
	}
	return s3Response{body: map[string]any{"Retention": map[string]any{"Mode": o.lockMode, "RetainUntilDate": o.retainUntil}}}, nil
}

// s3PutObjectRetention sets, extends, shortens or removes a version's
// retention. While it holds, COMPLIANCE can only be extended (and never
// turned into GOVERNANCE); GOVERNANCE can be weakened only with the
// bypass header.
func s3PutObjectRetention(c *call) (any, error) {
	o, err := c.lockedVersion()
	if err != nil {
		return nil, err
	}
	doc := c.document("Retention")
	mode, until := str(doc, "Mode"), time.Time{}
	if raw := str(doc, "RetainUntilDate"); raw != "" || mode != "" {
		t, parseErr := time.Parse(time.RFC3339Nano, raw)
		if mode != "GOVERNANCE" && mode != "COMPLIANCE" || parseErr != nil {
			return nil, errorf("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
		}
		if !t.After(c.now) {
			return nil, errorf("InvalidArgument", "The retain until date must be in the future!")
		}
		until = t.UTC()
	}
	if o.retained(c.now) {
		weaker := mode == "" || until.Before(o.retainUntil) || o.lockMode == "COMPLIANCE" && mode != "COMPLIANCE"
		if weaker && (o.lockMode == "COMPLIANCE" || !c.bypassGovernance()) {
			return nil, &awsError{Code: "AccessDenied", Message: "Access Denied", Status: http.StatusForbidden}
		}
	}
	o.lockMode, o.retainUntil = mode, until
	return s3Response{}, nil
}
