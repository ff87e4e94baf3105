package sandbox

import (
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"
)

// check is one permission a request needs: an IAM action on a resource.
// A request may need several (the source and the target of a restore,
// iam:PassRole on the role it passes, tags on a resource it creates).
type check struct {
	action   string // e.g. "rds:RestoreDBInstanceToPointInTime"
	resource string // an ARN, or "*" for an action without resource-level permissions
	// keys are condition keys this check adds to the request's
	// (iam:PassedToService, ec2:CreateAction), lower-cased.
	keys map[string]string
}

// authzFunc computes the checks of one operation's request from its
// input. It runs before the handler, outside the store lock: it reads the
// input only, as IAM authorizes before the service looks anything up.
type authzFunc func(r *authzReq) []check

// authzReq is a request being authorized.
type authzReq struct {
	c      *call
	action string // the operation's own IAM action
}

// SetPolicies attaches IAM policies to access key ids: every request
// signed with one of them is evaluated against its policy. Keys without a
// policy stay administrators, who seed scenarios and inject faults.
func (s *Sandbox) SetPolicies(policies map[string]*Policy) {
	s.policyMu.Lock()
	defer s.policyMu.Unlock()
	s.policies = policies
}

// Granted counts, for a key with a policy, the IAM actions its policy
// allowed, request by request: an action a policy lists that was never
// needed is one the policy could do without, and removing one that was
// needed denies the requests that needed it.
func (s *Sandbox) Granted(keyID string) map[string]int {
	s.policyMu.RLock()
	defer s.policyMu.RUnlock()
	return maps.Clone(s.granted[keyID])
}

// grant records that a key's policy allowed an action.
func (s *Sandbox) grant(keyID, action string) {
	s.policyMu.Lock()
	defer s.policyMu.Unlock()
	if s.granted == nil {
		s.granted = map[string]map[string]int{}
	}
	if s.granted[keyID] == nil {
		s.granted[keyID] = map[string]int{}
	}
	s.granted[keyID][action]++
}

func (s *Sandbox) policyFor(keyID string) *Policy {
	s.policyMu.RLock()
	defer s.policyMu.RUnlock()
	return s.policies[keyID]
}

var accessKeyRE = regexp.MustCompile(`Credential=([^/,\s]+)/`)

// accessKey reads the access key id a request is signed with, from the
// Authorization header or a presigned URL's X-Amz-Credential.
func accessKey(r *http.Request) string {
	if m := accessKeyRE.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		return m[1]
	}
	key, _, _ := strings.Cut(r.URL.Query().Get("X-Amz-Credential"), "/")
	return key
}

// iamPrefixes names the IAM service prefix of the signing names whose
// prefix differs; every other service's prefix is its signing name.
var iamPrefixes = map[string]string{"monitoring": "cloudwatch"}

// authorize evaluates a request against its key's policy, if it has one.
// It returns the error to answer with, and the denial to record.
func (s *Sandbox) authorize(r *http.Request, svc *service, c *call) (*awsError, *Denial) {
	if e := s.expiredSession(c.accessKey, c.now); e != nil {
		return e, nil
	}
	p := s.policyFor(c.accessKey)
	if se := s.session(c.accessKey); p == nil && se != nil {
		// A session is held to the policy of the key that assumed it.
		p = s.policyFor(se.source)
	}
	if p == nil || svc.name == "sts" && c.op == "GetCallerIdentity" {
		// AWS answers GetCallerIdentity whatever the caller's policies
		// say, even an explicit Deny.
		return nil, nil
	}
	ctx := s.requestKeys(r, svc, c)
	checks := s.checks(svc, c)
	for _, ch := range checks {
		keys := ctx
		if len(ch.keys) > 0 {
			keys = make(map[string]string, len(ctx)+len(ch.keys))
			for k, v := range ctx {
				keys[k] = v
			}
			for k, v := range ch.keys {
				keys[k] = v
			}
		}
		if d := p.evaluate(ch.action, ch.resource, keys); d != allowed {
			return accessDenied(svc, c, ch, d == explicitDeny), &Denial{AccessKey: accessKey(r),
				Action: ch.action, Resource: ch.resource, Explicit: d == explicitDeny}
		}
	}
	for _, ch := range checks {
		s.grant(accessKey(r), ch.action)
	}
	return nil, nil
}

// requestKeys are the global condition keys of a request, lower-cased as
// condition key names are compared.
func (s *Sandbox) requestKeys(r *http.Request, svc *service, c *call) map[string]string {
	region := c.region
	if svc.home != "" {
		region = svc.home // Route 53 is asked in us-east-1, whatever the scope says
	}
	return map[string]string{
		"aws:requestedregion":  region,
		"aws:principalarn":     c.callerARN(),
		"aws:principalaccount": c.account(),
		"aws:principaltype":    "User",
		"aws:username":         "drpilot-sandbox",
		"aws:securetransport":  fmt.Sprint(r.TLS != nil),
	}
}

// checks returns what a request needs: its service's table entry for
// the operation, else the operation's own action on "*".
func (s *Sandbox) checks(svc *service, c *call) []check {
	prefix := svc.name
	if p, ok := iamPrefixes[svc.name]; ok {
		prefix = p
	}
	r := &authzReq{c: c, action: prefix + ":" + c.op}
	if f := authzTables[svc.name][c.op]; f != nil {
		return f(r)
	}
	return r.own("*")
}

// Permission is one IAM permission a request needs: an action on a
// resource ("*" when the action has no resource-level permissions).
type Permission struct {
	Action, Resource string
}

// Permissions returns what a request of an operation the sandbox serves
// needs, in a Region, given its input as the protocol layer decodes it
// (wire member names): what a policy for it must allow. The operation's
// service is named by its SigV4 signing name; nil for an operation the
// sandbox does not serve.
func (s *Sandbox) Permissions(service, region, operation string, input map[string]any) []Permission {
	svc := s.svcs[service]
	if svc == nil || s.ops[opKey{service, operation}] == nil {
		return nil
	}
	c := &call{sb: s, region: region, service: service, op: operation, input: input}
	var out []Permission
	for _, ch := range s.checks(svc, c) {
		out = append(out, Permission{Action: ch.action, Resource: ch.resource})
	}
	return out
}

// accessDenied is the error AWS answers a denied request with, in the
// service's own code: AccessDeniedException for the JSON protocols,
// AccessDenied for query and REST-XML, AuthorizationError for SNS and
// UnauthorizedOperation for EC2.
func accessDenied(svc *service, c *call, ch check, explicit bool) *awsError {
	why := "because no identity-based policy allows the " + ch.action + " action"
	if explicit {
		why = "with an explicit deny in an identity-based policy"
	}
	msg := fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s %s", c.callerARN(), ch.action, ch.resource, why)
	code := "AccessDeniedException"
	switch {
	case svc.name == "sns":
		code = "AuthorizationError"
	case svc.name == "ec2":
		code, msg = "UnauthorizedOperation", "You are not authorized to perform this operation. "+msg
	case svc.name == "monitoring":
		// CloudWatch is query-compatible: its CBOR and JSON answers
		// carry the query code.
		code = "AccessDenied"
	default:
		if n := svc.protocol.name(); n == "query" || strings.HasPrefix(n, "restXml") {
			code = "AccessDenied"
		}
	}
	return &awsError{Code: code, Message: msg, Status: http.StatusForbidden}
}

// Denial is a request a policy denied, as GET /_sandbox/denials lists it.
type Denial struct {
	Time      time.Time `json:"time"`
	RequestID string    `json:"request_id"`
	AccessKey string    `json:"access_key"`
	Region    string    `json:"region"`
	Service   string    `json:"service"`
	Operation string    `json:"operation"`
	Action    string    `json:"action"`
	Resource  string    `json:"resource"`
	Explicit  bool      `json:"explicit"`
}

// denialCapacity bounds the denials kept; the count covers them all, so
// that a test counting denials is right however many there were.
const denialCapacity = 1000

type denials struct {
	mu    sync.Mutex
	kept  []Denial
	total uint64
}

func (d *denials) add(x Denial) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.total++
	if len(d.kept) == denialCapacity {
		d.kept = append(d.kept[:0], d.kept[1:]...)
	}
	d.kept = append(d.kept, x)
}

// Denials returns the newest denials, oldest first, and how many there
// were in all.
func (s *Sandbox) Denials() ([]Denial, uint64) {
	s.denials.mu.Lock()
	defer s.denials.mu.Unlock()
	return append([]Denial(nil), s.denials.kept...), s.denials.total
}

// own is the operation's own action on each resource.
func (r *authzReq) own(resources ...string) []check {
	return r.also(r.action, resources...)
}

// ownEach is the operation's own action on the resource of each name, or
// on "*" when the request names none.
func (r *authzReq) ownEach(names []string, resource func(string) string) []check {
	if len(names) == 0 {
		return r.own("*")
	}
	res := make([]string, 0, len(names))
	for _, n := range names {
		res = append(res, resource(n))
	}
	return r.own(res...)
}

// also is another action on each resource.
func (r *authzReq) also(action string, resources ...string) []check {
	out := make([]check, 0, len(resources))
	for _, res := range resources {
		out = append(out, check{action: action, resource: res})
	}
	return out
}

// passRole is iam:PassRole on a role the request hands to a service, as
// IAM checks it when the request names one (with iam:PassedToService).
func (r *authzReq) passRole(role, service string) []check {
	if role == "" {
		return nil
	}
	return []check{{action: "iam:PassRole", resource: role,
		keys: map[string]string{"iam:passedtoservice": service + ".amazonaws.com"}}}
}

// tagOnCreate is the tagging action a service authorizes besides the
// create when the request tags what it creates (member non-empty).
func (r *authzReq) tagOnCreate(member, action string, resources ...string) []check {
	switch v := r.c.input[member].(type) {
	case []any:
		if len(v) > 0 {
			return r.also(action, resources...)
		}
	case map[string]any:
		if len(v) > 0 {
			return r.also(action, resources...)
		}
	}
	return nil
}

// in reads a string member of the input.
func (r *authzReq) in(key string) string { return str(r.c.input, key) }

// arnIn is the ARN an input member gives, or "*" when it gives none.
func (r *authzReq) arnIn(key string) string {
	if v := r.in(key); v != "" {
		return v
	}
	return "*"
}

// regional is an ARN in the request's Region and account.
func (r *authzReq) regional(service, resource string) string {
	return arn(service, r.c.region, r.c.account(), resource)
}

// ref is an ARN the request gave, or the regional ARN of a name.
func (r *authzReq) ref(service, kind, nameOrARN string) string {
	if strings.HasPrefix(nameOrARN, "arn:") {
		return nameOrARN
	}
	if nameOrARN == "" {
		nameOrARN = "*"
	}
	return r.regional(service, kind+nameOrARN)
}
