package awsclient

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
)

// CheckInput lists what is wrong with input for service:operation without
// calling AWS, exactly as Invoke would refuse it: members the operation's
// input does not have (at any depth), values of the wrong kind, malformed
// timestamps and base64, union tables that do not name exactly one
// member. A Later value is accepted wherever it could go. It returns nil
// for an operation that does not exist, which HasOperation reports.
func CheckInput(service, operation string, input map[string]any) []InputProblem {
	method, _, ok := lookupOperation(service, operation)
	if !ok {
		return nil
	}
	s := &shaper{}
	s.structure(method.Type.In(2).Elem(), input)
	return s.problems
}

// lookupOperation finds service:operation's client method, and the
// service's canonical name, for the walks over its input and output.
func lookupOperation(service, operation string) (method reflect.Method, canon string, ok bool) {
	if canon, ok = canonical(service); ok {
		method, ok = operationIndex()[canon][operation]
	}
	return method, canon, ok
}

// field is one member of an SDK structure.
type field struct {
	name  string
	index int
}

// fieldCache holds each structure type's members, which every check and
// call of an operation would otherwise list again.
var fieldCache sync.Map // reflect.Type → []field

// fields lists a structure's members: its exported fields. The SDK's
// structures embed an unexported marker, which is no member.
func fields(t reflect.Type) []field {
	if f, ok := fieldCache.Load(t); ok {
		return f.([]field)
	}
	var out []field
	for i := range t.NumField() {
		if f := t.Field(i); f.IsExported() && !f.Anonymous {
			out = append(out, field{name: f.Name, index: i})
		}
	}
	fieldCache.Store(t, out)
	return out
}

// findMember finds key among names: exactly, else ignoring case when one
// name matches so. encoding/json matched keys that way before this walk
// existed, so runbooks written in another casing keep working; check
// warns about them (see casing), and the SDK sends its own name.
func findMember(names []string, key string) int {
	folded := -1
	for i, n := range names {
		if n == key {
			return i
		}
		if strings.EqualFold(n, key) {
			if folded >= 0 {
				return -1 // ambiguous: insist on the exact spelling
			}
			folded = i
		}
	}
	return folded
}

// lowerCamel is the wire name of a member of the APIs whose JSON is
// camelCase (ECS's cluster, FIS's experimentTemplateId), which the AWS
// CLI's JSON takes as well: the SDK's name with its first letter lowered.
func lowerCamel(name string) string {
	if name == "" {
		return name
	}
	return strings.ToLower(name[:1]) + name[1:]
}

// casing warns when key found name only by ignoring case: the input is
// sent, and logged, under name, so the runbook should say name too.
// wire says the API's lowerCamel spelling counts as the API's own.
func (s *shaper) casing(key, name string, wire bool) {
	if key == name || wire && key == lowerCamel(name) {
		return
	}
	s.fail(fmt.Sprintf("write %s, as the API names it", name), "member %q is spelt %s in the API", key, name)
	s.problems[len(s.problems)-1].Warning = true
	s.problems[len(s.problems)-1].AtName = true
	s.problems[len(s.problems)-1].Name = name
}

// memberHint lists a table's members for an unknown one; check
// suggests the nearest instead (see Members).
func memberHint(names []string) string {
	if len(names) <= 12 {
		return "its members are " + strings.Join(names, ", ")
	}
	return "member names are as in the AWS API reference, in PascalCase"
}

// structure converts a table to an SDK structure, member by member.
func (s *shaper) structure(t reflect.Type, v any) reflect.Value {
	m, isTable := asTable(v)
	if !isTable {
		s.wrongKind(t, v, "")
		return reflect.Value{}
	}
	fs, names := fields(t), memberNames(t)
	out := reflect.New(t).Elem()
	ok := true
	given := make(map[int]string, len(m))
	for _, k := range sortedKeys(m) {
		s.within(k, func() {
			i := findMember(names, k)
			if i < 0 {
				s.unknownMember(k, names)
				ok = false
				return
			}
			if first, twice := given[i]; twice {
				// Which of the two the SDK would send depends on the order
				// of a map: refuse both rather than guess.
				s.fail("give it once, as "+names[i], "member %s is given twice, as %q and %q", names[i], first, k)
				s.problems[len(s.problems)-1].AtName = true
				ok = false
				return
			}
			given[i] = k
			s.casing(k, names[i], true)
			e := s.value(t.Field(fs[i].index).Type, m[k])
			if ok = ok && e.IsValid(); ok {
				out.Field(fs[i].index).Set(e)
			}
		})
	}
	return valid(out, ok)
}

// unknownMember reports key, the last element of the path, as a member
// its table does not have.
func (s *shaper) unknownMember(key string, names []string) {
	where := ""
	if parent := MemberPath(s.path[:len(s.path)-1]); parent != "" {
		where = " in " + parent
	}
	s.fail(memberHint(names), "unknown member %q%s", key, where)
	s.problems[len(s.problems)-1].Unknown = true
	s.problems[len(s.problems)-1].AtName = true
	s.problems[len(s.problems)-1].Members = names
}

// union converts the AWS CLI's form of a union, a table with exactly one
// key naming the member ({ S = "text" } for a DynamoDB AttributeValue), to
// the SDK's member type. Go cannot list an interface's implementations, so
// the members come from the generated table in unions_gen.go.
func (s *shaper) union(t reflect.Type, v any) reflect.Value {
	members, isUnion := unions()[t]
	if !isUnion {
		s.fail("use an action of the catalogue, or leave the member out", "member %s has the type %s, which drpilot cannot send", MemberPath(s.path), t)
		return reflect.Value{}
	}
	names := unionNames(t)
	hint := "write it as the AWS CLI's JSON does, a table with one key naming its type: " + strings.Join(names, ", ")
	m, isTable := asTable(v)
	if !isTable || len(m) != 1 {
		what := describeKind(reflect.TypeOf(v))
		if isTable {
			what = keysOf(len(m))
		}
		s.fail(hint, "member %s must be a table with exactly one key naming the %s member it holds, not %s", MemberPath(s.path), t.Name(), what)
		return reflect.Value{}
	}
	var out reflect.Value
	for k, e := range m {
		s.within(k, func() {
			i := findMember(names, k)
			if i < 0 {
				s.unknownMember(k, names)
				return
			}
			s.casing(k, names[i], false)
			out = s.unionMember(members[names[i]], e)
		})
	}
	return out
}

// unionMember builds a pointer to the member struct, whose Value field
// holds the member's value: the SDK's members implement the union with
// pointer receivers.
func (s *shaper) unionMember(member reflect.Type, v any) reflect.Value {
	f, ok := member.FieldByName("Value")
	if !ok {
		s.fail("", "member %s has the type %s, which drpilot cannot send", MemberPath(s.path), member)
		return reflect.Value{}
	}
	e := s.value(f.Type, v)
	if !e.IsValid() {
		return e
	}
	p := reflect.New(member)
	p.Elem().FieldByIndex(f.Index).Set(e)
	return p
}

// keysOf says how many keys a table has, for a union that needs one.
func keysOf(n int) string {
	if n == 0 {
		return "an empty table"
	}
	return fmt.Sprintf("a table with %d keys", n)
}
