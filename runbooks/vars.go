package runbooks

import (
	"fmt"

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
