package runbooks

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// errUnparseable stands for the parser's panics on hostile input: a
// runbook must never crash drpilot.
var errUnparseable = errors.New("unparseable expression")

func (v *validator) require(path string, s *Step, q *Require) {
	r := v.rep
	if q.Call == "" {
		r.errorAt(path+".call", `add call = "service:Operation", a read-only AWS call such as "rds:DescribeDBInstances"`, "precondition has no call")
	} else if _, ok := v.operation(path+".call", q.Call, true); ok {
		v.callInput(path+".input", q.Call, q.Input)
	}
	if q.Query != "" && !HasTemplate(q.Query) {
		if err := v.compileQuery(q.Query); err != nil {
			r.errorAtValue(path+".query", "queries are JMESPath over the AWS response (PascalCase member names)", "malformed query %q: %v", q.Query, err)
		} else if q.Call != "" && !v.rep.diags.hasAt(path+".call") {
			v.checkQuery(path+".query", q.Call, q.Query)
		}
	}
	if q.Region != "" && q.Region != RegionPrimary && q.Region != RegionRecovery {
		v.checkRegion(path+".region", q.Region, true)
	}
	if q.Call != "" {
		v.controlPlaneInPrimary(path+".call", q.Call, v.rb.requireRegion(s, *q))
	}
	// Reading the primary Region is worth a warning when it is inherited
	// from the step; a precondition that names its Region chose it.
	if q.Region == "" && s.Region != "" && v.rb.ResolveRegion(s.Region) == v.rb.Regions.Primary {
		r.warnAt(path, "it fails when that Region is down; read the recovery side, or write region = \"primary\" in the precondition if that is the point", "precondition reads the primary Region")
	}
	if len(q.Conditions) == 0 {
		r.errorAt(path, "add a test: equals, not_equals, in, lt, le, gt, ge, exists, matches or within", "precondition has no test")
	}
	for _, c := range q.Conditions {
		v.condition(path+"."+c.Op, c)
	}
}

// condition checks that a test's value has the type the test needs.
func (v *validator) condition(path string, c Condition) {
	r := v.rep
	if s, ok := c.Value.(string); ok && HasTemplate(s) {
		return // checked when it is resolved
	}
	switch c.Op {
	case "equals", "not_equals":
		switch c.Value.(type) {
		case string, int64, float64, bool:
		default:
			r.errorAtValue(path, "compare with a string, number or boolean; use in = [...] for several", "%s takes a string, number or boolean, not %s", c.Op, typeName(c.Value))
		}
	case "in":
		if list, ok := c.Value.([]any); !ok {
			r.errorAtValue(path, `write a list: in = ["available", "backing-up"]`, "in takes an array, not %s", typeName(c.Value))
		} else if len(list) == 0 {
			r.errorAtValue(path, "list the values that may hold", "in = [] can never hold")
		}
	case "lt", "le", "gt", "ge":
		switch c.Value.(type) {
		case int64, float64:
		default:
			r.errorAtValue(path, "compare numbers only; remove any quotes", "%s takes a number, not %s", c.Op, typeName(c.Value))
		}
	case "exists":
		if _, ok := c.Value.(bool); !ok {
			r.errorAtValue(path, "write exists = true or exists = false", "exists takes true or false, not %s", typeName(c.Value))
		}
	case "matches":
		s, ok := c.Value.(string)
		if !ok {
			r.errorAtValue(path, "write the regular expression as a string", "matches takes a string, not %s", typeName(c.Value))
		} else if _, err := regexp.Compile(s); err != nil {
			r.errorAtValue(path, "use Go (RE2) syntax; see https://pkg.go.dev/regexp/syntax", "malformed regular expression: %v", strings.TrimPrefix(err.Error(), "error parsing regexp: "))
		}
	case "within":
		s, ok := c.Value.(string)
		if !ok {
			r.errorAtValue(path, `write the age as a duration string: within = "15m"`, "within takes a duration, not %s", typeName(c.Value))
		} else if d, err := ParseDuration(s); err != nil {
			r.errorAtValue(path, `use a number and a unit: "90s", "15m", "1h"`, "%v", err)
		} else if d == 0 {
			r.errorAtValue(path, `give the oldest age that is acceptable, e.g. "15m"`, "within must be longer than zero")
		}
	}
}

// references checks every ${...} in the places templates are resolved:
// [steps.with] and the input, query and tests of [[steps.require]].
func (v *validator) references(g *Graph) {
	for i := range v.rb.Steps {
		s := &v.rb.Steps[i]
		path := v.stepPath(i)
		check := func(p string, ref Ref, whole bool) { v.reference(p, i, ref, whole, g) }
		bad := func(p string, err error) {
			v.rep.errorAtValue(p, "templates look like ${vars.NAME}; write $${ for a literal ${", "%v", err)
		}
		if mayHoldRef(s.With) {
			v.refs(path+".with", s.With, check, bad)
		}
		for j, q := range s.Require {
			if !mayHoldRef(q.Input) && !mayHoldRef(q.Query) && !conditionsMayHoldRef(q.Conditions) {
				continue
			}
			qp := indexPath(path+".require", j)
			v.refs(qp+".input", q.Input, check, bad)
			v.refs(qp+".query", q.Query, check, bad)
			for _, c := range q.Conditions {
				v.refs(qp+"."+c.Op, c.Value, check, bad)
			}
		}
	}
}

// refs calls fn for every reference in val, with the key path where it
// was found and whether it is the whole value, and reports malformed
// templates through bad. Paths are built only down to values that may
// hold a reference: most values hold none.
func (v *validator) refs(path string, val any, fn func(path string, ref Ref, whole bool), bad func(path string, err error)) {
	switch x := val.(type) {
	case string:
		if !strings.Contains(x, "${") {
			return
		}
		segs, err := v.template(x)
		if err != nil {
			bad(path, err)
			return
		}
		for _, s := range segs {
			if s.ref != nil {
				fn(path, *s.ref, len(segs) == 1)
			}
		}
	case []any:
		for i, e := range x {
			if mayHoldRef(e) {
				v.refs(indexPath(path, i), e, fn, bad)
			}
		}
	case []map[string]any:
		for i, e := range x {
			if mayHoldRef(e) {
				v.refs(indexPath(path, i), e, fn, bad)
			}
		}
	case map[string]any:
		// In key order, so that diagnostics at one position keep an order.
		var buf [8]string
		keys := buf[:0]
		for k, e := range x {
			if mayHoldRef(e) {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			v.refs(joinKey(path, k), x[k], fn, bad)
		}
	}
}

// mayHoldRef reports whether val is a string with "${" in it or a value
// that can hold strings.
func mayHoldRef(val any) bool {
	switch x := val.(type) {
	case string:
		return strings.Contains(x, "${")
	case []any, []map[string]any:
		return true
	case map[string]any:
		return len(x) > 0
	}
	return false
}

func conditionsMayHoldRef(cs []Condition) bool {
	for _, c := range cs {
		if mayHoldRef(c.Value) {
			return true
		}
	}
	return false
}

const templateForms = "templates are ${vars.NAME}, ${runbook.id}, ${runbook.regions.primary}, ${runbook.regions.recovery}, ${runbook.account}, ${steps.ID.OUTPUT}, ${run.id}, ${run.started_at}, ${contacts.ID.FIELD}"

// reference checks one reference made by step i; whole says whether it
// is the whole value or part of a longer string.
func (v *validator) reference(path string, i int, ref Ref, whole bool, g *Graph) {
	p, r := ref.Parts, v.rep
	bad := func(hint, format string, args ...any) { r.errorAtValue(path, hint, format, args...) }
	switch {
	case p[0] == "vars" && len(p) == 2:
		val, ok := v.rb.Vars[p[1]]
		if !ok {
			bad(nameHint(p[1], sortedKeys(v.rb.Vars), "define it under [vars]"), "unknown var %q in %s", p[1], ref.Text)
		} else if _, isArray := val.([]any); isArray && !whole {
			bad("use the template as the whole value, or a var that is a string", "%s is an array: it cannot be written inside a string", ref.Text)
		}
	case p[0] == "runbook" && len(p) == 2 && p[1] == "id":
	case p[0] == "runbook" && len(p) == 3 && p[1] == "regions" && (p[2] == RegionPrimary || p[2] == RegionRecovery):
	case p[0] == "runbook" && len(p) == 2 && p[1] == "account":
		if v.rb.Account == "" {
			bad("set account = \"123456789012\" in [runbook]", "%s is used but the runbook sets no account", ref.Text)
		}
	case p[0] == "run" && len(p) == 2 && (p[1] == "id" || p[1] == "started_at"):
	case p[0] == "contacts" && len(p) == 3:
		v.contactRef(path, ref)
	case p[0] == "steps" && len(p) == 3:
		v.stepRef(path, i, ref, g)
	default:
		bad(templateForms, "unknown template %s", ref.Text)
	}
}

func nameHint(got string, known []string, otherwise string) string {
	if s := suggest(got, known); s != "" {
		return fmt.Sprintf("did you mean %q?", s)
	}
	return otherwise
}

func (v *validator) contactRef(path string, ref Ref) {
	id, field := ref.Parts[1], ref.Parts[2]
	ids := make([]string, len(v.rb.Contacts))
	for i, c := range v.rb.Contacts {
		ids[i] = c.ID
		if c.ID != id {
			continue
		}
		switch {
		case !contains(ContactFields, field):
			v.rep.errorAtValue(path, choiceHint(field, ContactFields), "unknown contact field %q in %s", field, ref.Text)
		case contactField(c, field) == "":
			v.rep.errorAtValue(path, fmt.Sprintf("set %s on contact %q", field, id), "%s is empty", ref.Text)
		}
		return
	}
	v.rep.errorAtValue(path, nameHint(id, ids, "add a [[contacts]] entry with this id"), "unknown contact %q in %s", id, ref.Text)
}

// stepRef checks ${steps.ID.OUTPUT}: the step exists, declares the output,
// and is sure to have finished before step i starts.
func (v *validator) stepRef(path string, i int, ref Ref, g *Graph) {
	id, out := ref.Parts[1], ref.Parts[2]
	j, ok := v.ids[id]
	if !ok {
		v.rep.errorAtValue(path, v.stepHint(id), "unknown step %q in %s", id, ref.Text)
		return
	}
	if !hasOutput(v.rb.Steps[j].Outputs, out) {
		names := make([]string, len(v.rb.Steps[j].Outputs))
		for k, o := range v.rb.Steps[j].Outputs {
			names[k] = o.Name
		}
		v.rep.errorAtValue(path, nameHint(out, names, fmt.Sprintf("declare it under [steps.outputs] of step %q", id)), "step %q has no output %q", id, out)
		return
	}
	if g == nil || g.Cyclic {
		return // the cycle is reported; "before" means nothing in it
	}
	if j == i {
		v.rep.errorAtValue(path, "a step's outputs exist only after it has run", "step %q refers to its own output", id)
	} else if !g.DependsOn(i, j) {
		v.rep.errorAtValue(path, fmt.Sprintf("add %q to this step's after", id), "step %q is not sure to run before step %q, so %s may not exist yet", id, v.rb.Steps[i].ID, ref.Text)
	}
}

func hasOutput(outputs []Output, name string) bool {
	for _, o := range outputs {
		if o.Name == name {
			return true
		}
	}
	return false
}
