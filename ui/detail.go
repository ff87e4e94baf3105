package ui

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/steps"
)

// stepDetail is the selected step: what it does to which resource in which
// Region, its preconditions with their live results, its wait, outputs,
// and on failure the error and the choices.
func (m Model) stepDetail(w int) string {
	st := m.selectedStep()
	if st == nil {
		return ""
	}
	s, p := m.styles, st.plan
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n", m.glyph(st.status), s.Title.Render(p.Title))
	fmt.Fprintf(&b, "%s\n", s.Faint.Render(fmt.Sprintf("%s · %s · %s · gate %s · expect %s", p.ID, p.Action, p.Region, p.Gate, p.Expect)))
	b.WriteString(m.questionBlock(st, w))
	b.WriteString(m.watchBlock(p.ID, w))
	if q := m.questionFor(p.ID); q != nil && q.gate != nil && q.gate.Confirm != "checklist" {
		b.WriteString(m.gateRequests(q.gate, w)) // what will be sent, resolved
	} else {
		b.WriteString(m.plannedCalls(p))
	}
	for _, pr := range st.preconditions {
		mark := s.OK.Render("✓")
		if pr.Unchecked {
			fmt.Fprintf(&b, "%s %s: could not be checked: %s\n", s.Bad.Render("?"), pr.Call, pr.Failure)
			continue
		}
		if !pr.Holds {
			mark = s.Bad.Render("✗")
		}
		fmt.Fprintf(&b, "%s %s: observed %s %s\n", mark, pr.Call, compact(pr.Observed), s.Faint.Render(strings.Join(pr.Tests, ", ")))
	}
	if st.status == stRunning && st.wait != nil {
		fmt.Fprintf(&b, "%s %s · poll %d · %s of %s expected\n", s.Running.Render("waiting:"), st.waitState, st.wait.Polls,
			st.wait.Elapsed.Round(time.Second), p.Expect)
	}
	for _, c := range st.calls {
		line := fmt.Sprintf("sent %s %s", callWhere(c), compact(c.Input))
		if d := c.Delivery; d != nil {
			line = fmt.Sprintf("sent %s to %s by %s", callWhere(c), d.Contact, d.Channel)
		}
		if st.simulated && c.RequestID == "" && c.Error == "" {
			line = "dry-run, not sent: " + line[len("sent "):]
		}
		switch {
		case c.Error != "":
			line = s.Bad.Render(line + ": " + c.Error)
		case c.RequestID != "":
			line += " · request id " + c.RequestID
		}
		b.WriteString(line + "\n")
	}
	if len(st.outputs) > 0 {
		fmt.Fprintf(&b, "outputs %s\n", compact(st.outputs))
	}
	if q := m.current(); st.err != "" && (q == nil || q.failure == nil || q.step() != p.ID) {
		b.WriteString(s.Bad.Render(wrap("FAILED: "+st.err, w)) + "\n") // else the question shows it
	}
	if st.note != "" {
		b.WriteString(s.Faint.Render(wrap(st.note, w)) + "\n")
	}
	if p.Doc != "" {
		b.WriteString("\n" + m.markdown(wrap(reflow(p.Doc), w)) + "\n")
	}
	return b.String()
}

// plannedCalls are the step's calls as the plan knows them before the
// run: the input of its main call with the templates known then. A gate
// shows them resolved (gateRequests).
func (m Model) plannedCalls(p *runbooks.PlannedStep) string {
	var b strings.Builder
	for _, c := range p.Calls {
		if c.Purpose != "action" {
			continue
		}
		mark := "read"
		if c.Mutating {
			mark = m.styles.Highlight.Render("CHANGES")
		}
		line := fmt.Sprintf("%s %s in %s", mark, c.Operation, c.Region)
		if len(c.Input) > 0 {
			line += " " + compact(steps.ShownPlannedInput(m.opts.Plan, c))
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}

// questionBlock says what the step waits for from the operator, if
// anything.
func (m Model) questionBlock(st *stepView, w int) string {
	q, s := m.current(), m.styles
	switch {
	case q == nil:
		return ""
	case q.gate != nil && q.gate.Step == st.plan.ID:
		if len(q.gate.Checklist) > 0 {
			var b strings.Builder
			b.WriteString(s.Highlight.Render("Tick each item with space as you do it, then y:") + "\n")
			for i, item := range q.gate.Checklist {
				box := "[ ]"
				if i < q.ticked {
					box = s.OK.Render("[x]")
				}
				b.WriteString("  " + box + " " + wrap(item, w-6) + "\n")
			}
			return b.String()
		}
		others := ""
		if n := q.gate.Approvals; n > 1 {
			// The operator's approval is one of several: say so before
			// they give it, so that nobody takes it for the last word.
			from := "the team's keys"
			if len(q.gate.Approvers) > 0 {
				from = strings.Join(q.gate.Approvers, ", ")
			}
			others = s.Warn.Render(wrap(fmt.Sprintf("This step needs %d approvals, from %s: yours counts once, and the run waits for the others (drpilot approve).", n, from), w)) + "\n"
		}
		if q.gate.Confirm == "type" {
			return others + s.Highlight.Render(wrap("Approve this step: type its id ("+st.plan.ID+") and Enter. To skip it: Esc, then s.", w)) + "\n"
		}
		return others + s.Highlight.Render("Approve this step? y approves, s skips it.") + "\n"
	case q.failure != nil && q.failure.Step == st.plan.ID:
		return s.Bad.Render(wrap("FAILED: "+q.failure.Error, w)) + "\n" +
			s.Highlight.Render("r retries, c continues without it, s skips it (asks why), A aborts the run.") + "\n"
	}
	return ""
}

// eventLog is the newest lines of the log, or older ones when scrolled.
func (m Model) eventLog(h int) string {
	log := m.run.log
	end := max(len(log)-m.logScroll, 0)
	start := max(end-h, 0)
	lines := make([]string, 0, h)
	for _, l := range log[start:end] {
		text := fmt.Sprintf("%s %-24s %s", l.at.Format("15:04:05"), l.step, l.text)
		if l.bad {
			text = m.styles.Bad.Render(text)
		}
		lines = append(lines, text)
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

// renderFinish is the finish screen: the outcome, the RTO achieved, the
// audit directory and what to run next.
func (m Model) renderFinish() string {
	return strings.Join(m.FinishLines(), "\n") + "\n\n" + m.footer()
}

// FinishLines are the finish screen's lines without styles; cmd prints
// them again after the program exits, so that they stay in the
// scrollback.
func (m Model) FinishLines() []string {
	sum := m.summary
	if sum == nil {
		line := "the run ended without a summary"
		if m.runErr != nil {
			line += ": " + m.runErr.Error()
		}
		return []string{line, "run directory " + m.opts.AuditDir}
	}
	var lines []string
	if m.opts.Finish != nil {
		lines = m.opts.Finish(sum)
	} else {
		lines = []string{fmt.Sprintf("run %s %s (%s)", sum.ID, strings.ToUpper(sum.Outcome), sum.Mode), sum.RTO,
			"run directory " + sum.AuditDir}
	}
	switch {
	case m.verdict != "":
		lines = append(lines, "audit log: "+m.verdict)
	case m.opts.Verify != nil:
		lines = append(lines, "audit log: verifying…")
	}
	if m.runErr != nil {
		lines = append(lines, "error: "+m.runErr.Error())
	}
	return lines
}

// reflow joins the lines of each paragraph of a markdown text, so that it
// wraps to the pane's width instead of the width it was written at; list
// items and indented lines keep their own lines.
func reflow(doc string) string {
	var out []string
	for _, para := range strings.Split(strings.TrimSpace(doc), "\n\n") {
		var lines []string
		for _, line := range strings.Split(para, "\n") {
			t := strings.TrimSpace(line)
			item := strings.HasPrefix(t, "- ") || strings.HasPrefix(t, "* ") || len(t) > 2 && t[0] >= '0' && t[0] <= '9' && t[1] == '.'
			if len(lines) == 0 || item || strings.HasPrefix(line, "    ") {
				lines = append(lines, line)
				continue
			}
			lines[len(lines)-1] += " " + t
		}
		out = append(out, strings.Join(lines, "\n"))
	}
	return strings.Join(out, "\n\n")
}

// Inline markdown the doc pane renders: **bold**, `code`, and # headings.
var (
	boldSpan = regexp.MustCompile(`\*\*([^*\n]+)\*\*`)
	codeSpan = regexp.MustCompile("`([^`\n]+)`")
)

// markdown styles a doc's inline markdown after it was wrapped (so that
// the marks, which take no room on screen, are counted by the wrap as if
// they did: lines end a little short rather than overflow).
func (m Model) markdown(text string) string {
	text = boldSpan.ReplaceAllStringFunc(text, func(s string) string { return m.styles.Bold.Render(s[2 : len(s)-2]) })
	text = codeSpan.ReplaceAllStringFunc(text, func(s string) string { return m.styles.Running.Render(s[1 : len(s)-1]) })
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		if h := strings.TrimLeft(l, "#"); h != l && strings.HasPrefix(h, " ") {
			lines[i] = m.styles.Title.Render(strings.TrimSpace(h))
		}
	}
	return strings.Join(lines, "\n")
}
