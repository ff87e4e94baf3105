package sandbox

import (
	"bytes"
	"encoding/base64"
	"math/big"
	"regexp"
	"slices"
	"strings"
)

// Evaluating expressions on items. Items and values stay in the wire form
// ({"S": "x"}, {"N": "1"}, {"M": {...}}, {"L": [...]}), as clients send
// them.

// avType is an AttributeValue's type: S, N, B, SS, NS, BS, BOOL, NULL, L
// or M; "" when it is not one value of one type.
func avType(av map[string]any) string {
	if len(av) != 1 {
		return ""
	}
	for k := range av {
		switch k {
		case "S", "N", "B", "SS", "NS", "BS", "BOOL", "NULL", "L", "M":
			return k
		}
	}
	return ""
}

// resolve finds a document path in an item.
func resolve(item map[string]any, path docPath) (map[string]any, bool) {
	if len(path) == 0 || path[0].isIndex {
		return nil, false
	}
	av, ok := item[path[0].name].(map[string]any)
	for _, e := range path[1:] {
		if !ok {
			return nil, false
		}
		if e.isIndex {
			list, isList := av["L"].([]any)
			if !isList || e.index >= len(list) {
				return nil, false
			}
			av, ok = list[e.index].(map[string]any)
			continue
		}
		m, isMap := av["M"].(map[string]any)
		if !isMap {
			return nil, false
		}
		av, ok = m[e.name].(map[string]any)
	}
	return av, ok
}

// numberRE is a DynamoDB number: up to 38 significant digits, exponent
// bounded so that big.Rat never builds a huge value from a short string.
var numberRE = regexp.MustCompile(`^[+-]?(\d{1,40}(\.\d{0,40})?|\.\d{1,40})([eE][+-]?\d{1,3})?$`)

// parseNumber reads an N value; false when it is not a number.
func parseNumber(s string) (*big.Rat, bool) {
	if !numberRE.MatchString(s) {
		return nil, false
	}
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		exp := strings.TrimLeft(s[i+1:], "+-")
		if len(exp) == 3 && exp > "130" {
			return nil, false
		}
	}
	r, ok := new(big.Rat).SetString(s)
	return r, ok
}

// formatNumber writes a number as DynamoDB returns one: plain decimal,
// no exponent, no trailing zeros.
func formatNumber(r *big.Rat) string {
	for digits := 0; digits <= 300; digits++ {
		scaled := new(big.Rat).Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(digits)), nil)))
		if scaled.IsInt() {
			return r.FloatString(digits)
		}
	}
	return r.FloatString(38)
}

// compareAV orders two scalars of the same type (N numerically, S and B
// by bytes); false when they cannot be ordered.
func compareAV(a, b map[string]any) (int, bool) {
	ta, tb := avType(a), avType(b)
	if ta != tb {
		return 0, false
	}
	switch ta {
	case "N":
		x, ok1 := parseNumber(str(a, "N"))
		y, ok2 := parseNumber(str(b, "N"))
		if !ok1 || !ok2 {
			return 0, false
		}
		return x.Cmp(y), true
	case "S":
		return strings.Compare(str(a, "S"), str(b, "S")), true
	case "B":
		return bytes.Compare(avBytes(a), avBytes(b)), true
	}
	return 0, false
}

func avBytes(av map[string]any) []byte {
	b, err := base64.StdEncoding.DecodeString(str(av, "B"))
	if err != nil {
		return []byte(str(av, "B"))
	}
	return b
}

// equalAV is DynamoDB's equality: same type and value (numbers by value,
// sets regardless of order).
func equalAV(a, b map[string]any) bool {
	t := avType(a)
	if t == "" || t != avType(b) {
		return false
	}
	switch t {
	case "N", "S", "B":
		n, ok := compareAV(a, b)
		return ok && n == 0
	case "BOOL", "NULL":
		x, ok1 := a[t].(bool)
		y, ok2 := b[t].(bool)
		return ok1 && ok2 && x == y
	case "SS", "NS", "BS":
		x, y := setMembers(a), setMembers(b)
		slices.Sort(x)
		slices.Sort(y)
		return slices.Equal(x, y)
	case "L":
		x, y := list(a, "L"), list(b, "L")
		if len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equalAV(asMap(x[i]), asMap(y[i])) {
				return false
			}
		}
		return true
	case "M":
		x, y := obj(a, "M"), obj(b, "M")
		if len(x) != len(y) {
			return false
		}
		for k, e := range x {
			if !equalAV(asMap(e), asMap(y[k])) {
				return false
			}
		}
		return true
	}
	return false
}

// setMembers is a set's members in canonical form (numbers normalized).
func setMembers(av map[string]any) []string {
	t := avType(av)
	var out []string
	for _, e := range list(av, t) {
		s, _ := e.(string)
		if t == "NS" {
			if r, ok := parseNumber(s); ok {
				s = formatNumber(r)
			}
		}
		out = append(out, s)
	}
	return out
}

// evalCondition evaluates a condition on an item (nil: no item).
func evalCondition(c *ddbCond, item map[string]any) bool {
	switch c.kind {
	case condAnd:
		return evalCondition(c.kids[0], item) && evalCondition(c.kids[1], item)
	case condOr:
		return evalCondition(c.kids[0], item) || evalCondition(c.kids[1], item)
	case condNot:
		return !evalCondition(c.kids[0], item)
	case condCompare:
		a, okA := evalOperand(c.operands[0], item)
		b, okB := evalOperand(c.operands[1], item)
		if c.op == "<>" {
			// A missing attribute is not equal to anything.
			return !okA || !okB || !equalAV(a, b)
		}
		if !okA || !okB {
			return false
		}
		if c.op == "=" {
			return equalAV(a, b)
		}
		n, ok := compareAV(a, b)
		return ok && map[string]bool{"<": n < 0, "<=": n <= 0, ">": n > 0, ">=": n >= 0}[c.op]
	case condBetween:
		v, ok := evalOperand(c.operands[0], item)
		lo, ok1 := evalOperand(c.operands[1], item)
		hi, ok2 := evalOperand(c.operands[2], item)
		if !ok || !ok1 || !ok2 {
			return false
		}
		x, okx := compareAV(v, lo)
		y, oky := compareAV(v, hi)
		return okx && oky && x >= 0 && y <= 0
	case condIn:
		v, ok := evalOperand(c.operands[0], item)
		return ok && slices.ContainsFunc(c.operands[1:], func(o *operand) bool {
			w, ok := evalOperand(o, item)
			return ok && equalAV(v, w)
		})
	case condFunc:
		return evalFunction(c, item)
	}
	return false
}

func evalFunction(c *ddbCond, item map[string]any) bool {
	v, exists := evalOperand(c.operands[0], item)
	switch c.op {
	case "attribute_exists":
		return exists
	case "attribute_not_exists":
		return !exists
	}
	arg, ok := evalOperand(c.operands[1], item)
	if !exists || !ok {
		return false
	}
	switch c.op {
	case "attribute_type":
		return avType(v) == str(arg, "S")
	case "begins_with":
		switch avType(v) {
		case "S":
			return avType(arg) == "S" && strings.HasPrefix(str(v, "S"), str(arg, "S"))
		case "B":
			return avType(arg) == "B" && bytes.HasPrefix(avBytes(v), avBytes(arg))
		}
	case "contains":
		return contains(v, arg)
	}
	return false
}

// contains is DynamoDB's contains(): a substring of a string, a member of
// a set, an element of a list.
func contains(v, arg map[string]any) bool {
	switch t := avType(v); t {
	case "S":
		return avType(arg) == "S" && strings.Contains(str(v, "S"), str(arg, "S"))
	case "B":
		return avType(arg) == "B" && bytes.Contains(avBytes(v), avBytes(arg))
	case "SS", "NS", "BS":
		if avType(arg) != t[:1] {
			return false
		}
		return slices.ContainsFunc(list(v, t), func(e any) bool {
			return equalAV(map[string]any{t[:1]: e}, arg)
		})
	case "L":
		return slices.ContainsFunc(list(v, "L"), func(e any) bool { return equalAV(asMap(e), arg) })
	}
	return false
}

// evalOperand is an operand's value on an item; false when its path is
// not there.
func evalOperand(o *operand, item map[string]any) (map[string]any, bool) {
	switch o.kind {
	case opValue:
		return o.value, o.value != nil
	case opPath:
		return resolve(item, o.path)
	case opSize:
		v, ok := resolve(item, o.args[0].path)
		if !ok {
			return nil, false
		}
		n, ok := avSize(v)
		return map[string]any{"N": formatNumber(new(big.Rat).SetInt64(int64(n)))}, ok
	}
	return nil, false
}

// avSize is size(): a string's or binary's length, a set's, list's or
// map's number of elements.
func avSize(v map[string]any) (int, bool) {
	switch t := avType(v); t {
	case "S":
		return len(str(v, "S")), true
	case "B":
		return len(avBytes(v)), true
	case "SS", "NS", "BS", "L":
		return len(list(v, t)), true
	case "M":
		return len(obj(v, "M")), true
	}
	return 0, false
}

// checkOperandTypes refuses, before anything is evaluated, a value that
// no comparison can take: ordering a map, a list, a set, a boolean or a
// null; and an attribute_type that names no type. DynamoDB refuses these
// as the expression's error, whatever the item.
func checkOperandTypes(what string, c *ddbCond) *awsError {
	if c == nil {
		return nil
	}
	for _, k := range c.kids {
		if err := checkOperandTypes(what, k); err != nil {
			return err
		}
	}
	for i, o := range c.operands {
		if o.kind != opValue {
			continue
		}
		t := avType(o.value)
		if t == "" {
			return errorf("ValidationException", "ExpressionAttributeValues contains invalid value: Supplied AttributeValue is empty, must contain exactly one of the supported datatypes for key %s", o.name)
		}
		ordering := c.kind == condBetween || c.kind == condCompare && c.op != "=" && c.op != "<>"
		if ordering && t != "N" && t != "S" && t != "B" {
			return errorf("ValidationException", "Invalid %s: Incorrect operand type for operator or function; operator or function: %s, operand type: %s", what, c.op, longTypeName(t))
		}
		if c.op == "attribute_type" && i == 1 && (t != "S" || !slices.Contains([]string{"S", "SS", "N", "NS", "B", "BS", "BOOL", "NULL", "L", "M"}, str(o.value, "S"))) {
			return errorf("ValidationException", "Invalid %s: Invalid attribute type name found; type: %s, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}", what, str(o.value, "S"))
		}
	}
	return nil
}

func longTypeName(t string) string {
	names := map[string]string{"M": "MAP", "L": "LIST", "SS": "STRING_SET", "NS": "NUMBER_SET", "BS": "BINARY_SET",
		"BOOL": "BOOLEAN", "NULL": "NULL", "S": "STRING", "N": "NUMBER", "B": "BINARY"}
	return names[t]
}
