package steps

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// webScenario puts shop.example.com on an eu-west-2 load balancer, with a
// health page that names the Region serving it, and down.example.com on
// an eu-west-1 load balancer, with eu-west-1 out.
const webScenario = `
[[create]]
service   = "route53"
region    = "global"
operation = "CreateHostedZone"
id        = "Z0EXAMPLE0WEB"
input     = { Name = "example.com", CallerReference = "example-com" }

[[create]]
service   = "route53"
region    = "global"
operation = "ChangeResourceRecordSets"
[create.input]
HostedZoneId = "Z0EXAMPLE0WEB"
[create.input.ChangeBatch]
[[create.input.ChangeBatch.Changes]]
Action            = "CREATE"
ResourceRecordSet = { Name = "shop.example.com", Type = "A", AliasTarget = { HostedZoneId = "ZHURV8PSTC4K8", DNSName = "dualstack.shop-5678.eu-west-2.elb.amazonaws.com", EvaluateTargetHealth = true } }
[[create.input.ChangeBatch.Changes]]
Action            = "CREATE"
ResourceRecordSet = { Name = "down.example.com", Type = "A", AliasTarget = { HostedZoneId = "Z32O12XQLNTSW2", DNSName = "dualstack.down-1234.eu-west-1.elb.amazonaws.com", EvaluateTargetHealth = true } }

[[faults]]
outage = { region = "eu-west-1" }

[[sites]]
host = "shop.example.com"
path = "/healthz"
body = "ok region={region}"
`

// probeRunbook probes url.
func probeRunbook(url, contains string, attempts int) string {
	return stepRunbook(fmt.Sprintf(`
[[steps]]
id     = "probe"
phase  = "verify"
action = "http.probe"
doc    = "x"
[steps.with]
url           = %q
body_contains = %q
attempts      = %d
interval      = "10s"
[steps.outputs]
status    = "StatusCode"
attempts  = "Attempts"
url       = "URL"
requested = "RequestedURL"
`, url, contains, attempts))
}

func TestHTTPProbe(t *testing.T) {
	t.Parallel()
	t.Run("the simulated internet answers through the sandbox's DNS", func(t *testing.T) {
		t.Parallel()
		tr := startRun(t, probeRunbook("https://shop.example.com/healthz", "region=eu-west-2", 3), webScenario, runOptions{})
		succeeded(t, tr)
		out := outputsOf(t, tr, "probe")
		want := tr.endpoint + "/_sandbox/web/shop.example.com/healthz"
		if out["status"] != 200 || out["attempts"] != int64(1) || out["url"] != "https://shop.example.com/healthz" || out["requested"] != want {
			t.Errorf("outputs %v; want 200 at the first attempt, requested at %s", out, want)
		}
		if !strings.Contains(notesOf(tr, "probe"), want) {
			t.Errorf("the notes do not record the rewritten URL: %s", notesOf(tr, "probe"))
		}
	})
	t.Run("keeps probing until the answer is right", func(t *testing.T) {
		t.Parallel()
		var calls atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if calls.Add(1) < 3 {
				http.Error(w, "warming up", http.StatusServiceUnavailable)
				return
			}
			fmt.Fprint(w, "ok region=eu-west-2")
		}))
		t.Cleanup(srv.Close)
		tr := prepareRun(t, probeRunbook("https://shop.example.com/healthz", "region=eu-west-2", 5), "", runOptions{})
		tr.exec.opts.RewriteURL = func(string) string { return srv.URL + "/healthz" }
		finishRun(tr)
		succeeded(t, tr)
		if out := outputsOf(t, tr, "probe"); out["attempts"] != int64(3) {
			t.Errorf("outputs %v; want success at the third attempt", out)
		}
		if waits := tr.rec.of(EventWaitProgress, "probe"); len(waits) != 3 || !strings.Contains(waits[0].Message, `503 Service Unavailable, body "warming up"`) {
			t.Errorf("wait progress %+v", waits)
		}
	})
	t.Run("fails after its attempts with the last answer", func(t *testing.T) {
		t.Parallel()
		tr := startRun(t, probeRunbook("https://down.example.com/healthz", "", 3), webScenario, runOptions{})
		runFailedAt(t, tr, "probe", "GET https://down.example.com/healthz", "3 attempts 10s apart", "503")
		if n := journalCount(tr, "GET"); n != 3 {
			t.Errorf("%d GETs reached the sandbox, want 3", n)
		}
	})
	t.Run("a body without the text is not success", func(t *testing.T) {
		t.Parallel()
		tr := startRun(t, probeRunbook("https://shop.example.com/healthz", "region=eu-west-1", 2), webScenario, runOptions{})
		runFailedAt(t, tr, "probe", `lacks "region=eu-west-1"`, `"ok region=eu-west-2"`)
	})
	t.Run("dry-run probes once and reports", func(t *testing.T) {
		t.Parallel()
		tr := startRun(t, probeRunbook("https://down.example.com/healthz", "", 5), webScenario, runOptions{mode: ModeDryRun})
		succeeded(t, tr)
		if n := journalCount(tr, "GET"); n != 1 {
			t.Errorf("dry run sent %d GETs, want 1", n)
		}
		if !strings.Contains(notesOf(tr, "probe"), "dry-run: observed 503") {
			t.Errorf("notes: %s", notesOf(tr, "probe"))
		}
	})
	t.Run("a URL that is not http(s) is refused", func(t *testing.T) {
		t.Parallel()
		tr := startRun(t, probeRunbook("ftp://shop.example.com/healthz", "", 1), webScenario, runOptions{})
		runFailedAt(t, tr, "probe", `"ftp://shop.example.com/healthz" is not an http or https URL`)
	})
}
