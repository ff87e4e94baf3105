package runbooks

import (
	"fmt"
	"strings"
)

// params checks [steps.with] against the action's parameters: unknown and
// missing ones, types, and the one-of and any-of rules.
func (v *validator) params(stepPath string, s *Step, spec ActionSpec) {
	table := stepPath + ".with"
	index := v.paramIndex(spec)
	byName, names := index.byName, index.names
	var buf [8]string
	for _, key := range appendSortedKeys(buf[:0], s.With) {
		keyPath := joinKey(table, key)
		p, ok := byName[key]
		if !ok {
			at := keyPath
			if key == "checklist" && s.checklistAtStep {
				at = stepPath + ".checklist"
			}
			v.rep.add(SeverityError, table, v.rep.index().key(at), paramHint(key, names, spec.Name),
				"unknown parameter %q for %s", key, spec.Name)
			continue
		}
		v.value(keyPath, p, s.With[key])
		if p.StepRegionARN && !v.rep.diags.hasAt(keyPath) {
			v.arnInStepRegion(keyPath, s, s.With[key])
		}
	}
	for _, p := range spec.Params {
		if _, given := s.With[p.Name]; p.Required && !given {
			v.rep.add(SeverityError, table, v.rep.index().key(table), p.Doc,
				"missing parameter %q for %s", p.Name, spec.Name)
		}
	}
	for _, group := range spec.OneOf {
		if n := countGiven(s.With, group); n != 1 {
			v.rep.add(SeverityError, table, v.rep.index().key(table), "see docs/actions.md#"+anchor(spec.Name),
				"%s takes exactly one of %s (%d given)", spec.Name, joinList(group), n)
		}
	}
	for _, group := range spec.AnyOf {
		if countGiven(s.With, group) == 0 {
			v.rep.add(SeverityError, table, v.rep.index().key(table), "see docs/actions.md#"+anchor(spec.Name),
				"%s needs at least one of %s", spec.Name, joinList(group))
		}
	}
}

func paramHint(key string, names []string, action string) string {
	if s := suggest(key, names); s != "" {
		return fmt.Sprintf("did you mean %q?", s)
	}
	if len(names) == 0 {
		return action + " takes no parameters"
	}
	return action + " takes " + joinList(names)
}

// anchor is the Markdown heading anchor GitHub makes for an action name.
func anchor(name string) string {
	return strings.ReplaceAll(name, ".", "")
}

func countGiven(with map[string]any, group []string) int {
	n := 0
	for _, name := range group {
		if _, ok := with[name]; ok {
			n++
		}
	}
	return n
}

// value checks one parameter value against its description. A value with
// templates is checked as it will be sent when everything it references is
// known before the run (vars, Regions, contacts); references to step
// outputs and the run are known only during it, so such a value is checked
// only for what its text decides.
func (v *validator) value(path string, p Param, val any) {
	if s, ok := val.(string); ok && HasTemplate(s) {
		v.templatedValue(path, p, s)
		return
	}
	if !v.kindMatches(p, val) {
		v.rep.errorAtValue(path, typeHint(p, val), "%s must be %s, not %s", p.Name, kindName(p.Kind), typeName(val))
		return
	}
	switch p.Kind {
	case KindInt, KindFloat:
		v.bounds(path, p, val)
	case KindDuration:
		if d, err := ParseDuration(val.(string)); err != nil {
			v.rep.errorAtValue(path, `use a number and a unit: "90s", "15m", "1h30m"`, "%v", err)
		} else if d == 0 {
			v.rep.errorAtValue(path, `give a positive duration such as "30s"`, "%s must be longer than zero", p.Name)
		}
	case KindARN:
		v.checkARN(path, val.(string), p.ARNService)
	case KindEnum:
		if s := val.(string); !contains(p.Enum, s) {
			hint := ""
			if sug := suggest(s, p.Enum); sug != "" {
				hint = fmt.Sprintf("did you mean %q?", sug)
			}
			v.rep.errorAtValue(path, hint, "%s must be one of %s, not %q", p.Name, joinList(p.Enum), s)
		}
	case KindList:
		v.list(path, p, val)
	case KindObject:
		v.object(path, p, val.(map[string]any))
	case KindContactIDs:
		v.contactIDs(path, val.([]any))
	case KindOperation:
		v.operation(path, val.(string), false)
	case KindRegion:
		v.checkRegion(path, val.(string), false)
	}
}

// arnInStepRegion reports an ARN, written or made of templates known
// before the run, whose Region is not the Region its step runs in.
func (v *validator) arnInStepRegion(path string, s *Step, val any) {
	text, _ := val.(string)
	if resolved, err := Resolve(text, v.lookup); err == nil {
		text, _ = resolved.(string)
	}
	m := arnRE.FindStringSubmatch(text)
	if m == nil || HasTemplate(text) || m[3] == "" {
		return
	}
	if step := v.rb.ResolveRegion(s.Region); regionRE.MatchString(step) && m[3] != step {
		v.rep.errorAtValue(path, fmt.Sprintf("name the resource in %s, or run the step in %s", step, m[3]),
			"the ARN names Region %s, but the step runs in %s", m[3], step)
	}
}

// templatedValue checks a value with ${...} in it.
func (v *validator) templatedValue(path string, p Param, s string) {
	resolved, err := Resolve(s, v.lookup)
	if err != nil {
		return // references() reports templates that cannot be resolved
	}
	if rs, isString := resolved.(string); !isString || !HasTemplate(rs) {
		if !v.kindMatches(p, resolved) {
			v.rep.errorAtValue(path, "use a var of the right type, or write the value itself",
				"%s must be %s, but %s is %s", p.Name, kindName(p.Kind), s, typeName(resolved))
			return
		}
		v.value(path, p, resolved)
		return
	}
	if p.Kind == KindInt || p.Kind == KindFloat || p.Kind == KindBool {
		if segs, err := v.template(s); err == nil && len(segs) != 1 {
			v.rep.errorAtValue(path, "use the template alone as the value", "%s must be %s; text around a template makes it a string", p.Name, kindName(p.Kind))
		}
	}
}

func (v *validator) kindMatches(p Param, val any) bool {
	switch p.Kind {
	case KindString, KindDuration, KindARN, KindEnum, KindOperation, KindRegion:
		_, ok := val.(string)
		return ok
	case KindInt:
		_, ok := val.(int64)
		return ok
	case KindFloat:
		switch val.(type) {
		case int64, float64:
			return true
		}
	case KindBool:
		_, ok := val.(bool)
		return ok
	case KindList, KindContactIDs:
		switch val.(type) {
		case []any, []map[string]any:
			return true
		}
	case KindObject, KindMap:
		_, ok := val.(map[string]any)
		return ok
	case KindAny:
		return true
	}
	return false
}

func kindName(k Kind) string {
	switch k {
	case KindString, KindEnum:
		return "a string"
	case KindInt:
		return "a whole number"
	case KindFloat:
		return "a number"
	case KindBool:
		return "true or false"
	case KindDuration:
		return `a duration string such as "5m"`
	case KindARN:
		return "an ARN string"
	case KindRegion:
		return `a Region name such as "us-west-2"`
	case KindList:
		return "an array"
	case KindObject, KindMap:
		return "a table"
	case KindContactIDs:
		return "an array of contact ids"
	case KindOperation:
		return `"service:Operation"`
	}
	return "a value"
}

func typeHint(p Param, val any) string {
	switch p.Kind {
	case KindString, KindARN, KindEnum, KindDuration, KindRegion:
		return quoteHint(val)
	case KindList, KindContactIDs:
		if s, ok := val.(string); ok {
			return fmt.Sprintf("write it as a list: [%q]", s)
		}
	case KindInt, KindFloat, KindBool:
		if s, ok := val.(string); ok {
			return fmt.Sprintf("remove the quotes: %s", s)
		}
	}
	return p.Doc
}

func (v *validator) bounds(path string, p Param, val any) {
	var n float64
	switch x := val.(type) {
	case int64:
		n = float64(x)
	case float64:
		n = x
	}
	if p.HasMin && n < p.Min || p.HasMax && n > p.Max {
		v.rep.errorAtValue(path, rangeHint(p), "%s %v is out of range", p.Name, val)
	}
}

func rangeHint(p Param) string {
	switch {
	case p.HasMin && p.HasMax:
		return fmt.Sprintf("use %v to %v", p.Min, p.Max)
	case p.HasMin:
		return fmt.Sprintf("use %v or more", p.Min)
	}
	return fmt.Sprintf("use at most %v", p.Max)
}

func (v *validator) list(path string, p Param, val any) {
	if p.Elem == nil {
		return
	}
	elem := *p.Elem
	if elem.Name == "" {
		elem.Name = p.Name + " entry"
	}
	switch x := val.(type) {
	case []any:
		for i, e := range x {
			v.value(indexPath(path, i), elem, e)
		}
	case []map[string]any:
		for i, e := range x {
			v.value(indexPath(path, i), elem, e)
		}
	}
}

func (v *validator) object(path string, p Param, m map[string]any) {
	names := make([]string, len(p.Fields))
	byName := map[string]Param{}
	for i, f := range p.Fields {
		names[i] = f.Name
		byName[f.Name] = f
	}
	for _, key := range sortedKeys(m) {
		f, ok := byName[key]
		if !ok {
			v.rep.add(SeverityError, path, v.rep.index().key(joinKey(path, key)), paramHint(key, names, p.Name),
				"unknown field %q in %s", key, p.Name)
			continue
		}
		v.value(joinKey(path, key), f, m[key])
	}
	for _, f := range p.Fields {
		if _, ok := m[f.Name]; f.Required && !ok {
			v.rep.errorAtValue(path, f.Doc, "%s is missing %q", p.Name, f.Name)
		}
	}
}

func (v *validator) contactIDs(path string, ids []any) {
	known := make([]string, len(v.rb.Contacts))
	for i, c := range v.rb.Contacts {
		known[i] = c.ID
	}
	if len(ids) == 0 {
		v.rep.errorAtValue(path, "name at least one contact id", "no recipients")
	}
	for i, e := range ids {
		id, ok := e.(string)
		p := indexPath(path, i)
		switch {
		case !ok:
			v.rep.errorAtValue(p, "contact ids are strings", "must be a string, not %s", typeName(e))
		case HasTemplate(id):
		case !contains(known, id):
			hint := "add a [[contacts]] entry with this id"
			if s := suggest(id, known); s != "" {
				hint = fmt.Sprintf("did you mean %q?", s)
			}
			v.rep.errorAtValue(p, hint, "unknown contact %q", id)
		}
	}
}

// splitOperation splits "service:Operation": a service prefix of lower
// case letters, digits and dashes, and an operation name that starts with
// an upper case letter and continues with letters and digits.
func splitOperation(op string) (svc, name string, ok bool) {
	svc, name, found := strings.Cut(op, ":")
	if !found || svc == "" || name == "" || name[0] < 'A' || name[0] > 'Z' {
		return "", "", false
	}
	for i := 0; i < len(svc); i++ {
		if c := svc[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return "", "", false
		}
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return "", "", false
		}
	}
	return svc, name, true
}

// operation checks a "service:Operation" name. Preconditions may only read,
// so for them a mutating or unknown operation is an error.
func (v *validator) operation(path, op string, readOnly bool) (OperationClass, bool) {
	svc, name, ok := splitOperation(op)
	if !ok {
		v.rep.errorAtValue(path, `write the IAM service prefix and the API operation: "rds:DescribeDBInstances"`, "malformed operation %q", op)
		return OpUnknown, false
	}
	if v.services == nil {
		v.services = v.cat.Services()
	}
	if !contains(v.services, svc) {
		hint := "drpilot calls: " + strings.Join(v.services, ", ")
		if s := suggest(svc, v.services); s != "" {
			hint = fmt.Sprintf("did you mean %q? %s", s, hint)
		}
		v.rep.errorAtValue(path, hint, "unsupported service %q", svc)
		return OpUnknown, false
	}
	if !v.operationExists(path, svc, name) {
		return OpUnknown, false
	}
	class := v.cat.Classify(svc, name)
	if readOnly && class != OpReadOnly {
		what := "a mutating"
		if class == OpUnknown {
			what = "not a known read-only"
		}
		v.rep.errorAtValue(path, "preconditions may only read: use a Describe*, Get* or List* operation", "%s is %s operation", op, what)
	}
	return class, true
}
