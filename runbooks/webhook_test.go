package runbooks_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/steps"
)

// TestCheckAgreesWithRuntimeOnWebhooks: `drpilot check` accepts exactly the
// webhooks the executor will send to (plain http:// to a loopback address
// included), and refuses, at the webhook's line and column, the ones it
// would refuse.
func TestCheckAgreesWithRuntimeOnWebhooks(t *testing.T) {
	t.Parallel()
	base, err := os.ReadFile("testdata/valid/minimal.toml")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		url string
		ok  bool
	}{
		{"https://hooks.example.com/dr", true},
		{"http://127.0.0.1:8080/hook", true},
		{"http://localhost/hook", true},
		{"http://[::1]:9000/hook", true},
		{"http://hooks.example.com/dr", false},
		{"ftp://hooks.example.com/dr", false},
		{"hooks.example.com/dr", false},
	}
	for _, tc := range cases {
		src := strings.Replace(string(base), `email = "ic@example.com"`, `email = "ic@example.com"`+"\nwebhook = \""+tc.url+"\"", 1)
		rb, diags := runbooks.Parse("hook.toml", []byte(src))
		if rb == nil || diags.HasErrors() {
			t.Fatalf("%s: does not load: %v", tc.url, diags)
		}
		diags = runbooks.Validate(rb, steps.Default())
		if runtime := runbooks.WebhookURLAllowed(tc.url); (runtime == nil) != tc.ok {
			t.Errorf("WebhookURLAllowed(%q) = %v, want ok %v", tc.url, runtime, tc.ok)
		}
		if diags.HasErrors() == tc.ok {
			t.Errorf("check of webhook %q: errors %v, want ok %v", tc.url, diags, tc.ok)
			continue
		}
		if !tc.ok && !strings.Contains(fmt.Sprint(diags), "hook.toml:19:11: contacts[0].webhook") {
			t.Errorf("check of webhook %q does not point at the value:\n%v", tc.url, diags)
		}
	}
}
