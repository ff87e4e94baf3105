package steps

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/drpilot/drpilot/steps/awsclient"
)

// events.disable-rule stops an EventBridge rule from triggering its
// targets: a scheduled job or an event-driven writer that must not touch
// the primary while it is frozen.

// runEventsDisableRule reads the rule first: a rule already DISABLED is
// left alone (the step is then a no-op, which a resumed run relies on).
// Otherwise it disables it and reads it back until EventBridge reports it
// DISABLED. The response is the last DescribeRule answer.
func runEventsDisableRule(ctx context.Context, s *StepRun) (map[string]any, error) {
	in := s.Input() // Name and, when given, EventBusName: DescribeRule's input too
	failed := func(err error) error {
		return callFailed(err, eventsRuleWhat(s), "check the rule's name, its event bus and the step's Region",
			"ResourceNotFoundException")
	}
	rule, err := s.Read(ctx, "events:DescribeRule", in)
	if err != nil {
		return nil, failed(err)
	}
	if memberString(rule, "State") == "DISABLED" {
		s.Note("rule %s is already DISABLED: nothing to change", memberString(rule, "Name"))
		return rule, nil
	}
	simulated := maps.Clone(rule)
	simulated["State"] = "DISABLED"
	if _, err := s.Mutate(ctx, "events:DisableRule", in, simulated); err != nil {
		return nil, failed(err)
	}
	// DisableRule's effect shows at once; the read-back is what proves it
	// to the audit log, so it polls briskly.
	out, err := s.Wait(ctx, WaitSpec{
		Operation: "events:DescribeRule", Input: in,
		Delays: pollDelays{time.Second, 5 * time.Second},
		Check: func(out map[string]any) (string, bool, error) {
			state := memberString(out, "State")
			return state, state == "DISABLED", nil
		},
	})
	return out, failed(err)
}

// eventsRuleWhat names the step's rule for an error message.
func eventsRuleWhat(s *StepRun) string {
	bus := s.String("event_bus_name")
	if bus == "" {
		bus = "default"
	}
	return fmt.Sprintf("EventBridge rule %s (event bus %s) in %s", s.String("name"), bus, s.Region())
}

// The helpers below read the JSON-shaped answers every action gets from
// awsclient (PascalCase members, numbers as float64) without panicking on
// a shape AWS did not promise, and turn AWS's "no such resource" errors
// into messages that name the resource and say what to check.

// memberString returns a string member, or "" when it is absent or not a
// string.
func memberString(m map[string]any, key string) string {
	v, _ := m[key].(string)
	return v
}

// memberInt returns a whole-number member.
func memberInt(m map[string]any, key string) (int64, bool) {
	x, ok := numeric(m[key])
	return int64(x), ok && x == math.Trunc(x)
}

// memberMap returns a structure member, or nil.
func memberMap(m map[string]any, key string) map[string]any {
	v, _ := m[key].(map[string]any)
	return v
}

// memberMaps returns a list-of-structures member; elements of another
// shape are left out.
func memberMaps(m map[string]any, key string) []map[string]any {
	items, _ := m[key].([]any)
	out := make([]map[string]any, 0, len(items))
	for _, it := range items {
		if sm, ok := it.(map[string]any); ok {
			out = append(out, sm)
		}
	}
	return out
}

// awsErrorCode is the AWS error code of a failed call, or "".
func awsErrorCode(err error) string {
	if ce, ok := errors.AsType[*awsclient.CallError](err); ok {
		return ce.Code
	}
	return ""
}

// callFailed puts a failed AWS call in the step's terms: "<what> not
// found: <hint>" when its AWS code is one of notFoundCodes (the service's
// ways of saying the resource does not exist), else "<what>: ...". AWS's
// own error, with its request id, stays in the message. Errors that are
// not AWS's (a wait that timed out, an action's own verdict, which already
// name the resource) pass unchanged.
func callFailed(err error, what, hint string, notFoundCodes ...string) error {
	if _, ok := errors.AsType[*awsclient.CallError](err); !ok {
		return err
	}
	if slices.Contains(notFoundCodes, awsErrorCode(err)) {
		return fmt.Errorf("%s not found: %s (%w)", what, hint, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}
