package sandbox

import (
	"encoding/json"
	"sort"
	"strings"
)

// Items: PutItem and GetItem, enough for a runbook that records its
// progress in a table (a failover marker) and for testing that aws.call
// sends DynamoDB's AttributeValues as the AWS CLI writes them. Items are
// kept in the wire form, {"S": "x"}, which both operations speak.

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

func dynamoPutItem(c *call) (any, error) {
	t, err := c.findTable("ResourceNotFoundException")
	if err != nil {
		return nil, err
	}
	item := obj(c.input, "Item")
	key := t.itemKey(item)
	if key == "" {
		return nil, errorf("ValidationException", "One or more parameter values were invalid: Missing the key %s in the item", strings.Join(keyNames(t), ", "))
	}
	if t.items == nil {
		t.items = map[string]map[string]any{}
	}
	t.items[key] = item
	return map[string]any{}, nil
}

func dynamoGetItem(c *call) (any, error) {
	t, err := c.findTable("ResourceNotFoundException")
	if err != nil {
		return nil, err
	}
	key := t.itemKey(obj(c.input, "Key"))
	if key == "" {
		return nil, errorf("ValidationException", "The provided key element does not match the schema")
	}
	item, ok := t.items[key]
	if !ok {
		return map[string]any{}, nil
	}
	return map[string]any{"Item": item}, nil
}

// keyNames lists the key schema's attribute names, for messages.
func keyNames(t *table) []string {
	var names []string
	for _, k := range t.KeySchema {
		names = append(names, str(asMap(k), "AttributeName"))
	}
	sort.Strings(names)
	return names
}
