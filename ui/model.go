package ui

import (
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/steps"
)

// Controller is what the operator steers a run with: the executor.
type Controller interface {
	Skip(step, reason, actor string) error
	Abort(reason, actor string) error
	Note(step, text, actor string) error
}

// Options are what the program shows and drives.
type Options struct {
	Plan      *runbooks.RunPlan
	Mode      steps.Mode
	Account   string
	CallerARN string
	AuditDir  string
	// Actor names the operator in every decision.
	Actor string
	// Next are the commands to run after the run (verify, export), which
	// the finish screen shows.
	Next []string
	// Control steers the run; Run carries it out (it blocks until the run
	// ends), and Readiness evaluates the preconditions for the start
	// screen. The model calls them only inside commands.
	Control   Controller
	Run       func() (*steps.RunSummary, error)
	Readiness func() []steps.Readiness
	// Verify checks the sealed audit log once the run ends and says its
	// verdict in one line, for the finish screen.
	Verify func() string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// screen is which of the three screens shows.
type screen int

const (
	screenStart screen = iota
	screenRun
	screenFinish
)

// Model is the root model: the screen, the run state, and what the
// operator is being asked or is typing.
type Model struct {
	opts   Options
	screen screen
	width  int
	height int
	styles Styles
	keys   KeyMap
	help   help.Model

	run      *runState
	selected int
	follow   bool
	// detail is how far the detail pane is scrolled, and for which step:
	// another step's pane starts at its top.
	detail    detailScroll
	logScroll int // lines scrolled back from the newest
	frame     int // spinner frame
	now       time.Time

	readiness []steps.Readiness
	ready     bool // the readiness board has been evaluated

	// questions are what the executor waits for, oldest first: parallel
	// steps can each wait at their gate at once.
	questions []*question
	prompt    *prompt
	flash     string // the outcome of the last action, shown in the footer
	showHelp  bool

	summary *steps.RunSummary
	runErr  error
	verdict string // the audit log's verdict, once checked
}

// question is what the executor is waiting for the operator to answer.
type question struct {
	gate    *steps.Gate
	failure *steps.Failure
	reply   chan<- steps.Decision
	// ticked counts the checklist items of a manual step the operator has
	// ticked, in order.
	ticked int
}

// untickedItems reports whether a checklist gate still has items to tick.
func (q *question) untickedItems() bool {
	return q.gate != nil && q.ticked < len(q.gate.Checklist)
}

// promptKind is what the operator is typing.
type promptKind int

const (
	promptTypeID promptKind = iota
	promptSkip
	promptNote
	promptAbort
)

// prompt is a line the operator types, and what it is for.
type prompt struct {
	kind  promptKind
	step  string
	label string
	input textinput.Model
}

// Messages besides the executor's.
type (
	readinessMsg []steps.Readiness
	finishedMsg  struct {
		summary *steps.RunSummary
		err     error
	}
	tickMsg    time.Time
	actionMsg  struct{ err error }
	verdictMsg string
)

// New returns the model for a run.
func New(opts Options) Model {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return Model{
		opts: opts, styles: NewStyles(true), keys: DefaultKeyMap(), help: help.New(),
		run: newRunState(opts.Plan), follow: true, now: opts.Now(),
	}
}

// Init evaluates the readiness board and asks for the background colour.
func (m Model) Init() tea.Cmd {
	cmds := []tea.Cmd{tea.RequestBackgroundColor}
	if m.opts.Readiness != nil {
		readiness := m.opts.Readiness
		cmds = append(cmds, func() tea.Msg { return readinessMsg(readiness()) })
	}
	return tea.Batch(cmds...)
}

// tick advances the spinner and the RTO clock.
func tick() tea.Cmd {
	return tea.Tick(250*time.Millisecond, func(t time.Time) tea.Msg { return tickMsg(t) })
}

// Update dispatches a message to what handles it.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.help.SetWidth(msg.Width)
	case tea.BackgroundColorMsg:
		m.styles = NewStyles(msg.IsDark())
	case tickMsg:
		m.now, m.frame = time.Time(msg), m.frame+1
		if m.screen == screenRun {
			return m, tick()
		}
	case readinessMsg:
		m.readiness, m.ready = msg, true
	case eventMsg:
		m.onEvent(steps.Event(msg))
	case gateMsg:
		m.onGate(msg)
	case failureMsg:
		m.questions = append(m.questions, &question{failure: &msg.failure, reply: msg.reply})
		m.selectStep(msg.failure.Step)
	case finishedMsg:
		m.screen, m.summary, m.runErr, m.questions, m.prompt = screenFinish, msg.summary, msg.err, nil, nil
		if verify := m.opts.Verify; verify != nil {
			return m, func() tea.Msg { return verdictMsg(verify()) }
		}
	case verdictMsg:
		m.verdict = string(msg)
	case actionMsg:
		if msg.err != nil {
			m.flash = msg.err.Error()
		}
	case tea.KeyPressMsg:
		return m.onKey(msg)
	}
	return m, nil
}

// onEvent applies an executor event and moves the selection along when
// the operator lets it follow.
func (m *Model) onEvent(e steps.Event) {
	m.run.apply(e)
	switch e.Type {
	case steps.EventStepDone, steps.EventStepFailed, steps.EventStepSkipped:
		// A question the executor no longer waits for (a gate whose step
		// timed out, was skipped or aborted) must not take the keys.
		m.dropQuestions(e.Step)
	}
	if m.follow {
		if i := m.run.firstActive(); i >= 0 {
			m.selected = i
		}
	}
}

// onGate queues a gate. The step shows as awaiting; a typed confirmation
// opens its prompt when its question comes up (see answer).
func (m *Model) onGate(msg gateMsg) {
	m.questions = append(m.questions, &question{gate: &msg.gate, reply: msg.reply})
	if st := m.run.step(msg.gate.Step); st != nil && st.status != stDone {
		st.status = stAwaiting
	}
	if len(m.questions) == 1 {
		m.selectStep(msg.gate.Step)
		m.promptIfTyped()
	}
}

// promptIfTyped opens the typed confirmation of the current question.
func (m *Model) promptIfTyped() {
	if q := m.current(); q != nil && q.gate != nil && q.gate.Confirm == runbooks.ConfirmType && m.prompt == nil {
		m.openPrompt(promptTypeID, q.gate.Step, "type the step id to approve it: "+q.gate.Step)
	}
}

// current is the question the keys answer: the selected step's, else the
// oldest.
func (m Model) current() *question {
	if st := m.selectedStep(); st != nil {
		for _, q := range m.questions {
			if q.step() == st.plan.ID {
				return q
			}
		}
	}
	if len(m.questions) > 0 {
		return m.questions[0]
	}
	return nil
}

// step is the step a question is about.
func (q *question) step() string {
	if q.gate != nil {
		return q.gate.Step
	}
	return q.failure.Step
}

// selectStep moves the selection to a step the operator must look at.
func (m *Model) selectStep(id string) {
	if i, ok := m.run.index[id]; ok && m.follow {
		m.selected = i
	}
}

// questionFor is the open question about a step, or nil.
func (m Model) questionFor(step string) *question {
	for _, q := range m.questions {
		if q.step() == step {
			return q
		}
	}
	return nil
}

// dropQuestions forgets a step's open questions, and the typed
// confirmation being typed for it.
func (m *Model) dropQuestions(step string) {
	kept := m.questions[:0]
	for _, q := range m.questions {
		if q.step() != step {
			kept = append(kept, q)
		}
	}
	m.questions = kept
	if m.prompt != nil && m.prompt.kind == promptTypeID && m.prompt.step == step {
		m.prompt = nil
	}
}

// answer replies to the question about a step and moves on to the next.
func (m *Model) answer(step string, v steps.Verdict, reason string) {
	q := m.questionFor(step)
	if q == nil {
		return
	}
	q.reply <- steps.Decision{Verdict: v, Actor: m.opts.Actor, Reason: reason}
	for i := range m.questions {
		if m.questions[i] == q {
			m.questions = append(m.questions[:i], m.questions[i+1:]...)
			break
		}
	}
	if len(m.questions) > 0 {
		m.selectStep(m.questions[0].step())
		m.promptIfTyped()
	}
}

// startRun leaves the start screen and starts the executor.
func (m Model) startRun() (tea.Model, tea.Cmd) {
	m.screen, m.now = screenRun, m.opts.Now()
	run := m.opts.Run
	return m, tea.Batch(tick(), func() tea.Msg {
		sum, err := run()
		return finishedMsg{summary: sum, err: err}
	})
}

// control runs an operator action against the executor in a command:
// each appends to the audit log, which is I/O.
func (m Model) control(fn func(Controller) error) tea.Cmd {
	ctl := m.opts.Control
	return func() tea.Msg { return actionMsg{err: fn(ctl)} }
}

// selectedStep is the step under the cursor.
func (m Model) selectedStep() *stepView {
	if m.selected < 0 || m.selected >= len(m.run.steps) {
		return nil
	}
	return m.run.steps[m.selected]
}
