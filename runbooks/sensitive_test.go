package runbooks_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/steps"
)

// TestSensitiveVars: [runbook] sensitive_vars names vars whose values are
// secrets; check refuses, at the name's line and column, one that names
// no var or a var that is not text, and Secrets lists the values.
func TestSensitiveVars(t *testing.T) {
	t.Parallel()
	base, err := os.ReadFile("testdata/valid/minimal.toml")
	if err != nil {
		t.Fatal(err)
	}
	with := func(list string) string {
		src := strings.Replace(string(base), `rto = "30m"`, `rto = "30m"`+"\nsensitive_vars = "+list, 1)
		return strings.Replace(src, `replica = "orders-db-replica"`, "replica = \"orders-db-replica\"\nport = 5432", 1)
	}
	rb, diags := runbooks.Parse("s.toml", []byte(with(`["replica"]`)))
	if rb == nil || diags.HasErrors() {
		t.Fatalf("does not load: %v", diags)
	}
	if d := runbooks.Validate(rb, steps.Default()); d.HasErrors() {
		t.Fatalf("a sensitive string var is refused:\n%v", d)
	}
	if got := rb.Secrets(); !slices.Equal(got, []string{"orders-db-replica"}) || !rb.IsSensitiveVar("replica") {
		t.Errorf("Secrets() = %q", got)
	}
	rb, _ = runbooks.Parse("s.toml", []byte(with(`["replica", "replca", "port"]`)))
	var lines []string
	for _, d := range runbooks.Validate(rb, steps.Default()) {
		lines = append(lines, d.String())
	}
	got := strings.Join(lines, "\n")
	for _, want := range []string{
		`s.toml:8:30: runbook.sensitive_vars[1]: unknown var "replca" in sensitive_vars (did you mean "replica"?)`,
		`s.toml:8:40: runbook.sensitive_vars[2]: var "port" is`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("check lacks %q:\n%s", want, got)
		}
	}
}
