package awsclient

import "reflect"

// CanonicalInput returns a copy of input with every member name, at any
// depth, spelt as the SDK spells it, which is what the SDK sends whatever
// casing the runbook used (findMember). The audit log and the approval
// gate show this copy, so that they record what was sent. Names the
// operation's input does not have, map keys (data, not member names) and
// values are left as they are; an operation that does not exist gets
// input back unchanged.
func CanonicalInput(service, operation string, input map[string]any) map[string]any {
	method, _, ok := lookupOperation(service, operation)
	if !ok || input == nil {
		return input
	}
	out, _ := canonicalValue(method.Type.In(2).Elem(), input).(map[string]any)
	return out
}

// canonicalValue renames the members in v, a value written for type t.
func canonicalValue(t reflect.Type, v any) any {
	t = deref(t)
	switch {
	case t == timeType || t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		return v
	case t.Kind() == reflect.Struct:
		return canonicalTable(v, memberNames(t), func(i int) reflect.Type { return t.Field(fields(t)[i].index).Type })
	case t.Kind() == reflect.Interface:
		members, isUnion := unions()[t]
		if !isUnion {
			return v
		}
		names := unionNames(t)
		return canonicalTable(v, names, func(i int) reflect.Type {
			f, _ := members[names[i]].FieldByName("Value")
			return f.Type
		})
	case t.Kind() == reflect.Map:
		if m, ok := v.(map[string]any); ok {
			out := make(map[string]any, len(m))
			for k, e := range m {
				out[k] = canonicalValue(t.Elem(), e)
			}
			return out
		}
	case t.Kind() == reflect.Slice:
		switch list := v.(type) {
		case []any:
			out := make([]any, len(list))
			for i, e := range list {
				out[i] = canonicalValue(t.Elem(), e)
			}
			return out
		case []map[string]any:
			out := make([]map[string]any, len(list))
			for i, e := range list {
				out[i], _ = canonicalValue(t.Elem(), e).(map[string]any)
			}
			return out
		}
	}
	return v
}

// canonicalTable renames a table's keys to the names they find among
// names, and their values by the member's type.
func canonicalTable(v any, names []string, typeOf func(i int) reflect.Type) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	out := make(map[string]any, len(m))
	for k, e := range m {
		i := findMember(names, k)
		if i < 0 {
			out[k] = e
			continue
		}
		out[names[i]] = canonicalValue(typeOf(i), e)
	}
	return out
}

// memberNames lists a structure's member names, in fields' order.
func memberNames(t reflect.Type) []string {
	fs := fields(t)
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.name
	}
	return names
}
