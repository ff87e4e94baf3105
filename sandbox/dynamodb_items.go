package sandbox

import (
	"encoding/json"
	"slices"
)

// Items: PutItem, GetItem, UpdateItem and DeleteItem with condition
// expressions, as a lock table with leases and fencing tokens needs them,
// and Query and Scan (dynamodb_query.go). Items are kept in the wire form,
// {"S": "x"}, which every operation speaks. Handlers run under the store
// lock, so a conditional write is atomic with its check, as DynamoDB's
// are per item.

// itemKey is an item's identity: its key attributes, in the key schema's
// order, as JSON. It is "" when the item lacks one of them.
func (t *table) itemKey(item map[string]any) string {
	var parts []any
	for _, k := range t.KeySchema {
		name := str(asMap(k), "AttributeName")
		v, ok := item[name]
		if !ok {
			return ""
		}
		parts = append(parts, v)
	}
	raw, _ := json.Marshal(parts)
	return string(raw)
}

// keyAttr is a key attribute: its name, HASH or RANGE, and its type.
type keyAttr struct{ name, keyType, attrType string }

func (t *table) keyAttrs() []keyAttr {
	var out []keyAttr
	for _, k := range t.KeySchema {
		ka := keyAttr{name: str(asMap(k), "AttributeName"), keyType: str(asMap(k), "KeyType")}
		for _, a := range t.Attrs {
			if str(asMap(a), "AttributeName") == ka.name {
				ka.attrType = str(asMap(a), "AttributeType")
			}
		}
		out = append(out, ka)
	}
	return out
}

// checkKeys checks an item's key attributes: there, of the declared type,
// not empty. exact (a Key, not an Item) also refuses any other attribute.
func (t *table) checkKeys(item map[string]any, exact bool) *awsError {
	keys := t.keyAttrs()
	if exact && len(item) != len(keys) {
		return errorf("ValidationException", "The provided key element does not match the schema")
	}
	for _, k := range keys {
		v, ok := item[k.name].(map[string]any)
		switch {
		case !ok && exact:
			return errorf("ValidationException", "The provided key element does not match the schema")
		case !ok:
			return errorf("ValidationException", "One or more parameter values were invalid: Missing the key %s in the item", k.name)
		case avType(v) != k.attrType:
			return errorf("ValidationException", "One or more parameter values were invalid: Type mismatch for key %s expected: %s actual: %s", k.name, k.attrType, avType(v))
		case str(v, k.attrType) == "":
			return errorf("ValidationException", "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: %s", k.name)
		}
	}
	return nil
}

// checkAV refuses a value that is not one AttributeValue of one type, a
// number that is not one, an empty set, or nesting past DynamoDB's 32
// levels.
func checkAV(av map[string]any, depth int) *awsError {
	t := avType(av)
	if t == "" || depth > 32 {
		return errorf("ValidationException", "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
	}
	v := av[t]
	bad := false
	switch t {
	case "S", "B":
		_, ok := v.(string)
		bad = !ok
	case "N":
		s, _ := v.(string)
		if _, ok := parseNumber(s); !ok {
			return errorf("ValidationException", "The parameter cannot be converted to a numeric value: %s", clip(s))
		}
	case "BOOL", "NULL":
		_, ok := v.(bool)
		bad = !ok
	case "SS", "NS", "BS":
		return checkSet(t, v)
	case "L":
		l, ok := v.([]any)
		bad = !ok
		for _, e := range l {
			if err := checkAV(asMap(e), depth+1); err != nil {
				return err
			}
		}
	case "M":
		m, ok := v.(map[string]any)
		bad = !ok
		for _, e := range m {
			if err := checkAV(asMap(e), depth+1); err != nil {
				return err
			}
		}
	}
	if bad {
		return errorf("SerializationException", "the %s of an AttributeValue has the wrong JSON type", t)
	}
	return nil
}

func checkSet(t string, v any) *awsError {
	l, ok := v.([]any)
	if !ok || len(l) == 0 {
		return errorf("ValidationException", "One or more parameter values were invalid: An %s may not be empty", map[string]string{"SS": "string set", "NS": "number set", "BS": "binary set"}[t])
	}
	seen := map[string]bool{}
	for _, e := range l {
		s, ok := e.(string)
		if !ok {
			return errorf("SerializationException", "a set's members must be strings")
		}
		if t == "NS" {
			n, ok := parseNumber(s)
			if !ok {
				return errorf("ValidationException", "The parameter cannot be converted to a numeric value: %s", clip(s))
			}
			s = formatNumber(n)
		}
		if seen[s] {
			return errorf("ValidationException", "One or more parameter values were invalid: Input collection contains duplicates")
		}
		seen[s] = true
	}
	return nil
}

func checkItem(item map[string]any) *awsError {
	for _, v := range item {
		if err := checkAV(asMap(v), 1); err != nil {
			return err
		}
	}
	return nil
}

// itemRequest is what the item operations share: the table, the
// placeholders, and the condition, parsed and checked before anything is
// read or written.
type itemRequest struct {
	t    *table
	ctx  *exprContext
	cond *ddbCond
}

// legacyParams are the pre-expression parameters; the sandbox serves the
// expression forms only and says so rather than ignore them.
var legacyParams = []string{"Expected", "AttributeUpdates", "ConditionalOperator", "KeyConditions", "QueryFilter", "ScanFilter", "AttributesToGet"}

func (c *call) itemRequest(returnValues ...string) (*itemRequest, *awsError) {
	t, err := c.findTable("ResourceNotFoundException")
	if err != nil {
		return nil, err
	}
	for _, p := range legacyParams {
		if _, ok := c.input[p]; ok {
			return nil, errorf("ValidationException", "the sandbox serves expressions, not the legacy parameter %s; use the expression form", p)
		}
	}
	if rv := str(c.input, "ReturnValues"); rv != "" && !slices.Contains(returnValues, rv) {
		return nil, errorf("ValidationException", "Return values set to invalid value")
	}
	if rv := str(c.input, "ReturnValuesOnConditionCheckFailure"); rv != "" && rv != "NONE" && rv != "ALL_OLD" {
		return nil, errorf("ValidationException", "ReturnValuesOnConditionCheckFailure set to invalid value")
	}
	r := &itemRequest{t: t, ctx: newExprContext(c.input)}
	for _, which := range []string{"ExpressionAttributeNames", "ExpressionAttributeValues"} {
		if m, ok := c.input[which].(map[string]any); ok && len(m) == 0 {
			return nil, errorf("ValidationException", "%s must not be empty", which)
		}
	}
	for k, v := range r.ctx.values {
		if err := checkAV(asMap(v), 1); err != nil {
			return nil, errorf("ValidationException", "ExpressionAttributeValues contains invalid value: %s for key %s", err.Message, k)
		}
	}
	if src := str(c.input, "ConditionExpression"); src != "" {
		if r.cond, err = r.ctx.parseCondition("ConditionExpression", src); err != nil {
			return nil, err
		}
		if err := checkOperandTypes("ConditionExpression", r.cond); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// check evaluates the condition on the item as it is (nil: none).
func (r *itemRequest) check(c *call, old map[string]any) *awsError {
	if r.cond == nil || evalCondition(r.cond, old) {
		return nil
	}
	e := errorf("ConditionalCheckFailedException", "The conditional request failed")
	if str(c.input, "ReturnValuesOnConditionCheckFailure") == "ALL_OLD" && old != nil {
		e.Extra = map[string]any{"Item": old}
	}
	return e
}

func dynamoPutItem(c *call) (any, error) {
	r, err := c.itemRequest("NONE", "ALL_OLD")
	if err != nil {
		return nil, err
	}
	item := obj(c.input, "Item")
	if err := r.t.checkKeys(item, false); err != nil {
		return nil, err
	}
	if err := checkItem(item); err != nil {
		return nil, err
	}
	if err := r.ctx.unused(); err != nil {
		return nil, err
	}
	key := r.t.itemKey(item)
	r.t.sweep(c.now)
	old := r.t.live(key, c.now)
	if err := r.check(c, old); err != nil {
		return nil, err
	}
	if r.t.items == nil {
		r.t.items = map[string]map[string]any{}
	}
	r.t.items[key] = item
	return attributesOut(str(c.input, "ReturnValues") == "ALL_OLD", old), nil
}

func attributesOut(want bool, item map[string]any) map[string]any {
	if !want || len(item) == 0 {
		return map[string]any{}
	}
	return map[string]any{"Attributes": item}
}

func dynamoGetItem(c *call) (any, error) {
	r, err := c.itemRequest()
	if err != nil {
		return nil, err
	}
	key := obj(c.input, "Key")
	if err := r.t.checkKeys(key, true); err != nil {
		return nil, err
	}
	var paths []docPath
	if src := str(c.input, "ProjectionExpression"); src != "" {
		if paths, err = r.ctx.parseProjection(src); err != nil {
			return nil, err
		}
	}
	if err := r.ctx.unused(); err != nil {
		return nil, err
	}
	item := r.t.live(r.t.itemKey(key), c.now)
	if item == nil {
		return map[string]any{}, nil
	}
	return map[string]any{"Item": project(item, paths)}, nil
}

func dynamoDeleteItem(c *call) (any, error) {
	r, err := c.itemRequest("NONE", "ALL_OLD")
	if err != nil {
		return nil, err
	}
	key := obj(c.input, "Key")
	if err := r.t.checkKeys(key, true); err != nil {
		return nil, err
	}
	if err := r.ctx.unused(); err != nil {
		return nil, err
	}
	k := r.t.itemKey(key)
	r.t.sweep(c.now)
	old := r.t.live(k, c.now)
	if err := r.check(c, old); err != nil {
		return nil, err
	}
	delete(r.t.items, k)
	return attributesOut(str(c.input, "ReturnValues") == "ALL_OLD", old), nil
}

// dynamoUpdateItem applies an UpdateExpression, making the item (its key
// and what the update sets) when there is none, as DynamoDB does.
func dynamoUpdateItem(c *call) (any, error) {
	r, err := c.itemRequest("NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW")
	if err != nil {
		return nil, err
	}
	key := obj(c.input, "Key")
	if err := r.t.checkKeys(key, true); err != nil {
		return nil, err
	}
	var actions []updateAction
	if src := str(c.input, "UpdateExpression"); src != "" {
		if actions, err = r.ctx.parseUpdate(src); err != nil {
			return nil, err
		}
	}
	if err := r.ctx.unused(); err != nil {
		return nil, err
	}
	for _, a := range actions {
		if _, isKey := key[a.path[0].name]; isKey {
			return nil, errorf("ValidationException", "One or more parameter values were invalid: Cannot update attribute %s. This attribute is part of the key", a.path[0].name)
		}
	}
	k := r.t.itemKey(key)
	r.t.sweep(c.now)
	old := r.t.live(k, c.now)
	if err := r.check(c, old); err != nil {
		return nil, err
	}
	base := old
	if base == nil {
		base = key
	}
	item, err := applyUpdate(base, actions)
	if err != nil {
		return nil, err
	}
	if err := checkItem(item); err != nil {
		return nil, err
	}
	if r.t.items == nil {
		r.t.items = map[string]map[string]any{}
	}
	r.t.items[k] = item
	return updateReturn(str(c.input, "ReturnValues"), old, item, updatedNames(actions)), nil
}

func updateReturn(rv string, old, item map[string]any, names []string) map[string]any {
	pick := func(from map[string]any) map[string]any {
		out := map[string]any{}
		for _, n := range names {
			if v, ok := from[n]; ok {
				out[n] = v
			}
		}
		return out
	}
	switch rv {
	case "ALL_OLD":
		return attributesOut(true, old)
	case "ALL_NEW":
		return attributesOut(true, item)
	case "UPDATED_OLD":
		return attributesOut(true, pick(old))
	case "UPDATED_NEW":
		return attributesOut(true, pick(item))
	}
	return map[string]any{}
}

// keyOf is an item's key attributes, as LastEvaluatedKey gives them.
func (t *table) keyOf(item map[string]any) map[string]any {
	out := map[string]any{}
	for _, k := range t.keyAttrs() {
		out[k.name] = item[k.name]
	}
	return out
}
