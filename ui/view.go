package ui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/drpilot/drpilot/steps"
)

// Minimum terminal size; below it the screen says so instead of breaking.
const (
	minWidth  = 80
	minHeight = 24
)

// View renders the current screen on the alternate screen.
func (m Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.WindowTitle = "drpilot · " + m.opts.Plan.ID
	return v
}

// render is the screen as text, at the terminal's size.
func (m Model) render() string {
	if m.width < minWidth || m.height < minHeight {
		return fmt.Sprintf("drpilot needs a terminal of at least %dx%d; this one is %dx%d.\nMake it larger: the run goes on meanwhile.",
			minWidth, minHeight, m.width, m.height)
	}
	var body string
	switch m.screen {
	case screenStart:
		body = m.renderStart()
	case screenRun:
		body = m.renderRun()
	default:
		body = m.renderFinish()
	}
	return fitLines(body, m.width, m.height)
}

// modeBadge is the mode, unmissable: its own colour and words.
func (m Model) modeBadge() string {
	switch m.opts.Mode {
	case steps.ModeLive:
		return m.styles.Live.Render("LIVE: CHANGES YOUR ACCOUNT")
	case steps.ModeDryRun:
		return m.styles.DryRun.Render("DRY-RUN: NOTHING IS CHANGED")
	}
	return m.styles.Sandbox.Render("SANDBOX: SIMULATED AWS")
}

// footer shows the keys that apply now, or the full help.
func (m Model) footer() string {
	var parts []string
	add := func(k, what string) { parts = append(parts, m.styles.Key.Render(k)+" "+what) }
	q := m.current()
	switch {
	case m.opts.Watch != nil:
		m.watchFooter(add)
	case m.screen == screenStart:
		add("enter", "start the run")
		add("q", "quit")
	case m.screen == screenFinish:
		add("q", "quit")
	case m.prompt != nil:
		m.promptKeys(add)
	case q != nil && q.gate != nil && q.gate.Confirm == "type":
		add("y", "type the step id to approve")
		add("s", "skip")
	case q != nil && q.untickedItems():
		add("space", "tick the next item")
		add("s", "skip")
	case q != nil && q.gate != nil:
		add("y", "approve")
		add("s", "skip")
	case q != nil && q.failure != nil:
		add("r", "retry")
		add("c", "continue")
		add("s", "skip")
	case len(m.questions) > 0:
		add("f", fmt.Sprintf("show what waits for you (%d)", len(m.questions)))
	}
	if m.screen == screenRun && m.prompt == nil && m.opts.Watch == nil {
		add("↑↓", "select")
		add("f", "follow")
		add("n", "note")
		add("A", "abort")
		add("?", "help")
	}
	line := strings.Join(parts, "  ")
	if m.flash != "" {
		line = m.styles.Highlight.Render(m.flash) + "  " + line
	}
	return line
}

// promptKeys are the keys while the operator types: every printable key is
// text then, so only the keys that are not.
func (m Model) promptKeys(add func(k, what string)) {
	if m.prompt.kind == promptTypeID {
		add("enter", "approve")
		add("esc", "leave it (then s skips)")
	} else {
		add("enter", "done")
		add("esc", "cancel")
	}
	if _, w, h := m.runLayout(); m.detailOverflow(w, h) > 0 {
		add("shift+↑↓", "scroll the detail")
	}
}

// fitLines clips every line to the width and the text to the height.
func fitLines(s string, w, h int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		// No character takes more columns than its bytes: a line of at
		// most w bytes fits without measuring it.
		if len(l) > w {
			lines[i] = ansi.Truncate(l, w, "…")
		}
	}
	return strings.Join(lines, "\n")
}

// wrap wraps text to a width.
func wrap(s string, w int) string {
	return lipgloss.NewStyle().Width(w).Render(s)
}

// pad fills a block to w columns and h lines, so that blocks join side by
// side.
func pad(s string, w, h int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	for i, l := range lines {
		l = ansi.Truncate(l, w, "…")
		lines[i] = l + strings.Repeat(" ", max(w-ansi.StringWidth(l), 0))
	}
	return strings.Join(lines, "\n")
}
