package ui

import (
	"fmt"
	"strings"
)

// The detail pane can hold more than the screen, a gate's messages most of
// all, which the approver must read to the end before approving. It
// scrolls with shift+↑ and shift+↓, keys that are text nowhere, so that
// they work while a prompt is open too; and it says when there is more.

// detailScroll is how many lines the detail pane is scrolled down, and
// for which step.
type detailScroll struct {
	step   string
	offset int
}

// scrollDetail moves the detail pane by n lines (negative: up). Moving to
// another step starts its pane at the top again.
func (m *Model) scrollDetail(n int) {
	st := m.selectedStep()
	if st == nil {
		return
	}
	if m.detail.step != st.plan.ID {
		m.detail = detailScroll{step: st.plan.ID}
	}
	_, w, h := m.runLayout()
	m.detail.offset = min(max(m.detail.offset+n, 0), m.detailOverflow(w, h))
}

// detailOverflow is how many lines of the detail pane do not fit: the
// furthest it scrolls.
func (m Model) detailOverflow(w, h int) int {
	lines := strings.Count(strings.TrimRight(m.stepDetail(w), "\n"), "\n") + 1
	return max(lines-h, 0)
}

// detailPane is the selected step's detail, w wide and h high, scrolled
// as the operator asked, with a line that says what lies above or below.
func (m Model) detailPane(w, h int) string {
	lines := strings.Split(strings.TrimRight(m.stepDetail(w), "\n"), "\n")
	offset := 0
	if st := m.selectedStep(); st != nil && m.detail.step == st.plan.ID {
		offset = min(m.detail.offset, max(len(lines)-h, 0))
	}
	if offset > 0 {
		lines = lines[offset:]
		lines[0] = m.styles.Faint.Render(fmt.Sprintf("↑ %d more %s (shift+↑)", offset+1, plural(offset+1, "line", "lines")))
	}
	if len(lines) > h && h > 0 {
		more := len(lines) - h + 1
		lines = append(lines[:h-1], m.styles.Highlight.Render(fmt.Sprintf("↓ %d more %s (shift+↓)", more, plural(more, "line", "lines"))))
	}
	return strings.Join(lines, "\n")
}
