package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
)

// Policy is an IAM identity-based policy, as `drpilot sandbox --policy`
// attaches one to an access key id: the sandbox evaluates every request
// signed with that key against it, the way IAM evaluates a user's
// policies, so that a runbook's least-privilege policy is tried before it
// is trusted in an account (policy_authz.go says what a request needs).
type Policy struct {
	statements []statement
}

// statement is one Statement of a policy. not* says the element was the
// Not form (NotAction, NotResource): it matches what its patterns do not.
type statement struct {
	where                  string // "Statement[2]" or its Sid, for errors
	deny                   bool
	actions, resources     []string
	notAction, notResource bool
	conditions             []condition
}

// condition is one key of one operator of a Condition block.
type condition struct {
	op       string // StringEquals, ArnLike, Bool, Null, ...
	ifExists bool
	key      string
	values   []string
}

// conditionOps are the operators the evaluator knows; a policy with any
// other is refused, rather than evaluated as if the condition held.
var conditionOps = map[string]bool{
	"StringEquals": true, "StringNotEquals": true, "StringEqualsIgnoreCase": true,
	"StringNotEqualsIgnoreCase": true, "StringLike": true, "StringNotLike": true,
	"ArnEquals": true, "ArnLike": true, "ArnNotEquals": true, "ArnNotLike": true,
	"Bool": true, "Null": true,
}

// LoadPolicy reads and parses a policy file; its errors name the file.
func LoadPolicy(path string) (*Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	p, err := ParsePolicy(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// ParsePolicy parses an IAM policy document and refuses what IAM would
// refuse for an identity-based policy, and what the evaluator cannot
// evaluate faithfully (an unknown condition operator): a policy that says
// less than its author meant would pass rehearsals it should fail.
func ParsePolicy(data []byte) (*Policy, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("not a JSON policy document: %v", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("not a JSON policy document: text after the document")
	}
	for k := range doc {
		if k != "Version" && k != "Id" && k != "Statement" {
			return nil, fmt.Errorf("unknown element %q (a policy has Version, Id and Statement)", k)
		}
	}
	if v, ok := doc["Version"]; ok && v != "2012-10-17" && v != "2008-10-17" {
		return nil, fmt.Errorf("the policy's Version must be \"2012-10-17\", not %v", v)
	}
	var raw []any
	switch s := doc["Statement"].(type) {
	case map[string]any:
		raw = []any{s}
	case []any:
		raw = s
	case nil:
		return nil, fmt.Errorf("the policy has no Statement")
	default:
		return nil, fmt.Errorf("the policy's Statement must be an object or an array of objects")
	}
	p := &Policy{}
	for i, r := range raw {
		m, ok := r.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("the policy's Statement[%d] is not an object", i)
		}
		st, err := parseStatement(m, fmt.Sprintf("Statement[%d]", i))
		if err != nil {
			return nil, err
		}
		p.statements = append(p.statements, st)
	}
	return p, nil
}

func parseStatement(m map[string]any, where string) (statement, error) {
	st := statement{where: where}
	for k := range m {
		switch k {
		case "Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition":
		case "Principal", "NotPrincipal":
			return st, fmt.Errorf("%s: %s: an identity-based policy names no principal (the key it is attached to is the principal)", where, k)
		default:
			return st, fmt.Errorf("%s: unknown element %q", where, k)
		}
	}
	if sid, ok := m["Sid"]; ok {
		if _, isString := sid.(string); !isString {
			return st, fmt.Errorf("%s: Sid must be a string", where)
		}
	}
	switch m["Effect"] {
	case "Allow":
	case "Deny":
		st.deny = true
	default:
		return st, fmt.Errorf("%s: Effect must be \"Allow\" or \"Deny\", not %v", where, jsonText(m["Effect"]))
	}
	var err error
	if st.actions, st.notAction, err = oneOf(m, where, "Action", "NotAction", checkAction); err != nil {
		return st, err
	}
	if st.resources, st.notResource, err = oneOf(m, where, "Resource", "NotResource", checkResource); err != nil {
		return st, err
	}
	if c, ok := m["Condition"]; ok {
		if st.conditions, err = parseConditions(c, where); err != nil {
			return st, err
		}
	}
	return st, nil
}

// oneOf reads exactly one of an element and its Not form, each a string
// or an array of strings, checking every entry.
func oneOf(m map[string]any, where, name, notName string, check func(string) error) ([]string, bool, error) {
	v, has := m[name]
	nv, hasNot := m[notName]
	switch {
	case has && hasNot:
		return nil, false, fmt.Errorf("%s: has both %s and %s", where, name, notName)
	case !has && !hasNot:
		return nil, false, fmt.Errorf("%s: needs %s or %s", where, name, notName)
	case hasNot:
		name, v = notName, nv
	}
	list, err := stringList(v)
	if err != nil || len(list) == 0 {
		return nil, false, fmt.Errorf("%s: %s must be a string or a non-empty array of strings", where, name)
	}
	for _, s := range list {
		if err := check(s); err != nil {
			return nil, false, fmt.Errorf("%s: %s %q: %v", where, name, s, err)
		}
	}
	return list, hasNot, nil
}

func checkAction(a string) error {
	if a == "*" {
		return nil
	}
	prefix, name, ok := strings.Cut(a, ":")
	if !ok || prefix == "" || name == "" || strings.ContainsAny(prefix, "*?") {
		return fmt.Errorf("an action is \"*\" or service:Action, e.g. \"rds:DescribeDBInstances\" or \"ssm:Get*\"")
	}
	return nil
}

func checkResource(r string) error {
	if r == "*" || strings.HasPrefix(r, "arn:") {
		return nil
	}
	return fmt.Errorf("a resource is \"*\" or an ARN (arn:partition:service:region:account:resource)")
}

func parseConditions(v any, where string) ([]condition, error) {
	block, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: Condition must be an object of operators", where)
	}
	var out []condition
	for _, op := range sortedKeys(block) {
		base, ifExists := strings.CutSuffix(op, "IfExists")
		if !conditionOps[base] || ifExists && base == "Null" {
			return nil, fmt.Errorf("%s: Condition operator %q is not one the sandbox evaluates (String*, Arn*, Bool, Null, with ...IfExists)", where, op)
		}
		keys, ok := block[op].(map[string]any)
		if !ok || len(keys) == 0 {
			return nil, fmt.Errorf("%s: Condition %s must be an object of condition keys", where, op)
		}
		for _, key := range sortedKeys(keys) {
			values, err := stringList(keys[key])
			if err != nil || len(values) == 0 {
				return nil, fmt.Errorf("%s: Condition %s %q: its value must be a string, number, boolean or a non-empty array of them", where, op, key)
			}
			out = append(out, condition{op: base, ifExists: ifExists, key: key, values: values})
		}
	}
	return out, nil
}

// stringList reads a policy value: one scalar or an array of them. IAM
// takes true and 3 where it takes "true" and "3".
func stringList(v any) ([]string, error) {
	items, isList := v.([]any)
	if !isList {
		items = []any{v}
	}
	out := make([]string, 0, len(items))
	for _, item := range items {
		switch x := item.(type) {
		case string:
			out = append(out, x)
		case bool:
			out = append(out, fmt.Sprint(x))
		case json.Number:
			out = append(out, x.String())
		default:
			return nil, fmt.Errorf("not a string")
		}
	}
	return out, nil
}

func jsonText(v any) string {
	if v == nil {
		return "nothing"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// decision is the outcome of evaluating one action on one resource.
type decision int

const (
	implicitDeny decision = iota
	allowed
	explicitDeny
)

// evaluate applies IAM's evaluation logic for one identity-based policy:
// an explicit Deny wins, then an Allow, else the request is implicitly
// denied. ctx holds the request's condition keys, lower-cased.
func (p *Policy) evaluate(action, resource string, ctx map[string]string) decision {
	d := implicitDeny
	for i := range p.statements {
		st := &p.statements[i]
		if !st.matches(action, resource, ctx) {
			continue
		}
		if st.deny {
			return explicitDeny
		}
		d = allowed
	}
	return d
}

func (st *statement) matches(action, resource string, ctx map[string]string) bool {
	actionHit := slices.ContainsFunc(st.actions, func(pattern string) bool {
		return glob(strings.ToLower(pattern), strings.ToLower(action))
	})
	if actionHit == st.notAction {
		return false
	}
	resourceHit := slices.ContainsFunc(st.resources, func(pattern string) bool {
		expanded, ok := expandVariables(pattern, ctx)
		return ok && glob(expanded, resource)
	})
	if resourceHit == st.notResource {
		return false
	}
	for _, c := range st.conditions {
		if !c.holds(ctx) {
			return false
		}
	}
	return true
}

// holds evaluates a condition against the request's keys (condition key
// names are case-insensitive). A key the request lacks fails a positive
// operator and satisfies a negated one, as in IAM; ...IfExists holds then.
func (c condition) holds(ctx map[string]string) bool {
	v, present := ctx[strings.ToLower(c.key)]
	if c.op == "Null" {
		return slices.ContainsFunc(c.values, func(want string) bool {
			return strings.EqualFold(want, "true") != present
		})
	}
	negated := strings.Contains(c.op, "Not")
	if !present {
		return c.ifExists || negated
	}
	hit := slices.ContainsFunc(c.values, func(want string) bool {
		switch c.op {
		case "StringEquals", "StringNotEquals":
			return v == want
		case "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase":
			return strings.EqualFold(v, want)
		case "StringLike", "StringNotLike":
			return glob(want, v)
		case "Bool":
			return strings.EqualFold(v, want)
		}
		return arnLike(want, v)
	})
	return hit != negated
}

// arnLike matches an ARN against a pattern as IAM's Arn operators do: each
// of the six colon-separated parts on its own, each with wildcards.
func arnLike(pattern, value string) bool {
	p, v := strings.SplitN(pattern, ":", 6), strings.SplitN(value, ":", 6)
	if len(p) != 6 || len(v) != 6 {
		return false
	}
	for i := range p {
		if !glob(p[i], v[i]) {
			return false
		}
	}
	return true
}

// expandVariables substitutes policy variables (${aws:RequestedRegion},
// and the escapes ${*}, ${?}, ${$}) in a Resource; ok is false when a
// variable names a key the request lacks, which IAM treats as no match.
func expandVariables(pattern string, ctx map[string]string) (string, bool) {
	if !strings.Contains(pattern, "${") {
		return pattern, true
	}
	var b strings.Builder
	for {
		start := strings.Index(pattern, "${")
		if start < 0 {
			b.WriteString(pattern)
			return b.String(), true
		}
		end := strings.IndexByte(pattern[start:], '}')
		if end < 0 {
			b.WriteString(pattern)
			return b.String(), true
		}
		b.WriteString(pattern[:start])
		switch name := pattern[start+2 : start+end]; name {
		case "*":
			b.WriteRune(literalStar)
		case "?":
			b.WriteRune(literalQuestion)
		case "$":
			b.WriteByte('$')
		default:
			v, ok := ctx[strings.ToLower(name)]
			if !ok {
				return "", false
			}
			b.WriteString(v)
		}
		pattern = pattern[start+end+1:]
	}
}

// literalStar and literalQuestion stand, in an expanded pattern, for the
// escapes ${*} and ${?}: a * or ? that matches only itself. They are
// private-use characters, which no ARN holds.
const (
	literalStar     = '\uE000'
	literalQuestion = '\uE001'
)

// glob matches s against a pattern in which * matches any run of
// characters (colons and slashes included, as in IAM's Action and
// Resource) and ? any one character.
func glob(pattern, s string) bool {
	p, t := []rune(pattern), []rune(s)
	pi, ti := 0, 0
	star, mark := -1, 0
	for ti < len(t) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == t[ti] || literal(p[pi]) == t[ti]):
			pi++
			ti++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, ti
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			ti = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

func literal(r rune) rune {
	switch r {
	case literalStar:
		return '*'
	case literalQuestion:
		return '?'
	}
	return r
}
