package runbooks

import (
	"fmt"
	"strconv"
	"strings"
)

// Templates are substitution only: ${vars.NAME}, ${runbook.id},
// ${runbook.regions.primary},
// ${runbook.regions.recovery}, ${runbook.account}, ${steps.ID.OUTPUT},
// ${run.id}, ${run.started_at} and ${contacts.ID.FIELD}. "$${" writes a
// literal "${". There is no shell, no environment and no code.

// Ref is one ${...} reference.
type Ref struct {
	// Parts are the dot-separated names inside ${...}.
	Parts []string
	// Text is the reference as written, including ${ and }.
	Text string
}

// String returns the reference as written.
func (r Ref) String() string { return r.Text }

// segment is a piece of a templated string: literal text or a reference.
type segment struct {
	text string
	ref  *Ref
}

// parseTemplate splits s into literal text and references.
func parseTemplate(s string) ([]segment, error) {
	var segs []segment
	var lit strings.Builder
	for i := 0; i < len(s); {
		if strings.HasPrefix(s[i:], "$${") {
			lit.WriteString("${")
			i += 3
			continue
		}
		if !strings.HasPrefix(s[i:], "${") {
			lit.WriteByte(s[i])
			i++
			continue
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return nil, fmt.Errorf("unterminated template %q: close it with }", clip(s[i:]))
		}
		text := s[i : i+end+1]
		ref, err := parseRef(text)
		if err != nil {
			return nil, err
		}
		if lit.Len() > 0 {
			segs = append(segs, segment{text: lit.String()})
			lit.Reset()
		}
		segs = append(segs, segment{ref: ref})
		i += end + 1
	}
	if lit.Len() > 0 {
		segs = append(segs, segment{text: lit.String()})
	}
	return segs, nil
}

func parseRef(text string) (*Ref, error) {
	inner := strings.TrimSpace(text[2 : len(text)-1])
	if inner == "" {
		return nil, fmt.Errorf("empty template %q", text)
	}
	parts := strings.Split(inner, ".")
	for _, p := range parts {
		if p == "" || !isBareKey(p) {
			return nil, fmt.Errorf("malformed template %q: names are letters, digits, - and _ joined by dots", text)
		}
	}
	return &Ref{Parts: parts, Text: text}, nil
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// HasTemplate reports whether s contains a ${...} reference.
func HasTemplate(s string) bool {
	return strings.Contains(strings.ReplaceAll(s, "$${", ""), "${")
}

// WholeTemplate reports whether s is one ${...} reference and nothing
// else: it resolves to the referenced value with its type, which may be
// any, while a reference inside text makes a string.
func WholeTemplate(s string) bool {
	segs, err := parseTemplate(s)
	return err == nil && len(segs) == 1 && segs[0].ref != nil
}

// Lookup returns the value of a reference, or false when it is not known
// (yet): step outputs and run values are known only during a run.
type Lookup func(ref Ref) (any, bool)

// Resolve substitutes references in v, which may be a string or any TOML
// value holding strings. A string that is exactly one reference takes the
// referenced value with its type (a var that is an array stays an array);
// references inside longer strings are formatted as text. References that
// lookup does not know are left as written, so a plan can show them.
func Resolve(v any, lookup Lookup) (any, error) {
	return resolve(v, lookup, false)
}

// ResolveLater is Resolve for values that are resolved again later: a
// plan's parameters, which the run resolves once more with the outputs of
// earlier steps. A literal "${" (written "$${") stays escaped, so that
// the second resolution reads it as the literal it is, not as a
// reference (the ${Env} of a CloudFormation template's Fn::Sub).
func ResolveLater(v any, lookup Lookup) (any, error) {
	return resolve(v, lookup, true)
}

func resolve(v any, lookup Lookup, later bool) (any, error) {
	switch x := v.(type) {
	case string:
		return resolveString(x, lookup, later)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			r, err := resolve(e, lookup, later)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			r, err := resolve(e, lookup, later)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	case []map[string]any:
		out := make([]any, len(x))
		for i, e := range x {
			r, err := resolve(e, lookup, later)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	}
	return v, nil
}

func resolveString(s string, lookup Lookup, later bool) (any, error) {
	if !strings.Contains(s, "${") {
		return s, nil
	}
	segs, err := parseTemplate(s)
	if err != nil {
		return nil, err
	}
	if len(segs) == 1 && segs[0].ref != nil {
		if val, ok := lookup(*segs[0].ref); ok {
			if text, isText := val.(string); isText && later {
				return strings.ReplaceAll(text, "${", "$${"), nil
			}
			return val, nil
		}
		return segs[0].ref.Text, nil
	}
	// Two renderings: the final text, and, while some references are not
	// known yet, a template that a later Resolve can finish, in which
	// literal "${" stays escaped.
	var final, again strings.Builder
	complete := true
	for _, seg := range segs {
		text := seg.text
		if seg.ref != nil {
			val, ok := lookup(*seg.ref)
			if !ok {
				complete = false
				final.WriteString(seg.ref.Text)
				again.WriteString(seg.ref.Text)
				continue
			}
			var err error
			if text, err = formatScalar(val); err != nil {
				return nil, fmt.Errorf("%s: %w", seg.ref.Text, err)
			}
		}
		final.WriteString(text)
		again.WriteString(strings.ReplaceAll(text, "${", "$${"))
	}
	if complete && !later {
		return final.String(), nil
	}
	return again.String(), nil
}

// formatScalar writes a value into the middle of a string.
func formatScalar(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case int:
		return strconv.Itoa(x), nil
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), nil
	case bool:
		return strconv.FormatBool(x), nil
	}
	return "", fmt.Errorf("%s cannot be written inside a string; use the template as the whole value", typeName(v))
}

// StaticLookup knows what is known before a run: vars, the runbook's
// Regions and account, and contacts.
func (rb *Runbook) StaticLookup() Lookup {
	return func(ref Ref) (any, bool) {
		p := ref.Parts
		switch {
		case len(p) == 2 && p[0] == "vars":
			v, ok := rb.Vars[p[1]]
			return v, ok
		case len(p) == 3 && p[0] == "runbook" && p[1] == "regions":
			switch p[2] {
			case RegionPrimary:
				return rb.Regions.Primary, rb.Regions.Primary != ""
			case RegionRecovery:
				return rb.Regions.Recovery, rb.Regions.Recovery != ""
			}
		case len(p) == 2 && p[0] == "runbook" && p[1] == "id":
			return rb.ID, rb.ID != ""
		case len(p) == 2 && p[0] == "runbook" && p[1] == "account":
			return rb.Account, rb.Account != ""
		case len(p) == 3 && p[0] == "contacts":
			for _, c := range rb.Contacts {
				if c.ID == p[1] {
					v := contactField(c, p[2])
					return v, v != ""
				}
			}
		}
		return nil, false
	}
}

// ContactFields are the contact fields ${contacts.ID.FIELD} may name.
var ContactFields = []string{"name", "email", "sns_topic", "webhook", "ssm_contact"}

func contactField(c Contact, field string) string {
	switch field {
	case "name":
		return c.Name
	case "email":
		return c.Email
	case "sns_topic":
		return c.SNSTopic
	case "webhook":
		return c.Webhook
	case "ssm_contact":
		return c.SSMContact
	}
	return ""
}
