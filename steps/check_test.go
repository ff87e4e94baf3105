package steps

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/steps/awsclient"
)

// This file holds the rules every ActionSpec must follow, written as a
// function returning problems rather than as assertions, so that
// TestCheckSpecCatchesMistakes can prove each rule fires on a broken spec.

var (
	paramName  = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	outputPath = regexp.MustCompile(`^[A-Z][A-Za-z0-9]*(\[[^\]]*\])?(\.[A-Z][A-Za-z0-9]*(\[[^\]]*\])?)*$`)
	purposes   = []string{PurposeAction, PurposeWait, PurposeCheck, PurposeLookup}
)

// checkSpec returns every rule spec breaks.
func checkSpec(spec runbooks.ActionSpec) []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if strings.TrimSpace(spec.Summary) == "" || strings.Contains(spec.Summary, "\n") {
		add("summary must be one non-empty line")
	}
	if len(spec.Phases) == 0 {
		add("no phase")
	}
	for _, p := range spec.Phases {
		if !slices.Contains(phaseOrder, p) {
			add("unknown phase %q", p)
		}
	}
	if spec.Idempotency == "" || spec.Wait == "" {
		add("idempotency and wait must be documented")
	}
	if spec.Timeout.Duration <= 0 || spec.Expect.Duration > spec.Timeout.Duration {
		add("timeout %s must be positive and at least expect %s", spec.Timeout, spec.Expect)
	}
	for _, o := range spec.Outputs {
		if !outputPath.MatchString(o) {
			add("output %q is not a PascalCase JMESPath path", o)
		}
	}
	problems = append(problems, checkResponse(spec)...)
	problems = append(problems, checkParams(spec.Params, "")...)
	problems = append(problems, checkGroups(spec)...)
	problems = append(problems, checkCalls(spec)...)
	return problems
}

// checkParams applies the parameter rules at one nesting level and below.
func checkParams(params []runbooks.Param, prefix string) []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	seen := map[string]bool{}
	for _, p := range params {
		name := prefix + p.Name
		if !paramName.MatchString(p.Name) {
			add("parameter %q: name must match %s", name, paramName)
		}
		if seen[p.Name] {
			add("parameter %q: duplicate", name)
		}
		seen[p.Name] = true
		if p.Member != "" && SnakeCase(p.Member) != p.Name {
			add("parameter %q: member %s gives %q", name, p.Member, SnakeCase(p.Member))
		}
		if p.Doc == "" || !strings.HasSuffix(p.Doc, ".") {
			add("parameter %q: doc must be a sentence", name)
		}
		if p.Required && p.Default != nil {
			add("parameter %q: required with a default", name)
		}
		if err := checkDefault(p); err != nil {
			add("parameter %q: %v", name, err)
		}
		problems = append(problems, checkShape(p, name)...)
	}
	return problems
}

// checkShape checks that composite kinds say what they hold.
func checkShape(p runbooks.Param, name string) []string {
	var problems []string
	switch p.Kind {
	case runbooks.KindEnum:
		if len(p.Enum) == 0 {
			problems = append(problems, fmt.Sprintf("parameter %q: enum without values", name))
		}
	case runbooks.KindList:
		if p.Elem == nil {
			problems = append(problems, fmt.Sprintf("parameter %q: list without Elem", name))
		} else if p.Elem.Member != "" && SnakeCase(p.Elem.Member) != p.Elem.Name {
			problems = append(problems, fmt.Sprintf("parameter %q: element member %s", name, p.Elem.Member))
		} else {
			problems = append(problems, checkParams(p.Elem.Fields, name+"[].")...)
		}
	case runbooks.KindObject:
		if len(p.Fields) == 0 {
			problems = append(problems, fmt.Sprintf("parameter %q: object without fields", name))
		}
		problems = append(problems, checkParams(p.Fields, name+".")...)
	}
	return problems
}

// checkDefault says whether a default has its parameter's kind. Integer
// defaults are int64, as a TOML decoder would produce them.
func checkDefault(p runbooks.Param) error {
	if p.Default == nil {
		return nil
	}
	ok := false
	switch p.Kind {
	case runbooks.KindString:
		_, ok = p.Default.(string)
	case runbooks.KindEnum:
		s, isString := p.Default.(string)
		ok = isString && slices.Contains(p.Enum, s)
	case runbooks.KindDuration:
		s, isString := p.Default.(string)
		_, err := runbooks.ParseDuration(s)
		ok = isString && err == nil
	case runbooks.KindBool:
		_, ok = p.Default.(bool)
	case runbooks.KindInt:
		n, isInt := p.Default.(int64)
		ok = isInt && (!p.HasMin || float64(n) >= p.Min) && (!p.HasMax || float64(n) <= p.Max)
	}
	if !ok {
		return fmt.Errorf("default %#v is not a valid %s", p.Default, p.Kind)
	}
	return nil
}

// checkGroups checks OneOf and AnyOf name existing, optional parameters.
func checkGroups(spec runbooks.ActionSpec) []string {
	var problems []string
	for _, group := range slices.Concat(spec.OneOf, spec.AnyOf) {
		if len(group) < 2 {
			problems = append(problems, fmt.Sprintf("group %v has fewer than two parameters", group))
		}
		for _, name := range group {
			i := slices.IndexFunc(spec.Params, func(p runbooks.Param) bool { return p.Name == name })
			switch {
			case i < 0:
				problems = append(problems, fmt.Sprintf("group %v names unknown parameter %q", group, name))
			case spec.Params[i].Required || spec.Params[i].Default != nil:
				problems = append(problems, fmt.Sprintf("group %v: %q is required or has a default", group, name))
			}
		}
	}
	return problems
}

// checkCalls checks each call is well-formed and classified as it says,
// and that the action's class agrees with its calls.
func checkCalls(spec runbooks.ActionSpec) []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	mutatingCalls := 0
	for _, call := range spec.Calls {
		service, op, ok := splitOperation(call.Operation)
		switch canon, known := CanonicalService(service); {
		case !ok || !known || canon != service:
			add("call %q: not service:Operation with an IAM prefix", call.Operation)
		case call.HTTP != "":
			// A request to a resource's own endpoint: no SDK operation,
			// an IAM action named after its method.
			if !EndpointOperation(call.Operation) || !strings.EqualFold("ESHttp"+call.HTTP, op) {
				add("call %q: HTTP %s is not an endpoint request IAM names so", call.Operation, call.HTTP)
			}
		case !awsclient.HasOperation(service, op):
			add("call %q: the SDK's %s client has no such operation", call.Operation, service)
		}
		want := runbooks.OpReadOnly
		if call.Mutating {
			want = runbooks.OpMutating
			mutatingCalls++
		}
		if got := Classify(service, op); got != want {
			add("call %q: classified %s, spec says %s", call.Operation, got, want)
		}
		if !slices.Contains(purposes, call.Purpose) {
			add("call %q: unknown purpose %q", call.Operation, call.Purpose)
		}
	}
	switch {
	case spec.OperationParam != "":
		i := slices.IndexFunc(spec.Params, func(p runbooks.Param) bool { return p.Name == spec.OperationParam })
		if i < 0 || spec.Params[i].Kind != runbooks.KindOperation || spec.Mutating || len(spec.Calls) > 0 {
			add("operation parameter %q must be a declared operation, with no calls of its own", spec.OperationParam)
		}
		if j := slices.IndexFunc(spec.Params, func(p runbooks.Param) bool { return p.Name == spec.InputParam }); j < 0 || spec.Params[j].Kind != runbooks.KindMap {
			add("input parameter %q must be a declared table", spec.InputParam)
		}
	case spec.Mutating && mutatingCalls == 0:
		add("mutating action without a mutating call")
	case !spec.Mutating && mutatingCalls > 0:
		add("read-only action with a mutating call")
	}
	return problems
}

// checkResponse: an action that names the operation its response comes
// from names one that exists, and its documented outputs are in that
// operation's output type, as check will hold a runbook's to.
func checkResponse(spec runbooks.ActionSpec) []string {
	if spec.Response == "" {
		return nil
	}
	svc, op, _ := strings.Cut(spec.Response, ":")
	if !awsclient.HasOperation(svc, op) {
		return []string{fmt.Sprintf("response %q is no operation", spec.Response)}
	}
	var problems []string
	for _, o := range spec.Outputs {
		var path []string
		for _, part := range strings.Split(o, ".") {
			name, rest, _ := strings.Cut(part, "[")
			path = append(path, name)
			for ; rest != ""; rest = rest[strings.IndexByte(rest, ']')+1:] {
				step := runbooks.QueryElem
				if strings.HasPrefix(rest, "]") {
					step = runbooks.QueryFlatten
				}
				path = append(path, step)
				rest = strings.TrimPrefix(rest, "[")
			}
		}
		if p := Default().CheckQuery(svc, op, path); p != nil {
			problems = append(problems, fmt.Sprintf("output %q: %s", o, p.Message))
		}
	}
	return problems
}
