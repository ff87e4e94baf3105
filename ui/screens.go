package ui

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/steps"
)

// renderStart is the start screen: what the runbook is, where it will
// run, as whom, against which targets, its plan in brief, and whether its
// preconditions hold now.
func (m Model) renderStart() string {
	p, s := m.opts.Plan, m.styles
	var b strings.Builder
	fmt.Fprintf(&b, "%s  %s\n", m.modeBadge(), s.Title.Render(p.Title))
	fmt.Fprintf(&b, "%s\n\n", s.Faint.Render(p.ID+" · "+p.File))
	if p.Description != "" {
		b.WriteString(firstLines(strings.TrimRight(wrap(plainMarkdown(firstParagraph(p.Description)), m.width-2), " \n"), 4) + "\n")
	}
	fmt.Fprintf(&b, "account %s · caller %s\n", orDash(m.opts.Account), orDash(m.opts.CallerARN))
	fmt.Fprintf(&b, "primary %s → recovery %s\n", p.Regions.Primary, p.Regions.Recovery)
	fmt.Fprintf(&b, "%s\n", m.budgetLine())
	if m.opts.ReadLastRun != nil {
		b.WriteString(s.Faint.Render("reading the earlier runs here…") + "\n")
	}
	if m.opts.LastRun != "" {
		for _, line := range strings.Split(strings.TrimRight(wrap(m.opts.LastRun, m.width-2), " \n"), "\n") {
			b.WriteString(strings.TrimRight(line, " ") + "\n")
		}
	}
	b.WriteString("\n" + s.Bold.Render("Plan") + "\n")
	for _, ph := range p.Phases {
		ids := make([]string, len(ph.Steps))
		for i, st := range ph.Steps {
			ids[i] = st.ID
		}
		fmt.Fprintf(&b, "  %-12s %s\n", ph.Name, strings.Join(ids, ", "))
	}
	b.WriteString("\n" + s.Bold.Render("Readiness") + "\n")
	used := strings.Count(b.String(), "\n")
	b.WriteString(firstLines(m.readinessBoard(), max(m.height-used-3, 2)))
	b.WriteString("\n" + m.footer())
	return b.String()
}

// firstParagraph is a markdown text's first paragraph.
func firstParagraph(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.Index(s, "\n\n"); i >= 0 {
		return s[:i]
	}
	return s
}

// plainMarkdown drops the emphasis and code marks of inline markdown, for
// a terminal line.
func plainMarkdown(s string) string {
	return strings.NewReplacer("**", "", "`", "", "__", "").Replace(s)
}

// firstLines keeps at most n lines, saying how many it left out.
func firstLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) <= n {
		return strings.Join(lines, "\n") + "\n"
	}
	kept := lines[:max(n-1, 1)]
	return strings.Join(kept, "\n") + fmt.Sprintf("\n  … and %d more\n", len(lines)-len(kept))
}

// budgetLine is the RTO and RPO targets against the plan's critical path.
func (m Model) budgetLine() string {
	p := m.opts.Plan
	line := "RTO " + durOr(p.Budget.RTO, "not set") + " · critical path " + p.Budget.CriticalPath.String()
	if p.RPO != nil {
		line += " · RPO " + p.RPO.String()
	}
	if !p.Budget.Within && p.Budget.RTO != nil {
		return m.styles.Bad.Render(line + " · OVER BUDGET")
	}
	return line
}

// readinessBoard lists every precondition evaluated now.
func (m Model) readinessBoard() string {
	if !m.ready {
		return m.styles.Faint.Render("  evaluating the preconditions…") + "\n"
	}
	if len(m.readiness) == 0 {
		return m.styles.Faint.Render("  no preconditions") + "\n"
	}
	// What does not hold comes first: on a small screen it is what must
	// not scroll away.
	board := slices.Clone(m.readiness)
	slices.SortStableFunc(board, func(a, b steps.Readiness) int { return rank(a) - rank(b) })
	holding := 0
	for _, r := range board {
		if r.Holds {
			holding++
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "  %d of %d hold now\n", holding, len(board))
	for _, r := range board {
		mark, text := m.styles.OK.Render("✓"), "observed "+compact(r.Observed)
		switch {
		case r.Later:
			mark, text = m.styles.Faint.Render("…"), r.Failure
		case r.AfterChanges != "" && !r.Holds:
			// Read before the change of an earlier step that is to make
			// it hold: the run checks it again when its step starts.
			mark, text = m.styles.Faint.Render("~"), "not yet: "+r.Failure+"; may hold once "+r.AfterChanges+" has run"
		case r.Missing:
			mark, text = m.styles.Bad.Render("✗"), "what it reads does not exist: "+r.Failure
		case r.Unchecked:
			// Nothing was observed: the read failed, which is not a "no".
			mark, text = m.styles.Bad.Render("?"), "could not be checked: "+r.Failure
		case !r.Holds:
			mark, text = m.styles.Bad.Render("✗"), "observed "+compact(r.Observed)+": "+r.Failure
		}
		fmt.Fprintf(&b, "  %s %-24s %s %s\n", mark, r.Step, r.Call, text)
	}
	return b.String()
}

// rank orders the readiness board: failing, then deferred, then holding.
func rank(r steps.Readiness) int {
	switch {
	case r.Holds:
		return 2
	case r.Later, r.AfterChanges != "":
		return 1
	}
	return 0
}

// renderRun is the run screen: the clock, the steps, the selected step,
// the event log and the keys.
func (m Model) renderRun() string {
	header := m.runHeader()
	if m.showHelp {
		// The keys take the screen while they are asked for; the run goes
		// on underneath and ? brings it back.
		return header + "\n\n" + m.styles.Bold.Render("Keys") + "\n\n" +
			m.help.FullHelpView(m.keys.FullHelp()) + "\n\n" + m.styles.Key.Render("?") + " back to the run"
	}
	logLines := m.logHeight()
	listW, detailW, bodyH := m.runLayout()
	list := pad(m.stepList(listW, bodyH), listW, bodyH)
	detail := pad(m.detailPane(detailW, bodyH), detailW, bodyH)
	var body strings.Builder
	ll, dl := strings.Split(list, "\n"), strings.Split(detail, "\n")
	for i := range ll {
		body.WriteString(ll[i] + " │ " + dl[i] + "\n")
	}
	var b strings.Builder
	b.WriteString(header + "\n")
	b.WriteString(body.String())
	b.WriteString(m.styles.Faint.Render(strings.Repeat("─", m.width)) + "\n")
	b.WriteString(m.eventLog(logLines) + "\n")
	if m.prompt != nil {
		b.WriteString(m.styles.Highlight.Render(m.prompt.label) + "\n" + m.prompt.input.View() + "\n")
	}
	b.WriteString(m.footer())
	return b.String()
}

// runLayout is the run screen's layout at its size: the widths of the
// step list and of the detail pane, and their height.
func (m Model) runLayout() (listW, detailW, bodyH int) {
	promptLines := 0
	if m.prompt != nil {
		promptLines = 2
	}
	headerLines := 2
	if m.opts.Watch != nil {
		headerLines = 3
	}
	bodyH = max(m.height-headerLines-m.logHeight()-1-1-promptLines, 5)
	listW = min(44, m.width*2/5)
	return listW, m.width - listW - 3, bodyH
}

// runHeader is the mode, the RTO clock with its projection, and the counts.
func (m Model) runHeader() string {
	done, running, failed, skipped := m.run.counts()
	elapsed := time.Duration(0)
	if !m.run.started.IsZero() {
		elapsed = m.now.Sub(m.run.started)
	}
	clock := fmt.Sprintf("elapsed %s", elapsed.Round(time.Second))
	projected := elapsed + m.run.remainingCritical()
	if rto := m.opts.Plan.Budget.RTO; rto != nil {
		clock = fmt.Sprintf("RTO %s / %s · projected %s", elapsed.Round(time.Second), rto, projected.Round(time.Second))
		switch {
		case projected > rto.Duration:
			clock = m.styles.Bad.Render(clock + " OVER")
		case projected > rto.Duration*8/10:
			clock = m.styles.Warn.Render(clock)
		default:
			clock = m.styles.OK.Render(clock)
		}
	}
	follow := ""
	if m.follow {
		follow = " · following"
	}
	if m.opts.Team != nil {
		follow += " · " + m.opts.Team()
	}
	watch := ""
	if m.opts.Watch != nil {
		watch = m.watchHeader() + "\n"
	}
	return watch + fmt.Sprintf("%s %s  %s\n%d done · %d running · %d failed · %d skipped of %d%s",
		m.modeBadge(), m.styles.Title.Render(m.opts.Plan.ID), clock, done, running, failed, skipped, len(m.run.steps), follow)
}

// spinner frames for running steps.
var spinner = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

// glyph is a step's status at a glance; words back it up in the detail.
func (m Model) glyph(status string) string {
	switch status {
	case stReady:
		return m.styles.Running.Render("○")
	case stAwaiting:
		return m.styles.Highlight.Render("?")
	case stRunning:
		return m.styles.Running.Render(spinner[m.frame%len(spinner)])
	case stDone:
		return m.styles.OK.Render("✓")
	case stFailed:
		return m.styles.Bad.Render("✗")
	case stSkipped:
		return m.styles.Faint.Render("↷")
	}
	return m.styles.Faint.Render("·")
}

// duration is how long a step ran or has been running.
func (st *stepView) duration(now time.Time) string {
	switch {
	case st.started.IsZero():
		return ""
	case st.ended.IsZero():
		return now.Sub(st.started).Round(time.Second).String()
	}
	return st.ended.Sub(st.started).Round(time.Second).String()
}

// compact writes a value as one line of JSON.
func compact(v any) string {
	if v == nil {
		return "nothing"
	}
	return runbooks.CompactJSON(v)
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func durOr(d *runbooks.Duration, none string) string {
	if d == nil {
		return none
	}
	return d.String()
}
