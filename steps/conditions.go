package steps

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"time"

	"github.com/drpilot/drpilot/runbooks"
)

// testCondition applies one precondition test to the observed value (the
// JMESPath result over a JSON-shaped response, so numbers are float64)
// with the runbook's value (as TOML decoded it, so integers are int64).
func testCondition(op string, observed, want any, now time.Time) (bool, error) {
	switch op {
	case "equals":
		return sameValue(observed, want), nil
	case "not_equals":
		return !sameValue(observed, want), nil
	case "in":
		list, ok := want.([]any)
		if !ok {
			return false, fmt.Errorf("in needs an array")
		}
		for _, w := range list {
			if sameValue(observed, w) {
				return true, nil
			}
		}
		return false, nil
	case "lt", "le", "gt", "ge":
		return compareNumbers(op, observed, want)
	case "exists":
		w, _ := want.(bool)
		return (observed != nil) == w, nil
	case "matches":
		pattern, _ := want.(string)
		re, err := regexp.Compile(pattern)
		if err != nil {
			return false, err
		}
		s, ok := observed.(string)
		if !ok {
			s = formatObserved(observed)
		}
		return re.MatchString(s), nil
	case "within":
		return within(observed, want, now)
	}
	return false, fmt.Errorf("unknown test %q", op)
}

// sameValue compares a JSON value with a TOML value: numbers by value,
// everything else by its JSON form.
func sameValue(a, b any) bool {
	if x, ok := numeric(a); ok {
		y, ok := numeric(b)
		return ok && x == y
	}
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(ja) == string(jb)
}

// number reads a numeric value of any decoded shape.
func numeric(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int64:
		return float64(x), true
	case int:
		return float64(x), true
	}
	return 0, false
}

func compareNumbers(op string, observed, want any) (bool, error) {
	x, ok := numeric(observed)
	if s, isString := observed.(string); !ok && isString {
		f, err := strconv.ParseFloat(s, 64)
		x, ok = f, err == nil
	}
	y, ok2 := numeric(want)
	if !ok || !ok2 || math.IsNaN(x) {
		return false, fmt.Errorf("%s compares numbers and the observed value is %s", op, formatObserved(observed))
	}
	switch op {
	case "lt":
		return x < y, nil
	case "le":
		return x <= y, nil
	case "gt":
		return x > y, nil
	}
	return x >= y, nil
}

// within tests that a timestamp (RFC 3339, or seconds since the epoch as
// some APIs answer) is no older than a duration.
func within(observed, want any, now time.Time) (bool, error) {
	ds, _ := want.(string)
	d, err := runbooks.ParseDuration(ds)
	if err != nil {
		return false, err
	}
	var t time.Time
	switch x := observed.(type) {
	case string:
		if t, err = time.Parse(time.RFC3339Nano, x); err != nil {
			return false, fmt.Errorf("within needs a timestamp, and %q is not RFC 3339", x)
		}
	case float64:
		sec, frac := math.Modf(x)
		t = time.Unix(int64(sec), int64(frac*1e9))
	default:
		return false, fmt.Errorf("within needs a timestamp, not %s", formatObserved(observed))
	}
	age := now.Sub(t)
	if age > d {
		return false, fmt.Errorf("it is %s old", runbooks.FormatDuration(age.Round(time.Second)))
	}
	return true, nil
}

// formatObserved writes an observed value compactly for a one-line message.
func formatObserved(v any) string {
	if v == nil {
		return "nothing"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(b) > 120 {
		return string(b[:117]) + "..."
	}
	return string(b)
}
