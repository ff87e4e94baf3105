package sandbox

import (
	"fmt"
	"net/http"
	"strings"
)

// notSimulated is the answer to a request for a service or operation the
// sandbox does not simulate: NotImplemented, 501, as S3 answers what it
// does not implement. Every SDK and both AWS CLIs parse it in each
// protocol and print its message; none retries it (they retry 500, 502,
// 503 and 504), so a script learns at once what the sandbox lacks.
func notSimulated(format string, args ...any) *awsError {
	return &awsError{Code: "NotImplemented", Status: http.StatusNotImplemented,
		Message: "drpilot's sandbox does not simulate " + fmt.Sprintf(format, args...) +
			"; GET /_sandbox/operations lists what it does"}
}

// restXMLServices are the REST services whose protocol is REST-XML, by
// SigV4 signing name; every other REST service speaks REST-JSON.
var restXMLServices = map[string]bool{"route53": true, "cloudfront": true, "s3control": true}

// requestProtocol is the protocol a request to a service the sandbox does
// not serve speaks, read from the request as each protocol marks it, so
// that the answer comes in a shape its client parses: awsJson by
// X-Amz-Target (1.0 or 1.1 by Content-Type), rpcv2cbor by Smithy-Protocol
// or its /service/ path, query or ec2query by a form body, S3 and the
// other REST-XML services by name, and REST-JSON otherwise.
func requestProtocol(r *http.Request, name string) protocol {
	ct := r.Header.Get("Content-Type")
	switch {
	case r.Header.Get("X-Amz-Target") != "":
		if strings.Contains(ct, "1.1") {
			return jsonProtocol{version: "1.1"}
		}
		return jsonProtocol{version: "1.0"}
	case r.Header.Get("Smithy-Protocol") == "rpc-v2-cbor" || strings.HasPrefix(r.URL.Path, "/service/"):
		return cborProtocol{}
	case name == "s3":
		return s3Protocol{}
	case strings.HasPrefix(ct, "application/x-www-form-urlencoded"):
		if name == "ec2" {
			return ec2QueryProtocol{}
		}
		return queryProtocol{}
	case restXMLServices[name]:
		return restXMLProtocol{}
	}
	return restJSONProtocol{}
}

// requestOperation names the operation a request to an unknown service is
// for, where its protocol says: the X-Amz-Target's or the CBOR path's
// last part, or the form's Action; "" for the REST protocols.
func requestOperation(r *http.Request, body []byte) string {
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		_, op, _ := strings.Cut(t, ".")
		return clip(op)
	}
	if rest, ok := strings.CutPrefix(r.URL.Path, "/service/"); ok {
		return clip(rest[strings.LastIndex(rest, "/")+1:])
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		for _, kv := range strings.Split(string(body), "&") {
			if v, ok := strings.CutPrefix(kv, "Action="); ok {
				return clip(v)
			}
		}
	}
	return ""
}
