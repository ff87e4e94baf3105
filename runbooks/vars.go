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
