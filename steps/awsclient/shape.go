package awsclient

import (
	"encoding/base64"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"time"
)

// An operation's input is written in a runbook as the AWS CLI's JSON takes
// it (TOML tables for structures and maps, arrays for lists, base64 strings
// for blobs, RFC 3339 strings or epoch seconds for timestamps, a one-key
// table naming the member for a union: DynamoDB's { S = "x" }). One walk
// over the SDK's input type turns such a value into the typed input for
// Invoke and lists what is wrong with it for CheckInput, so that check
// refuses exactly what the run would refuse, and nothing else.

// InputProblem is one thing wrong with an operation's input.
type InputProblem struct {
	// Path leads from the input to the member: member names and map keys
	// (string) and array indices (int).
	Path    []any
	Message string
	Hint    string
	// Unknown says the last element of Path is a member its table does
	// not have, and Members lists the names the table has, for a
	// did-you-mean.
	Unknown bool
	Members []string
	// Warning says the input is accepted as it is, and sent with the
	// member's own name: a member name in another casing than the API's.
	Warning bool
	// AtName says the member's name is what is wrong, not its value.
	AtName bool
	// Name is, for a Warning, the member's name in the API, which the
	// input spelt in another casing.
	Name string
}

// Later stands, in an input given to CheckInput, for a value known only
// during the run, such as a template naming an earlier step's output.
// Whole says the value is the template alone, so it may be of any type;
// otherwise it is text around a template, so a string.
type Later struct{ Whole bool }

// shaper walks a value against a Go type, building the typed value and
// collecting problems.
type shaper struct {
	path     []any
	problems []InputProblem
}

var timeType = reflect.TypeFor[time.Time]()

// MemberPath renders a path for messages: Item.pk, Filters[0].Values.
func MemberPath(path []any) string {
	var b strings.Builder
	for _, p := range path {
		switch x := p.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", x)
		case string:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(x)
		}
	}
	return b.String()
}

// fail records a problem at the current path.
func (s *shaper) fail(hint, format string, args ...any) {
	s.problems = append(s.problems, InputProblem{
		Path: slices.Clone(s.path), Message: fmt.Sprintf(format, args...), Hint: hint,
	})
}

// wrongKind records a value of the wrong kind for a member of type t.
func (s *shaper) wrongKind(t reflect.Type, v any, hint string) {
	s.fail(hint, "member %s must be %s, not %s", MemberPath(s.path), describeKind(t), describeKind(reflect.TypeOf(v)))
}

// within runs fn with key (a member name, map key or index) appended to
// the path.
func (s *shaper) within(key any, fn func()) {
	s.path = append(s.path, key)
	fn()
	s.path = s.path[:len(s.path)-1]
}

// value converts v to type t. It returns the zero Value when v does not
// fit, after recording why.
func (s *shaper) value(t reflect.Type, v any) reflect.Value {
	if v == nil {
		return reflect.Zero(t) // JSON null, from a step's output: unset
	}
	if l, ok := v.(Later); ok {
		return s.later(t, l)
	}
	if rv := reflect.ValueOf(v); rv.Type().AssignableTo(t) {
		return rv // an action's input already typed for the SDK
	}
	switch {
	case t.Kind() == reflect.Pointer:
		e := s.value(t.Elem(), v)
		if !e.IsValid() {
			return e
		}
		p := reflect.New(t.Elem())
		p.Elem().Set(e)
		return p
	case t == timeType:
		return s.timestamp(v)
	case t.Kind() == reflect.Interface:
		return s.union(t, v)
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		return s.blob(t, v)
	case t.Kind() == reflect.Slice:
		return s.list(t, v)
	case t.Kind() == reflect.Map:
		return s.mapOf(t, v)
	case t.Kind() == reflect.Struct:
		return s.structure(t, v)
	}
	return s.scalar(t, v)
}

// later accepts a value known only during the run wherever it could go:
// the template alone anywhere, text around a template wherever a string is
// written.
func (s *shaper) later(t reflect.Type, l Later) reflect.Value {
	if l.Whole || takesString(t) {
		return reflect.Value{}
	}
	s.fail("use the template alone as the value", "member %s must be %s; text around a template makes it a string",
		MemberPath(s.path), describeKind(t))
	return reflect.Value{}
}

// takesString reports whether a member of type t is written as a string:
// text, enums, timestamps and blobs.
func takesString(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Kind() == reflect.String || t == timeType ||
		t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8
}

// scalar converts strings, booleans and numbers. Enums are string types
// and take any string: AWS adds values faster than SDKs are released.
func (s *shaper) scalar(t reflect.Type, v any) reflect.Value {
	out := reflect.New(t).Elem()
	switch t.Kind() {
	case reflect.String:
		if rv := reflect.ValueOf(v); rv.Kind() == reflect.String {
			out.SetString(rv.String())
			return out
		}
		s.wrongKind(t, v, "put it in quotes")
	case reflect.Bool:
		if rv := reflect.ValueOf(v); rv.Kind() == reflect.Bool {
			out.SetBool(rv.Bool())
			return out
		}
		s.wrongKind(t, v, "write true or false, without quotes")
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if n, ok := wholeNumber(v); ok && !out.OverflowInt(n) {
			out.SetInt(n)
			return out
		}
		s.badNumber(t, v)
	case reflect.Float32, reflect.Float64:
		if f, ok := number(v); ok && !out.OverflowFloat(f) {
			out.SetFloat(f)
			return out
		}
		s.badNumber(t, v)
	default:
		s.fail("", "member %s has the Go type %s, which drpilot cannot send", MemberPath(s.path), t)
	}
	return reflect.Value{}
}

// badNumber explains a value that is not a number of t's kind and range.
func (s *shaper) badNumber(t reflect.Type, v any) {
	if _, isNumber := number(v); isNumber {
		s.fail("", "member %s must be %s, and %v is not one that fits", MemberPath(s.path), describeKind(t), v)
		return
	}
	hint := ""
	if _, ok := v.(string); ok {
		// Not quoted back: the text may be a sensitive var's value.
		hint = "remove the quotes"
	}
	s.wrongKind(t, v, hint)
}

// number returns v as a float64 when it is a number of any Go kind.
func number(v any) (float64, bool) {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return float64(rv.Int()), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return float64(rv.Uint()), true
	case reflect.Float32, reflect.Float64:
		return rv.Float(), true
	}
	return 0, false
}

// wholeNumber returns v as an int64 when it is an integer, or a float
// with no fraction: outputs of earlier steps are JSON numbers, and JSON
// has only floats.
func wholeNumber(v any) (int64, bool) {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int(), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return int64(rv.Uint()), rv.Uint() <= math.MaxInt64
	case reflect.Float32, reflect.Float64:
		f := rv.Float()
		return int64(f), f == math.Trunc(f) && math.Abs(f) < 1<<63
	}
	return 0, false
}

// timestamp takes what the AWS CLI takes: an RFC 3339 string or epoch
// seconds, and TOML's own date-times.
func (s *shaper) timestamp(v any) reflect.Value {
	switch x := v.(type) {
	case time.Time:
		return reflect.ValueOf(x)
	case string:
		if t, err := time.Parse(time.RFC3339Nano, x); err == nil {
			return reflect.ValueOf(t)
		}
		// The text is not quoted back: it may be a sensitive var's value.
		s.fail(`write an RFC 3339 time such as "2026-03-01T09:30:00Z", or seconds since 1970`, "member %s must be a timestamp, and its text is not RFC 3339", MemberPath(s.path))
		return reflect.Value{}
	}
	if f, ok := number(v); ok && !math.IsNaN(f) && !math.IsInf(f, 0) && math.Abs(f) < 1e12 {
		sec, frac := math.Modf(f)
		return reflect.ValueOf(time.Unix(int64(sec), int64(frac*1e9)).UTC())
	}
	s.wrongKind(timeType, v, `write an RFC 3339 time such as "2026-03-01T09:30:00Z", or seconds since 1970`)
	return reflect.Value{}
}

// blob takes base64, as the AWS CLI's JSON does.
func (s *shaper) blob(t reflect.Type, v any) reflect.Value {
	str, ok := v.(string)
	if !ok {
		s.wrongKind(t, v, "binary members are written in base64")
		return reflect.Value{}
	}
	b, err := base64.StdEncoding.DecodeString(str)
	if err != nil {
		s.fail("binary members are written in base64, e.g. \"aGVsbG8=\" for hello", "member %s must be base64: %v", MemberPath(s.path), err)
		return reflect.Value{}
	}
	return reflect.ValueOf(b).Convert(t)
}

// list converts an array element by element.
func (s *shaper) list(t reflect.Type, v any) reflect.Value {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice {
		hint := ""
		if str, ok := v.(string); ok {
			hint = fmt.Sprintf("write it as a list: [%q]", str)
		}
		s.wrongKind(t, v, hint)
		return reflect.Value{}
	}
	out := reflect.MakeSlice(t, rv.Len(), rv.Len())
	ok := true
	for i := range rv.Len() {
		s.within(i, func() {
			e := s.value(t.Elem(), rv.Index(i).Interface())
			if ok = ok && e.IsValid(); ok {
				out.Index(i).Set(e)
			}
		})
	}
	return valid(out, ok)
}

// valid returns out when every part of it converted.
func valid(out reflect.Value, ok bool) reflect.Value {
	if !ok {
		return reflect.Value{}
	}
	return out
}

// mapOf converts a table whose keys are data (DynamoDB attribute names,
// tags), not member names.
func (s *shaper) mapOf(t reflect.Type, v any) reflect.Value {
	m, isTable := asTable(v)
	if !isTable || t.Key().Kind() != reflect.String {
		s.wrongKind(t, v, "")
		return reflect.Value{}
	}
	out := reflect.MakeMapWithSize(t, len(m))
	ok := true
	for _, k := range sortedKeys(m) {
		s.within(k, func() {
			e := s.value(t.Elem(), m[k])
			if ok = ok && e.IsValid(); ok {
				out.SetMapIndex(reflect.ValueOf(k).Convert(t.Key()), e)
			}
		})
	}
	return valid(out, ok)
}

// asTable returns v as a table when it is a map with string keys: TOML
// and JSON give map[string]any, and actions may build a map[string]string.
func asTable(v any) (map[string]any, bool) {
	if m, ok := v.(map[string]any); ok {
		return m, true
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Map || rv.Type().Key().Kind() != reflect.String {
		return nil, false
	}
	m := make(map[string]any, rv.Len())
	for it := rv.MapRange(); it.Next(); {
		m[it.Key().String()] = it.Value().Interface()
	}
	return m, true
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
