package runbooks

import "fmt"

// Every AWS call a runbook names, in require.call and in aws.call, is
// checked against the SDK drpilot is built with: the operation must exist
// and its input must fit the operation's input type at every depth. A run
// would refuse either before sending anything; check says so first, at the
// line and column of the mistake.

// operationExists reports an operation that svc's SDK client does not
// have, with the nearest one that it has.
func (v *validator) operationExists(path, svc, name string) bool {
	if v.operations == nil {
		v.operations = map[string][]string{}
	}
	ops, ok := v.operations[svc]
	if !ok {
		ops = v.cat.Operations(svc)
		v.operations[svc] = ops
	}
	if contains(ops, name) {
		return true
	}
	hint := "see the AWS API reference for the operation names"
	if s := suggest(name, ops); s != "" {
		hint = fmt.Sprintf("did you mean %q?", s)
	}
	v.rep.errorAtValue(path, hint, "%s has no operation %q", svc, name)
	return false
}

// callInput checks the input table written at path for the call op,
// which operation() has already checked. Templates known before the run
// are resolved first, so a var of the wrong type is caught; those left
// are checked during the run.
func (v *validator) callInput(path, op string, input map[string]any) {
	svc, name, ok := splitOperation(op)
	if !ok || len(input) == 0 {
		return
	}
	resolved, err := Resolve(input, v.lookup)
	if err != nil {
		return // references() reports the template
	}
	table, _ := resolved.(map[string]any)
	for _, p := range v.cat.CheckInput(svc, name, table) {
		at := path
		for _, part := range p.Path {
			switch x := part.(type) {
			case string:
				at = joinKey(at, x)
			case int:
				at = indexPath(at, x)
			}
		}
		switch tmpl, _ := valueAt(input, p.Path).(string); {
		case p.Warning:
			v.rep.warnAt(at, p.Hint, "%s", p.Message)
		case p.AtKey:
			v.rep.errorAt(at, p.Hint, "%s", p.Message)
		case HasTemplate(tmpl):
			v.rep.errorAtValue(at, "use a var of the right type, or write the value itself", "%s, the value of %s", p.Message, tmpl)
		default:
			v.rep.errorAtValue(at, p.Hint, "%s", p.Message)
		}
	}
}

// valueAt returns the value written at path in v, or nil.
func valueAt(v any, path []any) any {
	for _, part := range path {
		switch x := part.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[x]
		case int:
			switch list := v.(type) {
			case []any:
				v = nil
				if x < len(list) {
					v = list[x]
				}
			case []map[string]any:
				v = nil
				if x < len(list) {
					v = list[x]
				}
			default:
				return nil
			}
		}
	}
	return v
}

// stepCall checks the input of an action that names its operation in a
// parameter (aws.call), once the parameters are checked.
func (v *validator) stepCall(stepPath string, s *Step, spec ActionSpec) {
	if spec.OperationParam == "" || spec.InputParam == "" {
		return
	}
	opPath := joinKey(stepPath+".with", spec.OperationParam)
	op, _ := s.With[spec.OperationParam].(string)
	input, _ := s.With[spec.InputParam].(map[string]any)
	if op == "" || HasTemplate(op) || v.rep.diags.hasAt(opPath) {
		return
	}
	v.callInput(joinKey(stepPath+".with", spec.InputParam), op, input)
}
