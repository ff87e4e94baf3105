package runbooks

import (
	"testing"
	"time"
)

// Every format durations had keeps working; days parse on their own and
// before the rest ("400d" is a team's retention); the ten-year bound on
// the day count is unchanged for ParseDuration, and a retention may run
// to 100 years.
func TestParseDurationDays(t *testing.T) {
	t.Parallel()
	day := 24 * time.Hour
	for s, want := range map[string]time.Duration{
		"90s": 90 * time.Second, "15m": 15 * time.Minute, "1h30m": 90 * time.Minute,
		"2d": 2 * day, "1.5d": 36 * time.Hour, "1d12h": 36 * time.Hour, "400d": 400 * day,
		"3650d": 3650 * day, " 0d ": 0,
	} {
		if got, err := ParseDuration(s); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"", "-1d", "3651d", "1h2d", "d", "400 days", "1d-1h"} {
		if got, err := ParseDuration(s); err == nil {
			t.Errorf("ParseDuration(%q) = %v, want an error", s, got)
		}
	}
	if got, err := parseDurationUpTo("36500d", MaxRetentionDays, "100 years"); err != nil || got != 36500*day {
		t.Errorf("retention 36500d = %v, %v", got, err)
	}
	if _, err := parseDurationUpTo("36501d", MaxRetentionDays, "100 years"); err == nil || err.Error() != `duration "36501d" is longer than 100 years` {
		t.Errorf("retention 36501d: %v", err)
	}
}
