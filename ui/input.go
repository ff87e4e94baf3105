package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/drpilot/drpilot/steps"
)

// onKey routes a key: to the prompt being typed, else by screen.
func (m Model) onKey(k tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	if m.screen == screenRun && key.Matches(k, m.keys.Interrupt) {
		// Ctrl-C stops the run whatever is being typed: at a typed gate,
		// where the prompt opens by itself, is where one most wants to.
		m.prompt = nil
		return m.onRunKey(k)
	}
	if m.prompt != nil {
		return m.onPromptKey(k)
	}
	switch m.screen {
	case screenStart:
		switch {
		case key.Matches(k, m.keys.Start):
			return m.startRun()
		case key.Matches(k, m.keys.Quit), k.String() == "ctrl+c":
			return m, tea.Quit
		}
	case screenFinish:
		if key.Matches(k, m.keys.Quit) || k.String() == "enter" || k.String() == "ctrl+c" {
			return m, tea.Quit
		}
	case screenRun:
		return m.onRunKey(k)
	}
	return m, nil
}

// onRunKey handles the run screen's keys. Nothing irreversible happens on
// one key but approving a gate with y, which is what the gate asks for:
// skips need a reason, abort a reason and Enter, a typed gate the step id.
func (m Model) onRunKey(k tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	m.flash = ""
	q := m.current()
	switch {
	case key.Matches(k, m.keys.Up):
		m.selected, m.follow = max(m.selected-1, 0), false
	case key.Matches(k, m.keys.Down):
		m.selected, m.follow = min(m.selected+1, len(m.run.steps)-1), false
	case key.Matches(k, m.keys.Follow):
		m.follow = true
		if i := m.followTarget(); i >= 0 {
			m.selected = i
		}
	case key.Matches(k, m.keys.LogUp):
		m.logScroll = min(m.logScroll+m.logHeight(), max(len(m.run.log)-m.logHeight(), 0))
	case key.Matches(k, m.keys.LogDown):
		m.logScroll = max(m.logScroll-m.logHeight(), 0)
	case key.Matches(k, m.keys.DetailUp):
		m.scrollDetail(-1)
	case key.Matches(k, m.keys.DetailDown):
		m.scrollDetail(1)
	case key.Matches(k, m.keys.Help):
		m.showHelp = !m.showHelp
	case key.Matches(k, m.keys.Tick) && q != nil && q.untickedItems():
		q.ticked++
	case key.Matches(k, m.keys.Confirm) && q != nil && q.gate != nil:
		switch {
		case q.gate.Confirm == "type":
			q.dismissed = false
			m.openPrompt(promptTypeID, q.gate.Step, typedLabel(q.gate.Step))
		case q.untickedItems():
			m.flash = fmt.Sprintf("tick each item first: %d of %d done (space ticks the next)", q.ticked, len(q.gate.Checklist))
		case len(q.gate.Checklist) > 0:
			m.answer(q.step(), steps.VerdictApprove, "checklist ticked in the terminal: "+strings.Join(q.gate.Checklist, "; "))
		default:
			m.answer(q.step(), steps.VerdictApprove, "approved in the terminal")
		}
	case key.Matches(k, m.keys.Retry) && q != nil && q.failure != nil:
		m.answer(q.step(), steps.VerdictRetry, "retried in the terminal")
	case key.Matches(k, m.keys.Go) && q != nil && q.failure != nil:
		m.answer(q.step(), steps.VerdictContinue, "continued in the terminal")
	case key.Matches(k, m.keys.Skip):
		m.openSkip()
	case key.Matches(k, m.keys.Note):
		step := ""
		if st := m.selectedStep(); st != nil {
			step = st.plan.ID
		}
		m.openPrompt(promptNote, step, "note (Enter saves it in the audit log)")
	case key.Matches(k, m.keys.Abort):
		m.openPrompt(promptAbort, "", "ABORT THE RUN FOR GOOD: say why, then Enter (Esc keeps it running; ctrl+c stops it resumably)")
	case key.Matches(k, m.keys.Interrupt):
		m.flash = "stopping at a safe point: calls in flight finish and are logged; drpilot resume carries the run on"
		reason := "ctrl+c in the terminal UI (" + m.opts.Actor + ")"
		return m, m.control(func(c Controller) error { c.Interrupt(reason); return nil })
	}
	return m, nil
}

// openSkip asks why the step is skipped: the one a question is about, else
// the selected one if it has not finished.
func (m *Model) openSkip() {
	step := ""
	switch q := m.current(); {
	case q != nil:
		step = q.step()
	default:
		st := m.selectedStep()
		if st == nil || st.status == stDone || st.status == stFailed || st.status == stSkipped {
			m.flash = "select a step that has not finished to skip it"
			return
		}
		step = st.plan.ID
	}
	m.openPrompt(promptSkip, step, "skip "+step+": say why (Enter skips, Esc cancels)")
}

// openPrompt starts typing a line. A line about a step puts that step on
// screen, where it stays after the prompt closes.
func (m *Model) openPrompt(kind promptKind, step, label string) {
	if i, ok := m.run.index[step]; ok {
		m.selected = i
	}
	in := textinput.New()
	in.Prompt = "> "
	in.CharLimit = 500
	in.Focus()
	m.prompt = &prompt{kind: kind, step: step, label: label, input: in}
}

// onPromptKey edits the line, or acts on Enter, or cancels on Esc. Every
// printable key is text here, y and s included; shift+↑↓ scroll the
// detail pane, whose step the prompt is about.
func (m Model) onPromptKey(k tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	p := m.prompt
	switch {
	case p.kind == promptWithdrawn && (k.String() == "esc" || k.String() == "enter"):
		m.prompt = nil
		return m, nil
	case k.String() == "esc":
		m.prompt = nil
		if q := m.questionFor(p.step); p.kind == promptTypeID && q != nil {
			q.dismissed = true
			m.flash = "not approved: press y to type the step id again, or s to skip it"
		}
		return m, nil
	case k.String() == "enter":
		return m.submit(p, strings.TrimSpace(p.input.Value()))
	case key.Matches(k, m.keys.DetailUp):
		m.scrollDetail(-1)
		return m, nil
	case key.Matches(k, m.keys.DetailDown):
		m.scrollDetail(1)
		return m, nil
	}
	var cmd tea.Cmd
	p.input, cmd = p.input.Update(k)
	return m, cmd
}

// askOutputs asks for the next output of a step being skipped, or skips
// it once every output has been asked about.
func (m Model) askOutputs(step string, skip *skipAnswer) (tea.Model, tea.Cmd) {
	if len(skip.left) > 0 {
		m.openPrompt(promptOutput, step, fmt.Sprintf("skip %s: the value of its output %s, from what you did by hand (- if you have none; Esc cancels the skip)", step, skip.left[0]))
		m.prompt.skip = skip
		return m, nil
	}
	outputs := skip.outputs
	if len(outputs) == 0 {
		outputs = nil
	}
	if m.questionFor(step) != nil {
		m.answerWith(step, steps.Decision{Verdict: steps.VerdictSkip, Reason: skip.reason, Outputs: outputs})
		return m, nil
	}
	actor := m.opts.Actor
	return m, m.control(func(c Controller) error { return c.SkipWithOutputs(step, skip.reason, actor, outputs) })
}

// outputsOf lists the outputs a step declares.
func (m Model) outputsOf(step string) []string {
	var names []string
	for _, ps := range m.opts.Plan.Steps {
		if ps.ID == step {
			for _, o := range ps.Outputs {
				names = append(names, o.Name)
			}
		}
	}
	return names
}

// submit acts on a typed line. An empty reason is refused: every skip,
// abort and note goes into the audit log with its words.
func (m Model) submit(p *prompt, text string) (tea.Model, tea.Cmd) {
	if text == "" {
		m.flash = "type something first (Esc cancels)"
		return m, nil
	}
	m.prompt = nil
	switch p.kind {
	case promptWatchApprove, promptWatchDeny:
		return m.submitAnswer(p, text)
	case promptTypeID:
		if text != p.step {
			m.flash = "that is not the step id: not approved"
			m.openPrompt(promptTypeID, p.step, p.label)
			return m, nil
		}
		m.answer(p.step, steps.VerdictApprove, "approved by typing the step id")
	case promptSkip:
		return m.askOutputs(p.step, &skipAnswer{reason: text, outputs: map[string]any{}, left: m.outputsOf(p.step)})
	case promptOutput:
		if text != "-" {
			p.skip.outputs[p.skip.left[0]] = text
		}
		p.skip.left = p.skip.left[1:]
		return m.askOutputs(p.step, p.skip)
	case promptNote:
		step, actor := p.step, m.opts.Actor
		m.flash = "note saved"
		return m, m.control(func(c Controller) error { return c.Note(step, text, actor) })
	case promptAbort:
		actor := m.opts.Actor
		return m, m.control(func(c Controller) error { return c.Abort(text, actor) })
	}
	return m, nil
}

// logHeight is how many log lines the run screen shows.
func (m Model) logHeight() int {
	return max(m.height/5, 3)
}
