package sandbox

import (
	"fmt"
	"strings"
	"unicode"
)

// compositeAlarm is an alarm whose state is a rule over other alarms'
// states, such as ALARM("orders-5xx") OR ALARM("orders-latency").
type compositeAlarm struct {
	Name, Rule, Description string
	Actions                 []any
	manual, manualReason    string // SetAlarmState, until the next evaluation
	manualAt                string
}

// maxRuleDepth bounds nesting in a rule and chains of composites.
const maxRuleDepth = 16

func cwPutCompositeAlarm(c *call) (any, error) {
	name, err := required(c.input, "AlarmName", "ValidationError")
	if err != nil {
		return nil, err
	}
	rule, err := required(c.input, "AlarmRule", "ValidationError")
	if err != nil {
		return nil, err
	}
	if _, perr := parseAlarmRule(rule); perr != nil {
		return nil, errorf("ValidationError", "AlarmRule %q: %v", rule, perr)
	}
	r := c.cloudwatch()
	if r.composites == nil {
		r.composites = map[string]*compositeAlarm{}
	}
	if _, exists := r.composites[name]; !exists {
		r.compositeOrder = append(r.compositeOrder, name)
	}
	r.composites[name] = &compositeAlarm{Name: name, Rule: rule, Description: str(c.input, "AlarmDescription"),
		Actions: list(c.input, "AlarmActions")}
	return map[string]any{}, nil
}

// compositeState evaluates a composite alarm's rule against the states of
// the alarms it names, now.
func (c *call) compositeState(a *compositeAlarm, depth int) (string, string) {
	if a.manual != "" && a.manualAt == c.now.Truncate(cloudWatchDefaultPeriod).String() {
		return a.manual, a.manualReason
	}
	expr, err := parseAlarmRule(a.Rule)
	if err != nil || depth > maxRuleDepth {
		return "INSUFFICIENT_DATA", "the rule cannot be evaluated"
	}
	if expr.eval(func(name string) string { return c.anyAlarmState(name, depth+1) }) {
		return "ALARM", "the alarm rule is true: " + a.Rule
	}
	return "OK", "the alarm rule is false: " + a.Rule
}

// anyAlarmState is the state of a metric or composite alarm by name or
// ARN; an alarm that does not exist has INSUFFICIENT_DATA.
func (c *call) anyAlarmState(name string, depth int) string {
	if i := strings.Index(name, ":alarm:"); strings.HasPrefix(name, "arn:") && i >= 0 {
		name = name[i+len(":alarm:"):] // an alarm's ARN; a bare name may hold colons
	}
	r := c.cloudwatch()
	if a, ok := r.alarms[name]; ok {
		st, _ := c.alarmState(a)
		return st
	}
	if ca, ok := r.composites[name]; ok {
		st, _ := c.compositeState(ca, depth)
		return st
	}
	return "INSUFFICIENT_DATA"
}

func (c *call) compositeValue(a *compositeAlarm) map[string]any {
	state, reason := c.compositeState(a, 0)
	return map[string]any{"AlarmName": a.Name, "AlarmArn": arn("cloudwatch", c.region, c.account(), "alarm:"+a.Name),
		"AlarmRule": a.Rule, "AlarmDescription": a.Description, "StateValue": state, "StateReason": reason,
		"StateUpdatedTimestamp": c.now, "ActionsEnabled": true, "AlarmActions": a.Actions}
}

// ruleExpr is a parsed alarm rule.
type ruleExpr struct {
	op   string // "or", "and", "not", "fn", "const"
	fn   string // ALARM, OK, INSUFFICIENT_DATA for "fn"
	arg  string // the alarm for "fn"
	val  bool   // for "const"
	kids []*ruleExpr
}

func (e *ruleExpr) eval(state func(string) string) bool {
	switch e.op {
	case "or":
		return e.kids[0].eval(state) || e.kids[1].eval(state)
	case "and":
		return e.kids[0].eval(state) && e.kids[1].eval(state)
	case "not":
		return !e.kids[0].eval(state)
	case "fn":
		return state(e.arg) == e.fn
	}
	return e.val
}

// parseAlarmRule parses CloudWatch's rule syntax: ALARM(x), OK(x),
// INSUFFICIENT_DATA(x) with a quoted or bare alarm name or ARN, TRUE,
// FALSE, NOT, AND, OR and parentheses.
func parseAlarmRule(rule string) (*ruleExpr, error) {
	p := &ruleParser{src: rule}
	e, err := p.or(0)
	if err != nil {
		return nil, err
	}
	if p.skip(); p.i < len(p.src) {
		return nil, fmt.Errorf("unexpected %q at %d", p.src[p.i:], p.i)
	}
	return e, nil
}

type ruleParser struct {
	src string
	i   int
}

func (p *ruleParser) skip() {
	for p.i < len(p.src) && unicode.IsSpace(rune(p.src[p.i])) {
		p.i++
	}
}

// word reads a keyword if it comes next.
func (p *ruleParser) word(w string) bool {
	p.skip()
	if strings.HasPrefix(strings.ToUpper(p.src[p.i:]), w) {
		end := p.i + len(w)
		if end == len(p.src) || !isRuleNameChar(p.src[end]) {
			p.i = end
			return true
		}
	}
	return false
}

func isRuleNameChar(b byte) bool {
	return b == '_' || b == '-' || b == '.' || b == ':' || b == '/' || unicode.IsLetter(rune(b)) || unicode.IsDigit(rune(b))
}

func (p *ruleParser) or(depth int) (*ruleExpr, error) {
	left, err := p.and(depth)
	for err == nil && p.word("OR") {
		var right *ruleExpr
		if right, err = p.and(depth); err == nil {
			left = &ruleExpr{op: "or", kids: []*ruleExpr{left, right}}
		}
	}
	return left, err
}

func (p *ruleParser) and(depth int) (*ruleExpr, error) {
	left, err := p.factor(depth)
	for err == nil && p.word("AND") {
		var right *ruleExpr
		if right, err = p.factor(depth); err == nil {
			left = &ruleExpr{op: "and", kids: []*ruleExpr{left, right}}
		}
	}
	return left, err
}

func (p *ruleParser) factor(depth int) (*ruleExpr, error) {
	if depth > maxRuleDepth {
		return nil, fmt.Errorf("nested more than %d deep", maxRuleDepth)
	}
	switch {
	case p.word("NOT"):
		e, err := p.factor(depth + 1)
		return &ruleExpr{op: "not", kids: []*ruleExpr{e}}, err
	case p.word("TRUE"):
		return &ruleExpr{op: "const", val: true}, nil
	case p.word("FALSE"):
		return &ruleExpr{op: "const", val: false}, nil
	}
	for _, fn := range []string{"INSUFFICIENT_DATA", "ALARM", "OK"} {
		if p.word(fn) {
			arg, err := p.call()
			return &ruleExpr{op: "fn", fn: fn, arg: arg}, err
		}
	}
	if p.skip(); p.i < len(p.src) && p.src[p.i] == '(' {
		p.i++
		e, err := p.or(depth + 1)
		if p.skip(); err == nil && (p.i >= len(p.src) || p.src[p.i] != ')') {
			err = fmt.Errorf("missing ) at %d", p.i)
		}
		p.i++
		return e, err
	}
	return nil, fmt.Errorf("expected ALARM(...), OK(...), INSUFFICIENT_DATA(...), NOT, TRUE, FALSE or ( at %d", p.i)
}

// call reads "(name)" with the name quoted or bare.
func (p *ruleParser) call() (string, error) {
	if p.skip(); p.i >= len(p.src) || p.src[p.i] != '(' {
		return "", fmt.Errorf("expected ( at %d", p.i)
	}
	p.i++
	p.skip()
	var name string
	if p.i < len(p.src) && p.src[p.i] == '"' {
		end := strings.IndexByte(p.src[p.i+1:], '"')
		if end < 0 {
			return "", fmt.Errorf("unterminated alarm name at %d", p.i)
		}
		name, p.i = p.src[p.i+1:p.i+1+end], p.i+end+2
	} else {
		start := p.i
		for p.i < len(p.src) && isRuleNameChar(p.src[p.i]) {
			p.i++
		}
		name = p.src[start:p.i]
	}
	if p.skip(); name == "" || p.i >= len(p.src) || p.src[p.i] != ')' {
		return "", fmt.Errorf("expected an alarm name and ) at %d", p.i)
	}
	p.i++
	return name, nil
}
