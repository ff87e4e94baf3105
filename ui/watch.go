package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// Watch makes the run screen a read-only view of a run that another
// process carries out (drpilot watch): its events come from the run's
// audit log, nothing on screen steers the run, and q leaves the watch,
// never the run. The one thing a watcher may do is answer a gate that
// waits for approvals, with their own signing key, as drpilot approve
// does.
type Watch struct {
	// Answer signs and writes the watcher's answer to a step's gate:
	// approve, or deny with a reason. The model calls it in a command.
	Answer func(step string, approve bool, reason string) error
}

// WatchStatus is what the watch knows besides the log's events, sent to
// the program whenever it reads it again (the lock, the copy, the gates).
type WatchStatus struct {
	// Header says whose run is watched: "WATCHING run … — held by …".
	Header string
	// Lag says how far behind the log's copy is.
	Lag string
	// Problem is the last error reading the run, "" when all is well.
	Problem string
	Steps   map[string]WatchStep
}

// WatchStep is a step that waits at a gate for approvals.
type WatchStep struct {
	// Approvals is the tally in a line: "approvals: 1 of 2 — alice ✓;
	// awaiting bob, carol".
	Approvals string
	// Gate is what the step will send, as the running executor published
	// it: what an approval approves.
	Gate []string
	// CannotApprove says why the watcher cannot answer this gate; "" when
	// they can.
	CannotApprove string
}

// readOnly is the flash of a key that would act on the run.
const readOnly = "read-only: this is a watch (the run is steered from its own terminal)"

// watchAnsweredMsg is the outcome of writing an answer.
type watchAnsweredMsg struct {
	step, verdict string
	err           error
}

// onWatchStatus takes the watch's news, and shows the steps that wait at
// a gate as awaiting: the log says only that they are ready.
func (m *Model) onWatchStatus(s WatchStatus) {
	m.watch = s
	for _, st := range m.run.steps {
		_, waits := s.Steps[st.plan.ID]
		switch {
		case waits && (st.status == stReady || st.status == stPending):
			st.status = stAwaiting
		case !waits && st.status == stAwaiting:
			st.status = stReady
		}
	}
}

// onWatchKey handles the keys of a watch: moving around and help as on
// the run screen, a and d on a gate, q to leave; every key that would act
// on the run says that it cannot.
func (m Model) onWatchKey(k tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	if k.String() == "ctrl+c" {
		return m, tea.Quit
	}
	if m.prompt != nil {
		return m.onPromptKey(k)
	}
	m.flash = ""
	km := m.keys
	switch {
	case key.Matches(k, km.Quit):
		return m, tea.Quit
	case k.String() == "a":
		m.openAnswer(true)
	case k.String() == "d":
		m.openAnswer(false)
	case key.Matches(k, km.Confirm, km.Tick, km.Skip, km.Retry, km.Go, km.Note, km.Abort, km.Start):
		m.flash = readOnly
	default:
		return m.onRunKey(k)
	}
	return m, nil
}

// openAnswer asks the watcher to confirm an approval (by typing the step
// id) or to say why they deny, for the step on screen, or says why they
// cannot answer it.
func (m *Model) openAnswer(approve bool) {
	st := m.selectedStep()
	if st == nil {
		return
	}
	id := st.plan.ID
	ws, waits := m.watch.Steps[id]
	switch {
	case !waits:
		m.flash = id + " does not wait for approvals: nothing to answer"
	case ws.CannotApprove != "":
		m.flash = ws.CannotApprove
	case m.opts.Watch.Answer == nil:
		m.flash = "this watch cannot write answers"
	case approve:
		m.openPrompt(promptWatchApprove, id, "approve "+id+" (what the detail shows it will send): type the step id, Enter (Esc cancels)")
	default:
		m.openPrompt(promptWatchDeny, id, "deny "+id+": say why, then Enter (Esc cancels); the step does not run and the run pauses")
	}
}

// submitAnswer writes the watcher's answer once they typed the step id or
// a reason.
func (m Model) submitAnswer(p *prompt, text string) (tea.Model, tea.Cmd) {
	approve := p.kind == promptWatchApprove
	if approve && text != p.step {
		m.flash = "that is not the step id: not approved"
		m.openPrompt(p.kind, p.step, p.label)
		return m, nil
	}
	reason, verdict := text, "denied"
	if approve {
		reason, verdict = "", "approved"
	}
	answer, step := m.opts.Watch.Answer, p.step
	m.flash = "writing your answer…"
	return m, func() tea.Msg {
		return watchAnsweredMsg{step: step, verdict: verdict, err: answer(step, approve, reason)}
	}
}

// onWatchAnswered says what became of an answer.
func (m *Model) onWatchAnswered(msg watchAnsweredMsg) {
	if msg.err != nil {
		m.flash = "not answered: " + msg.err.Error()
		return
	}
	m.flash = fmt.Sprintf("you %s %s: the running executor picks it up within seconds", msg.verdict, msg.step)
}

// watchHeader is the line above the run's header: whose run, and how
// fresh the copy is; once the run ended, how it ended, first. A narrow
// terminal cuts the line at its end, so what matters most comes first:
// the end, then a problem reading the log, then whose run, then the lag.
func (m Model) watchHeader() string {
	var parts []string
	if sum := m.run.summary; sum != nil {
		end := "the run ended: " + strings.ToUpper(sum.Outcome)
		if sum.Resumable {
			end = "the run is " + strings.ToUpper(sum.Outcome) + " (resumable)"
		}
		if sum.RTO != "" {
			end += " — " + sum.RTO // the run's own clock: the sandbox's, in a sandbox run
		}
		parts = append(parts, m.styles.Bold.Render(end))
	}
	if m.watch.Problem != "" {
		parts = append(parts, m.styles.Bad.Render(m.watch.Problem))
	}
	parts = append(parts, m.styles.Highlight.Render(orDash(m.watch.Header)))
	if m.watch.Lag != "" {
		parts = append(parts, m.styles.Faint.Render(m.watch.Lag))
	}
	return strings.Join(parts, "  ")
}

// watchBlock is a waiting step's approvals and what it will send.
func (m Model) watchBlock(id string, w int) string {
	ws, ok := m.watch.Steps[id]
	if !ok {
		return ""
	}
	var b strings.Builder
	b.WriteString(m.styles.Highlight.Render(wrap(orDash(ws.Approvals), w)) + "\n")
	if ws.CannotApprove != "" {
		b.WriteString(m.styles.Faint.Render(wrap(ws.CannotApprove, w)) + "\n")
	}
	for _, l := range ws.Gate {
		b.WriteString(wrap(l, w) + "\n")
	}
	return b.String()
}

// watchFooter is the keys of a watch.
func (m Model) watchFooter(add func(k, what string)) {
	if m.prompt != nil {
		add("enter", "done")
		add("esc", "cancel")
		return
	}
	if st := m.selectedStep(); st != nil {
		if _, waits := m.watch.Steps[st.plan.ID]; waits {
			add("a", "approve")
			add("d", "deny")
		}
	}
	add("↑↓", "select")
	add("f", "follow")
	add("?", "help")
	add("q", "stop watching (the run goes on)")
}
