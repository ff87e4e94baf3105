package sandbox

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
)

// s3Protocol is REST-XML as S3 speaks it: buckets addressed by path
// (/bucket/key) or by virtual host (bucket.localhost/key), aws-chunked
// upload bodies, results partly in headers, and errors as a bare <Error>
// (no body at all for HEAD).
type s3Protocol struct{}

// s3Response is a result with headers; body nil means no body, raw is
// an object's content (GetObject), status the HTTP status when not 200.
type s3Response struct {
	headers map[string]string
	body    any
	raw     []byte
	status  int
}

// s3Headers are the request headers handlers read, as input members: in
// the input, a recording keeps them, and a replay sees them.
var s3Headers = map[string]string{
	"X-Amz-Bucket-Object-Lock-Enabled":    "ObjectLockEnabledForBucket",
	"X-Amz-Object-Lock-Mode":              "ObjectLockMode",
	"X-Amz-Object-Lock-Retain-Until-Date": "ObjectLockRetainUntilDate",
	"X-Amz-Bypass-Governance-Retention":   "BypassGovernanceRetention",
	"X-Amz-Object-Lock-Legal-Hold":        "ObjectLockLegalHoldStatus",
	"Content-Md5":                         "ContentMD5",
	"X-Amz-Sdk-Checksum-Algorithm":        "ChecksumAlgorithm",
	"X-Amz-Trailer":                       "Trailer",
}

// headerInput copies s3Headers into input, and names an x-amz-checksum-*
// header (a checksum of the body; not -mode or -type, which are not) as
// Checksum.
func headerInput(r *http.Request, input map[string]any) {
	for h, member := range s3Headers {
		if v := r.Header.Get(h); v != "" {
			input[member] = v
		}
	}
	for h := range r.Header {
		lower := strings.ToLower(h)
		if strings.HasPrefix(lower, "x-amz-checksum-") && lower != "x-amz-checksum-mode" && lower != "x-amz-checksum-type" {
			input["Checksum"] = lower
		}
		if lower == "x-amz-checksum-mode" {
			input["ChecksumMode"] = r.Header.Get(h)
		}
	}
}

func (s3Protocol) name() string { return "restXml-s3" }

func (s3Protocol) decode(r *http.Request, body []byte, svc *service) (string, map[string]any, error) {
	if bucket := virtualHostBucket(r.Host); bucket != "" {
		r.URL.Path = "/" + bucket + r.URL.Path
		r.URL.RawPath = ""
	}
	var trailers map[string]string
	if strings.Contains(r.Header.Get("Content-Encoding"), "aws-chunked") ||
		strings.HasPrefix(r.Header.Get("X-Amz-Content-Sha256"), "STREAMING-") {
		var err error
		if body, trailers, err = decodeAWSChunkedTrailers(body); err != nil {
			return "", nil, errorf("IncompleteBody", "the aws-chunked body is malformed: %v", err)
		}
	}
	op, input, ok := restOperation(svc, r)
	if !ok {
		return "", nil, notSimulated("the S3 operation at %s %s", r.Method, clip(r.URL.RequestURI()))
	}
	headerInput(r, input)
	if op.name == "PutObject" {
		name, value, err := verifyChecksums(r.Header, trailers, body)
		if err != nil {
			return op.name, nil, err
		}
		if name != "" {
			input["StoredChecksum"] = map[string]any{"name": name, "value": value}
		}
		input["Body"] = body
		input["ContentType"] = r.Header.Get("Content-Type")
		return op.name, input, nil
	}
	if len(bytes.TrimSpace(body)) > 0 {
		doc, err := decodeXMLDocument(body)
		if err != nil {
			return op.name, nil, errorf("MalformedXML", "The XML you provided was not well-formed: %v", err)
		}
		input["Document"] = doc
	}
	return op.name, input, nil
}

// virtualHostBucket returns the bucket of a virtual-hosted request
// (my-bucket.localhost:4566, my-bucket.s3.localhost), or "" for path
// style, which an IP address or a bare host always is.
func virtualHostBucket(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if net.ParseIP(host) != nil || !strings.Contains(host, ".") {
		return ""
	}
	if strings.HasSuffix(host, ".localhost") {
		return strings.TrimSuffix(strings.TrimSuffix(host, ".localhost"), ".s3")
	}
	return ""
}

// decodeAWSChunked reads an aws-chunked body: hex size (and, when signed,
// ";chunk-signature=..."), CRLF, data, CRLF, until a zero-size chunk and
// the trailers. Signatures are not checked: the sandbox takes any
// credentials.
func decodeAWSChunked(body []byte) ([]byte, error) {
	data, _, err := decodeAWSChunkedTrailers(body)
	return data, err
}

// decodeAWSChunkedTrailers is decodeAWSChunked, with the trailers (such
// as x-amz-checksum-crc32) by lower-case name.
func decodeAWSChunkedTrailers(body []byte) ([]byte, map[string]string, error) {
	rd := bufio.NewReader(bytes.NewReader(body))
	var out bytes.Buffer
	for {
		line, err := rd.ReadString('\n')
		if err != nil {
			return nil, nil, fmt.Errorf("chunk header: %w", err)
		}
		sizeHex, _, _ := strings.Cut(strings.TrimRight(line, "\r\n"), ";")
		size, err := strconv.ParseInt(strings.TrimSpace(sizeHex), 16, 64)
		if err != nil || size < 0 || size > maxBody {
			return nil, nil, fmt.Errorf("chunk size %q", sizeHex)
		}
		if size == 0 {
			return out.Bytes(), readTrailers(rd), nil
		}
		if _, err := io.CopyN(&out, rd, size); err != nil {
			return nil, nil, fmt.Errorf("chunk data: %w", err)
		}
		if crlf, err := rd.ReadString('\n'); err != nil || strings.TrimRight(crlf, "\r\n") != "" {
			return nil, nil, fmt.Errorf("chunk not followed by CRLF")
		}
	}
}

// readTrailers reads "name:value" lines up to a blank line or the end;
// the trailer signature is not checked.
func readTrailers(rd *bufio.Reader) map[string]string {
	trailers := map[string]string{}
	for {
		line, err := rd.ReadString('\n')
		name, value, ok := strings.Cut(strings.TrimRight(line, "\r\n"), ":")
		if ok {
			trailers[strings.ToLower(strings.TrimSpace(name))] = strings.TrimSpace(value)
		}
		if err != nil || strings.TrimSpace(line) == "" {
			return trailers
		}
	}
}

func (s3Protocol) encode(w http.ResponseWriter, svc *service, op string, result any, requestID string) {
	resp, ok := result.(s3Response)
	if !ok {
		resp = s3Response{body: result}
	}
	for k, v := range resp.headers {
		w.Header().Set(k, v)
	}
	w.Header().Set("X-Amz-Request-Id", requestID)
	status := http.StatusOK
	if resp.status != 0 {
		status = resp.status
	}
	if resp.raw != nil {
		w.Header().Set("Content-Length", strconv.Itoa(len(resp.raw)))
		w.WriteHeader(status)
		_, _ = w.Write(resp.raw)
		return
	}
	if resp.body == nil {
		w.WriteHeader(status)
		return
	}
	var b strings.Builder
	b.WriteString(xml.Header)
	if root, isMap := resp.body.(map[string]any); isMap && len(root) == 1 {
		// The result names its root element, e.g. ReplicationConfiguration.
		for name, content := range root {
			fmt.Fprintf(&b, `<%s xmlns="%s">`, name, svc.xmlns)
			writeXMLValue(&b, content, "member")
			fmt.Fprintf(&b, "</%s>", name)
		}
	}
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(b.String()))
}

func (s3Protocol) encodeError(w http.ResponseWriter, _ *service, e *awsError, requestID string) {
	w.Header().Set("X-Amz-Request-Id", requestID)
	if e.Code == "NotFound" {
		// HEAD answers carry no body; S3 clients read the status.
		w.WriteHeader(e.Status)
		return
	}
	var b strings.Builder
	b.WriteString(xml.Header)
	fmt.Fprintf(&b, "<Error><Code>%s</Code><Message>", e.Code)
	_ = xml.EscapeText(&b, []byte(e.Message))
	fmt.Fprintf(&b, "</Message><RequestId>%s</RequestId></Error>", requestID)
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(e.Status)
	_, _ = w.Write([]byte(b.String()))
}
