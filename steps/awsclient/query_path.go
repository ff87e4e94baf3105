package awsclient

import (
	"fmt"
	"reflect"
	"strings"
)

// A query in a runbook (a precondition's, a step output's) is JMESPath
// over the Response, whose member names are the SDK's Go field names. A
// query that names a member the output type cannot have observes nothing
// at run time, which a precondition then reports as a failed test and an
// output as a missing value, long after check could have said so. The
// caller reduces the query to its leading member path; this walk follows
// that path through the output type and stops, accepting, wherever the
// type does not decide (documents, streams, values of free-form types).

// Path steps other than member names.
const (
	// QueryElem is one element of a list or map: [0], [*], [?...].
	QueryElem = "[*]"
	// QueryFlatten is [], which also flattens a list of lists.
	QueryFlatten = "[]"
)

// QueryProblem says where a query's member path leaves the output type.
type QueryProblem struct {
	// At is the index in the path of the member that cannot match.
	At      int
	Message string
	Hint    string
	// Unknown says the member is not among Members, the names its
	// structure has, for a did-you-mean.
	Unknown bool
	Members []string
}

// CheckQueryPath follows path (member names, QueryElem and QueryFlatten)
// through service:operation's output type, as jsonOutput renders it, and
// returns the first step that cannot match, or nil when every step can
// or the walk cannot tell. It returns nil for an operation that does not
// exist, which HasOperation reports.
func CheckQueryPath(service, operation string, path []string) *QueryProblem {
	method, canon, ok := lookupOperation(service, operation)
	if !ok {
		return nil
	}
	t := method.Type.Out(0).Elem()
	for i, step := range path {
		t = deref(t)
		next, problem := queryStep(t, step, i == 0)
		if problem != nil {
			problem.At = i
			problem.Message = fmt.Sprintf("%s:%s's response %s", canon, operation, problem.Message)
			if i > 0 {
				problem.Message += " (at " + renderPath(path[:i]) + ")"
			}
			return problem
		}
		if next == nil {
			return nil
		}
		t = next
	}
	return nil
}

// deref drops pointers: the JSON of *T is that of T.
func deref(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// queryStep takes one step from t. It returns the type reached, or nil
// when the walk cannot tell what follows, or a problem when the step
// certainly selects nothing. top says t is the output structure, whose
// ResultMetadata the Response leaves out.
func queryStep(t reflect.Type, step string, top bool) (reflect.Type, *QueryProblem) {
	if t.Implements(jsonMarshaler) || reflect.PointerTo(t).Implements(jsonMarshaler) {
		return nil, nil // rendered by encoding/json: its shape is its own
	}
	elem := step == QueryElem || step == QueryFlatten
	switch {
	case t == timeType, t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		return scalarStep(t, step)
	case t.Kind() == reflect.Slice:
		if !elem {
			return nil, &QueryProblem{
				Message: fmt.Sprintf("has a list where the query reads member %q", step),
				Hint:    fmt.Sprintf("a list has no members: write [0].%s for the first element or [*].%s for every one", step, step),
			}
		}
		e := t.Elem()
		if step == QueryFlatten && deref(e).Kind() == reflect.Slice && deref(e).Elem().Kind() != reflect.Uint8 {
			e = deref(e).Elem()
		}
		return e, nil
	case t.Kind() == reflect.Map:
		if elem {
			return nil, nil // an index of a table is null, a flatten its values: not worth a rule
		}
		return t.Elem(), nil // any key may be there
	case t.Kind() == reflect.Interface:
		return unionStep(t, step)
	case t.Kind() == reflect.Struct:
		if elem {
			return nil, nil
		}
		return memberStep(t, step, top)
	}
	return scalarStep(t, step)
}

// memberStep finds a structure's member by its exact name, as JMESPath
// does.
func memberStep(t reflect.Type, step string, top bool) (reflect.Type, *QueryProblem) {
	var names []string
	for _, f := range fields(t) {
		if top && f.name == "ResultMetadata" {
			continue
		}
		if f.name == step {
			return t.Field(f.index).Type, nil
		}
		names = append(names, f.name)
	}
	return nil, unknownQueryMember(step, names)
}

// unknownQueryMember explains a member name a structure does not have.
func unknownQueryMember(step string, names []string) *QueryProblem {
	p := &QueryProblem{Message: fmt.Sprintf("has no member %q", step), Unknown: true, Members: names, Hint: memberHint(names)}
	for _, n := range names {
		if strings.EqualFold(n, step) {
			p.Hint = fmt.Sprintf("member %s is %s: queries use the SDK's PascalCase names", step, n)
		}
	}
	return p
}

// unionStep follows a union, rendered as a one-key table naming its
// member; any other interface (a document, a stream) is left unchecked.
func unionStep(t reflect.Type, step string) (reflect.Type, *QueryProblem) {
	members, isUnion := unions()[t]
	if !isUnion || step == QueryElem || step == QueryFlatten {
		return nil, nil
	}
	if m, ok := members[step]; ok {
		if f, ok := m.FieldByName("Value"); ok {
			return f.Type, nil
		}
		return nil, nil
	}
	return nil, unknownQueryMember(step, unionNames(t))
}

// scalarStep refuses a member of a string, number, boolean or timestamp;
// an index of one is left alone.
func scalarStep(t reflect.Type, step string) (reflect.Type, *QueryProblem) {
	if step == QueryElem || step == QueryFlatten {
		return nil, nil
	}
	return nil, &QueryProblem{
		Message: fmt.Sprintf("has %s where the query reads member %q", describeKind(t), step),
		Hint:    "it has no members: end the query before it",
	}
}

// renderPath writes a path the way the query wrote it, roughly:
// Items[*].Name.
func renderPath(path []string) string {
	var b strings.Builder
	for _, p := range path {
		if p != QueryElem && p != QueryFlatten && b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(p)
	}
	return b.String()
}
