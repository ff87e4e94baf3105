package ui

import (
	"strings"
)

// The step list is the run screen's largest part: a runbook can have a
// thousand steps, and a frame must cost the same at a thousand as at ten.
// So a frame draws only the rows in view, and of those only the ones whose
// inputs changed since the last frame; the others are the strings drawn
// then.

// listRow is one line of the step list: a phase's heading, or a step.
type listRow struct {
	step  int // index in runState.steps, or -1 for a heading
	phase string
}

// rowKey is everything a step's row is drawn from.
type rowKey struct {
	status   string
	duration string
	spin     int // the spinner's frame, for a running step
	selected bool
	width    int
	styles   int // the styles' generation (see Model.stylesGen)
}

// cachedRow is a drawn row and its key.
type cachedRow struct {
	key  rowKey
	text string
}

// stepList is the phases and their steps, scrolled to keep the selection
// in view: the h rows from the one that keeps it on the last line.
func (m Model) stepList(w, h int) string {
	rows := m.run.rows
	start := 0
	if f := m.focus(); f >= 0 {
		if sel := m.run.rowOf[f]; sel >= h {
			start = sel - h + 1
		}
	}
	end := min(start+max(h, 0), len(rows))
	lines := make([]string, 0, end-start)
	for _, r := range rows[start:end] {
		if r.step < 0 {
			lines = append(lines, m.styles.Faint.Render(strings.ToUpper(r.phase)))
			continue
		}
		lines = append(lines, m.stepRow(r.step, w))
	}
	return strings.Join(lines, "\n")
}

// stepRow is step i's row, w wide when selected, drawn again only when
// what it shows changed.
func (m Model) stepRow(i, w int) string {
	st := m.run.steps[i]
	key := rowKey{status: st.status, duration: st.duration(m.now), selected: i == m.focus(), width: w, styles: m.stylesGen}
	if st.status == stRunning {
		key.spin = m.frame % len(spinner)
	}
	if st.row.key == key && st.row.text != "" {
		return st.row.text
	}
	line := m.glyph(st.status) + " " + st.plan.ID
	if key.duration != "" {
		line += " " + m.styles.Faint.Render(key.duration)
	}
	if key.selected {
		line = m.styles.Selected.Render(pad(line, w, 1))
	}
	st.row = cachedRow{key: key, text: line}
	return line
}
