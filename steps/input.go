package steps

import "github.com/drpilot/drpilot/runbooks"

// The plan shows, for every step, the input its primary AWS call will
// receive. Most actions need nothing more than "each parameter fills its
// member", but that rule has to reach into tables and lists of tables
// (elbv2 targets, a Route 53 alias target) and apply defaults, so it is
// written once here and installed as ActionSpec.Input for every action that
// calls AWS and does not bring its own.

// memberInput returns an ActionSpec.Input that fills, for every parameter
// with a Member, that member with the step's value or the parameter's
// default. Parameters without a Member are conveniences the executor
// handles itself, so they are left out.
func memberInput(params []runbooks.Param) func(with map[string]any) map[string]any {
	return func(with map[string]any) map[string]any {
		return fillMembers(params, with)
	}
}

// fillMembers maps one level of snake_case keys to AWS members.
func fillMembers(params []runbooks.Param, with map[string]any) map[string]any {
	in := map[string]any{}
	for _, p := range params {
		if p.Member == "" {
			continue
		}
		v, ok := with[p.Name]
		if !ok {
			if p.Default == nil {
				continue
			}
			v = p.Default
		}
		in[p.Member] = memberValue(p, v)
	}
	return in
}

// memberValue converts a value to its AWS shape: tables with known fields
// get their keys renamed, lists of such tables element by element, and
// everything else (strings, numbers, templates not yet resolved, free-form
// tables) passes through untouched.
func memberValue(p runbooks.Param, v any) any {
	switch p.Kind {
	case runbooks.KindObject:
		if m, ok := v.(map[string]any); ok {
			return fillMembers(p.Fields, m)
		}
	case runbooks.KindList:
		if p.Elem == nil || p.Elem.Kind != runbooks.KindObject {
			return v
		}
		switch items := v.(type) {
		case []any:
			out := make([]any, len(items))
			for i, item := range items {
				out[i] = memberValue(*p.Elem, item)
			}
			return out
		case []map[string]any:
			out := make([]any, len(items))
			for i, item := range items {
				out[i] = fillMembers(p.Elem.Fields, item)
			}
			return out
		}
	}
	return v
}
