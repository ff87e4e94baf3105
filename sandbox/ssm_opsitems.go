package sandbox

import (
	"encoding/json"
	"sort"
	"strings"
)

// ssmDescribeOpsItems lists OpsItems matching every filter. The executor
// uses it to find an OpsItem a step already created (its OperationalData
// names the run and step) before creating a second one.
func ssmDescribeOpsItems(c *call) (any, error) {
	filters := list(c.input, "OpsItemFilters")
	r := c.ssm()
	ids := make([]string, 0, len(r.opsItems))
	for id := range r.opsItems {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var items []any
	for _, id := range ids {
		it := r.opsItems[id]
		ok, err := opsItemMatches(it, filters)
		if err != nil {
			return nil, err
		}
		if ok {
			items = append(items, c.opsItemSummary(it))
		}
	}
	page, next, err := paginate(c.input, "MaxResults", "NextToken", items, pageLimits{def: 50, min: 1, max: 50, validation: "ValidationException"})
	if err != nil {
		return nil, errorf("ValidationException", "%v", asAWSError(err).Message)
	}
	out := map[string]any{"OpsItemSummaries": page}
	if next != "" {
		out["NextToken"] = next
	}
	return out, nil
}

func (c *call) opsItemSummary(it *opsItem) map[string]any {
	caller := c.callerARN()
	v := map[string]any{"OpsItemId": it.ID, "Status": "Open", "CreatedTime": it.Created, "LastModifiedTime": it.Created,
		"CreatedBy": caller, "LastModifiedBy": caller}
	for _, k := range []string{"Title", "Source", "Severity", "Category", "Priority", "OperationalData", "OpsItemType"} {
		if val, ok := it.fields[k]; ok {
			v[k] = val
		}
	}
	return v
}

// opsItemMatches applies DescribeOpsItems' filters: Key, Operator (Equal
// or Contains) and Values, any of which may match.
func opsItemMatches(it *opsItem, filters []any) (bool, *awsError) {
	for _, f := range filters {
		fm, _ := f.(map[string]any)
		key, op := str(fm, "Key"), str(fm, "Operator")
		if op != "Equal" && op != "Contains" {
			return false, errorf("ValidationException", "OpsItemFilter Operator %q: the sandbox supports Equal and Contains", op)
		}
		matched := false
		for _, v := range list(fm, "Values") {
			want, _ := v.(string)
			have, known := opsItemField(it, key, want)
			if !known {
				return false, errorf("ValidationException", "OpsItemFilter Key %q is not one the sandbox supports", key)
			}
			matched = matched || (op == "Equal" && have == want) || (op == "Contains" && strings.Contains(have, want))
		}
		if !matched {
			return false, nil
		}
	}
	return true, nil
}

// opsItemField is the value a filter key compares; for OperationalData the
// filter value is {"key": ..., "value": ...} and the result is that JSON
// again when the item holds that key and value, so Equal compares them.
func opsItemField(it *opsItem, key, want string) (string, bool) {
	switch key {
	case "OpsItemId":
		return it.ID, true
	case "Status":
		return "Open", true
	case "Title", "Source", "Severity", "Category", "OpsItemType":
		return str(it.fields, key), true
	case "OperationalData":
		var kv struct{ Key, Value string }
		if json.Unmarshal([]byte(want), &kv) != nil {
			return "", true
		}
		if entry, ok := obj(it.fields, "OperationalData")[kv.Key].(map[string]any); ok && str(entry, "Value") == kv.Value {
			return want, true
		}
		return "", true
	case "OperationalDataKey":
		if _, ok := obj(it.fields, "OperationalData")[want]; ok {
			return want, true
		}
		return "", true
	}
	return "", false
}
