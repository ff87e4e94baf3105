package ui

import "charm.land/bubbles/v2/key"

// KeyMap is every key the program answers, grouped as the help shows
// them. Which apply depends on the moment: the footer shows those.
type KeyMap struct {
	Start   key.Binding
	Up      key.Binding
	Down    key.Binding
	Follow  key.Binding
	Confirm key.Binding
	Tick    key.Binding
	Skip    key.Binding
	Retry   key.Binding
	Go      key.Binding // continue after a failure
	Note    key.Binding
	Abort   key.Binding
	// Interrupt stops the run at a safe point, resumably.
	Interrupt key.Binding
	LogUp     key.Binding
	LogDown   key.Binding
	// DetailUp and DetailDown scroll the detail pane; they are no text,
	// so they work while a prompt is open.
	DetailUp   key.Binding
	DetailDown key.Binding
	Help       key.Binding
	Quit       key.Binding
}

// DefaultKeyMap is drpilot's keys.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Start:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "start the run")),
		Up:      key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "previous step")),
		Down:    key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "next step")),
		Follow:  key.NewBinding(key.WithKeys("f"), key.WithHelp("f", "follow the run (what waits for you first)")),
		Confirm: key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "approve the step")),
		Tick:    key.NewBinding(key.WithKeys("space", "x"), key.WithHelp("space", "tick a checklist item")),
		Skip:    key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "skip (asks why)")),
		Retry:   key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "retry the failed step")),
		Go:      key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "continue past the failure")),
		Note:    key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "add a note")),
		Abort:   key.NewBinding(key.WithKeys("A"), key.WithHelp("A", "abort the run for good (asks why)")),
		Interrupt: key.NewBinding(key.WithKeys("ctrl+c"),
			key.WithHelp("ctrl+c", "stop here, resumably (calls in flight finish; drpilot resume carries on)")),
		LogUp:      key.NewBinding(key.WithKeys("pgup"), key.WithHelp("pgup", "scroll the log up")),
		LogDown:    key.NewBinding(key.WithKeys("pgdown"), key.WithHelp("pgdn", "scroll the log down")),
		DetailUp:   key.NewBinding(key.WithKeys("shift+up"), key.WithHelp("shift+↑", "scroll the step's detail up")),
		DetailDown: key.NewBinding(key.WithKeys("shift+down"), key.WithHelp("shift+↓", "scroll the step's detail down")),
		Help:       key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "all keys")),
		Quit:       key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit (start and finish screens)")),
	}
}

// ShortHelp is the footer's default: moving, help and the way out.
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Up, k.Down, k.Follow, k.Note, k.Abort, k.Help}
}

// FullHelp is every key, by what it is for.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Start, k.Confirm, k.Tick, k.Skip, k.Retry, k.Go},
		{k.Up, k.Down, k.Follow, k.DetailUp, k.DetailDown, k.LogUp, k.LogDown},
		{k.Note, k.Abort, k.Interrupt, k.Help, k.Quit},
	}
}
