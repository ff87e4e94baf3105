package sandbox

import "testing"

// FuzzDynamoExpression: no expression, however malformed, makes the
// parser or the evaluator panic or loop; it parses as every kind of
// expression a request carries, and what parses is evaluated on an item.
func FuzzDynamoExpression(f *testing.F) {
	for _, seed := range []string{
		"attribute_not_exists(id)",
		"attribute_not_exists(id) OR expires < :now",
		"SET fence = if_not_exists(fence, :zero) + :one, holder = :me, expires = :until",
		"holder = :me",
		"SET a = list_append(a, :v) REMOVE b, c[0] ADD n :v DELETE s :v",
		"pk = :p AND sk BETWEEN :lo AND :hi",
		"NOT (a IN (:v, :w) AND begins_with(#n, :v)) OR size(a.b[2]) >= :v",
		"attribute_type(a, :t) AND contains(#n.x, :v)",
		"#n, a.b[1], c",
		"((((a = :v))))",
		"a <> :v",
	} {
		f.Add(seed)
	}
	item := map[string]any{
		"id": map[string]any{"S": "k"}, "a": map[string]any{"M": map[string]any{"b": map[string]any{"L": []any{map[string]any{"N": "1"}}}}},
		"n": map[string]any{"N": "5"}, "s": map[string]any{"SS": []any{"x", "y"}},
	}
	f.Fuzz(func(t *testing.T, src string) {
		input := map[string]any{
			"ExpressionAttributeNames": map[string]any{"#n": "a"},
			"ExpressionAttributeValues": map[string]any{":v": map[string]any{"N": "1"}, ":w": map[string]any{"S": "x"},
				":t": map[string]any{"S": "M"}, ":now": map[string]any{"N": "9"}, ":one": map[string]any{"N": "1"},
				":zero": map[string]any{"N": "0"}, ":me": map[string]any{"S": "me"}, ":until": map[string]any{"N": "99"},
				":p": map[string]any{"S": "k"}, ":lo": map[string]any{"N": "0"}, ":hi": map[string]any{"N": "9"},
				":m": map[string]any{"M": map[string]any{}}},
		}
		ctx := newExprContext(input)
		if c, err := ctx.parseCondition("ConditionExpression", src); err == nil {
			if checkOperandTypes("ConditionExpression", c) == nil {
				evalCondition(c, item)
				evalCondition(c, nil)
			}
		}
		if actions, err := ctx.parseUpdate(src); err == nil {
			_, _ = applyUpdate(item, actions)
			_, _ = applyUpdate(nil, actions)
		}
		if paths, err := ctx.parseProjection(src); err == nil {
			project(item, paths)
		}
		_ = ctx.unused()
	})
}
