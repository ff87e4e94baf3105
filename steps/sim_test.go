package steps

import (
	"encoding/json"
	"testing"
	"time"
)

// TestWithSimAppendsTheSandboxsClock: "sim" is added last, every member
// before it as json.Marshal writes it (so a log's lines read as before,
// plus the clock), for maps, structs and no data at all.
func TestWithSimAppendsTheSandboxsClock(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 1, 9, 30, 0, 500, time.UTC)
	for _, c := range []struct {
		data any
		want string
	}{
		{map[string]any{"phase": "freeze", "after": []string{"a<b"}}, `{"after":["a\u003cb"],"phase":"freeze","sim":"2026-11-01T09:30:00.0000005Z"}`},
		{decisionData{Decision: "approve", Reason: "ok"}, `{"decision":"approve","reason":"ok","sim":"2026-11-01T09:30:00.0000005Z"}`},
		{nil, `{"sim":"2026-11-01T09:30:00.0000005Z"}`},
		{map[string]any{}, `{"sim":"2026-11-01T09:30:00.0000005Z"}`},
	} {
		got, err := json.Marshal(withSim(c.data, at))
		if err != nil || string(got) != c.want {
			t.Errorf("withSim(%#v) = %s (%v), want %s", c.data, got, err, c.want)
		}
	}
	if got, ok := withSim([]string{"not an object"}, at).([]string); !ok || len(got) != 1 {
		t.Errorf("data that is not an object is left as it is, for the writer to refuse: %#v", got)
	}
}
