package sandbox

import (
	"fmt"
	"strconv"
	"strings"
)

// DynamoDB's expression language, as condition, filter, key condition,
// update and projection expressions use it: a tokenizer and a recursive
// descent parser into a small tree that dynamodb_eval.go evaluates. The
// parser never panics and bounds its nesting, whatever the input: the
// expressions come from clients (FuzzDynamoExpression holds it to that).

// maxExprDepth bounds nested parentheses and NOTs, so that a hostile
// expression cannot exhaust the stack.
const maxExprDepth = 64

type exprToken struct {
	kind byte // 'n' name, '#' name placeholder, ':' value, '0' integer, 'p' punctuation, 'e' end
	text string
	pos  int
}

// tokenize splits an expression; false with the offending text when it
// holds a character no token starts with.
func tokenize(s string) ([]exprToken, string, bool) {
	var out []exprToken
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '#' || c == ':' || isNameByte(c):
			j := i + 1
			for j < len(s) && isNameByte(s[j]) {
				j++
			}
			kind := c
			if isNameByte(c) {
				kind = 'n'
				if c >= '0' && c <= '9' {
					kind = '0'
				}
			}
			out = append(out, exprToken{kind: kind, text: s[i:j], pos: i})
			i = j
		case strings.HasPrefix(s[i:], "<>") || strings.HasPrefix(s[i:], "<=") || strings.HasPrefix(s[i:], ">="):
			out = append(out, exprToken{kind: 'p', text: s[i : i+2], pos: i})
			i += 2
		case strings.IndexByte("()[],.=<>+-", c) >= 0:
			out = append(out, exprToken{kind: 'p', text: s[i : i+1], pos: i})
			i++
		default:
			return nil, s[i : i+1], false
		}
	}
	return append(out, exprToken{kind: 'e', text: "<EOF>", pos: len(s)}), "", true
}

func isNameByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// pathElem is one step of a document path: an attribute or map key, or a
// list index.
type pathElem struct {
	name    string
	index   int
	isIndex bool
}

type docPath []pathElem

func (p docPath) String() string {
	var b strings.Builder
	for i, e := range p {
		switch {
		case e.isIndex:
			fmt.Fprintf(&b, "[%d]", e.index)
		case i > 0:
			b.WriteString("." + e.name)
		default:
			b.WriteString(e.name)
		}
	}
	return b.String()
}

// operand kinds.
const (
	opPath = iota
	opValue
	opSize
	opIfNotExists
	opListAppend
	opArith
)

type operand struct {
	kind  int
	path  docPath
	value map[string]any // an AttributeValue, for opValue
	name  string         // the placeholder, for messages
	args  []*operand
	arith string // "+" or "-"
}

// condition kinds.
const (
	condCompare = iota
	condBetween
	condIn
	condAnd
	condOr
	condNot
	condFunc
)

type ddbCond struct {
	kind     int
	op       string // comparator or function name
	operands []*operand
	kids     []*ddbCond
}

// exprParser parses one expression against a request's placeholders;
// the used sets are shared by every expression of a request, so that
// unused placeholders are found once all are parsed.
type exprParser struct {
	what   string // ConditionExpression, UpdateExpression, ...
	toks   []exprToken
	pos    int
	depth  int
	src    string
	ctx    *exprContext
	failed *awsError
}

// exprContext holds a request's ExpressionAttributeNames and Values and
// which of them its expressions used.
type exprContext struct {
	names      map[string]any
	values     map[string]any
	usedNames  map[string]bool
	usedValues map[string]bool
	parsed     int // expressions parsed
}

func newExprContext(input map[string]any) *exprContext {
	return &exprContext{names: obj(input, "ExpressionAttributeNames"), values: obj(input, "ExpressionAttributeValues"),
		usedNames: map[string]bool{}, usedValues: map[string]bool{}}
}

func (ctx *exprContext) parser(what, src string) (*exprParser, *awsError) {
	ctx.parsed++
	toks, bad, ok := tokenize(src)
	p := &exprParser{what: what, toks: toks, src: src, ctx: ctx}
	if !ok {
		return nil, errorf("ValidationException", "Invalid %s: Syntax error; token: %q, near: %q", what, bad, near(src, strings.Index(src, bad)))
	}
	if len(toks) == 1 {
		return nil, errorf("ValidationException", "Invalid %s: The expression can not be empty;", what)
	}
	return p, nil
}

// near is the text around a position, as DynamoDB's syntax errors quote it.
func near(src string, pos int) string {
	lo, hi := max(pos-8, 0), min(pos+8, len(src))
	if lo > hi {
		return ""
	}
	return src[lo:hi]
}

func (p *exprParser) peek() exprToken { return p.toks[p.pos] }

func (p *exprParser) next() exprToken {
	t := p.toks[p.pos]
	if p.pos < len(p.toks)-1 {
		p.pos++
	}
	return t
}

// fail records the first error; parsing stops at it.
func (p *exprParser) fail(format string, args ...any) {
	if p.failed == nil {
		p.failed = errorf("ValidationException", "Invalid %s: %s", p.what, fmt.Sprintf(format, args...))
	}
}

func (p *exprParser) syntax() {
	t := p.peek()
	p.fail("Syntax error; token: %q, near: %q", t.text, near(p.src, t.pos))
}

func (p *exprParser) isWord(word string) bool {
	t := p.peek()
	return t.kind == 'n' && strings.EqualFold(t.text, word)
}

func (p *exprParser) isPunct(s string) bool {
	t := p.peek()
	return t.kind == 'p' && t.text == s
}

func (p *exprParser) expect(s string) bool {
	if !p.isPunct(s) {
		p.syntax()
		return false
	}
	p.next()
	return true
}

// done reports a syntax error unless every token was consumed.
func (p *exprParser) done() *awsError {
	if p.failed == nil && p.peek().kind != 'e' {
		p.syntax()
	}
	return p.failed
}

// parseCondition parses a whole condition (or filter, or key condition)
// expression.
func (ctx *exprContext) parseCondition(what, src string) (*ddbCond, *awsError) {
	p, err := ctx.parser(what, src)
	if err != nil {
		return nil, err
	}
	c := p.or()
	if err := p.done(); err != nil {
		return nil, err
	}
	return c, nil
}

func (p *exprParser) or() *ddbCond {
	left := p.and()
	for p.failed == nil && p.isWord("OR") {
		p.next()
		left = &ddbCond{kind: condOr, kids: []*ddbCond{left, p.and()}}
	}
	return left
}

func (p *exprParser) and() *ddbCond {
	left := p.not()
	for p.failed == nil && p.isWord("AND") {
		p.next()
		left = &ddbCond{kind: condAnd, kids: []*ddbCond{left, p.not()}}
	}
	return left
}

func (p *exprParser) not() *ddbCond {
	if p.depth++; p.depth > maxExprDepth {
		p.fail("The expression is nested too deeply")
		return &ddbCond{}
	}
	defer func() { p.depth-- }()
	if p.isWord("NOT") {
		p.next()
		return &ddbCond{kind: condNot, kids: []*ddbCond{p.not()}}
	}
	if p.isPunct("(") {
		p.next()
		c := p.or()
		p.expect(")")
		return c
	}
	return p.primary()
}

// conditionFuncs are the functions that are conditions; size is an
// operand.
var conditionFuncs = map[string]int{"attribute_exists": 1, "attribute_not_exists": 1, "attribute_type": 2, "begins_with": 2, "contains": 2}

func (p *exprParser) primary() *ddbCond {
	t := p.peek()
	if t.kind == 'n' && p.toks[min(p.pos+1, len(p.toks)-1)].text == "(" {
		if n, ok := conditionFuncs[t.text]; ok {
			p.next()
			args := p.args(false)
			if p.failed == nil && len(args) != n {
				p.fail("Incorrect number of operands for operator or function; operator or function: %s, number of operands: %d", t.text, len(args))
			}
			if p.failed == nil && args[0].kind != opPath && t.text != "begins_with" && t.text != "contains" {
				p.fail("Operator or function requires a document path; operator or function: %s", t.text)
			}
			return &ddbCond{kind: condFunc, op: t.text, operands: args}
		}
	}
	left := p.operand(false)
	switch {
	case p.failed != nil:
		return &ddbCond{}
	case p.isWord("BETWEEN"):
		p.next()
		lo := p.operand(false)
		if !p.isWord("AND") {
			p.syntax()
			return &ddbCond{}
		}
		p.next()
		return &ddbCond{kind: condBetween, op: "BETWEEN", operands: []*operand{left, lo, p.operand(false)}}
	case p.isWord("IN"):
		p.next()
		args := p.args(false)
		return &ddbCond{kind: condIn, op: "IN", operands: append([]*operand{left}, args...)}
	}
	op := p.peek()
	switch op.text {
	case "=", "<>", "<", "<=", ">", ">=":
		if op.kind == 'p' {
			p.next()
			return &ddbCond{kind: condCompare, op: op.text, operands: []*operand{left, p.operand(false)}}
		}
	}
	p.syntax()
	return &ddbCond{}
}

// args parses a parenthesized, comma-separated operand list; update
// allows an update's operands in it.
func (p *exprParser) args(update bool) []*operand {
	if !p.expect("(") {
		return nil
	}
	var out []*operand
	for p.failed == nil {
		out = append(out, p.operand(update))
		if p.isPunct(",") {
			p.next()
			continue
		}
		p.expect(")")
		break
	}
	return out
}

// operand parses a path, a :value or size(path); in an update's SET, also
// if_not_exists, list_append and one + or -.
func (p *exprParser) operand(update bool) *operand {
	if p.depth++; p.depth > maxExprDepth {
		p.fail("The expression is nested too deeply")
		return &operand{}
	}
	defer func() { p.depth-- }()
	left := p.term(update)
	if update && p.failed == nil && (p.isPunct("+") || p.isPunct("-")) {
		op := p.next().text
		return &operand{kind: opArith, arith: op, args: []*operand{left, p.term(true)}}
	}
	return left
}

func (p *exprParser) term(update bool) *operand {
	t := p.peek()
	switch {
	case t.kind == ':':
		p.next()
		v, ok := p.ctx.values[t.text]
		if !ok {
			p.fail("An expression attribute value used in expression is not defined; attribute value: %s", t.text)
			return &operand{}
		}
		p.ctx.usedValues[t.text] = true
		return &operand{kind: opValue, value: asMap(v), name: t.text}
	case t.kind == 'n' && p.toks[min(p.pos+1, len(p.toks)-1)].text == "(":
		return p.function(update)
	case t.kind == 'n' || t.kind == '#':
		return &operand{kind: opPath, path: p.path()}
	}
	p.syntax()
	return &operand{}
}

func (p *exprParser) function(update bool) *operand {
	name := p.next().text
	kinds := map[string]int{"size": opSize}
	if update {
		kinds = map[string]int{"if_not_exists": opIfNotExists, "list_append": opListAppend}
	}
	kind, ok := kinds[name]
	if !ok {
		p.fail("Invalid function name; function: %s", name)
		return &operand{}
	}
	// An update's functions nest: list_append(if_not_exists(l, :empty), :v).
	args := p.args(update)
	want := map[int]int{opSize: 1, opIfNotExists: 2, opListAppend: 2}[kind]
	if p.failed == nil && len(args) != want {
		p.fail("Incorrect number of operands for operator or function; operator or function: %s, number of operands: %d", name, len(args))
	}
	if p.failed == nil && (kind == opSize || kind == opIfNotExists) && args[0].kind != opPath {
		p.fail("Operator or function requires a document path; operator or function: %s", name)
	}
	return &operand{kind: kind, args: args, name: name}
}

// path parses a document path: names and #placeholders joined by dots,
// with [n] list indexes.
func (p *exprParser) path() docPath {
	var path docPath
	for p.failed == nil {
		t := p.peek()
		if t.kind != 'n' && t.kind != '#' {
			p.syntax()
			return path
		}
		p.next()
		switch t.kind {
		case 'n':
			if reservedWord(t.text) {
				p.fail("Attribute name is a reserved keyword; reserved keyword: %s", t.text)
			}
			path = append(path, pathElem{name: t.text})
		case '#':
			name, ok := p.ctx.names[t.text].(string)
			if !ok {
				p.fail("An expression attribute name used in the document path is not defined; attribute name: %s", t.text)
			}
			p.ctx.usedNames[t.text] = true
			path = append(path, pathElem{name: name})
		}
		for p.failed == nil && p.isPunct("[") {
			p.next()
			n, err := strconv.Atoi(p.peek().text)
			if p.peek().kind != '0' || err != nil || n > 1<<20 {
				p.syntax()
				return path
			}
			p.next()
			path = append(path, pathElem{index: n, isIndex: true})
			p.expect("]")
		}
		if !p.isPunct(".") {
			return path
		}
		p.next()
	}
	return path
}

// unused reports placeholders the request gave but no expression used,
// as DynamoDB refuses them.
func (ctx *exprContext) unused() *awsError {
	switch {
	case ctx.parsed == 0 && len(ctx.names) > 0:
		return errorf("ValidationException", "ExpressionAttributeNames can only be specified when using expressions")
	case ctx.parsed == 0 && len(ctx.values) > 0:
		return errorf("ValidationException", "ExpressionAttributeValues can only be specified when using expressions")
	}
	if err := unusedKeys("ExpressionAttributeNames", ctx.names, ctx.usedNames); err != nil {
		return err
	}
	return unusedKeys("ExpressionAttributeValues", ctx.values, ctx.usedValues)
}

func unusedKeys(what string, given map[string]any, used map[string]bool) *awsError {
	var keys []string
	for _, k := range sortedKeys(given) {
		if !used[k] {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	return errorf("ValidationException", "Value provided in %s unused in expressions: keys: {%s}", what, strings.Join(keys, ", "))
}
