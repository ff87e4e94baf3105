package steps

import (
	"context"
	"fmt"

	"github.com/drpilot/drpilot/runbooks"
)

// notify's requests are planned before its gate, one per delivery, so that
// the approver reads who gets what, by which channel, in which words; the
// step then sends those requests and nothing else.

// planNotify plans one request per channel of every contact in `to`, in
// the order they are sent. A delivery that cannot be sent (a contact whose
// address does not resolve, an email without a sender, a webhook that is
// not HTTPS) is planned with its Error, so that the gate says so and the
// step reports it without holding up the others.
func planNotify(_ context.Context, s *StepRun) ([]request, error) {
	ids, err := contactIDs(s.Params()["to"])
	if err != nil {
		return nil, err
	}
	n := notice{subject: s.String("subject"), message: s.String("message"), from: s.String("from")}
	if n.subject == "" {
		n.subject = s.plan.Title
	}
	var out []request
	for _, id := range ids {
		c, err := s.contact(id)
		if err != nil {
			out = append(out, request{CallInfo: CallInfo{Mutating: true, Error: err.Error(), Delivery: &Delivery{Contact: id, Name: c.Name}}})
			continue
		}
		for _, channel := range notifyChannels {
			if address := contactAddress(c, channel); address != "" {
				out = append(out, s.deliveryRequest(c, channel, address, n))
			}
		}
	}
	return out, nil
}

// deliveryRequest is the request that delivers the notice to one contact
// on one channel.
func (s *StepRun) deliveryRequest(c runbooks.Contact, channel, address string, n notice) request {
	d := &Delivery{Contact: c.ID, Name: c.Name, Channel: channel, Address: address, Subject: n.subject, Message: n.message}
	r := request{CallInfo: CallInfo{Mutating: true, Delivery: d}, simulated: map[string]any{}}
	switch channel {
	case channelSNS:
		r.Operation, r.Region, r.Input = "sns:Publish", arnRegion(address), map[string]any{"TopicArn": address, "Message": n.message}
		if r.Region == "" {
			r.Region = s.callRegion(r.Operation)
		}
		d.Subject = snsSubject(n.subject)
		if d.Subject != "" {
			r.Input["Subject"] = d.Subject
		}
	case channelEmail:
		r.Operation, r.Region, r.Input = "ses:SendEmail", s.callRegion("ses:SendEmail"), emailInput(address, n)
		if n.from == "" {
			r.Error = fmt.Sprintf("set from = \"...\" in the step's with: the sender address, an identity verified in SES in %s", r.Region)
		}
	case channelContact:
		r.Operation, r.Region = "ssm-contacts:StartEngagement", s.callRegion("ssm-contacts:StartEngagement")
		r.Input = map[string]any{
			"ContactId":        address,
			"Sender":           "drpilot (runbook " + s.exec.opts.Runbook.ID + ", run " + s.exec.opts.RunID + ")",
			"Subject":          n.subject,
			"Content":          n.message,
			"PublicSubject":    n.subject,
			"PublicContent":    n.message,
			"IdempotencyToken": s.deliveryToken(c.ID, channelContact),
		}
	case channelWebhook:
		r.Operation, r.Input = "webhook:POST", s.webhookBody(c.ID, n)
		for _, u := range []string{address, s.rewriteURL(address)} {
			if err := webhookURLAllowed(u); err != nil {
				r.Error = err.Error()
				break
			}
		}
	}
	return r
}

// emailInput is SES v2's SendEmail input: a plain-text email from the
// step's `from`.
func emailInput(to string, n notice) map[string]any {
	return map[string]any{
		"FromEmailAddress": n.from,
		"Destination":      map[string]any{"ToAddresses": []any{to}},
		"Content": map[string]any{"Simple": map[string]any{
			"Subject": map[string]any{"Data": n.subject, "Charset": "UTF-8"},
			"Body":    map[string]any{"Text": map[string]any{"Data": n.message, "Charset": "UTF-8"}},
		}},
	}
}

// webhookBody is the JSON a webhook receives: the Slack-style "text", the
// parts separately, and where the message comes from. Its "delivery" is
// also the Idempotency-Key header.
func (s *StepRun) webhookBody(contact string, n notice) map[string]any {
	return map[string]any{
		"text": n.subject + "\n\n" + n.message, "subject": n.subject, "message": n.message,
		"runbook": s.exec.opts.Runbook.ID, "run": s.exec.opts.RunID, "step": s.ID(), "contact": contact,
		"mode": string(s.exec.opts.Mode), "delivery": s.deliveryToken(contact, channelWebhook),
	}
}
