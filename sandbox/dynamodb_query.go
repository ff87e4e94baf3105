package sandbox

import "slices"

// Query and Scan, and ProjectionExpression. Pages are by Limit only (not
// DynamoDB's 1 MB), and Limit counts the items read before the filter, as
// DynamoDB's does. A page that stops at Limit has a LastEvaluatedKey even
// when nothing follows it, as DynamoDB's can: a pager must read until one
// has none.

// parseProjection parses a comma-separated list of document paths.
func (ctx *exprContext) parseProjection(src string) ([]docPath, *awsError) {
	p, err := ctx.parser("ProjectionExpression", src)
	if err != nil {
		return nil, err
	}
	var paths []docPath
	for p.failed == nil {
		paths = append(paths, p.path())
		if !p.isPunct(",") {
			break
		}
		p.next()
	}
	if err := p.done(); err != nil {
		return nil, err
	}
	return paths, nil
}

// project keeps the projected paths of an item (all of it for none); a
// nested path keeps its enclosing maps, and a list element is kept in a
// list of the elements projected, as DynamoDB returns them.
func project(item map[string]any, paths []docPath) map[string]any {
	if len(paths) == 0 {
		return item
	}
	out := map[string]any{}
	for _, path := range paths {
		v, ok := resolve(item, path)
		if !ok {
			continue
		}
		if len(path) == 1 {
			out[path[0].name] = v
			continue
		}
		projectInto(out, path, v)
	}
	return out
}

// projectInto places v at path in out, making the containers on the way.
func projectInto(out map[string]any, path docPath, v map[string]any) {
	container, _ := out[path[0].name].(map[string]any)
	if container == nil {
		container = map[string]any{}
		out[path[0].name] = container
	}
	for i, e := range path[1:] {
		last := i == len(path)-2
		if e.isIndex {
			l, _ := container["L"].([]any)
			if last {
				container["L"] = append(l, v)
				return
			}
			next := map[string]any{}
			container["L"] = append(l, next)
			container = next
			continue
		}
		m, _ := container["M"].(map[string]any)
		if m == nil {
			m = map[string]any{}
			container["M"] = m
		}
		if last {
			m[e.name] = v
			return
		}
		next, _ := m[e.name].(map[string]any)
		if next == nil {
			next = map[string]any{}
			m[e.name] = next
		}
		container = next
	}
}

// readRequest is what Query and Scan share: filter, projection, Select
// and Limit, parsed and checked.
type readRequest struct {
	*itemRequest
	filter *ddbCond
	paths  []docPath
	count  bool
	limit  int
}

func (c *call) readRequest() (*readRequest, *awsError) {
	ir, err := c.itemRequest()
	if err != nil {
		return nil, err
	}
	r := &readRequest{itemRequest: ir}
	if idx := str(c.input, "IndexName"); idx != "" {
		return nil, errorf("ValidationException", "The table does not have the specified index: %s", idx)
	}
	if src := str(c.input, "FilterExpression"); src != "" {
		if r.filter, err = r.ctx.parseCondition("FilterExpression", src); err != nil {
			return nil, err
		}
		if err := checkOperandTypes("FilterExpression", r.filter); err != nil {
			return nil, err
		}
	}
	if src := str(c.input, "ProjectionExpression"); src != "" {
		if r.paths, err = r.ctx.parseProjection(src); err != nil {
			return nil, err
		}
	}
	switch sel := str(c.input, "Select"); sel {
	case "", "ALL_ATTRIBUTES", "SPECIFIC_ATTRIBUTES":
	case "COUNT":
		r.count = true
	default:
		return nil, errorf("ValidationException", "1 validation error detected: Value '%s' at 'select' failed to satisfy constraint: Member must satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]", clip(sel))
	}
	if v, ok := c.input["Limit"]; ok {
		n, isNum := v.(float64)
		if !isNum || n < 1 || n != float64(int(n)) {
			return nil, errorf("ValidationException", "1 validation error detected: Value '%v' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1", v)
		}
		r.limit = int(n)
	}
	return r, nil
}

// page reads ordered items from start: up to Limit of them, then the
// filter, the projection and Select.
func (r *readRequest) page(ordered []map[string]any, start int) map[string]any {
	end := len(ordered)
	if r.limit > 0 && start+r.limit < end {
		end = start + r.limit
	}
	read := ordered[min(start, end):end]
	items := []any{}
	for _, item := range read {
		if r.filter == nil || evalCondition(r.filter, item) {
			items = append(items, project(item, r.paths))
		}
	}
	out := map[string]any{"Count": len(items), "ScannedCount": len(read)}
	if !r.count {
		out["Items"] = items
	}
	if r.limit > 0 && len(read) == r.limit {
		out["LastEvaluatedKey"] = r.t.keyOf(read[len(read)-1])
	}
	return out
}

func dynamoScan(c *call) (any, error) {
	r, err := c.readRequest()
	if err != nil {
		return nil, err
	}
	if err := r.ctx.unused(); err != nil {
		return nil, err
	}
	keys := sortedKeys(r.t.items)
	start := 0
	if esk := obj(c.input, "ExclusiveStartKey"); esk != nil {
		if err := r.t.checkKeys(esk, true); err != nil {
			return nil, errorf("ValidationException", "The provided starting key is invalid: %s", err.Message)
		}
		after := r.t.itemKey(esk)
		start = len(keys)
		for i, k := range keys {
			if k > after {
				start = i
				break
			}
		}
	}
	var ordered []map[string]any
	for _, k := range keys[start:] {
		if item := r.t.live(k, c.now); item != nil {
			ordered = append(ordered, item)
		}
	}
	return r.page(ordered, 0), nil
}

// dynamoQuery reads the items of one partition in sort key order.
func dynamoQuery(c *call) (any, error) {
	r, err := c.readRequest()
	if err != nil {
		return nil, err
	}
	src := str(c.input, "KeyConditionExpression")
	if src == "" {
		return nil, errorf("ValidationException", "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.")
	}
	keyCond, err := r.ctx.parseCondition("KeyConditionExpression", src)
	if err != nil {
		return nil, err
	}
	if err := checkKeyCondition(r.t, keyCond); err != nil {
		return nil, err
	}
	if err := checkFilterKeys(r.t, r.filter); err != nil {
		return nil, err
	}
	if err := r.ctx.unused(); err != nil {
		return nil, err
	}
	var sortKey docPath
	for _, k := range r.t.keyAttrs() {
		if k.keyType == "RANGE" {
			sortKey = docPath{{name: k.name}}
		}
	}
	var ordered []map[string]any
	for _, k := range sortedKeys(r.t.items) {
		if item := r.t.live(k, c.now); item != nil && evalCondition(keyCond, item) {
			ordered = append(ordered, item)
		}
	}
	forward, ok := boolean(c.input, "ScanIndexForward")
	forward = forward || !ok
	slices.SortStableFunc(ordered, func(a, b map[string]any) int {
		x, _ := resolve(a, sortKey)
		y, _ := resolve(b, sortKey)
		n, _ := compareAV(x, y)
		if !forward {
			return -n
		}
		return n
	})
	start := 0
	if esk := obj(c.input, "ExclusiveStartKey"); esk != nil {
		if err := r.t.checkKeys(esk, true); err != nil {
			return nil, errorf("ValidationException", "The provided starting key is invalid: %s", err.Message)
		}
		start = len(ordered)
		from, _ := resolve(esk, sortKey)
		for i, item := range ordered {
			v, _ := resolve(item, sortKey)
			if n, ok := compareAV(v, from); ok && (forward && n > 0 || !forward && n < 0) {
				start = i
				break
			}
		}
	}
	return r.page(ordered, start), nil
}

// checkKeyCondition holds a key condition to what DynamoDB takes: the
// partition key with =, and at most one condition on the sort key (=, <,
// <=, >, >=, BETWEEN, begins_with), joined by AND.
func checkKeyCondition(t *table, c *ddbCond) *awsError {
	var parts []*ddbCond
	var flatten func(*ddbCond) *awsError
	flatten = func(c *ddbCond) *awsError {
		switch c.kind {
		case condAnd:
			for _, k := range c.kids {
				if err := flatten(k); err != nil {
					return err
				}
			}
		case condOr, condNot:
			return errorf("ValidationException", "Invalid operator used in KeyConditionExpression: %s", map[int]string{condOr: "OR", condNot: "NOT"}[c.kind])
		default:
			parts = append(parts, c)
		}
		return nil
	}
	if err := flatten(c); err != nil {
		return err
	}
	if len(parts) > 2 {
		return errorf("ValidationException", "Conditions can be of length 1 or 2 only")
	}
	seen := map[string]string{}
	types := map[string]string{}
	for _, k := range t.keyAttrs() {
		types[k.name] = k.attrType
	}
	for _, p := range parts {
		name, ok := keyConditionAttr(p)
		if !ok {
			return errorf("ValidationException", "Query key condition not supported")
		}
		for _, o := range p.operands[1:] {
			if want, isKey := types[name]; isKey && (avType(o.value) != want || p.op == "begins_with" && want == "N") {
				return errorf("ValidationException", "One or more parameter values were invalid: Condition parameter type does not match schema type")
			}
		}
		seen[name] = p.op
	}
	for _, k := range t.keyAttrs() {
		op, ok := seen[k.name]
		delete(seen, k.name)
		switch {
		case k.keyType == "HASH" && !ok:
			return errorf("ValidationException", "Query condition missed key schema element: %s", k.name)
		case k.keyType == "HASH" && op != "=":
			return errorf("ValidationException", "Query key condition not supported")
		}
	}
	if len(seen) > 0 {
		return errorf("ValidationException", "Query condition missed key schema element")
	}
	return nil
}

// keyConditionAttr is the key attribute a key condition part is on.
func keyConditionAttr(p *ddbCond) (string, bool) {
	switch {
	case p.kind == condCompare && p.op != "<>", p.kind == condBetween, p.kind == condFunc && p.op == "begins_with":
	default:
		return "", false
	}
	path := p.operands[0].path
	for _, o := range p.operands[1:] {
		if o.kind != opValue {
			return "", false
		}
	}
	if p.operands[0].kind != opPath || len(path) != 1 {
		return "", false
	}
	return path[0].name, true
}

// checkFilterKeys refuses a Query filter on a key attribute, as DynamoDB
// does: the key condition is where those go.
func checkFilterKeys(t *table, c *ddbCond) *awsError {
	if c == nil {
		return nil
	}
	for _, k := range c.kids {
		if err := checkFilterKeys(t, k); err != nil {
			return err
		}
	}
	for _, o := range c.operands {
		path := o.path
		if o.kind == opSize && len(o.args) > 0 {
			path = o.args[0].path
		}
		for _, k := range t.keyAttrs() {
			if len(path) > 0 && path[0].name == k.name {
				return errorf("ValidationException", "Filter Expression can only contain non-primary key attributes: Primary key attribute: %s", k.name)
			}
		}
	}
	return nil
}
