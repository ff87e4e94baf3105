package runbooks_test

import (
	"os"
	"strings"
	"testing"

	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/steps"
)

// TestSecretWarnings: check warns about credentials written in clear, with
// a hint that fits, and not about what names where a secret is kept.
func TestSecretWarnings(t *testing.T) {
	t.Parallel()
	base, err := os.ReadFile("testdata/broken/secret.toml")
	if err != nil {
		t.Fatal(err)
	}
	const (
		accessKey = "this looks like an AWS access key id written in clear (drpilot signs its calls with the operator's own credentials"
		clear     = "this looks like a secret written in clear (reference the secret instead: the name or ARN of a Secrets Manager secret"
	)
	for _, tc := range []struct{ name, value, want string }{
		{"db_secret", `"prod/payments-db"`, ""},
		{"secret_id", `"arn:aws:secretsmanager:us-west-2:123456789012:secret:prod/payments-db-AbCdEf"`, ""},
		{"api_secret", `"arn:aws:ssm:us-west-2:123456789012:parameter/shop/api"`, ""},
		{"deploy_token", `"/shop/deploy/token-name"`, ""},
		{"note", `"the secret is arn:aws:secretsmanager:us-west-2:123456789012:secret:prod/db-AbCdEf"`, ""},
		{"note", `"the secret is arn:aws:secretsmanager:${runbook.regions.primary}:123456789012:secret:prod/db-AbCdEf"`, ""},
		{"aws_key", `"AKIAIOSFODNN7EXAMPLE"`, accessKey},
		{"db_password", `"prod/payments-db"`, clear},
		{"client_secret", `"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"`, clear},
		{"webhook_secret", `"a8f5f167f44f4964e6c998dee827110c"`, clear},
		{"api_token", `"Sup3r!Tok3n"`, clear},
		{"service_token", `"123e4567-e89b-12d3-a456-426614174000"`, clear},
		{"dsn", `"postgres://app?password=hunter2"`, clear},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := strings.Replace(string(base), `aws_key = "AKIAIOSFODNN7EXAMPLE"`, tc.name+" = "+tc.value, 1)
			rb, diags := runbooks.Parse("s.toml", []byte(src))
			if rb == nil || diags.HasErrors() {
				t.Fatalf("does not load: %v", diags)
			}
			var got []string
			for _, d := range runbooks.Validate(rb, steps.Default()) {
				if s := d.String(); strings.Contains(s, "vars."+tc.name+":") {
					got = append(got, s)
				}
			}
			switch {
			case tc.want == "" && len(got) > 0:
				t.Errorf("%s = %s: unexpected %v", tc.name, tc.value, got)
			case tc.want != "" && (len(got) != 1 || !strings.Contains(got[0], tc.want)):
				t.Errorf("%s = %s: got %v, want %q", tc.name, tc.value, got, tc.want)
			}
		})
	}
}
