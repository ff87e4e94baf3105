package sandbox

import (
	"net/http"
	"regexp"
	"strings"
	"time"
)

// stsSessions are the temporary credentials AssumeRole issued, by access
// key id: a request signed with one comes from the role it assumed.
type stsSessions struct {
	byKey map[string]*stsSession
}

type stsSession struct {
	RoleARN, Name, Account, RoleID string
	Expires                        time.Time
	// source is the access key that assumed the role: its IAM policy, if
	// it has one, holds the session too (the sandbox has no role
	// policies, and a session must not escape its caller's).
	source string
}

func (s *stsSessions) dump(now time.Time) any {
	out := map[string]any{}
	for key, se := range s.byKey {
		out[key] = map[string]any{"role": se.RoleARN, "session": se.Name, "expired": !now.Before(se.Expires)}
	}
	return out
}

func (c *call) sts() *stsSessions {
	return stsSessionsOf(c.sb)
}

// stsSessionsOf returns the sessions. Callers hold s.mu.
func stsSessionsOf(sb *Sandbox) *stsSessions {
	return stateOf(sb, "sts", "global", func() *stsSessions { return &stsSessions{byKey: map[string]*stsSession{}} })
}

// session returns the session an access key belongs to, nil for a key
// AssumeRole did not issue. It takes the store lock: authorization runs
// outside it.
func (s *Sandbox) session(key string) *stsSession {
	if !strings.HasPrefix(key, "ASIA") {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return stsSessionsOf(s).byKey[key]
}

// expiredSession refuses a request signed with a session's key once the
// session has expired, as STS-issued credentials stop working then.
func (s *Sandbox) expiredSession(key string, now time.Time) *awsError {
	if se := s.session(key); se != nil && !now.Before(se.Expires) {
		return &awsError{Code: "ExpiredToken", Message: "The security token included in the request is expired", Status: http.StatusForbidden}
	}
	return nil
}

// registerSTS serves GetCallerIdentity, which drpilot's run.start records
// as the caller ARN, and AssumeRole, which cross-account runbooks call.
func registerSTS(s *Sandbox) {
	s.addService(&service{name: "sts", protocol: queryProtocol{}, xmlns: "https://sts.amazonaws.com/doc/2011-06-15/",
		version: "2011-06-15", throttleCode: "Throttling"},
		&operation{name: "GetCallerIdentity", handler: stsGetCallerIdentity},
		&operation{name: "AssumeRole", mutating: true, handler: stsAssumeRole},
	)
}

func stsGetCallerIdentity(c *call) (any, error) {
	if se := c.sts().byKey[c.accessKey]; se != nil {
		return map[string]any{"Account": se.Account, "Arn": se.arn(), "UserId": se.RoleID + ":" + se.Name}, nil
	}
	return map[string]any{
		"Account": c.account(),
		"Arn":     c.callerARN(),
		"UserId":  "AIDASANDBOXDRPILOT0001",
	}, nil
}

var (
	roleARNRE     = regexp.MustCompile(`^arn:aws[a-z-]*:iam::(\d{12}):role/(?:[\w+=,.@-]+/)*([\w+=,.@-]{1,64})$`)
	sessionNameRE = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
)

// arn is the assumed-role ARN a session's calls come from.
func (se *stsSession) arn() string {
	role := se.RoleARN[strings.LastIndex(se.RoleARN, "/")+1:]
	return "arn:aws:sts::" + se.Account + ":assumed-role/" + role + "/" + se.Name
}

// stsAssumeRole issues credentials for any role in any account: the
// sandbox has no trust policies, and answers for every account alike.
func stsAssumeRole(c *call) (any, error) {
	role, err := required(c.input, "RoleArn", "ValidationError")
	if err != nil {
		return nil, err
	}
	m := roleARNRE.FindStringSubmatch(role)
	if m == nil {
		return nil, errorf("ValidationError", "RoleArn %q is not an IAM role ARN, such as arn:aws:iam::123456789012:role/dr-operator", clip(role))
	}
	name, err := required(c.input, "RoleSessionName", "ValidationError")
	if err != nil {
		return nil, err
	}
	if !sessionNameRE.MatchString(name) {
		return nil, errorf("ValidationError", "RoleSessionName %q must be 2 to 64 characters of letters, digits and +=,.@_-", clip(name))
	}
	seconds, set, aerr := integer(c.input, "DurationSeconds")
	if aerr != nil {
		return nil, aerr
	}
	if !set {
		seconds = 3600
	}
	if seconds < 900 || seconds > 43200 {
		return nil, errorf("ValidationError", "DurationSeconds must be from 900 to 43200 (the role's maximum session duration)")
	}
	id := resourceID("", c.requestID)
	se := &stsSession{RoleARN: role, Name: name, Account: m[1], RoleID: "AROA" + resourceID("", role)[:17],
		Expires: c.now.Add(time.Duration(seconds) * time.Second), source: c.accessKey}
	key := "ASIA" + id[:16]
	c.sts().byKey[key] = se
	return map[string]any{
		"Credentials": map[string]any{"AccessKeyId": key, "SecretAccessKey": strings.ToLower(resourceID("", "secret/"+id)),
			"SessionToken": "FwoGZXIvYXdzE" + resourceID("", "token/"+id), "Expiration": se.Expires},
		"AssumedRoleUser": map[string]any{"AssumedRoleId": se.RoleID + ":" + name, "Arn": se.arn()},
	}, nil
}
