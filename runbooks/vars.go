package runbooks

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
)

// ParseVarValue reads a value given on the command line for a var whose
// runbook value is old, keeping old's type: a string var takes the text
// as it is; any other var takes a TOML value of the same type (42, 2.5,
// true, ["a", "b"]).
func ParseVarValue(text string, old any) (any, error) {
	if _, ok := old.(string); ok {
		return text, nil
	}
	var doc struct{ V any }
	if _, err := toml.Decode("V = "+text, &doc); err != nil {
		return nil, fmt.Errorf("the var is %s, and %q is not a TOML value (write it as the runbook's [vars] does, e.g. 42, true or [\"a\", \"b\"])", typeName(old), text)
	}
	if n, isInt := doc.V.(int64); isInt {
		if _, wantFloat := old.(float64); wantFloat {
			return float64(n), nil
		}
	}
	if typeName(doc.V) != typeName(old) {
		return nil, fmt.Errorf("the var is %s, and %q is %s", typeName(old), text, typeName(doc.V))
	}
	return doc.V, nil
}

// sensitiveVars checks [runbook] sensitive_vars: each entry names a var
// under [vars] that is a string or an array of strings, since only a text
// can be found and redacted wherever a template puts it.
func (v *validator) sensitiveVars() {
	for i, name := range v.rb.SensitiveVars {
		path := indexPath("runbook.sensitive_vars", i)
		val, ok := v.rb.Vars[name]
		switch {
		case !ok:
			v.rep.errorAtValue(path, nameHint(name, sortedKeys(v.rb.Vars), "define it under [vars], or remove it from sensitive_vars"),
				"unknown var %q in sensitive_vars", name)
		case len(SecretValues(val)) == 0 && !isEmptyText(val):
			v.rep.errorAtValue(path, "only a string var, or an array of strings, can be sensitive: make the var a string",
				"var %q is %s: it cannot be sensitive", name, typeName(val))
		}
	}
}

// isEmptyText reports whether v is an empty string or an empty array.
func isEmptyText(v any) bool {
	switch x := v.(type) {
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	}
	return false
}

// SecretValues returns the texts of a sensitive var's value: the string,
// or the strings of an array; nothing for any other type or an empty text.
func SecretValues(v any) []string {
	switch x := v.(type) {
	case string:
		if x != "" {
			return []string{x}
		}
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, SecretValues(e)...)
		}
		return out
	}
	return nil
}

// Secrets returns the texts of every sensitive var's current value: what
// must be redacted from the audit log, the events and the screens.
func (rb *Runbook) Secrets() []string {
	var out []string
	for _, name := range rb.SensitiveVars {
		out = append(out, SecretValues(rb.Vars[name])...)
	}
	// Longest first, so that a secret holding another is replaced whole.
	sort.SliceStable(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// IsSensitiveVar reports whether the runbook declares var name sensitive.
func (rb *Runbook) IsSensitiveVar(name string) bool {
	for _, s := range rb.SensitiveVars {
		if s == name {
			return true
		}
	}
	return false
}

// redacted replaces a secret in what a plan shows; it is the audit log's
// audit.Redacted, which this package cannot import.
const redacted = "[redacted]"

// redactPlannedCalls replaces, in the inputs the plan shows for a step's
// calls, a SecureString parameter's value and every sensitive var's value,
// so that `drpilot plan` and the screens that show the plan show no more
// than the audit log will. The inputs are copies: the step's Params, which
// it sends, keep the values.
func redactPlannedCalls(ps *PlannedStep, secrets []string) {
	ps.secrets = secrets
	for _, c := range ps.Calls {
		if v, ok := c.Input["Value"].(string); ok && v != "" && c.Operation == "ssm:PutParameter" && c.Input["Type"] == "SecureString" {
			ps.secrets = append(slices.Clone(ps.secrets), v)
		}
	}
	for k := range ps.Calls {
		c := &ps.Calls[k]
		if c.Input == nil {
			continue
		}
		in, _ := redactTexts(c.Input, ps.secrets).(map[string]any)
		if _, ok := in["Value"]; ok && c.Operation == "ssm:PutParameter" && in["Type"] == "SecureString" {
			in["Value"] = redacted
		}
		c.Input = in
	}
}

// redactTexts is a copy of v with every occurrence of a secret inside its
// strings replaced.
func redactTexts(v any, secrets []string) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = redactTexts(e, secrets)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = redactTexts(e, secrets)
		}
		return out
	case string:
		for _, s := range secrets {
			if s != "" {
				x = strings.ReplaceAll(x, s, redacted)
			}
		}
		return x
	}
	return v
}

// MarshalJSON writes the planned step with the secrets its parameters
// hold redacted, as its calls show them: the parameters keep the values
// for the executor, but `drpilot plan --json` is for people to read.
func (ps PlannedStep) MarshalJSON() ([]byte, error) {
	type plain PlannedStep // without this method
	out := plain(ps)
	if len(ps.secrets) > 0 {
		out.Params, _ = redactTexts(ps.Params, ps.secrets).(map[string]any)
	}
	return json.Marshal(out)
}
