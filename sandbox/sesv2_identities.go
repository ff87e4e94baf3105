package sandbox

import (
	"strings"
	"time"
)

// sesIdentity is an email address or a domain the account sends from.
// The sandbox verifies an identity at once: nobody clicks a link or adds
// DNS records there.
type sesIdentity struct {
	Name    string
	Created time.Time
}

func (s *sesIdentity) kind() string {
	if strings.Contains(s.Name, "@") {
		return "EMAIL_ADDRESS"
	}
	return "DOMAIN"
}

func sesIdentityMap(c *call) map[string]*sesIdentity {
	r := sesState(c)
	if r.identities == nil {
		r.identities = map[string]*sesIdentity{}
	}
	return r.identities
}

func sesCreateEmailIdentity(c *call) (any, error) {
	name, err := required(c.input, "EmailIdentity", "BadRequestException")
	if err != nil {
		return nil, err
	}
	if strings.ContainsAny(name, " \t\n") || strings.HasPrefix(name, "@") || strings.HasSuffix(name, "@") || !strings.Contains(name, ".") {
		return nil, errorf("BadRequestException", "EmailIdentity %q is neither an email address nor a domain", clip(name))
	}
	ids := sesIdentityMap(c)
	if _, exists := ids[strings.ToLower(name)]; exists {
		return nil, errorf("AlreadyExistsException", "Email identity %s already exist.", name)
	}
	id := &sesIdentity{Name: name, Created: c.now}
	ids[strings.ToLower(name)] = id
	return map[string]any{"IdentityType": id.kind(), "VerifiedForSendingStatus": true}, nil
}

func sesListEmailIdentities(c *call) (any, error) {
	ids := sesIdentityMap(c)
	items := []any{}
	for _, key := range sortedKeys(ids) {
		id := ids[key]
		items = append(items, map[string]any{"IdentityName": id.Name, "IdentityType": id.kind(), "SendingEnabled": true,
			"VerificationStatus": "SUCCESS"})
	}
	return listPage("EmailIdentities", "NextToken", c.input, "PageSize", "NextToken", items, pageLimits{def: 100, min: 1, max: 1000, validation: "BadRequestException", code: "BadRequestException"})
}

func sesGetEmailIdentity(c *call) (any, error) {
	name := str(c.input, "EmailIdentity")
	id, ok := sesIdentityMap(c)[strings.ToLower(name)]
	if !ok {
		return nil, notFound("NotFoundException", "Email identity %s does not exist.", name)
	}
	return map[string]any{"IdentityType": id.kind(), "VerifiedForSendingStatus": true, "VerificationStatus": "SUCCESS",
		"FeedbackForwardingStatus": true, "Tags": []any{}, "Policies": map[string]any{}}, nil
}
