package runbooks

// Caches a validator keeps for one load. Diagnostics do not depend on
// them: each caches a pure function of its key.

// parsedQuery is a JMESPath query's syntax check and, on first use, its
// member path (see queryPath).
type parsedQuery struct {
	err      error
	path     []string
	pathDone bool
}

func (v *validator) query(q string) *parsedQuery {
	if pq, ok := v.queries[q]; ok {
		return pq
	}
	if v.queries == nil {
		v.queries = map[string]*parsedQuery{}
	}
	_, err := parseQuery(q)
	pq := &parsedQuery{err: err}
	v.queries[q] = pq
	return pq
}

// compileQuery checks a query's syntax, once per distinct query.
func (v *validator) compileQuery(q string) error { return v.query(q).err }

// queryMembers is queryPath, once per distinct query.
func (v *validator) queryMembers(q string) []string {
	pq := v.query(q)
	if !pq.pathDone {
		if pq.err == nil {
			pq.path = scanQueryPath(q)
		}
		pq.pathDone = true
	}
	return pq.path
}

// checkQueryMembers is cat.CheckQuery, once per operation and query.
func (v *validator) checkQueryMembers(svc, name, op, query string, members []string) *QueryProblem {
	key := [2]string{op, query}
	if p, ok := v.queryChecks[key]; ok {
		return p
	}
	if v.queryChecks == nil {
		v.queryChecks = map[[2]string]*QueryProblem{}
	}
	p := v.cat.CheckQuery(svc, name, members)
	v.queryChecks[key] = p
	return p
}

type parsedTemplate struct {
	segs []segment
	err  error
}

// template is parseTemplate, once per distinct text. The segments are
// shared: callers must not change them.
func (v *validator) template(s string) ([]segment, error) {
	if t, ok := v.templates[s]; ok {
		return t.segs, t.err
	}
	if v.templates == nil {
		v.templates = map[string]parsedTemplate{}
	}
	segs, err := parseTemplate(s)
	v.templates[s] = parsedTemplate{segs: segs, err: err}
	return segs, err
}

// paramIndex is an action's parameters by name, and their names in order
// for hints.
type paramIndex struct {
	byName map[string]Param
	names  []string
}

func (v *validator) paramIndex(spec ActionSpec) *paramIndex {
	if x, ok := v.paramIndexes[spec.Name]; ok {
		return x
	}
	if v.paramIndexes == nil {
		v.paramIndexes = map[string]*paramIndex{}
	}
	x := &paramIndex{byName: make(map[string]Param, len(spec.Params)), names: make([]string, len(spec.Params))}
	for i, p := range spec.Params {
		x.byName[p.Name] = p
		x.names[i] = p.Name
	}
	v.paramIndexes[spec.Name] = x
	return x
}

// stepPath is indexPath("steps", i), made once per step rather than by
// every rule that checks the step.
func (v *validator) stepPath(i int) string {
	if v.stepPaths == nil {
		v.stepPaths = make([]string, len(v.rb.Steps))
	}
	if v.stepPaths[i] == "" {
		v.stepPaths[i] = indexPath("steps", i)
	}
	return v.stepPaths[i]
}
