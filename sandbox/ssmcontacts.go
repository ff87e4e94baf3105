package sandbox

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// SSM Contacts (Incident Manager's contacts) has no state machine the
// sandbox simulates: a contact exists once created, and an engagement is
// recorded when started. The engagement log is bounded so that a long game
// day keeps memory flat.
const contactsEngagementsKept = 10000

type contactsRegion struct {
	contacts    map[string]*contact // by alias
	engagements []*engagement       // oldest first
	byToken     map[string]*engagement
}

type contact struct {
	Alias, DisplayName, Type, token string
	Plan                            map[string]any
	Created                         time.Time
}

// engagement is one StartEngagement, as drpilot's notify steps page
// people: who was engaged, by whom, with what.
type engagement struct {
	ARN, Contact, Sender, Subject, Content string
	PublicSubject, PublicContent, Incident string
	token                                  string
	Started                                time.Time
}

func (r *contactsRegion) dump(time.Time) any {
	contacts := map[string]any{}
	for alias, ct := range r.contacts {
		contacts[alias] = map[string]any{"type": ct.Type, "display_name": ct.DisplayName, "created": ct.Created}
	}
	engagements := make([]any, 0, len(r.engagements))
	for _, e := range r.engagements {
		engagements = append(engagements, map[string]any{"arn": e.ARN, "contact": e.Contact, "sender": e.Sender,
			"subject": e.Subject, "content": e.Content, "incident": e.Incident, "started": e.Started})
	}
	return map[string]any{"contacts": contacts, "engagements": engagements}
}

func contactsState(c *call, region string) *contactsRegion {
	return stateOf(c.sb, "ssm-contacts", region, func() *contactsRegion {
		return &contactsRegion{contacts: map[string]*contact{}, byToken: map[string]*engagement{}}
	})
}

func registerSSMContacts(s *Sandbox) {
	s.addService(&service{name: "ssm-contacts", protocol: jsonProtocol{version: "1.1"}, target: "SSMContacts",
		throttleCode: "ThrottlingException"},
		&operation{name: "CreateContact", mutating: true, handler: contactsCreateContact},
		&operation{name: "StartEngagement", mutating: true, handler: contactsStartEngagement},
	)
}

var contactAliasRE = regexp.MustCompile(`^[a-z0-9_\-]{1,255}$`)

func contactARN(c *call, region, alias string) string {
	return arn("ssm-contacts", region, c.account(), "contact/"+alias)
}

func contactsCreateContact(c *call) (any, error) {
	alias, err := required(c.input, "Alias", "ValidationException")
	if err != nil {
		return nil, err
	}
	if !contactAliasRE.MatchString(alias) {
		return nil, errorf("ValidationException", "Alias %q must be 1 to 255 characters of a-z, 0-9, _ and -", alias)
	}
	typ := str(c.input, "Type")
	switch typ {
	case "PERSONAL", "ESCALATION", "ONCALL_SCHEDULE":
	default:
		return nil, errorf("ValidationException", "Type must be one of PERSONAL, ESCALATION, ONCALL_SCHEDULE, not %q", typ)
	}
	plan := obj(c.input, "Plan")
	if plan == nil {
		return nil, errorf("ValidationException", "Plan is required")
	}
	if typ == "ONCALL_SCHEDULE" && len(list(plan, "RotationIds")) == 0 {
		return nil, errorf("ValidationException", "An on-call schedule's plan names its rotations in RotationIds")
	}
	r := contactsState(c, c.region)
	token := str(c.input, "IdempotencyToken")
	if existing, ok := r.contacts[alias]; ok {
		// A retry with the token that created the contact succeeds, as
		// the real API's idempotency does.
		if token != "" && token == existing.token {
			return map[string]any{"ContactArn": contactARN(c, c.region, alias)}, nil
		}
		return nil, errorf("ConflictException", "Contact with alias %s already exists", alias)
	}
	r.contacts[alias] = &contact{Alias: alias, DisplayName: str(c.input, "DisplayName"), Type: typ,
		token: token, Plan: plan, Created: c.now}
	return map[string]any{"ContactArn": contactARN(c, c.region, alias)}, nil
}

// contactsStartEngagement engages a contact named by ARN. Contacts are
// replicated across an Incident Manager replication set, so a contact
// created in one Region can be engaged from another: the contact is looked
// up in the Region its ARN names, and the engagement recorded where it was
// started.
func contactsStartEngagement(c *call) (any, error) {
	in := map[string]string{}
	for _, k := range []string{"ContactId", "Sender", "Subject", "Content"} {
		v, err := required(c.input, k, "ValidationException")
		if err != nil {
			return nil, err
		}
		in[k] = v
	}
	ref := in["ContactId"]
	region, alias, ok := parseContactARN(ref)
	if !ok {
		return nil, errorf("ValidationException", "ContactId %q is not a contact ARN", ref)
	}
	ct, ok := contactsState(c, region).contacts[alias]
	if !ok {
		return nil, errorf("ResourceNotFoundException", "Contact %s not found", ref)
	}
	r := contactsState(c, c.region)
	token := str(c.input, "IdempotencyToken")
	if prev, ok := r.byToken[token]; ok && token != "" {
		if prev.Contact != ref {
			return nil, errorf("ValidationException", "IdempotencyToken %s was used to engage %s", token, prev.Contact)
		}
		return map[string]any{"EngagementArn": prev.ARN}, nil
	}
	e := &engagement{
		ARN: arn("ssm-contacts", c.region, c.account(),
			"engagement/"+ct.Alias+"/"+stableUUID(c.region, ref, token, c.requestID)),
		Contact: ref, Sender: in["Sender"], Subject: in["Subject"], Content: in["Content"],
		PublicSubject: str(c.input, "PublicSubject"), PublicContent: str(c.input, "PublicContent"),
		Incident: str(c.input, "IncidentId"), token: token, Started: c.now,
	}
	r.engagements = append(r.engagements, e)
	if token != "" {
		r.byToken[token] = e
	}
	if len(r.engagements) > contactsEngagementsKept {
		old := r.engagements[0]
		if r.byToken[old.token] == old {
			delete(r.byToken, old.token)
		}
		r.engagements = r.engagements[1:]
	}
	return map[string]any{"EngagementArn": e.ARN}, nil
}

// parseContactARN reads arn:aws:ssm-contacts:<region>:<account>:contact/<alias>.
func parseContactARN(a string) (region, alias string, ok bool) {
	parts := strings.SplitN(a, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "ssm-contacts" || parts[3] == "" {
		return "", "", false
	}
	alias, found := strings.CutPrefix(parts[5], "contact/")
	return parts[3], alias, found && alias != ""
}

// stableUUID makes a version-4-shaped UUID from its parts: unique for
// distinct parts, and the same for the same ones.
func stableUUID(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	be := binary.BigEndian
	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", be.Uint32(sum[0:4]), be.Uint16(sum[4:6]),
		be.Uint16(sum[6:8])&0xfff, be.Uint16(sum[8:10])&0x3fff|0x8000, sum[10:16])
}
