package steps

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/drpilot/drpilot/audit"
	"github.com/drpilot/drpilot/runbooks"
)

// notify: tell people, on every channel their [[contacts]] entry has:
// SNS, email (SES v2), Incident Manager engagements (SSM Contacts) and
// webhooks, which are no AWS call and are sent and audited here.

// The channels, named by their contact field, in the order they are tried.
const (
	channelSNS     = "sns_topic"
	channelEmail   = "email"
	channelContact = "ssm_contact"
	channelWebhook = "webhook"
)

// notifyChannels is the delivery order for one contact.
var notifyChannels = []string{channelSNS, channelEmail, channelContact, channelWebhook}

// snsMaxSubject is SNS's bound: a subject is less than 100 characters.
const snsMaxSubject = 99

// notice is the message of one notify step, as every channel sends it.
type notice struct {
	subject, message, from string
}

// runNotify sends the deliveries planned for the step (see planNotify),
// one after the other. Each is a mutating call (audited, simulated in
// dry-run). A failed delivery does not stop the others: it is a note and
// an entry with its error in the response; the step fails only when no
// delivery succeeded.
func runNotify(ctx context.Context, s *StepRun) (map[string]any, error) {
	reqs, err := s.plannedRequests(ctx)
	if err != nil {
		return nil, err
	}
	var deliveries []any
	var failures []string
	delivered := 0
	for _, r := range reqs {
		d := s.deliver(ctx, r)
		deliveries = append(deliveries, d)
		e, failed := d["Error"].(string)
		switch {
		case !failed:
			delivered++
		case r.Delivery.Channel == "":
			failures = append(failures, e) // the contact itself: no channel was tried
		default:
			s.Note("delivery to %s by %s failed: %s", r.Delivery.Contact, r.Delivery.Channel, e)
			failures = append(failures, fmt.Sprintf("%s by %s: %s", r.Delivery.Contact, r.Delivery.Channel, e))
		}
	}
	if delivered == 0 {
		return nil, fmt.Errorf("no delivery succeeded, so nobody was told: %s", strings.Join(failures, "; "))
	}
	return map[string]any{"Deliveries": deliveries}, nil
}

// contactIDs reads `to`, dropping repeats so that nobody is told twice.
func contactIDs(v any) ([]string, error) {
	var ids []string
	switch list := v.(type) {
	case []any:
		for _, e := range list {
			id, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("to: %v is not a contact id", e)
			}
			ids = append(ids, id)
		}
	case []string:
		ids = list
	default:
		return nil, fmt.Errorf("to: want a list of contact ids such as [\"commander\"], not %v", v)
	}
	var out []string
	for _, id := range ids {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("to: the list of contacts is empty")
	}
	return out, nil
}

// contact returns a [[contacts]] entry with its templates resolved.
func (s *StepRun) contact(id string) (runbooks.Contact, error) {
	for _, c := range s.exec.opts.Runbook.Contacts {
		if c.ID != id {
			continue
		}
		var missing []string
		lookup := s.exec.lookup(func(ref runbooks.Ref, why string) { missing = append(missing, ref.Text+" "+why) })
		for _, f := range []*string{&c.SNSTopic, &c.Email, &c.SSMContact, &c.Webhook} {
			v, err := runbooks.Resolve(*f, lookup)
			if err != nil {
				return c, fmt.Errorf("contact %s: %w", id, err)
			}
			*f, _ = v.(string)
		}
		if len(missing) > 0 {
			return c, fmt.Errorf("contact %s: cannot resolve %s", id, strings.Join(missing, "; "))
		}
		return c, nil
	}
	return runbooks.Contact{}, fmt.Errorf("no [[contacts]] entry has id %q", id)
}

// contactAddress is a contact's address on a channel, "" if it has none.
func contactAddress(c runbooks.Contact, channel string) string {
	switch channel {
	case channelSNS:
		return c.SNSTopic
	case channelEmail:
		return c.Email
	case channelContact:
		return c.SSMContact
	case channelWebhook:
		return c.Webhook
	}
	return ""
}

// deliveryIDMember names the member of each channel's answer that
// identifies the delivery.
var deliveryIDMember = map[string]string{channelSNS: "MessageId", channelEmail: "MessageId", channelContact: "EngagementArn"}

// deliver sends one planned delivery and describes it: Contact, Channel,
// and MessageId or Error (Simulated in dry-run).
func (s *StepRun) deliver(ctx context.Context, r request) map[string]any {
	d := map[string]any{"Contact": r.Delivery.Contact}
	if r.Delivery.Channel != "" {
		d["Channel"] = r.Delivery.Channel
	}
	if r.Error != "" {
		d["Error"] = r.Error
		return d
	}
	var id string
	var err error
	switch r.Delivery.Channel {
	case channelWebhook:
		var status int
		id, status, err = s.postWebhook(ctx, r)
		if status != 0 {
			d["StatusCode"] = status
		}
	default:
		var out map[string]any
		if out, err = s.send(ctx, r); err == nil {
			id = respString(out, deliveryIDMember[r.Delivery.Channel])
		}
	}
	switch {
	case err != nil:
		d["Error"] = err.Error()
	case s.DryRun():
		d["Simulated"] = true
	default:
		d["MessageId"] = id
	}
	return d
}

// deliveryToken identifies one delivery of this step: the same for every
// attempt and for a resumed run.
func (s *StepRun) deliveryToken(contact, channel string) string {
	sum := sha256.Sum256([]byte(s.Token() + "/" + contact + "/" + channel))
	return hex.EncodeToString(sum[:16])
}

// snsSubject fits a subject to SNS's rules: one line, no control
// characters, under 100 characters.
func snsSubject(subject string) string {
	subject = strings.Join(strings.FieldsFunc(subject, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r)
	}), " ")
	if r := []rune(subject); len(r) > snsMaxSubject {
		subject = string(r[:snsMaxSubject-3]) + "..."
	}
	return subject
}

// arnRegion is the Region field of an ARN, "" when it has none.
func arnRegion(arn string) string {
	parts := strings.SplitN(arn, ":", 5)
	if len(parts) < 5 || parts[0] != "arn" {
		return ""
	}
	return parts[3]
}

// Webhook deliveries: an HTTPS POST of a JSON body, tried a few times.
const (
	webhookAttempts = 3
	webhookTimeout  = 10 * time.Second
	// webhookBackoff is the first pause between attempts; it doubles.
	webhookBackoff = time.Second
	// maxWebhookAnswer bounds how much of a refusal's body the error shows.
	maxWebhookAnswer = 512
)

// postWebhook POSTs a planned webhook delivery until the receiver
// answers 2xx, retrying network errors, timeouts, 408, 429 and 5xx
// answers. Each attempt is audited before it is sent. The Idempotency-Key
// header, also the delivery's MessageId, is the same for every attempt and
// for a resumed run, so a receiver that deduplicates shows the message
// once.
func (s *StepRun) postWebhook(ctx context.Context, r request) (string, int, error) {
	rawURL := r.Delivery.Address
	requested := s.rewriteURL(rawURL)
	id, _ := r.Input["delivery"].(string)
	raw, err := json.Marshal(r.Input)
	if err != nil {
		return "", 0, err
	}
	call := ExternalCall{Operation: r.Operation, URL: rawURL, RequestedURL: requested, Input: r.Input, Delivery: r.Delivery}
	for attempt := 1; ; attempt++ {
		out, err := s.External(ctx, call, func(ctx context.Context) (map[string]any, error) {
			return s.sendWebhook(ctx, requested, raw, id)
		})
		status, _ := out["StatusCode"].(int)
		var refused *webhookError
		if err == nil || attempt == webhookAttempts || (errors.As(err, &refused) && !refused.retryable()) || ctx.Err() != nil {
			return id, status, err
		}
		if err := s.Sleep(ctx, webhookBackoff<<(attempt-1)); err != nil {
			return id, status, err
		}
	}
}

// sendWebhook sends one POST, within webhookTimeout, without following
// redirects: a webhook that redirects is misconfigured, and following one
// could leave HTTPS.
func (s *StepRun) sendWebhook(ctx context.Context, target string, body []byte, id string) (map[string]any, error) {
	ctx, cancel := context.WithTimeout(ctx, webhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "drpilot notify (run "+s.exec.opts.RunID+")")
	req.Header.Set("Idempotency-Key", id)
	client := *s.exec.opts.HTTPClient
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxWebhookAnswer))
	out := map[string]any{"StatusCode": resp.StatusCode}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return out, &webhookError{status: resp.StatusCode, body: strings.TrimSpace(string(answer))}
	}
	return out, nil
}

// webhookError is a webhook's answer other than 2xx.
type webhookError struct {
	status int
	body   string
}

func (e *webhookError) Error() string {
	msg := fmt.Sprintf("the webhook answered %d %s", e.status, http.StatusText(e.status))
	if e.body != "" {
		msg += ": " + quoteBody(e.body)
	}
	return msg
}

// retryable reports whether another attempt may succeed.
func (e *webhookError) retryable() bool {
	return e.status == http.StatusRequestTimeout || e.status == http.StatusTooManyRequests || e.status >= 500
}

// webhookURLAllowed is runbooks.WebhookURLAllowed, the rule `drpilot
// check` applies too, so that the two never disagree.
func webhookURLAllowed(raw string) error {
	return runbooks.WebhookURLAllowed(raw)
}

// ExternalCall is a request to something other than AWS that changes
// something, such as a webhook's POST: what the audit log records of it.
type ExternalCall struct {
	// Operation names it like an AWS call, "webhook:POST", or as IAM
	// names a signed request to a resource's endpoint, "es:ESHttpPost".
	Operation string
	// Region is the Region such a signed request is for, "" for anything
	// else.
	Region string
	// URL is the address the runbook names; RequestedURL the one sent to,
	// when the sandbox rewrote it.
	URL, RequestedURL string
	Input             map[string]any
	// Delivery says to whom, when the call tells a person something.
	Delivery *Delivery
}

// External sends a request that is not an AWS call with the promises
// Mutate keeps: it is in the audit log, synced, before it is sent; in
// dry-run it is not sent at all; its outcome is logged after. send makes
// the request and returns what to record of the answer.
func (s *StepRun) External(ctx context.Context, c ExternalCall, send func(context.Context) (map[string]any, error)) (map[string]any, error) {
	s.calls++
	info := &CallInfo{ID: fmt.Sprintf("%s/%d", s.plan.ID, s.calls), Operation: c.Operation, Region: c.Region, Mutating: true,
		Input: ShownInput(c.Input), Delivery: c.Delivery}
	if !s.DryRun() {
		if prior, ok := s.exec.takeAnswered(s.plan.ID, c.Operation, c.Region, c.Input); ok {
			return s.reuse(info, prior), nil
		}
	}
	req := externalRequestData{Call: info.ID, Operation: c.Operation, Region: c.Region, URL: c.URL, Input: c.Input,
		Attempt: s.attempt(), DryRun: s.DryRun()}
	if c.RequestedURL != c.URL {
		req.RequestedURL = c.RequestedURL
	}
	if _, err := s.exec.audit(audit.Entry{Type: audit.TypeAWSRequest, Step: s.plan.ID, Actor: actorDrpilot, Data: req}); err != nil {
		return nil, fmt.Errorf("audit log: %w; %s to %s was not sent", err, c.Operation, c.URL)
	}
	if s.DryRun() {
		if s.simulated == nil {
			s.simulated = map[string]any{}
		}
		s.exec.emit(Event{Type: EventCallDone, Step: s.plan.ID, Call: info, Simulated: true,
			Message: "dry-run: would send " + c.Operation + " to " + c.URL})
		return map[string]any{}, nil
	}
	s.exec.emit(Event{Type: EventCallSent, Step: s.plan.ID, Call: info, Message: "sent " + c.Operation + " to " + c.URL})
	start := s.exec.now()
	out, err := send(ctx)
	done := *info
	done.Duration = s.exec.now().Sub(start)
	resp := externalResponseData{Call: info.ID, Operation: c.Operation, Output: out}
	if err != nil {
		done.Error, resp.Error = err.Error(), err.Error()
	}
	if _, aerr := s.exec.audit(audit.Entry{Type: audit.TypeAWSResponse, Step: s.plan.ID, Actor: actorDrpilot, Data: resp}); aerr != nil && err == nil {
		err = fmt.Errorf("%s to %s succeeded but the audit log failed: %w", c.Operation, c.URL, aerr)
	}
	s.exec.emit(Event{Type: EventCallDone, Step: s.plan.ID, Call: &done, Error: done.Error})
	return out, err
}

// externalRequestData is the aws.request data of an ExternalCall.
type externalRequestData struct {
	Call         string         `json:"call"`
	Operation    string         `json:"operation"`
	Region       string         `json:"region,omitempty"`
	URL          string         `json:"url"`
	RequestedURL string         `json:"requested_url,omitempty"`
	Input        map[string]any `json:"input"`
	Attempt      int            `json:"attempt"`
	DryRun       bool           `json:"dry_run,omitempty"`
}

// externalResponseData is the aws.response data of an ExternalCall.
type externalResponseData struct {
	Call      string         `json:"call"`
	Operation string         `json:"operation"`
	Output    map[string]any `json:"output,omitempty"`
	Error     string         `json:"error,omitempty"`
}
