package runbooks

import (
	"bytes"

	gotoml "github.com/pelletier/go-toml/v2"
)

// Decoding is most of the cost of loading a runbook, and BurntSushi/toml,
// whose errors, MetaData and types the diagnostics are written against,
// is ten times slower than go-toml. So a load first decodes with go-toml
// and takes the result only when the document is exactly of the format's
// shape: every key of a table of the format spelt as the format spells
// it, every table and array of tables of the format where the format has
// one, and no value whose type the two decoders tell apart (a date-time,
// an array of tables written [[like.this]] inside a free-form table).
// Anything else, a syntax error included, goes
// to BurntSushi/toml as before, so every diagnostic stays its own; the
// fast path only ever skips work for a document that has nothing to
// report about its shape. TestFastDecodeAgrees and FuzzFastDecode hold
// the two paths to the same result.

// decodeFast decodes src into a rawDoc with go-toml, or returns false
// when the document needs BurntSushi/toml's decoding.
func decodeFast(src []byte) (*rawDoc, bool) {
	if !onlyFormatArrayTables(src) {
		return nil, false
	}
	var tree map[string]any
	if err := gotoml.Unmarshal(src, &tree); err != nil {
		return nil, false
	}
	raw := &rawDoc{}
	for k, v := range tree {
		ok := true
		switch k {
		case "format":
			raw.Format, ok = plainValue(v)
		case "runbook":
			raw.Runbook, ok = fastMeta(v)
		case "vars":
			raw.Vars, ok = plainValue(v)
		case "contacts":
			raw.Contacts, ok = fastTables(v, fastContact)
		case "steps":
			raw.Steps, ok = fastTables(v, fastStep)
		default:
			ok = false
		}
		if !ok {
			return nil, false
		}
	}
	return raw, true
}

// onlyFormatArrayTables reports whether every [[header]] in src opens an
// array of tables of the format. BurntSushi/toml gives an array of tables
// so written a type of its own ([]map[string]any, where an array of
// inline tables is []any), which go-toml's result does not show; with
// no other [[header]], every array in a free-form value is one the two
// decoders give alike. A line of a multi-line string that looks like a
// header only sends the document to BurntSushi/toml.
func onlyFormatArrayTables(src []byte) bool {
	for line := range bytes.Lines(src) {
		l := bytes.TrimLeft(line, " \t")
		if !bytes.HasPrefix(l, []byte("[[")) {
			continue
		}
		end := bytes.Index(l, []byte("]]"))
		if end < 0 {
			return false
		}
		switch string(bytes.TrimSpace(l[2:end])) {
		case "contacts", "steps", "steps.require":
		default:
			return false
		}
	}
	return true
}

// plainValue returns a value of a free-form key as BurntSushi/toml
// decodes it into an any, or false when it holds something that decoder
// represents differently: a date-time (go-toml has types of its own for
// local ones).
func plainValue(v any) (any, bool) {
	switch x := v.(type) {
	case string, int64, float64, bool:
		return v, true
	case []any:
		for i, e := range x {
			pv, ok := plainValue(e)
			if !ok {
				return nil, false
			}
			x[i] = pv
		}
		return x, true
	case map[string]any:
		for k, e := range x {
			pv, ok := plainValue(e)
			if !ok {
				return nil, false
			}
			x[k] = pv
		}
		return x, true
	}
	return nil, false
}

// fastTables converts an array of tables of the format, element by
// element.
func fastTables[T any](v any, elem func(map[string]any, *T) bool) ([]T, bool) {
	arr, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]T, len(arr))
	for i, e := range arr {
		m, ok := e.(map[string]any)
		if !ok || !elem(m, &out[i]) {
			return nil, false
		}
	}
	return out, true
}

// fields assigns each key of a table of the format through set, which
// reports whether the key is one of the format's and its value fits.
func fields(m map[string]any, set func(k string, v any) bool) bool {
	for k, v := range m {
		if !set(k, v) {
			return false
		}
	}
	return true
}

// plainTo stores a free-form value in *dst.
func plainTo(dst *any, v any) bool {
	pv, ok := plainValue(v)
	*dst = pv
	return ok
}

func fastMeta(v any) (*rawMeta, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, false
	}
	r := &rawMeta{}
	return r, fields(m, func(k string, v any) bool {
		switch k {
		case "regions":
			t, ok := v.(map[string]any)
			r.Regions = &rawRegions{}
			return ok && fields(t, func(k string, v any) bool {
				if dst := r.Regions.field(k); dst != nil {
					return plainTo(dst, v)
				}
				return false
			})
		case "team":
			t, ok := v.(map[string]any)
			r.Team = &rawTeam{}
			return ok && fields(t, func(k string, v any) bool {
				if dst := r.Team.field(k); dst != nil {
					return plainTo(dst, v)
				}
				return false
			})
		}
		if dst := r.field(k); dst != nil {
			return plainTo(dst, v)
		}
		return false
	})
}

func fastContact(m map[string]any, r *rawContact) bool {
	return fields(m, func(k string, v any) bool {
		if dst := r.field(k); dst != nil {
			return plainTo(dst, v)
		}
		return false
	})
}

func fastStep(m map[string]any, r *rawStep) bool {
	return fields(m, func(k string, v any) bool {
		if k == "require" {
			var ok bool
			r.Require, ok = fastTables(v, fastRequire)
			return ok
		}
		if dst := r.field(k); dst != nil {
			return plainTo(dst, v)
		}
		return false
	})
}

func fastRequire(m map[string]any, r *rawRequire) bool {
	return fields(m, func(k string, v any) bool {
		if dst := r.field(k); dst != nil {
			return plainTo(dst, v)
		}
		return false
	})
}

// The field methods map a key of a table of the format to the field that
// holds its value, or nil when the format has no such key (spelt so).

func (r *rawMeta) field(k string) *any {
	switch k {
	case "id":
		return &r.ID
	case "title":
		return &r.Title
	case "description":
		return &r.Description
	case "owner":
		return &r.Owner
	case "account":
		return &r.Account
	case "strategy":
		return &r.Strategy
	case "rto":
		return &r.RTO
	case "rpo":
		return &r.RPO
	case "new_regions":
		return &r.NewRegions
	case "sensitive_vars":
		return &r.Sensitive
	}
	return nil
}

func (r *rawRegions) field(k string) *any {
	switch k {
	case "primary":
		return &r.Primary
	case "recovery":
		return &r.Recovery
	}
	return nil
}

func (r *rawTeam) field(k string) *any {
	switch k {
	case "region":
		return &r.Region
	case "lock_table":
		return &r.LockTable
	case "audit_bucket":
		return &r.AuditBucket
	case "retention":
		return &r.Retention
	}
	return nil
}

func (r *rawContact) field(k string) *any {
	switch k {
	case "id":
		return &r.ID
	case "name":
		return &r.Name
	case "sns_topic":
		return &r.SNSTopic
	case "email":
		return &r.Email
	case "webhook":
		return &r.Webhook
	case "ssm_contact":
		return &r.SSMContact
	}
	return nil
}

func (r *rawStep) field(k string) *any {
	switch k {
	case "id":
		return &r.ID
	case "phase":
		return &r.Phase
	case "title":
		return &r.Title
	case "doc":
		return &r.Doc
	case "action":
		return &r.Action
	case "region":
		return &r.Region
	case "after":
		return &r.After
	case "confirm":
		return &r.Confirm
	case "timeout":
		return &r.Timeout
	case "expect":
		return &r.Expect
	case "retries":
		return &r.Retries
	case "on_failure":
		return &r.OnFailure
	case "undo":
		return &r.Undo
	case "checklist":
		return &r.Checklist
	case "with":
		return &r.With
	case "outputs":
		return &r.Outputs
	case "approvals":
		return &r.Approvals
	case "approvers":
		return &r.Approvers
	}
	return nil
}

func (r *rawRequire) field(k string) *any {
	switch k {
	case "call":
		return &r.Call
	case "input":
		return &r.Input
	case "query":
		return &r.Query
	case "equals":
		return &r.Equals
	case "not_equals":
		return &r.NotEquals
	case "in":
		return &r.In
	case "lt":
		return &r.Lt
	case "le":
		return &r.Le
	case "gt":
		return &r.Gt
	case "ge":
		return &r.Ge
	case "exists":
		return &r.Exists
	case "matches":
		return &r.Matches
	case "within":
		return &r.Within
	case "region":
		return &r.Region
	case "why":
		return &r.Why
	}
	return nil
}
