package audit

import (
	"fmt"
	"slices"
	"time"
)

// The timeline picture of the HTML record: one bar per step on the run's
// clock (the log's timestamps, or a sandbox run's simulated clock when its
// events carry it: see simClock), grouped by phase. Its geometry is computed
// here and drawn by the template, which escapes every text in it.

const (
	tlWidth   = 1000 // the SVG's user units; the page scales it
	tlLabels  = 230  // the column of phase and step labels
	tlRight   = 20
	tlRowH    = 18
	tlBar     = 12
	tlAxis    = 34 // room for the ticks' labels at the bottom
	tlHeading = 22 // room for the RTO line's label at the top
)

// timeline is what the template draws.
type timeline struct {
	Width, Height, PlotLeft, PlotRight, AxisY int
	Rows                                      []tlRow
	Ticks                                     []tlTick
	RTO                                       *tlLine
	Caption                                   string
}

type tlRow struct {
	Y, TextY int
	Label    string
	Phase    bool // a phase's heading row, with no bar
	Bars     []tlRect
	Marks    []tlMark
}

// tlRect is a part of a step's bar: its work, its approval wait, its wait
// on AWS; Crit marks a bar on the critical path, Failed a failed step.
type tlRect struct {
	X, Y, W, H int
	Class      string
	Title      string
}

// tlMark is a failure's ×.
type tlMark struct {
	X, Y  int
	Title string
}

type tlTick struct {
	X     int
	Label string
	Sim   string // the sandbox's clock at the tick, in a sandbox run
}

type tlLine struct {
	X       int
	Label   string
	Outside bool // the target is past the run's end: drawn at the edge
}

// timeline lays out the record's steps.
func (r *Record) timeline() *timeline {
	t := &timeline{Width: tlWidth, PlotLeft: tlLabels, PlotRight: tlWidth - tlRight}
	if len(r.Steps) == 0 || r.Started.IsZero() {
		return nil
	}
	end := r.Ended
	for _, s := range r.Steps {
		end = later(end, s.Ended, s.Started, s.Answered)
	}
	span := max(end.Sub(r.Started), time.Second/10)
	rto, rtoErr := parseTarget(r.RTO.Target)
	onLog := time.Duration(float64(rto) / max(r.Pace, 1e-9)) // the target on the log's clock
	if rtoErr == nil && rto > 0 && onLog > span && onLog <= 4*span {
		span = onLog // in view, with the run's end before it
	}
	x := func(at time.Time) int {
		f := float64(at.Sub(r.Started)) / float64(span)
		return t.PlotLeft + int(min(max(f, 0), 1)*float64(t.PlotRight-t.PlotLeft))
	}
	y := tlHeading
	for _, phase := range r.phaseOrder() {
		t.Rows = append(t.Rows, tlRow{Y: y, TextY: y + 13, Label: phaseLabel(phase), Phase: true})
		y += tlRowH
		for _, s := range r.Steps {
			if s.Phase == phase {
				t.Rows = append(t.Rows, r.stepRow(s, y, end, x))
				y += tlRowH
			}
		}
	}
	t.AxisY, t.Height = y+4, y+tlAxis
	t.Ticks = r.ticks(span, x)
	if rtoErr == nil && rto > 0 {
		t.RTO = &tlLine{X: x(r.Started.Add(onLog)), Label: "RTO " + span0(rto), Outside: onLog > span}
	}
	t.Caption = r.timelineCaption(span)
	return t
}

// stepRow is a step's bar: its work, over which its approval wait and
// its wait on AWS are shaded, and its failures marked.
func (r *Record) stepRow(s StepRecord, y int, end time.Time, x func(time.Time) int) tlRow {
	row := tlRow{Y: y, TextY: y + 13, Label: s.ID}
	stop := s.Ended
	if stop.IsZero() {
		stop = end // still running when the log ends
	}
	class := "work"
	switch {
	case s.Status == "failed":
		class = "failed"
	case s.Status == "skipped":
		class = "skipped"
	}
	if slices.Contains(r.CriticalPath, s.ID) {
		class += " crit"
	}
	x0, x1 := x(s.Started), x(stop)
	by := y + (tlRowH-tlBar)/2
	row.Bars = append(row.Bars, tlRect{X: x0, Y: by, W: max(x1-x0, 2), H: tlBar, Class: class,
		Title: fmt.Sprintf("%s: %s, %s", s.ID, s.Status, s.Duration)})
	if asked := max(x(s.Asked), x0); !s.Decided.IsZero() && x(s.Decided) > asked {
		row.Bars = append(row.Bars, tlRect{X: asked, Y: by, W: x(s.Decided) - asked, H: tlBar, Class: "gate",
			Title: s.ID + ": waiting for approval, " + s.ApprovalWait})
	}
	if !s.Answered.IsZero() && !s.Ended.IsZero() && x1 > x(s.Answered) {
		row.Bars = append(row.Bars, tlRect{X: x(s.Answered), Y: by, W: x1 - x(s.Answered), H: tlBar, Class: "poll",
			Title: s.ID + ": waiting on AWS, " + s.AWSWait})
	}
	for _, f := range r.Failures {
		if f.Step == s.ID {
			row.Marks = append(row.Marks, tlMark{X: x(f.Time), Y: y + 13, Title: s.ID + ": " + f.Error})
		}
	}
	return row
}

// phaseOrder is the phases in the record's order (the runbook's, see
// phaseSpans), then the steps with none.
func (r *Record) phaseOrder() []string {
	var out []string
	for _, p := range r.Phases {
		out = append(out, p.Name)
	}
	if slices.ContainsFunc(r.Steps, func(s StepRecord) bool { return s.Phase == "" }) {
		out = append(out, "")
	}
	return out
}

func phaseLabel(p string) string {
	if p == "" {
		return "(no phase)"
	}
	return p
}

// tickSteps are the spacings the axis chooses from: the first that
// gives at most eight ticks.
var tickSteps = []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 500 * time.Millisecond,
	time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second,
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour}

func (r *Record) ticks(span time.Duration, x func(time.Time) int) []tlTick {
	step := tickSteps[len(tickSteps)-1]
	for _, s := range tickSteps {
		if span/s <= 8 {
			step = s
			break
		}
	}
	var out []tlTick
	for at := time.Duration(0); at <= span; at += step {
		t := tlTick{X: x(r.Started.Add(at)), Label: "+" + span0(at)}
		if r.Pace != 1 {
			sim := time.Duration(float64(at) * r.Pace)
			if sim >= time.Minute { // a pace's estimate: no more precise than that
				sim = sim.Round(10 * time.Second)
			}
			t.Sim = "≈" + span0(sim.Round(time.Second))
		}
		out = append(out, t)
	}
	return out
}

func (r *Record) timelineCaption(span time.Duration) string {
	c := fmt.Sprintf("Time from the run's start on the log's clock (%s shown). ", span0(span))
	if r.Clock == "sandbox" {
		c = fmt.Sprintf("Time from the run's start on the sandbox's simulated clock, which each event of the log records: exact (%s shown). ", span0(span))
	}
	if r.Pace != 1 {
		c += fmt.Sprintf("Simulated run: the sandbox's clock ran %.1f times as fast as the log's; "+
			"the second row of the axis and the RTO line are on the sandbox's clock at that average pace. ", r.Pace)
	}
	if len(r.CriticalPath) > 0 {
		c += "Critical path (outlined): " + r.CriticalPathHow + "."
	}
	return c
}

// TimesNote says, for a sandbox run, which clock the record's times are
// on, and whether they are exact; "" in other modes, whose times are the
// log's.
func (r *Record) TimesNote() string {
	switch {
	case r.Mode != "sandbox":
		return ""
	case r.Clock == "sandbox":
		return "the run's real start, then the time elapsed on the sandbox's simulated clock, which each event of the log records: exact"
	case r.Pace != 1:
		return fmt.Sprintf("the log's real time (its events do not record the sandbox's clock): the sandbox's times are estimated at the run's average pace, %.1f times real time", r.Pace)
	}
	return "the log's real time (its events do not record the sandbox's clock)"
}

// span0 is span for axis labels: "0s" at the origin, and tenths of a
// second under ten seconds.
func span0(d time.Duration) string {
	if d > 0 && d < 10*time.Second && d%time.Second != 0 {
		return d.Round(100 * time.Millisecond).String()
	}
	return span(d)
}

// later is the latest of the times.
func later(t time.Time, others ...time.Time) time.Time {
	for _, o := range others {
		if o.After(t) {
			t = o
		}
	}
	return t
}
