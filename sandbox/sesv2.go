package sandbox

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/mail"
	"strings"
	"time"
)

// SES v2 sends nothing: SendEmail records the message, to be read at
// /_sandbox/state. Identities are not simulated, so any sender is taken as
// verified. The record is bounded so that a long game day keeps memory
// flat.
const (
	sesMessagesKept = 1000
	// sesMaxRecipients is SES's limit of To, Cc and Bcc addresses together.
	sesMaxRecipients = 50
)

type sesRegion struct {
	sent []*sesMessage // oldest first
	// identities are the verified senders, by email address or domain.
	identities map[string]*sesIdentity
}

type sesMessage struct {
	ID, From, Subject, Text, HTML, Template, ConfigurationSet string
	To, Cc, Bcc                                               []string
	RawBytes                                                  int
	Sent                                                      time.Time
}

func sesState(c *call) *sesRegion {
	return stateOf(c.sb, "ses", c.region, func() *sesRegion { return &sesRegion{} })
}

func (r *sesRegion) dump(time.Time) any {
	sent := make([]any, 0, len(r.sent))
	for _, m := range r.sent {
		v := map[string]any{"message_id": m.ID, "from": m.From, "to": m.To, "subject": m.Subject, "sent": m.Sent}
		for k, s := range map[string]string{"text": m.Text, "html": m.HTML, "template": m.Template, "configuration_set": m.ConfigurationSet} {
			if s != "" {
				v[k] = s
			}
		}
		if len(m.Cc)+len(m.Bcc) > 0 {
			v["cc"], v["bcc"] = m.Cc, m.Bcc
		}
		if m.RawBytes > 0 {
			v["raw_bytes"] = m.RawBytes
		}
		sent = append(sent, v)
	}
	return map[string]any{"sent_messages": sent}
}

func registerSESv2(s *Sandbox) {
	s.addService(&service{name: "ses", protocol: restJSONProtocol{}, throttleCode: "TooManyRequestsException", throttleStatus: 429},
		&operation{name: "SendEmail", mutating: true, method: "POST", path: "/v2/email/outbound-emails", handler: sesSendEmail},
		&operation{name: "GetAccount", method: "GET", path: "/v2/email/account", handler: sesGetAccount},
		&operation{name: "CreateEmailIdentity", mutating: true, method: "POST", path: "/v2/email/identities", handler: sesCreateEmailIdentity},
		&operation{name: "ListEmailIdentities", method: "GET", path: "/v2/email/identities", handler: sesListEmailIdentities},
		// The SDK's newer model sends ListEmailIdentities as a POST.
		&operation{name: "ListEmailIdentities", method: "POST", path: "/v2/email/list-identities", handler: sesListEmailIdentities},
		&operation{name: "GetEmailIdentity", method: "GET", path: "/v2/email/identities/{EmailIdentity}", handler: sesGetEmailIdentity},
	)
}

// sesAddress checks an address, plain or "Name <a@example.com>", and
// returns it as given; the error is SES's.
func sesAddress(field, addr string) (string, *awsError) {
	plain := strings.TrimSpace(addr)
	if i := strings.LastIndexByte(plain, '<'); i >= 0 && strings.HasSuffix(plain, ">") {
		plain = plain[i+1 : len(plain)-1]
	}
	local, domain, ok := strings.Cut(plain, "@")
	if !ok || domain == "" {
		return "", errorf("BadRequestException", "Missing final '@domain' in %s: %q", field, addr)
	}
	if local == "" || strings.ContainsAny(domain, "@ <>") || strings.ContainsAny(local, " <>") {
		return "", errorf("BadRequestException", "Illegal address in %s: %q", field, addr)
	}
	return addr, nil
}

func sesAddresses(field string, items []any) ([]string, *awsError) {
	out := make([]string, 0, len(items))
	for _, it := range items {
		s, _ := it.(string)
		a, err := sesAddress(field, s)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// sesContent reads the one kind of content a message has into m.
func sesContent(content map[string]any, m *sesMessage) *awsError {
	simple, raw, tmpl := obj(content, "Simple"), obj(content, "Raw"), obj(content, "Template")
	kinds := 0
	for _, k := range []map[string]any{simple, raw, tmpl} {
		if k != nil {
			kinds++
		}
	}
	if kinds != 1 {
		return errorf("BadRequestException", "Content must have exactly one of Simple, Raw and Template")
	}
	switch {
	case simple != nil:
		body := obj(simple, "Body")
		m.Subject, m.Text, m.HTML = str(obj(simple, "Subject"), "Data"), str(obj(body, "Text"), "Data"), str(obj(body, "Html"), "Data")
		if m.Text == "" && m.HTML == "" {
			return errorf("BadRequestException", "Content.Simple.Body must have Text or Html")
		}
	case tmpl != nil:
		m.Template = str(tmpl, "TemplateName")
		if m.Template == "" {
			m.Template = str(tmpl, "TemplateArn")
		}
		if m.Template == "" && obj(tmpl, "TemplateContent") == nil {
			return errorf("BadRequestException", "Content.Template needs TemplateName, TemplateArn or TemplateContent")
		}
	default:
		data, err := base64.StdEncoding.DecodeString(str(raw, "Data"))
		if err != nil || len(data) == 0 {
			return errorf("BadRequestException", "Content.Raw.Data must be a MIME message")
		}
		m.RawBytes = len(data)
		// The raw message's own headers give what the call leaves out.
		if msg, err := mail.ReadMessage(bytes.NewReader(data)); err == nil {
			m.Subject = msg.Header.Get("Subject")
			if m.From == "" {
				m.From = msg.Header.Get("From")
			}
			if to := msg.Header.Get("To"); to != "" && len(m.To)+len(m.Cc)+len(m.Bcc) == 0 {
				m.To = strings.Split(to, ",")
			}
		}
	}
	return nil
}

// sesSendEmail records a message. A message needs content and, unless it
// is raw (whose headers name them), a sender and recipients.
func sesSendEmail(c *call) (any, error) {
	content := obj(c.input, "Content")
	if content == nil {
		return nil, errorf("BadRequestException", "Content is required")
	}
	m := &sesMessage{From: str(c.input, "FromEmailAddress"), ConfigurationSet: str(c.input, "ConfigurationSetName"), Sent: c.now}
	if m.From != "" {
		if _, err := sesAddress("FromEmailAddress", m.From); err != nil {
			return nil, err
		}
	}
	dest := obj(c.input, "Destination")
	for _, f := range []struct {
		key string
		to  *[]string
	}{{"ToAddresses", &m.To}, {"CcAddresses", &m.Cc}, {"BccAddresses", &m.Bcc}} {
		addrs, err := sesAddresses("Destination."+f.key, list(dest, f.key))
		if err != nil {
			return nil, err
		}
		*f.to = addrs
	}
	if err := sesContent(content, m); err != nil {
		return nil, err
	}
	n := len(m.To) + len(m.Cc) + len(m.Bcc)
	switch {
	case n == 0:
		return nil, errorf("BadRequestException", "Destination is required: at least one of ToAddresses, CcAddresses, BccAddresses")
	case n > sesMaxRecipients:
		return nil, errorf("BadRequestException", "Recipient count exceeds %d", sesMaxRecipients)
	case m.From == "":
		return nil, errorf("BadRequestException", "FromEmailAddress is required")
	}
	// SES's message ids: a time-ordered prefix, a UUID (here the request's,
	// which is unique), a sequence number.
	m.ID = fmt.Sprintf("0100%012x-%s-000000", c.now.UnixMilli(), strings.ToLower(c.requestID))
	r := sesState(c)
	if len(r.sent) == sesMessagesKept {
		r.sent = append(r.sent[:0], r.sent[1:]...)
	}
	r.sent = append(r.sent, m)
	return map[string]any{"MessageId": m.ID}, nil
}
