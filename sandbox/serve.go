package sandbox

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// opKey names an operation of a service (by its SigV4 signing name).
type opKey struct{ service, op string }

// operation is one entry of the operation table.
type operation struct {
	name     string
	mutating bool
	handler  func(*call) (any, error)
	// method and path route the REST protocols; path segments in braces
	// are labels that become input members, e.g.
	// "/2013-04-01/hostedzone/{HostedZoneId}/rrset". status is the HTTP
	// status of success when it is not 200 (201 for some creates).
	method, path string
	status       int
}

// service is one AWS service as the sandbox serves it.
type service struct {
	name     string // SigV4 signing name, e.g. "rds", "monitoring"
	protocol protocol
	// also lists other protocols the service answers (CloudWatch speaks
	// rpcv2cbor to the Go SDK and query or JSON to the CLIs); the one
	// whose shape a request has serves it.
	also []protocol
	// xmlns is the namespace of query and REST-XML responses; version is
	// the query API version; target is the awsJson X-Amz-Target prefix.
	xmlns, version, target string
	// throttleCode is the error code the service answers throttling with,
	// throttleStatus its HTTP status when not 400 (429 for the REST-JSON
	// services whose throttling error says so).
	throttleCode   string
	throttleStatus int
	// home is the Region of a global service's control plane (Route 53:
	// us-east-1): an outage there takes the service down, whatever Region
	// a client signs for.
	home string
	ops  []*operation
	// subresources are the query parameters of a REST service that name
	// an operation (S3's ?tagging): a request with one is served only by
	// the operation whose path names it.
	subresources map[string]bool
}

// call is one request as a handler sees it. Handlers run holding the
// sandbox's store lock.
type call struct {
	sb        *Sandbox
	region    string
	service   string
	op        string
	input     map[string]any
	now       time.Time
	requestID string
	// accessKey is the access key id the request is signed with: which
	// IAM policy holds it (policy.go), if any.
	accessKey string
	// pinned is the id a scenario gives the resource this call creates,
	// so that runbooks naming it by id find it; "" lets the sandbox make
	// one.
	pinned string
	// answerDelay is how late the answer goes out after the call took
	// effect (a latency fault on answers).
	answerDelay time.Duration
}

// idOr returns the scenario's pinned id, else the generated one.
func (c *call) idOr(generated string) string {
	if c.pinned != "" {
		return c.pinned
	}
	return generated
}

// account returns the simulated account id.
func (c *call) account() string { return c.sb.account }

// callerARN is who every call comes from: the sandbox takes any
// credentials and answers for one IAM user.
func (c *call) callerARN() string { return "arn:aws:iam::" + c.sb.account + ":user/drpilot-sandbox" }

// addService registers a service and its operations.
func (s *Sandbox) addService(svc *service, ops ...*operation) {
	svc.ops = ops
	s.svcs[svc.name] = svc
	for _, op := range ops {
		s.ops[opKey{svc.name, op.name}] = op
	}
}

// awsError is an error as AWS returns it: a code, a message, an HTTP
// status.
type awsError struct {
	Code    string
	Message string
	Status  int
	// Extra are members the JSON protocols add to the error's body besides
	// its type and message (DynamoDB's ConditionalCheckFailedException
	// carries the item it failed on).
	Extra map[string]any
}

func (e *awsError) Error() string { return e.Code + ": " + e.Message }

// errorf makes a 400 error with the given code.
func errorf(code, format string, args ...any) *awsError {
	return &awsError{Code: code, Message: fmt.Sprintf(format, args...), Status: http.StatusBadRequest}
}

// notFound makes a 404 error with the given code.
func notFound(code, format string, args ...any) *awsError {
	return &awsError{Code: code, Message: fmt.Sprintf(format, args...), Status: http.StatusNotFound}
}

var scopeRE = regexp.MustCompile(`Credential=[^/,\s]+/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request`)

// scope reads the Region and service from the SigV4 credential scope, in
// the Authorization header or, for presigned requests, the query.
func scope(r *http.Request) (region, svc string, ok bool) {
	if m := scopeRE.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		return m[1], m[2], true
	}
	if cred := r.URL.Query().Get("X-Amz-Credential"); cred != "" {
		parts := strings.Split(cred, "/")
		if len(parts) == 5 {
			return parts[2], parts[3], true
		}
	}
	return "", "", false
}

func (s *Sandbox) serveAWS(w http.ResponseWriter, r *http.Request) {
	c := &call{sb: s, requestID: s.newRequestID(), now: s.clock.Now()}
	s.observed(c.now)
	entry := Entry{Time: time.Now(), SimTime: c.now, RequestID: c.requestID}
	region, name, ok := scope(r)
	svc := s.svcs[name]
	if !ok || svc == nil {
		body, _ := readBody(r)
		e := errorf("MissingAuthenticationToken", "the request must be signed with SigV4; its credential scope names the service and Region")
		if ok {
			e = notSimulated("the service %s (%s)", clip(name), requestedOperation(r, body))
		}
		entry.Status, entry.ErrorCode, entry.Service, entry.Region = e.Status, e.Code, clip(name), clip(region)
		s.journal.add(entry)
		requestProtocol(r, name).encodeError(w, &service{name: name}, e, c.requestID)
		return
	}
	entry.Service = name
	if proto := svc.pick(r); !scopeRegionRE.MatchString(region) {
		e := badRegion(proto, region)
		entry.Status, entry.ErrorCode, entry.Region = e.Status, e.Code, clip(region)
		s.journal.add(entry)
		proto.encodeError(w, svc, e, c.requestID)
		return
	}
	c.region, c.service, c.accessKey = region, name, accessKey(r)
	entry.Region = region
	status, code, fault, denied := s.dispatch(w, r, svc, c)
	entry.Operation, entry.Status, entry.ErrorCode, entry.Fault = c.op, status, code, fault
	if denied != nil {
		entry.Action, entry.Resource = denied.Action, denied.Resource
		denied.Time, denied.RequestID, denied.Region, denied.Service, denied.Operation = entry.Time, c.requestID, region, name, c.op
		s.denials.add(*denied)
	}
	if op := s.ops[opKey{name, c.op}]; op != nil {
		entry.Mutating = op.mutating
	}
	s.journal.add(entry)
}

// dispatch decodes, authorizes, applies faults, runs the handler and
// encodes; it returns what the journal records, and the denial when a
// policy denied the request.
func (s *Sandbox) dispatch(w http.ResponseWriter, r *http.Request, svc *service, c *call) (int, string, string, *Denial) {
	proto := svc.pick(r)
	body, err := readBody(r)
	if err == nil {
		c.op, c.input, err = proto.decode(r, body, svc)
	}
	fail := func(e *awsError, fault string) (int, string, string, *Denial) {
		proto.encodeError(w, svc, e, c.requestID)
		return e.Status, e.Code, fault, nil
	}
	if err != nil {
		return fail(asAWSError(err), "")
	}
	op := s.ops[opKey{svc.name, c.op}]
	if op == nil {
		return fail(unknownOperation(svc, c.op), "")
	}
	// IAM authorizes a request before the service serves it: a denied
	// call is neither throttled nor delayed, and changes nothing.
	if e, denied := s.authorize(r, svc, c); e != nil {
		proto.encodeError(w, svc, e, c.requestID)
		return e.Status, e.Code, "", denied
	}
	if e, fault := s.faults.before(c, svc); e != nil {
		return fail(e, fault)
	}
	result, err := s.handle(op, c)
	if c.answerDelay > 0 {
		// A client that gave up is not kept waiting for: the change is
		// made either way.
		select {
		case <-time.After(c.answerDelay):
		case <-r.Context().Done():
		}
	}
	if err != nil {
		return fail(asAWSError(err), "")
	}
	proto.encode(w, svc, c.op, result, c.requestID)
	return http.StatusOK, "", "", nil
}

// handle runs an operation's handler holding the store lock. A change that
// succeeds is recorded, when the sandbox records, in the order the lock
// serves changes, and synced to disk before it is answered.
func (s *Sandbox) handle(op *operation, c *call) (any, error) {
	s.mu.Lock()
	var rec *Record
	if op.mutating {
		var err error
		if rec, err = s.requestRecord(c); err != nil {
			s.mu.Unlock()
			return nil, errorf("SerializationException", "the sandbox records every change so that it can be rebuilt, and cannot record this input: %v", err)
		}
	}
	result, err := op.handler(c)
	var recorder *Recorder
	if err == nil && op.mutating {
		recorder = s.recordChange(rec)
	}
	s.mu.Unlock()
	if recorder != nil {
		recorder.sync()
	}
	return result, err
}

// pick chooses the protocol a request speaks among those the service
// answers: rpcv2cbor by its path, awsJson by its X-Amz-Target, else the
// service's first protocol.
func (svc *service) pick(r *http.Request) protocol {
	for _, p := range svc.also {
		switch p.(type) {
		case cborProtocol:
			if strings.HasPrefix(r.URL.Path, "/service/") {
				return p
			}
		case jsonProtocol:
			if r.Header.Get("X-Amz-Target") != "" {
				return p
			}
		case queryProtocol:
			if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
				return p
			}
		}
	}
	return svc.protocol
}

func unknownOperation(svc *service, op string) *awsError {
	if op == "" {
		return errorf("MissingAction", "the request names no operation")
	}
	return notSimulated("%s %s", svc.name, clip(op))
}

// requestedOperation describes what a request to an unknown service asked
// for: its operation's name where the protocol carries one, else its
// method and path.
func requestedOperation(r *http.Request, body []byte) string {
	if op := requestOperation(r, body); op != "" {
		return op
	}
	return r.Method + " " + clip(r.URL.RequestURI())
}

func asAWSError(err error) *awsError {
	var e *awsError
	if errors.As(err, &e) {
		return e
	}
	return &awsError{Code: "InternalFailure", Message: err.Error(), Status: http.StatusInternalServerError}
}

// readBody reads the request body, gunzipping it when the client
// compressed it (the SDKs do for some operations). maxBody bounds the body
// both as sent and as decompressed, so that a small gzip bomb cannot make
// the sandbox allocate gigabytes.
func readBody(r *http.Request) ([]byte, error) {
	var rd io.Reader = http.MaxBytesReader(nil, r.Body, maxBody)
	if strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") {
		zr, err := gzip.NewReader(rd)
		if err != nil {
			return nil, errorf("SerializationException", "Content-Encoding is gzip but the body is not: %v", err)
		}
		defer zr.Close()
		rd = zr
	}
	// One byte past the limit tells a body at the limit from one over it.
	body, err := io.ReadAll(io.LimitReader(rd, maxBody+1))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) || len(body) > maxBody {
		return nil, &awsError{Code: "RequestEntityTooLarge", Status: http.StatusRequestEntityTooLarge,
			Message: fmt.Sprintf("the request body is over the sandbox's limit of %d MB, sent or decompressed; send less per request", maxBody>>20)}
	}
	if err != nil {
		return nil, errorf("SerializationException", "cannot read the request body: %v", err)
	}
	return bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")), nil
}

// badRegion refuses a credential scope whose Region is not shaped like
// one (a path, 60 KB of text), as AWS refuses a malformed scope, before
// any state is made under that name, with the error the protocol's
// services answer a bad signature with.
func badRegion(proto protocol, region string) *awsError {
	msg := fmt.Sprintf("the credential scope's Region %q is not an AWS Region; sign for one such as us-east-1", clip(region))
	switch proto.name() {
	case "restXml-s3":
		return errorf("AuthorizationHeaderMalformed", "%s", msg)
	case "query", "ec2query", "restXml":
		return &awsError{Code: "SignatureDoesNotMatch", Message: msg, Status: http.StatusForbidden}
	}
	return &awsError{Code: "InvalidSignatureException", Message: msg, Status: http.StatusForbidden}
}

// clip shortens text a client sent to what an error message or the
// journal should repeat of it.
func clip(s string) string {
	const limit = 64
	if len(s) <= limit {
		return s
	}
	return s[:limit] + "..."
}
