package runbooks

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Duration is a duration as written in a runbook: a Go duration string with
// an optional leading day count ("1d12h", "90m", "1.5d").
type Duration struct {
	time.Duration
}

// Minutes returns a Duration of n minutes, for tables of defaults.
func Minutes(n float64) Duration { return Duration{time.Duration(n * float64(time.Minute))} }

// Seconds returns a Duration of n seconds, for tables of defaults.
func Seconds(n float64) Duration { return Duration{time.Duration(n * float64(time.Second))} }

// String formats the duration the way a runbook would write it.
func (d Duration) String() string { return FormatDuration(d.Duration) }

// MarshalJSON writes the duration as its runbook text, e.g. "1h30m".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// ParseDuration parses a runbook duration: what time.ParseDuration accepts,
// plus an optional leading "<n>d" for days. Negative durations are refused:
// no timeout, RTO or wait in a runbook is ever negative.
func ParseDuration(s string) (time.Duration, error) {
	return parseDurationUpTo(s, maxDays, "ten years")
}

// maxDays bounds the day count of a duration: ten years is longer than any
// timeout, RTO or wait a runbook has reason to write.
const maxDays = 3650

// parseDurationUpTo is ParseDuration with another bound on the day count,
// named by limit in the error: Object Lock retention may be a century.
func parseDurationUpTo(s string, maxDays float64, limit string) (time.Duration, error) {
	text := strings.TrimSpace(s)
	if text == "" {
		return 0, fmt.Errorf("empty duration")
	}
	if strings.HasPrefix(text, "-") {
		return 0, fmt.Errorf("duration %q is negative", s)
	}
	var days time.Duration
	if i := strings.IndexByte(text, 'd'); i >= 0 {
		n, err := strconv.ParseFloat(text[:i], 64)
		switch {
		case err != nil || n < 0:
			return 0, fmt.Errorf("invalid duration %q: days must come first, as in \"1d12h\"", s)
		case n > maxDays:
			return 0, fmt.Errorf("duration %q is longer than %s", s, limit)
		}
		days = time.Duration(n * 24 * float64(time.Hour))
		text = text[i+1:]
		if text == "" {
			return days, nil
		}
	}
	d, err := time.ParseDuration(text)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("duration %q is negative", s)
	}
	return days + d, nil
}

// FormatDuration writes d compactly: "1d2h", "15m", "1m30s", "0s".
func FormatDuration(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	var b strings.Builder
	if d < 0 {
		b.WriteByte('-')
		d = -d
	}
	if days := d / (24 * time.Hour); days > 0 {
		fmt.Fprintf(&b, "%dd", days)
		d -= days * 24 * time.Hour
	}
	if h := d / time.Hour; h > 0 {
		fmt.Fprintf(&b, "%dh", h)
		d -= h * time.Hour
	}
	if m := d / time.Minute; m > 0 {
		fmt.Fprintf(&b, "%dm", m)
		d -= m * time.Minute
	}
	if d > 0 {
		if d%time.Second == 0 {
			fmt.Fprintf(&b, "%ds", d/time.Second)
		} else {
			b.WriteString(d.Round(time.Millisecond).String())
		}
	}
	return b.String()
}
