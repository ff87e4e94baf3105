package sandbox

import (
	"math/big"
	"slices"
	"strings"
)

// UpdateExpression: SET, REMOVE, ADD and DELETE clauses, each once, with
// comma-separated actions.

type updateAction struct {
	clause string // SET, REMOVE, ADD, DELETE
	path   docPath
	value  *operand
}

func (ctx *exprContext) parseUpdate(src string) ([]updateAction, *awsError) {
	const what = "UpdateExpression"
	p, err := ctx.parser(what, src)
	if err != nil {
		return nil, err
	}
	var actions []updateAction
	seen := map[string]bool{}
	for p.failed == nil && p.peek().kind != 'e' {
		clause := strings.ToUpper(p.peek().text)
		if p.peek().kind != 'n' || !slices.Contains([]string{"SET", "REMOVE", "ADD", "DELETE"}, clause) {
			p.syntax()
			break
		}
		if seen[clause] {
			p.fail("The %q section can only be used once in an update expression;", clause)
			break
		}
		seen[clause] = true
		p.next()
		for p.failed == nil {
			actions = append(actions, p.updateAction(clause))
			if !p.isPunct(",") {
				break
			}
			p.next()
		}
	}
	if err := p.done(); err != nil {
		return nil, err
	}
	return actions, overlapping(actions)
}

func (p *exprParser) updateAction(clause string) updateAction {
	a := updateAction{clause: clause, path: p.path()}
	switch clause {
	case "SET":
		if p.expect("=") {
			a.value = p.operand(true)
		}
	case "ADD", "DELETE":
		if p.peek().kind != ':' {
			p.syntax()
			return a
		}
		a.value = p.term(false)
	}
	return a
}

// overlapping refuses two actions on the same path, or on a path and one
// inside it, as DynamoDB does.
func overlapping(actions []updateAction) *awsError {
	for i, a := range actions {
		for _, b := range actions[i+1:] {
			n := min(len(a.path), len(b.path))
			if slices.Equal(a.path[:n], b.path[:n]) {
				return errorf("ValidationException", "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [%s], path two: [%s]", a.path, b.path)
			}
		}
	}
	return nil
}

// applyUpdate applies actions to a copy of item (nil: a new item with
// only its key) and returns it. Every SET value is computed from the item
// as it was, as DynamoDB does.
func applyUpdate(old map[string]any, actions []updateAction) (map[string]any, *awsError) {
	item := copyAV(old)
	values := make([]map[string]any, len(actions))
	for i, a := range actions {
		if a.clause != "SET" {
			continue
		}
		v, err := updateValue(a.value, old)
		if err != nil {
			return nil, err
		}
		values[i] = v
	}
	for i, a := range actions {
		var err *awsError
		switch a.clause {
		case "SET":
			err = setDocPath(item, a.path, values[i])
		case "REMOVE":
			removePath(item, a.path)
		case "ADD", "DELETE":
			err = addOrDelete(item, a)
		}
		if err != nil {
			return nil, err
		}
	}
	return item, nil
}

func errMissingAttribute() *awsError {
	return errorf("ValidationException", "The provided expression refers to an attribute that does not exist in the item")
}

func updateValue(o *operand, item map[string]any) (map[string]any, *awsError) {
	switch o.kind {
	case opValue:
		return o.value, nil
	case opPath:
		if v, ok := resolve(item, o.path); ok {
			return v, nil
		}
		return nil, errMissingAttribute()
	case opIfNotExists:
		if v, ok := resolve(item, o.args[0].path); ok {
			return v, nil
		}
		return updateValue(o.args[1], item)
	case opListAppend:
		a, err := updateValue(o.args[0], item)
		if err != nil {
			return nil, err
		}
		b, err := updateValue(o.args[1], item)
		if err != nil {
			return nil, err
		}
		for _, v := range []map[string]any{a, b} {
			if avType(v) != "L" {
				return nil, operandTypeError("list_append", v)
			}
		}
		return map[string]any{"L": append(slices.Clone(list(a, "L")), list(b, "L")...)}, nil
	case opArith:
		return arithmetic(o, item)
	}
	return nil, errorf("ValidationException", "Invalid UpdateExpression: Syntax error")
}

func arithmetic(o *operand, item map[string]any) (map[string]any, *awsError) {
	var nums [2]*big.Rat
	for i, arg := range o.args {
		v, err := updateValue(arg, item)
		if err != nil {
			return nil, err
		}
		n, ok := parseNumber(str(v, "N"))
		if avType(v) != "N" || !ok {
			return nil, operandTypeError(o.arith, v)
		}
		nums[i] = n
	}
	if o.arith == "-" {
		nums[1].Neg(nums[1])
	}
	return map[string]any{"N": formatNumber(new(big.Rat).Add(nums[0], nums[1]))}, nil
}

func operandTypeError(op string, v map[string]any) *awsError {
	return errorf("ValidationException", "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: %s, operand type: %s", op, longTypeName(avType(v)))
}

func errBadUpdatePath() *awsError {
	return errorf("ValidationException", "The document path provided in the update expression is invalid for update")
}

// setDocPath sets a path's value; its parent must exist. An index past a
// list's end appends, as DynamoDB does.
func setDocPath(item map[string]any, path docPath, av map[string]any) *awsError {
	if len(path) == 0 || path[0].isIndex {
		return errBadUpdatePath()
	}
	if len(path) == 1 {
		item[path[0].name] = av
		return nil
	}
	parent, ok := resolve(item, path[:len(path)-1])
	if !ok {
		return errBadUpdatePath()
	}
	last := path[len(path)-1]
	if last.isIndex {
		l, isList := parent["L"].([]any)
		if !isList {
			return errBadUpdatePath()
		}
		if last.index >= len(l) {
			parent["L"] = append(l, av)
		} else {
			l[last.index] = av
		}
		return nil
	}
	m, isMap := parent["M"].(map[string]any)
	if !isMap {
		return errBadUpdatePath()
	}
	m[last.name] = av
	return nil
}

// removePath removes a path; a missing one is no error.
func removePath(item map[string]any, path docPath) {
	if len(path) == 0 {
		return
	}
	if len(path) == 1 {
		delete(item, path[0].name)
		return
	}
	parent, ok := resolve(item, path[:len(path)-1])
	if !ok {
		return
	}
	last := path[len(path)-1]
	if l, isList := parent["L"].([]any); isList && last.isIndex && last.index < len(l) {
		parent["L"] = slices.Delete(slices.Clone(l), last.index, last.index+1)
	} else if m, isMap := parent["M"].(map[string]any); isMap && !last.isIndex {
		delete(m, last.name)
	}
}

// addOrDelete is ADD (a number added, set members added) and DELETE (set
// members taken away; an empty set is removed).
func addOrDelete(item map[string]any, a updateAction) *awsError {
	v := a.value.value
	vt := avType(v)
	cur, exists := resolve(item, a.path)
	isSet := vt == "SS" || vt == "NS" || vt == "BS"
	switch {
	case a.clause == "ADD" && vt != "N" && !isSet, a.clause == "DELETE" && !isSet:
		return operandTypeError(a.clause, v)
	case !exists && a.clause == "DELETE":
		return nil
	case !exists:
		return setDocPath(item, a.path, v)
	case avType(cur) != vt:
		return errorf("ValidationException", "An operand in the update expression has an incorrect data type")
	case vt == "N":
		x, ok1 := parseNumber(str(cur, "N"))
		y, ok2 := parseNumber(str(v, "N"))
		if !ok1 || !ok2 {
			return operandTypeError("ADD", v)
		}
		return setDocPath(item, a.path, map[string]any{"N": formatNumber(new(big.Rat).Add(x, y))})
	}
	members := setMembers(cur)
	for _, m := range setMembers(v) {
		i := slices.Index(members, m)
		switch {
		case a.clause == "ADD" && i < 0:
			members = append(members, m)
		case a.clause == "DELETE" && i >= 0:
			members = slices.Delete(members, i, i+1)
		}
	}
	if len(members) == 0 {
		removePath(item, a.path)
		return nil
	}
	out := make([]any, len(members))
	for i, m := range members {
		out[i] = m
	}
	return setDocPath(item, a.path, map[string]any{vt: out})
}

// copyAV deep-copies an item or value in the wire form.
func copyAV[T any](v T) T {
	out, _ := copyAny(v).(T)
	return out
}

func copyAny(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if x == nil {
			return map[string]any{}
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = copyAny(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = copyAny(e)
		}
		return out
	}
	return v
}

// updatedNames are the top-level attributes an update touched, for
// ReturnValues UPDATED_OLD and UPDATED_NEW.
func updatedNames(actions []updateAction) []string {
	var names []string
	for _, a := range actions {
		if len(a.path) > 0 && !slices.Contains(names, a.path[0].name) {
			names = append(names, a.path[0].name)
		}
	}
	return names
}
