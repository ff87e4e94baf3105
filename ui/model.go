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
	// SkipWithOutputs skips a step, with values for its declared outputs
	// when the operator did it by hand (nil when they give none).
	SkipWithOutputs(step, reason, actor string, outputs map[string]any) error
	Abort(reason, actor string) error
	// Interrupt stops the run at a safe point, resumably.
	Interrupt(reason string)
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
	// Finish says how the run ended and what to run next (verify and
	// export, or resume and abort), for the finish screen: the same lines
	// the headless output ends with.
	Finish func(*steps.RunSummary) []string
	// Control steers the run; Run carries it out (it blocks until the run
	// ends), and Readiness evaluates the preconditions for the start
	// screen. The model calls them only inside commands.
	Control Controller
	Run     func() (*steps.RunSummary, error)
	// Bridge is what the run's events and questions come through, if
	// they do: the finish screen waits until it has delivered them all.
	Bridge    *Bridge
	Readiness func() []steps.Readiness
	// Verify checks the sealed audit log once the run ends and says its
	// verdict in one line, for the finish screen.
	Verify func() string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Team, in a team run, says in a few words where the run lock and
	// the copy of the log stand ("lock fence 3 · log copied"), for the
	// run screen's header; nil outside a team run.
	Team func() string
	// LastRun says, for the start screen, how the newest earlier run of
	// the runbook here went and whether the runbook changed since ("since
	// the last rehearsal: …"); drpilot computes it from the runs' logs.
	// Empty shows nothing.
	LastRun string
	// ReadLastRun, when set, computes LastRun: it reads earlier runs' logs,
	// which can take long, so the start screen calls it in a command after
	// its first frame and shows its line when it comes.
	ReadLastRun func() string
	// Watch makes the screen a read-only view of a run carried out
	// elsewhere (drpilot watch): it opens on the run screen, and Control,
	// Run and Readiness are not used.
	Watch *Watch
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
	// stylesGen counts the styles built: a row drawn with other styles is
	// drawn again (see stepRow).
	stylesGen int
	keys      KeyMap
	help      help.Model

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

	watch WatchStatus // what a watch knows besides the events
}

// question is what the executor is waiting for the operator to answer.
type question struct {
	gate    *steps.Gate
	failure *steps.Failure
	reply   chan<- steps.Decision
	// ticked counts the checklist items of a manual step the operator has
	// ticked, in order.
	ticked int
	// dismissed is set when the operator left a typed gate's prompt with
	// Esc: its keys are commands again (s skips it) until y opens the
	// prompt again. Until then, a typed gate on screen has its prompt open,
	// so that every key typed is text and none is a command.
	dismissed bool
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
	// promptOutput asks, after a skip's reason, for each output the step
	// declares: the value the operator's own work produced.
	promptOutput
	promptNote
	promptAbort
	// promptWithdrawn stands in for a typed confirmation whose question
	// the executor withdrew while the operator typed: the rest of what they
	// type lands here, not on the keys' commands, until Enter or Esc.
	promptWithdrawn
	// promptWatchApprove and promptWatchDeny are a watcher's answer to a
	// gate: the step id typed, or the reason for a denial.
	promptWatchApprove
	promptWatchDeny
)

// prompt is a line the operator types, and what it is for.
type prompt struct {
	kind  promptKind
	step  string
	label string
	input textinput.Model
	// skip carries a skip's reason and the outputs given so far while the
	// operator is asked for each output (promptOutput); left are the
	// outputs still to ask about.
	skip *skipAnswer
}

// skipAnswer is a skip being put together: its reason and outputs.
type skipAnswer struct {
	reason  string
	outputs map[string]any
	left    []string
}

// Messages besides the executor's.
type (
	readinessMsg []steps.Readiness
	lastRunMsg   string
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
	m := Model{
		opts: opts, styles: NewStyles(true), keys: DefaultKeyMap(), help: help.New(),
		run: newRunState(opts.Plan), follow: true, now: opts.Now(),
	}
	if opts.Watch != nil {
		m.screen = screenRun // the run has started, elsewhere
	}
	return m
}

// Init evaluates the readiness board and asks for the background colour.
func (m Model) Init() tea.Cmd {
	cmds := []tea.Cmd{tea.RequestBackgroundColor}
	if m.opts.Watch != nil {
		cmds = append(cmds, tick())
	}
	if m.opts.Readiness != nil {
		readiness := m.opts.Readiness
		cmds = append(cmds, func() tea.Msg { return readinessMsg(readiness()) })
	}
	if read := m.opts.ReadLastRun; read != nil {
		cmds = append(cmds, func() tea.Msg { return lastRunMsg(read()) })
	}
	return tea.Batch(cmds...)
}

// tick advances the spinner and the RTO clock.
func tick() tea.Cmd {
	return tea.Tick(250*time.Millisecond, func(t time.Time) tea.Msg { return tickMsg(t) })
}

// Update dispatches a message to what handles it, then opens the typed
// confirmation of the step on screen if it waits for one (see syncPrompt).
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	next, cmd := m.dispatch(msg)
	m = next.(Model)
	m.syncPrompt()
	return m, cmd
}

// dispatch hands a message to what handles it.
func (m Model) dispatch(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.help.SetWidth(msg.Width)
	case tea.BackgroundColorMsg:
		m.styles, m.stylesGen = NewStyles(msg.IsDark()), m.stylesGen+1
	case tickMsg:
		// The run's clock, not the tick's: in the sandbox the events carry
		// the simulated time, and the RTO clock must read the same one.
		m.now, m.frame = m.opts.Now(), m.frame+1
		if m.screen == screenRun {
			return m, tick()
		}
	case readinessMsg:
		m.readiness, m.ready = msg, true
	case lastRunMsg:
		m.opts.LastRun, m.opts.ReadLastRun = string(msg), nil
	case eventMsg:
		m.onEvent(steps.Event(msg))
	case eventsMsg:
		for _, e := range msg {
			m.onEvent(e)
		}
	case gateMsg:
		m.onGate(msg)
	case failureMsg:
		m.questions = append(m.questions, &question{failure: &msg.failure, reply: msg.reply})
		if i, ok := m.run.index[msg.failure.Step]; ok && m.prompt == nil {
			m.selected = i // the failed step asks what to do: it is on screen
		}
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
	case WatchStatus:
		m.onWatchStatus(msg)
	case watchAnsweredMsg:
		m.onWatchAnswered(msg)
	case tea.KeyPressMsg:
		if m.opts.Watch != nil {
			return m.onWatchKey(msg)
		}
		return m.onKey(msg)
	}
	return m, nil
}

// onEvent applies an executor event, and puts a step that failed on
// screen. Nothing moves while the operator types: the pane shows the step
// the prompt is about (see selectedStep). Following the run is syncPrompt's.
func (m *Model) onEvent(e steps.Event) {
	m.run.apply(e)
	switch e.Type {
	case steps.EventStepDone, steps.EventStepFailed, steps.EventStepSkipped:
		// A question the executor no longer waits for (a gate whose step
		// timed out, was skipped or aborted) must not take the keys.
		m.dropQuestions(e.Step)
	}
	if i, ok := m.run.index[e.Step]; ok && e.Type == steps.EventStepFailed && m.prompt == nil {
		// A failure is what the operator must see, even while other steps
		// run: the selection stays on it until they move or press f.
		m.selected, m.follow = i, false
	}
}

// followTarget is the step to follow: the oldest question's, else the
// first step active (see runState.firstActive).
func (m Model) followTarget() int {
	if len(m.questions) > 0 {
		if i, ok := m.run.index[m.questions[0].step()]; ok {
			return i
		}
	}
	return m.run.firstActive()
}

// onGate queues a gate. The step shows as awaiting; it comes on screen,
// and a typed confirmation opens its prompt, when its question is the
// oldest and the operator follows the run (see syncPrompt).
func (m *Model) onGate(msg gateMsg) {
	m.questions = append(m.questions, &question{gate: &msg.gate, reply: msg.reply})
	if st := m.run.step(msg.gate.Step); st != nil && st.status != stDone {
		st.status = stAwaiting
	}
}

// syncPrompt brings the step to follow on screen when the operator follows
// the run and is not typing (a question that came while they typed comes
// up when they are done), then opens the typed confirmation of the step on
// screen when it waits for one and the operator has not left it: whatever
// they type then goes into the prompt, and no key of the step id is taken
// for a command.
func (m *Model) syncPrompt() {
	if m.screen != screenRun || m.prompt != nil {
		return
	}
	if i := m.followTarget(); m.follow && i >= 0 {
		m.selected = i
	}
	if q := m.current(); q != nil && q.gate != nil && q.gate.Confirm == runbooks.ConfirmType && !q.dismissed {
		m.openPrompt(promptTypeID, q.gate.Step, typedLabel(q.gate.Step))
	}
}

// typedLabel is the typed confirmation's prompt.
func typedLabel(step string) string {
	return "type the step id to approve it: " + step
}

// current is the question the keys answer: the one about the step on
// screen, and only that one, so that a key never answers for a step the
// operator cannot see.
func (m Model) current() *question {
	if st := m.selectedStep(); st != nil {
		return m.questionFor(st.plan.ID)
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
		typed := m.prompt.input.Value()
		m.openPrompt(promptWithdrawn, step, step+" no longer waits for approval (it ended): nothing was approved. Enter or Esc closes this.")
		m.prompt.input.SetValue(typed)
	}
}

// answer replies to the question about a step and moves on to the next.
func (m *Model) answer(step string, v steps.Verdict, reason string) {
	m.answerWith(step, steps.Decision{Verdict: v, Reason: reason})
}

// answerWith answers the question about step with d, as the operator.
func (m *Model) answerWith(step string, d steps.Decision) {
	q := m.questionFor(step)
	if q == nil {
		return
	}
	d.Actor = m.opts.Actor
	q.reply <- d
	m.flash = "" // what went wrong before the answer no longer holds
	for i := range m.questions {
		if m.questions[i] == q {
			m.questions = append(m.questions[:i], m.questions[i+1:]...)
			break
		}
	}
	// The operator is answering questions: the next one comes up, whether
	// they follow the run or not.
	if len(m.questions) > 0 && m.prompt == nil {
		if i, ok := m.run.index[m.questions[0].step()]; ok {
			m.selected = i
		}
	}
}

// startRun leaves the start screen and starts the executor.
func (m Model) startRun() (tea.Model, tea.Cmd) {
	m.screen, m.now = screenRun, m.opts.Now()
	run, bridge := m.opts.Run, m.opts.Bridge
	return m, tea.Batch(tick(), func() tea.Msg {
		sum, err := run()
		if bridge != nil {
			bridge.Flush() // the run's last events come before its end
		}
		return finishedMsg{summary: sum, err: err}
	})
}

// control runs an operator action against the executor in a command:
// each appends to the audit log, which is I/O.
func (m Model) control(fn func(Controller) error) tea.Cmd {
	ctl := m.opts.Control
	return func() tea.Msg { return actionMsg{err: fn(ctl)} }
}

// selectedStep is the step on screen: the one the open prompt is about,
// else the one under the cursor. The pane, the keys and the prompt all
// read it here, so they cannot name different steps.
func (m Model) selectedStep() *stepView {
	if i := m.focus(); i >= 0 {
		return m.run.steps[i]
	}
	return nil
}

// focus is the index of the step on screen, or -1.
func (m Model) focus() int {
	if m.prompt != nil {
		if i, ok := m.run.index[m.prompt.step]; ok {
			return i
		}
	}
	if m.selected < 0 || m.selected >= len(m.run.steps) {
		return -1
	}
	return m.selected
}
