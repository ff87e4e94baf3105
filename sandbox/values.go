package sandbox

import (
	"crypto/sha256"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The protocol layer turns every request into a generic input, and every
// handler result is a generic value that each protocol encodes its way:
// map[string]any for structures (keys are wire member names), []any for
// lists, string, bool, int, int64, float64 and time.Time for scalars.
// XML protocols name list members; members names the member element of a
// list where a service's XML does not use <member>.

// members is a list whose XML member elements have a name of their own,
// e.g. RDS's <DBInstances><DBInstance>...</DBInstance></DBInstances>.
type members struct {
	name  string
	items []any
}

// entries is a map the query protocol writes as <entry><key>…</key>
// <value>…</value></entry> (SNS's Attributes); JSON writes it as an object.
type entries map[string]string

// flattened is a list written in XML as repeated elements named after its
// member, with no wrapper (S3's <Rule>…</Rule><Rule>…</Rule>).
type flattened []any

// named wraps items as a list whose XML members are called name.
func named(name string, items []any) members { return members{name: name, items: items} }

// str reads a string member of an input; query inputs are all strings,
// JSON inputs may be numbers or booleans, which are formatted.
func str(in map[string]any, key string) string {
	switch v := in[key].(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	}
	return ""
}

// integer reads an integer member, given as a JSON number or a query
// string; ok is false when it is absent.
func integer(in map[string]any, key string) (int64, bool, *awsError) {
	switch v := in[key].(type) {
	case nil:
		return 0, false, nil
	case float64:
		return int64(v), true, nil
	case string:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, false, errorf("ValidationError", "%s: %q is not an integer", key, v)
		}
		return n, true, nil
	}
	return 0, false, errorf("ValidationError", "%s must be an integer", key)
}

// boolean reads a boolean member, given as JSON or as "true"/"false".
func boolean(in map[string]any, key string) (bool, bool) {
	switch v := in[key].(type) {
	case bool:
		return v, true
	case string:
		b, err := strconv.ParseBool(v)
		return b, err == nil
	}
	return false, false
}

// obj reads a structure member.
func obj(in map[string]any, key string) map[string]any {
	m, _ := in[key].(map[string]any)
	return m
}

// list reads a list member whatever the protocol made of it: a JSON array,
// or a query/XML list whose member elements ("member", "Tag", "item")
// became a map with one key.
func list(in map[string]any, key string) []any {
	return asList(in[key])
}

func asList(v any) []any {
	switch x := v.(type) {
	case []any:
		return x
	case map[string]any:
		if len(x) == 1 {
			for _, inner := range x {
				switch y := inner.(type) {
				case []any:
					return y
				case map[string]any:
					return []any{y}
				case string:
					return []any{y}
				}
			}
		}
	}
	return nil
}

// stringMap reads a map member: a JSON object or scenario table, or a
// query map written as Key.entry.N.key and Key.entry.N.value.
func stringMap(in map[string]any, key string) map[string]string {
	out := map[string]string{}
	m := obj(in, key)
	if entriesList := asList(m["entry"]); len(m) == 1 && entriesList != nil {
		for _, e := range entriesList {
			em, _ := e.(map[string]any)
			out[str(em, "key")] = str(em, "value")
		}
		return out
	}
	for k := range m {
		out[k] = str(m, k)
	}
	return out
}

// required returns a required string member or the error AWS gives.
func required(in map[string]any, key, code string) (string, *awsError) {
	v := str(in, key)
	if v == "" {
		return "", errorf(code, "%s is required", key)
	}
	return v, nil
}

// sortedKeys returns a map's keys in order, for stable output.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// isoTime formats a timestamp as the XML protocols do.
func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// resourceID makes a stable id from a name, in the style of AWS's generated
// ids: prefix and 26 upper-case characters.
func resourceID(prefix, name string) string {
	const upperHex = "0123456789ABCDEF"
	sum := sha256.Sum256([]byte(name))
	out := make([]byte, len(prefix), len(prefix)+26)
	copy(out, prefix)
	for _, c := range sum[:13] {
		out = append(out, upperHex[c>>4], upperHex[c&0xf])
	}
	return string(out)
}

// arn builds an ARN in the aws partition.
func arn(service, region, account, resource string) string {
	return strings.Join([]string{"arn:aws", service, region, account, resource}, ":")
}
