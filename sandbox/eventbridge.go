package sandbox

import (
	"encoding/json"
	"regexp"
	"strings"
	"time"
)

// EventBridge rules change state the moment the API answers (ENABLED ⇄
// DISABLED): no durations to simulate. Only the default event bus exists,
// as in a fresh account; the sandbox does not serve CreateEventBus yet.
const ebDefaultBus = "default"

type ebRegion struct {
	rules map[string]*ebRule // by name, on the default bus
}

type ebRule struct {
	Name, State, Description, RoleArn string
	ScheduleExpression, EventPattern  string
	Modified                          time.Time
}

func (r *ebRegion) dump(time.Time) any {
	rules := map[string]any{}
	for name, rule := range r.rules {
		rules[name] = map[string]any{"state": rule.State, "schedule": rule.ScheduleExpression,
			"event_pattern": rule.EventPattern, "modified": rule.Modified}
	}
	return map[string]any{"rules": rules}
}

func (c *call) eventBridge() *ebRegion {
	return stateOf(c.sb, "events", c.region, func() *ebRegion { return &ebRegion{rules: map[string]*ebRule{}} })
}

func registerEventBridge(s *Sandbox) {
	s.addService(&service{name: "events", protocol: jsonProtocol{version: "1.1"}, target: "AWSEvents",
		throttleCode: "ThrottlingException"},
		&operation{name: "PutRule", mutating: true, handler: ebPutRule},
		&operation{name: "DisableRule", mutating: true, handler: ebSetState("DISABLED")},
		&operation{name: "EnableRule", mutating: true, handler: ebSetState("ENABLED")},
		&operation{name: "DescribeRule", handler: ebDescribeRule},
		&operation{name: "ListRules", handler: ebListRules},
	)
}

var (
	ebRuleNameRE = regexp.MustCompile(`^[.\-_A-Za-z0-9]{1,64}$`)
	ebScheduleRE = regexp.MustCompile(`^(rate\([1-9][0-9]* (minute|minutes|hour|hours|day|days)\)|cron\(\S+( \S+){5}\))$`)
)

// ebBus checks the EventBusName member (a name or an ARN): only the
// default bus exists.
func ebBus(c *call) *awsError {
	bus := str(c.input, "EventBusName")
	if i := strings.LastIndex(bus, "event-bus/"); strings.HasPrefix(bus, "arn:") && i >= 0 {
		bus = bus[i+len("event-bus/"):]
	}
	if bus != "" && bus != ebDefaultBus {
		return errorf("ResourceNotFoundException", "Event bus %s does not exist.", bus)
	}
	return nil
}

func ebRuleARN(c *call, name string) string {
	return arn("events", c.region, c.account(), "rule/"+name)
}

// ebPutRule creates a rule or replaces one: as with the real API, members
// left out of an update are cleared, not kept.
func ebPutRule(c *call) (any, error) {
	name, err := required(c.input, "Name", "ValidationException")
	if err != nil {
		return nil, err
	}
	if !ebRuleNameRE.MatchString(name) {
		return nil, errorf("ValidationException", "1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+", name)
	}
	if aerr := ebBus(c); aerr != nil {
		return nil, aerr
	}
	schedule, pattern := str(c.input, "ScheduleExpression"), str(c.input, "EventPattern")
	if schedule == "" && pattern == "" {
		return nil, errorf("ValidationException", "Parameter(s) EventPattern or ScheduleExpression must be specified.")
	}
	if schedule != "" && !ebScheduleRE.MatchString(schedule) {
		return nil, errorf("ValidationException", "Parameter ScheduleExpression is not valid.")
	}
	if pattern != "" {
		var p map[string]any
		if jerr := json.Unmarshal([]byte(pattern), &p); jerr != nil || len(p) == 0 {
			return nil, errorf("InvalidEventPatternException", "Event pattern is not valid. Reason: it must be a non-empty JSON object")
		}
	}
	state := str(c.input, "State")
	switch state {
	case "":
		state = "ENABLED"
	case "ENABLED", "DISABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS":
	default:
		return nil, errorf("ValidationException", "1 validation error detected: Value '%s' at 'state' failed to satisfy constraint: Member must satisfy enum value set: [ENABLED, DISABLED, ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS]", state)
	}
	c.eventBridge().rules[name] = &ebRule{Name: name, State: state, Description: str(c.input, "Description"),
		RoleArn: str(c.input, "RoleArn"), ScheduleExpression: schedule, EventPattern: pattern,
		Modified: c.now}
	return map[string]any{"RuleArn": ebRuleARN(c, name)}, nil
}

func ebFindRule(c *call) (*ebRule, *awsError) {
	name, err := required(c.input, "Name", "ValidationException")
	if err != nil {
		return nil, err
	}
	if aerr := ebBus(c); aerr != nil {
		return nil, aerr
	}
	rule, ok := c.eventBridge().rules[name]
	if !ok {
		return nil, errorf("ResourceNotFoundException", "Rule %s does not exist on EventBus %s.", name, ebDefaultBus)
	}
	return rule, nil
}

// ebSetState is EnableRule or DisableRule; both answer an empty result.
func ebSetState(state string) func(*call) (any, error) {
	return func(c *call) (any, error) {
		rule, err := ebFindRule(c)
		if err != nil {
			return nil, err
		}
		if rule.State != state {
			rule.State, rule.Modified = state, c.now
		}
		return map[string]any{}, nil
	}
}

func ebDescribeRule(c *call) (any, error) {
	rule, err := ebFindRule(c)
	if err != nil {
		return nil, err
	}
	out := c.ebRuleValue(rule)
	out["CreatedBy"] = c.account()
	return out, nil
}

func (c *call) ebRuleValue(rule *ebRule) map[string]any {
	out := map[string]any{"Name": rule.Name, "Arn": ebRuleARN(c, rule.Name), "State": rule.State, "EventBusName": ebDefaultBus}
	for k, v := range map[string]string{"Description": rule.Description, "RoleArn": rule.RoleArn,
		"ScheduleExpression": rule.ScheduleExpression, "EventPattern": rule.EventPattern} {
		if v != "" {
			out[k] = v
		}
	}
	return out
}

// ebListRules lists the default bus's rules by name, from NamePrefix,
// Limit (1 to 100) at a time.
func ebListRules(c *call) (any, error) {
	if bus := str(c.input, "EventBusName"); bus != "" && bus != ebDefaultBus && !strings.HasSuffix(bus, ":event-bus/"+ebDefaultBus) {
		return nil, errorf("ResourceNotFoundException", "Event bus %s does not exist.", bus)
	}
	prefix := str(c.input, "NamePrefix")
	r := c.eventBridge()
	items := []any{}
	for _, name := range sortedKeys(r.rules) {
		if strings.HasPrefix(name, prefix) {
			items = append(items, c.ebRuleValue(r.rules[name]))
		}
	}
	return listPage("Rules", "NextToken", c.input, "Limit", "NextToken", items, pageLimits{def: 100, min: 1, max: 100, validation: "ValidationException", code: "ValidationException"})
}
