package runbooks

import (
	"encoding/json"
	"strings"

	"github.com/jmespath/go-jmespath"
)

// A query names the members of an AWS response by the SDK's names, which
// are PascalCase even where the API's own JSON (and so its CLI output) is
// camelCase: FIS, EKS, ECR, ECS. JMESPath matches names exactly, so
// "experiment.state.status" observes nothing, and a run finds that out
// when a precondition fails or an output is missing. Check follows the
// member path of each query through the operation's output type instead.
// A query with a function, pipe or operator in it may observe something
// even when its path selects nothing, so check says nothing of it.

// QueryProblem is a query member path that cannot match a response.
type QueryProblem struct {
	Message string
	Hint    string
}

// Steps of a query path other than member names, as the Catalogue's
// CheckQuery takes them.
const (
	QueryElem    = "[*]" // one element: [0], [*], [?...]
	QueryFlatten = "[]"  // [], which also flattens a list of lists
)

// queryPath returns the member path of a query that is nothing but a
// path: member names, indexes, slices, [*], [] and filters, perhaps ended
// by a .* (a projection of nothing is nothing). Any other query (a
// function, a pipe, a comparison, ||) may observe something even when its
// path selects nothing, so it gets nil: check is certain or silent.
func queryPath(q string) []string {
	if _, err := parseQuery(q); err != nil {
		return nil
	}
	return scanQueryPath(q)
}

// scanQueryPath is queryPath for a query the JMESPath parser has accepted.
func scanQueryPath(q string) []string {
	sc := &pathScanner{q: q}
	var path []string
	for first := true; ; first = false {
		sc.space()
		switch {
		case sc.done():
			return path
		case !first && sc.take(".*"):
			sc.space()
			return valid(path, sc.done())
		case sc.take("."), first:
			if first && sc.peek() == '[' {
				return nil // a projection of the root: rare enough to leave
			}
			name, ok := sc.name()
			if !ok {
				return nil
			}
			path = append(path, name)
		case sc.take("["):
			step, ok := sc.bracket()
			if !ok {
				return nil
			}
			path = append(path, step)
		default:
			return nil
		}
	}
}

// valid returns path when ok, else nil.
func valid(path []string, ok bool) []string {
	if !ok {
		return nil
	}
	return path
}

// parseQuery parses q, recovering from the parser's panics on hostile
// input. It only parses: jmespath.Compile also builds an interpreter with
// its function table, which costs more than the parse and is not needed
// to check.
func parseQuery(q string) (node jmespath.ASTNode, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errUnparseable
		}
	}()
	return jmespath.NewParser().Parse(q)
}

// pathScanner reads a query that the JMESPath parser has accepted, so it
// need not explain what it does not read: it only gives up.
type pathScanner struct {
	q string
	i int
}

func (sc *pathScanner) done() bool { return sc.i >= len(sc.q) }

func (sc *pathScanner) peek() byte {
	if sc.done() {
		return 0
	}
	return sc.q[sc.i]
}

func (sc *pathScanner) space() {
	for !sc.done() && strings.IndexByte(" \t\r\n", sc.q[sc.i]) >= 0 {
		sc.i++
	}
}

// take consumes s when the query continues with it.
func (sc *pathScanner) take(s string) bool {
	if strings.HasPrefix(sc.q[sc.i:], s) {
		sc.i += len(s)
		return true
	}
	return false
}

// name reads an identifier, bare or quoted; one followed by ( is a
// function, not a member.
func (sc *pathScanner) name() (string, bool) {
	sc.space()
	start := sc.i
	if sc.peek() == '"' {
		for sc.i++; !sc.done() && sc.q[sc.i] != '"'; sc.i++ {
			if sc.q[sc.i] == '\\' {
				sc.i++
			}
		}
		sc.i++
		var name string
		if sc.i > len(sc.q) || json.Unmarshal([]byte(sc.q[start:sc.i]), &name) != nil {
			return "", false
		}
		return name, true
	}
	for !sc.done() && (sc.q[sc.i] == '_' || isAlnum(rune(sc.q[sc.i]))) {
		sc.i++
	}
	name := sc.q[start:sc.i]
	sc.space()
	return name, name != "" && sc.peek() != '('
}

// bracket reads what follows a [: an index, a slice, * or a filter is one
// element of a list (a slice projects its elements, as [*] does); an
// empty bracket flattens.
func (sc *pathScanner) bracket() (string, bool) {
	sc.space()
	if sc.take("]") {
		return QueryFlatten, true
	}
	if sc.take("?") {
		return QueryElem, sc.skipFilter()
	}
	for !sc.done() && strings.IndexByte("0123456789-:* \t", sc.q[sc.i]) >= 0 {
		sc.i++
	}
	return QueryElem, sc.take("]")
}

// skipFilter skips a filter's condition up to its closing bracket,
// minding nested brackets and quoted text.
func (sc *pathScanner) skipFilter() bool {
	depth := 1
	for ; !sc.done(); sc.i++ {
		switch c := sc.q[sc.i]; c {
		case '[':
			depth++
		case ']':
			if depth--; depth == 0 {
				sc.i++
				return true
			}
		case '\'', '"', '`':
			for sc.i++; !sc.done() && sc.q[sc.i] != c; sc.i++ {
				if sc.q[sc.i] == '\\' {
					sc.i++
				}
			}
		}
	}
	return false
}

// checkQuery reports, at path, a query whose member path cannot match
// op's response. It is an error: the run would certainly observe nothing.
func (v *validator) checkQuery(path, op, query string) {
	svc, name, ok := splitOperation(op)
	if !ok || query == "" || HasTemplate(query) || v.rep.diags.hasAt(path) {
		return
	}
	members := v.queryMembers(query)
	if len(members) == 0 {
		return
	}
	if p := v.checkQueryMembers(svc, name, op, query, members); p != nil {
		v.rep.errorAtValue(path, p.Hint, "query %q reads nothing: %s", strings.TrimSpace(query), p.Message)
	}
}

// outputQueries checks a step's output queries against the response of
// its action: the operation aws.call names, or the one whose output the
// action documents as its response.
func (v *validator) outputQueries(stepPath string, s *Step, spec ActionSpec) {
	op := spec.Response
	if spec.OperationParam != "" {
		op, _ = s.With[spec.OperationParam].(string)
		if HasTemplate(op) || v.rep.diags.hasAt(joinKey(stepPath+".with", spec.OperationParam)) {
			return
		}
	}
	if op == "" {
		return
	}
	for _, o := range s.Outputs {
		v.checkQuery(joinKey(stepPath+".outputs", o.Name), op, o.Query)
	}
}
