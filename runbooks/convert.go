package runbooks

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"
)

// convert turns the raw document into a Runbook, reporting every value of
// the wrong type where it was written. It keeps going after a problem so
// that one load reports them all.
func convert(rep *reporter, raw *rawDoc) *Runbook {
	c := converter{rep: rep}
	rb := &Runbook{Vars: map[string]any{}}
	if raw.Format == nil {
		rep.errorAt("", fmt.Sprintf("start the file with: format = %d", SupportedFormat), "missing format")
	} else if f, ok := c.integer("format", raw.Format); ok {
		rb.Format = int(f)
	}
	if raw.Runbook == nil {
		rep.errorAt("", "add a [runbook] table with id, title and regions", "missing [runbook] table")
	} else {
		rb.hasMeta = true
		rb.rtoSet = raw.Runbook.RTO != nil
		c.meta(rb, raw.Runbook)
	}
	vars := c.table("vars", raw.Vars)
	for _, k := range sortedKeys(vars) {
		if !isBareKey(k) {
			rep.errorAt(joinKey("vars", k), "use ASCII letters, digits, - and _: ${vars.NAME} can only name those", "malformed var name %q", k)
			continue
		}
		if v, ok := c.varValue(joinKey("vars", k), vars[k]); ok {
			rb.Vars[k] = v
		}
	}
	for i := range raw.Contacts {
		rb.Contacts = append(rb.Contacts, c.contact(indexPath("contacts", i), &raw.Contacts[i]))
	}
	rb.Steps = make([]Step, len(raw.Steps))
	for i := range raw.Steps {
		rb.Steps[i] = c.step(indexPath("steps", i), &raw.Steps[i])
	}
	return rb
}

type converter struct {
	rep *reporter
}

func (c *converter) meta(rb *Runbook, m *rawMeta) {
	rb.ID = c.str("runbook.id", m.ID)
	rb.Title = c.str("runbook.title", m.Title)
	rb.Description = c.str("runbook.description", m.Description)
	rb.Owner = c.str("runbook.owner", m.Owner)
	rb.Account = c.str("runbook.account", m.Account)
	rb.Strategy = c.str("runbook.strategy", m.Strategy)
	rb.RTO = c.positiveDuration("runbook.rto", m.RTO)
	rb.RPO = c.positiveDuration("runbook.rpo", m.RPO)
	if m.Regions != nil {
		rb.Regions.Primary = c.str("runbook.regions.primary", m.Regions.Primary)
		rb.Regions.Recovery = c.str("runbook.regions.recovery", m.Regions.Recovery)
	}
	if m.NewRegions != nil {
		rb.NewRegions = c.strList("runbook.new_regions", m.NewRegions)
	}
	if m.Sensitive != nil {
		rb.SensitiveVars = c.strList("runbook.sensitive_vars", m.Sensitive)
	}
	if m.Team != nil {
		rb.Team = c.team(m.Team)
	}
}

// team converts [runbook.team]. Its values are needed before the run (to
// take the lock and open the log), when no template can be resolved yet,
// so a template in any of them is refused here rather than read as a
// malformed name.
func (c *converter) team(r *rawTeam) *Team {
	str := func(key string, v any) string {
		path := "runbook.team." + key
		s := c.str(path, v)
		if HasTemplate(s) {
			c.rep.errorAtValue(path, "write the value itself: [runbook.team] is read before the run, when no template can be resolved", "templates are not allowed in [runbook.team]")
			return ""
		}
		return s
	}
	t := &Team{
		Region:      str("region", r.Region),
		LockTable:   str("lock_table", r.LockTable),
		AuditBucket: str("audit_bucket", r.AuditBucket),
	}
	if s, ok := r.Retention.(string); ok && HasTemplate(s) {
		str("retention", s)
		return t
	}
	t.Retention = c.retention("runbook.team.retention", r.Retention)
	return t
}

// MaxRetentionDays is the longest Object Lock retention S3 accepts, 100
// years.
const MaxRetentionDays = 36500

// retention is a duration that may run to MaxRetentionDays, longer than
// the ten years other durations may.
func (c *converter) retention(path string, v any) Duration {
	if v == nil {
		return Duration{}
	}
	s, ok := v.(string)
	if !ok {
		c.rep.errorAtValue(path, `durations are strings such as "400d"`, "must be a duration string, not %s", typeName(v))
		return Duration{}
	}
	d, err := parseDurationUpTo(s, MaxRetentionDays, "100 years, the longest Object Lock retention")
	if err != nil {
		c.rep.errorAtValue(path, `give a whole number of days such as "400d"`, "%v", err)
		return Duration{}
	}
	if d == 0 {
		c.rep.errorAtValue(path, `give a whole number of days such as "400d"`, "retention must be longer than zero")
	}
	return Duration{d}
}

func (c *converter) contact(path string, r *rawContact) Contact {
	return Contact{
		ID:         c.strAt(path, "id", r.ID),
		Name:       c.strAt(path, "name", r.Name),
		SNSTopic:   c.strAt(path, "sns_topic", r.SNSTopic),
		Email:      c.strAt(path, "email", r.Email),
		Webhook:    c.strAt(path, "webhook", r.Webhook),
		SSMContact: c.strAt(path, "ssm_contact", r.SSMContact),
	}
}

func (c *converter) step(path string, r *rawStep) Step {
	s := Step{
		ID:        c.strAt(path, "id", r.ID),
		Phase:     c.strAt(path, "phase", r.Phase),
		Title:     c.strAt(path, "title", r.Title),
		Doc:       c.strAt(path, "doc", r.Doc),
		Action:    c.strAt(path, "action", r.Action),
		Region:    c.strAt(path, "region", r.Region),
		Confirm:   c.strAt(path, "confirm", r.Confirm),
		Timeout:   c.positiveDurationAt(path, "timeout", r.Timeout),
		Expect:    c.positiveDurationAt(path, "expect", r.Expect),
		OnFailure: c.strAt(path, "on_failure", r.OnFailure),
		Undo:      c.strAt(path, "undo", r.Undo),
		With:      c.tableAt(path, "with", r.With),
	}
	if r.After != nil {
		s.After, s.AfterSet = c.strList(path+".after", r.After), true
	}
	if r.Retries != nil {
		if n, ok := c.integer(path+".retries", r.Retries); ok {
			s.Retries = int(n)
		}
	}
	if r.Approvals != nil {
		s.approvalsSet = true
		if n, ok := c.integer(path+".approvals", r.Approvals); ok {
			// Clamped so that a huge number stays huge where int is 32 bits;
			// Validate reports anything below 1.
			s.Approvals = int(min(max(n, 0), math.MaxInt32))
		}
	}
	if r.Approvers != nil {
		s.Approvers, s.approversSet = c.strList(path+".approvers", r.Approvers), true
	}
	if s.With == nil {
		s.With = map[string]any{}
	}
	c.checklist(path, r, &s)
	for i := range r.Require {
		s.Require = append(s.Require, c.require(indexPath(path+".require", i), &r.Require[i]))
	}
	outputs := c.tableAt(path, "outputs", r.Outputs)
	for _, name := range sortedKeys(outputs) {
		q := c.str(joinKey(path+".outputs", name), outputs[name])
		s.Outputs = append(s.Outputs, Output{Name: name, Query: q})
	}
	return s
}

// checklist accepts the manual action's checklist written at the step level
// (as docs/runbook-format.md shows it) as well as in [steps.with] (as the catalogue
// lists it), and keeps it in With so that there is one place to read it.
func (c *converter) checklist(path string, r *rawStep, s *Step) {
	if r.Checklist == nil {
		return
	}
	if _, both := s.With["checklist"]; both {
		c.rep.errorAt(path+".checklist", "keep one of them", "checklist is given both here and in [steps.with]")
		return
	}
	s.With["checklist"] = r.Checklist
	s.checklistAtStep = true
}

func (c *converter) require(path string, r *rawRequire) Require {
	q := Require{
		Call:   c.strAt(path, "call", r.Call),
		Input:  c.tableAt(path, "input", r.Input),
		Query:  c.strAt(path, "query", r.Query),
		Region: c.strAt(path, "region", r.Region),
		Why:    c.strAt(path, "why", r.Why),
	}
	values := []any{r.Equals, r.NotEquals, r.In, r.Lt, r.Le, r.Gt, r.Ge, r.Exists, r.Matches, r.Within}
	for i, op := range ConditionOps {
		if values[i] != nil {
			q.Conditions = append(q.Conditions, Condition{Op: op, Value: values[i]})
		}
	}
	return q
}

var indexRE = regexp.MustCompile(`\[\d+\]`)

// table returns a free-form table, reporting any other value: with,
// outputs and input are tables of their own, written [steps.with] or
// inline as with = { ... }.
func (c *converter) table(path string, v any) map[string]any {
	switch t := v.(type) {
	case nil:
		return nil
	case map[string]any:
		return t
	case []map[string]any:
		name := path[strings.LastIndexByte(path, '.')+1:]
		header := indexRE.ReplaceAllString(path, "")
		c.rep.errorAt(path, fmt.Sprintf("write [%s] or %s = { ... } once; [[double brackets]] make an array of tables", header, name), "%s must be a table, not an array of tables", name)
	default:
		c.rep.errorAtValue(path, "", "must be a table, not %s", typeName(v))
	}
	return nil
}

// strAt is str for the key named key in the table at parent; the path
// is built only for a diagnostic, as most values are what they should be.
func (c *converter) strAt(parent, key string, v any) string {
	if s, ok := v.(string); ok || v == nil {
		return s
	}
	return c.str(parent+"."+key, v)
}

// positiveDurationAt is positiveDuration for the key named key in the
// table at parent; the path is built only when the key is present.
func (c *converter) positiveDurationAt(parent, key string, v any) Duration {
	if v == nil {
		return Duration{}
	}
	return c.positiveDuration(parent+"."+key, v)
}

// tableAt is table for the key named key in the table at parent.
func (c *converter) tableAt(parent, key string, v any) map[string]any {
	if t, ok := v.(map[string]any); ok || v == nil {
		return t
	}
	return c.table(parent+"."+key, v)
}

// str returns a string value, reporting any other type. Absent is "".
func (c *converter) str(path string, v any) string {
	if v == nil {
		return ""
	}
	s, ok := v.(string)
	if !ok {
		c.rep.errorAtValue(path, quoteHint(v), "must be a string, not %s", typeName(v))
	}
	return s
}

func quoteHint(v any) string {
	switch v.(type) {
	case int64, float64, bool, time.Time:
		return fmt.Sprintf("put it in quotes: \"%v\"", v)
	}
	return ""
}

func (c *converter) integer(path string, v any) (int64, bool) {
	if n, ok := v.(int64); ok {
		return n, true
	}
	hint := "write a whole number, e.g. 2"
	if s, ok := v.(string); ok {
		hint = fmt.Sprintf("remove the quotes: %s", s)
	}
	c.rep.errorAtValue(path, hint, "must be a whole number, not %s", typeName(v))
	return 0, false
}

func (c *converter) duration(path string, v any) Duration {
	if v == nil {
		return Duration{}
	}
	s, ok := v.(string)
	if !ok {
		c.rep.errorAtValue(path, `durations are strings such as "15m" or "1d12h"`, "must be a duration string, not %s", typeName(v))
		return Duration{}
	}
	d, err := ParseDuration(s)
	if err != nil {
		c.rep.errorAtValue(path, `use a number and a unit: "90s", "15m", "1h30m", "2d"`, "%v", err)
		return Duration{}
	}
	return Duration{d}
}

// positiveDuration is a duration that must be longer than zero when set:
// a step with a zero timeout could never finish.
func (c *converter) positiveDuration(path string, v any) Duration {
	d := c.duration(path, v)
	if s, ok := v.(string); ok && d.Duration == 0 {
		if _, err := ParseDuration(s); err == nil {
			c.rep.errorAtValue(path, "give a positive duration such as \"5m\"", "%s must be longer than zero", path[strings.LastIndexByte(path, '.')+1:])
		}
	}
	return d
}

func (c *converter) strList(path string, v any) []string {
	arr, ok := v.([]any)
	if !ok {
		hint := ""
		if s, isStr := v.(string); isStr {
			hint = fmt.Sprintf("write it as a list: [%q]", s)
		}
		c.rep.errorAtValue(path, hint, "must be a list of strings, not %s", typeName(v))
		return nil
	}
	out := make([]string, 0, len(arr))
	for i, e := range arr {
		s, ok := e.(string)
		if !ok {
			c.rep.errorAtValue(indexPath(path, i), "", "must be a string, not %s", typeName(e))
			continue
		}
		out = append(out, s)
	}
	return out
}

// varValue accepts what [vars] may hold: strings, numbers, booleans and
// arrays of those.
func (c *converter) varValue(path string, v any) (any, bool) {
	switch x := v.(type) {
	case string, int64, float64, bool:
		return v, true
	case []any:
		for i, e := range x {
			if _, ok := c.varValue(indexPath(path, i), e); !ok {
				return nil, false
			}
		}
		return v, true
	case time.Time:
		c.rep.errorAtValue(path, fmt.Sprintf("put it in quotes: \"%s\"", x.Format(time.RFC3339)), "vars hold strings, numbers, booleans and arrays, not dates")
	default:
		c.rep.errorAtValue(path, "flatten it into separate vars, e.g. db_name and db_port", "vars hold strings, numbers, booleans and arrays, not %s", typeName(v))
	}
	return nil, false
}

// typeName names a decoded TOML value's type as the TOML spec does.
func typeName(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case time.Time:
		return "a date-time"
	case []any, []map[string]any:
		return "an array"
	case map[string]any:
		return "a table"
	case nil:
		return "nothing"
	}
	return fmt.Sprintf("a %T", v)
}

func sortedKeys[V any](m map[string]V) []string {
	return appendSortedKeys(make([]string, 0, len(m)), m)
}

// appendSortedKeys appends m's keys to keys, sorted; given a buffer on
// the caller's stack, it allocates nothing for a small map.
func appendSortedKeys[V any](keys []string, m map[string]V) []string {
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// joinList is strings.Join with quotes, for hints that list choices.
func joinList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}
