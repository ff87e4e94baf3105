package sandbox

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"hash/crc32"
	"net/http"
	"strings"
)

// Checksums of a put's body, as S3 checks them: an x-amz-checksum-*
// header, or the trailer of an aws-chunked body (which the SDKs send
// over TLS), must match the body received, else BadDigest. CRC64NVME is
// accepted unchecked.

var s3ChecksumAlgorithms = map[string]struct {
	label string
	sum   func([]byte) []byte
}{
	"crc32": {"CRC32", func(b []byte) []byte {
		h := crc32.NewIEEE()
		h.Write(b)
		return h.Sum(nil)
	}},
	"crc32c": {"CRC32C", func(b []byte) []byte {
		h := crc32.New(crc32.MakeTable(crc32.Castagnoli))
		h.Write(b)
		return h.Sum(nil)
	}},
	"sha1":   {"SHA1", func(b []byte) []byte { s := sha1.Sum(b); return s[:] }},
	"sha256": {"SHA256", func(b []byte) []byte { s := sha256.Sum256(b); return s[:] }},
}

// verifyChecksums checks every checksum given and returns one of them
// (its header's name and value), which S3 keeps with the object and
// gives back to a GetObject or HeadObject that asks (x-amz-checksum-mode).
func verifyChecksums(h http.Header, trailers map[string]string, body []byte) (name, value string, _ *awsError) {
	given := map[string]string{}
	for name := range h {
		given[strings.ToLower(name)] = h.Get(name)
	}
	for name, v := range trailers {
		given[name] = v
	}
	for header, v := range given {
		alg, ok := s3ChecksumAlgorithms[strings.TrimPrefix(header, "x-amz-checksum-")]
		if !ok || !strings.HasPrefix(header, "x-amz-checksum-") {
			continue
		}
		if base64.StdEncoding.EncodeToString(alg.sum(body)) != v {
			return "", "", errorf("BadDigest", "The %s you specified did not match the calculated checksum.", alg.label)
		}
		name, value = header, v
	}
	return name, value, nil
}
