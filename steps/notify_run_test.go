package steps

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// notifyScenario has an SNS topic and an Incident Manager contact in
// eu-west-2, and a webhook receiver that fails (fail.example.net); any
// other host outside the sandbox's DNS, such as hooks.example.com, is the
// sandbox's webhook sink.
const notifyScenario = `
[[create]]
service   = "sns"
region    = "eu-west-2"
operation = "CreateTopic"
input     = { Name = "shop-oncall" }

[[create]]
service   = "ssm-contacts"
region    = "eu-west-2"
operation = "CreateContact"
input     = { Alias = "shop-ic", DisplayName = "Incident commander", Type = "PERSONAL", Plan = { Stages = [] } }

[[sites]]
host   = "fail.example.net"
status = 500
body   = "internal error"
`

// notifyContacts are the runbook's contacts: every channel, and two that
// cannot be reached.
const notifyContacts = `
[[contacts]]
id          = "commander"
name        = "Incident commander"
email       = "ic@example.com"
ssm_contact = "arn:aws:ssm-contacts:eu-west-2:123456789012:contact/shop-ic"

[[contacts]]
id        = "oncall"
name      = "Shop on-call"
sns_topic = "arn:aws:sns:eu-west-2:123456789012:shop-oncall"
webhook   = "https://hooks.example.com/services/shop/dr"

[[contacts]]
id        = "ghost"
name      = "A topic that does not exist"
sns_topic = "arn:aws:sns:eu-west-2:123456789012:no-such-topic"

[[contacts]]
id      = "broken-hook"
name    = "A webhook receiver that fails"
webhook = "https://fail.example.net/hook"
`

// notifyRunbook tells the contacts in to; extra adds parameters.
func notifyRunbook(to, extra string) string {
	return stepRunbook(notifyContacts + fmt.Sprintf(`
[[steps]]
id     = "tell"
phase  = "notify"
action = "notify"
doc    = "x"
[steps.with]
to      = %s
subject = "Shop is back"
message = "Served from ${runbook.regions.recovery} (run ${run.id})."
%s
[steps.outputs]
ids = "Deliveries[].MessageId"
`, to, extra))
}

// deliveries returns the Deliveries of a notify step's response, read
// from its step.done in the audit log.
func deliveries(t *testing.T, tr *testRun, step string) []map[string]any {
	t.Helper()
	for _, line := range auditEvents(t, tr) {
		var e struct {
			Type, Step string
			Data       struct {
				Response struct{ Deliveries []map[string]any }
			}
		}
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatal(err)
		}
		if e.Type == "step.done" && e.Step == step {
			return e.Data.Response.Deliveries
		}
	}
	t.Fatalf("no step.done of %s in the audit log", step)
	return nil
}

// delivery finds the delivery to a contact on a channel.
func delivery(t *testing.T, all []map[string]any, contact, channel string) map[string]any {
	t.Helper()
	for _, d := range all {
		if d["Contact"] == contact && d["Channel"] == channel {
			return d
		}
	}
	t.Fatalf("no delivery to %s by %s in %v", contact, channel, all)
	return nil
}

func TestNotifyEveryChannel(t *testing.T) {
	t.Parallel()
	src := notifyRunbook(`["commander", "oncall"]`, `from = "DR bridge <dr@example.com>"`)
	tr := startRun(t, src, notifyScenario, runOptions{})
	succeeded(t, tr)
	all := deliveries(t, tr, "tell")
	if len(all) != 4 {
		t.Fatalf("deliveries %v; want 4", all)
	}
	for _, d := range all {
		if id, _ := d["MessageId"].(string); id == "" || d["Error"] != nil {
			t.Errorf("delivery %v has no message id", d)
		}
	}
	if ids, _ := outputsOf(t, tr, "tell")["ids"].([]any); len(ids) != 4 {
		t.Errorf("output ids %v; want 4", ids)
	}
	state := sandboxState(t, tr)
	sns, _ := valueAt(state, "sns/eu-west-2", "messages").([]any)
	if len(sns) != 1 || valueAt(sns[0], "subject") != "Shop is back" || valueAt(sns[0], "message") != "Served from eu-west-2 (run test-run)." {
		t.Errorf("SNS messages %v", sns)
	}
	email, _ := valueAt(state, "ses/eu-west-2", "sent_messages").([]any)
	if len(email) != 1 || valueAt(email[0], "from") != "DR bridge <dr@example.com>" || fmt.Sprint(valueAt(email[0], "to")) != "[ic@example.com]" {
		t.Errorf("SES messages %v", email)
	}
	pages, _ := valueAt(state, "ssm-contacts/eu-west-2", "engagements").([]any)
	if len(pages) != 1 || valueAt(pages[0], "subject") != "Shop is back" || !strings.Contains(fmt.Sprint(valueAt(pages[0], "sender")), "test-run") {
		t.Errorf("engagements %v", pages)
	}
	hooks, _ := tr.sb.Deliveries()
	if len(hooks) != 1 || hooks[0].Host != "hooks.example.com" || hooks[0].Path != "/services/shop/dr" || hooks[0].ContentType != "application/json" {
		t.Fatalf("webhook deliveries %+v", hooks)
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(hooks[0].Body), &body); err != nil || body["text"] != "Shop is back\n\nServed from eu-west-2 (run test-run)." || body["contact"] != "oncall" {
		t.Errorf("webhook body %s (%v)", hooks[0].Body, err)
	}
	// The webhook is in the audit log like an AWS call: the request,
	// with both URLs, before it was sent, and the answer after.
	var req, resp bool
	for _, line := range auditEvents(t, tr) {
		if strings.Contains(line, `"operation":"webhook:POST"`) {
			req = req || strings.Contains(line, `"type":"aws.request"`) && strings.Contains(line, `"url":"https://hooks.example.com/services/shop/dr"`) &&
				strings.Contains(line, `"requested_url":"`+tr.endpoint+`/_sandbox/web/hooks.example.com/services/shop/dr"`)
			resp = resp || strings.Contains(line, `"type":"aws.response"`) && strings.Contains(line, `"StatusCode":200`)
		}
	}
	if !req || !resp {
		t.Errorf("audit log: webhook request logged %v, response logged %v", req, resp)
	}

	// Run again: the engagement's idempotency token keeps the commander
	// from being paged twice.
	again := startRun(t, src, "", runOptions{on: tr})
	succeeded(t, again)
	if pages, _ := valueAt(sandboxState(t, again), "ssm-contacts/eu-west-2", "engagements").([]any); len(pages) != 1 {
		t.Errorf("%d engagements after two runs, want 1", len(pages))
	}
	if delivery(t, deliveries(t, again, "tell"), "commander", "ssm_contact")["MessageId"] != delivery(t, all, "commander", "ssm_contact")["MessageId"] {
		t.Error("the second run's engagement is not the first one's")
	}
}

func TestNotifyFailures(t *testing.T) {
	t.Parallel()
	t.Run("a failed delivery does not stop the others", func(t *testing.T) {
		t.Parallel()
		tr := startRun(t, notifyRunbook(`["ghost", "oncall", "commander"]`, ""), notifyScenario, runOptions{})
		succeeded(t, tr)
		all := deliveries(t, tr, "tell")
		if e, _ := delivery(t, all, "ghost", "sns_topic")["Error"].(string); !strings.Contains(e, "NotFound") {
			t.Errorf("ghost's delivery error %q", e)
		}
		if e, _ := delivery(t, all, "commander", "email")["Error"].(string); !strings.Contains(e, `set from = "..."`) {
			t.Errorf("email without a sender: %q", e)
		}
		if id, _ := delivery(t, all, "oncall", "sns_topic")["MessageId"].(string); id == "" {
			t.Error("oncall was not told")
		}
		if n := strings.Count(notesOf(tr, "tell"), "failed"); n != 2 {
			t.Errorf("notes:\n%s\nwant one per failed delivery", notesOf(tr, "tell"))
		}
	})
	t.Run("the step fails when nobody was told; a failing webhook is tried 3 times", func(t *testing.T) {
		t.Parallel()
		tr := startRun(t, notifyRunbook(`["broken-hook", "ghost"]`, ""), notifyScenario, runOptions{})
		runFailedAt(t, tr, "tell", "no delivery succeeded", "broken-hook by webhook: the webhook answered 500", "ghost by sns_topic")
		if hooks, _ := tr.sb.Deliveries(); len(hooks) != 3 || hooks[2].Status != 500 {
			t.Errorf("webhook deliveries %+v; want 3 attempts answered 500", hooks)
		}
	})
	t.Run("plain HTTP to a host that is not loopback is refused", func(t *testing.T) {
		t.Parallel()
		tr := prepareRun(t, notifyRunbook(`["oncall"]`, ""), notifyScenario, runOptions{})
		tr.exec.opts.RewriteURL = func(u string) string { return strings.Replace(u, "https://", "http://", 1) }
		finishRun(tr)
		succeeded(t, tr)
		if e, _ := delivery(t, deliveries(t, tr, "tell"), "oncall", "webhook")["Error"].(string); !strings.Contains(e, "over plain HTTP") {
			t.Errorf("webhook delivery error %q", e)
		}
	})
}

func TestNotifyDryRun(t *testing.T) {
	t.Parallel()
	tr := startRun(t, notifyRunbook(`["commander", "oncall"]`, `from = "dr@example.com"`), notifyScenario, runOptions{mode: ModeDryRun})
	dryRunChangedNothing(t, tr, "tell")
	if hooks, _ := tr.sb.Deliveries(); len(hooks) != 0 {
		t.Errorf("dry run delivered %d webhooks", len(hooks))
	}
	all := deliveries(t, tr, "tell")
	if len(all) != 4 {
		t.Fatalf("deliveries %v; want 4", all)
	}
	for _, d := range all {
		if d["Simulated"] != true {
			t.Errorf("delivery %v is not marked simulated", d)
		}
	}
}

func TestWebhookURLAllowed(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"https://hooks.example.com/dr", true},
		{"http://127.0.0.1:4566/_sandbox/web/hooks.example.com/dr", true},
		{"http://[::1]:8080/hook", true},
		{"http://localhost/hook", true},
		{"http://hooks.example.com/dr", false},
		{"http://127.0.0.1.example.com/dr", false},
		{"ftp://hooks.example.com/dr", false},
		{"hooks.example.com/dr", false},
	} {
		if err := webhookURLAllowed(tc.url); (err == nil) != tc.ok {
			t.Errorf("webhookURLAllowed(%q) = %v, want ok %v", tc.url, err, tc.ok)
		}
	}
}

func TestSNSSubject(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 150)
	for in, want := range map[string]string{
		"Shop is back":            "Shop is back",
		"two\nlines\tand\x00more": "two lines and more",
		long:                      long[:96] + "...",
	} {
		if got := snsSubject(in); got != want {
			t.Errorf("snsSubject(%q) = %q, want %q", in, got, want)
		}
	}
}
