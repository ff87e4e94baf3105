package main

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/drpilot/drpilot/audit"
	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/steps"
)

// printer is the headless run's output: readable lines, or JSON events
// (docs/events.md). Both print the run directory and what to do with it.
type printer interface {
	steps.Observer
	begin(r *preparedRun)
	end(r *preparedRun, sum *steps.RunSummary)
}

func newPrinter(w io.Writer, asJSON bool) printer {
	if asJSON {
		return &jsonPrinter{enc: json.NewEncoder(w)}
	}
	return &textPrinter{w: w}
}

// verifyCommand is what a reviewer runs after the run.
func verifyCommand(r *preparedRun) string {
	return fmt.Sprintf("drpilot audit verify %s --pub %s", shellWord(r.log.Dir()), publicKeyFile(r))
}

// exportCommand writes the run's post-incident record, checked against
// the same key as verifyCommand, so that it works as printed.
func exportCommand(r *preparedRun) string {
	return fmt.Sprintf("drpilot audit export %s --pub %s --format md -o %s.md", shellWord(r.log.Dir()), publicKeyFile(r), r.id)
}

// publicKeyFile is the public key that the printed commands check the
// run's log with. A run signed with a throwaway key can only be checked
// against the key it carries, its pub.pem, which proves the log whole but
// not who wrote it. Any other run is checked against the team's copy of
// its key among keys/*.pub next to the runbook, or the .pub that keygen
// wrote next to the signing key; "<your public key>" when neither holds
// it.
func publicKeyFile(r *preparedRun) string {
	if r.env.throwaway {
		return shellWord(filepath.Join(r.log.Dir(), audit.PubFile))
	}
	pub := r.env.key.Public().(ed25519.PublicKey)
	candidates, _ := filepath.Glob(filepath.Join(filepath.Dir(r.rb.File), "keys", "*.pub"))
	if path, _, err := audit.KeyPath(r.opts.key); err == nil {
		candidates = append(candidates, path+".pub")
	}
	for _, c := range candidates {
		if k, err := readPublicKey(c); err == nil && k.Equal(pub) {
			return shellWord(c)
		}
	}
	return "<your public key>"
}

// shellWord quotes s for a POSIX shell when it holds anything a shell
// would read as more than a plain word, so that a printed command can be
// pasted as it is.
func shellWord(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`!*?[]{}()<>|&;#~") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// textPrinter writes one line per event, prefixed with the time and step.
type textPrinter struct {
	mu sync.Mutex
	w  io.Writer
}

func (p *textPrinter) begin(r *preparedRun) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "drpilot run %s: %s\n", r.id, r.rb.Title)
	fmt.Fprintf(p.w, "mode %s · account %s · caller %s · primary %s · recovery %s\n",
		strings.ToUpper(string(r.env.mode)), r.env.account, r.env.callerARN, r.rb.Regions.Primary, r.rb.Regions.Recovery)
	if r.env.sandbox != nil {
		fmt.Fprintf(p.w, "sandbox %s (time scale %g)\n", r.env.endpoint, r.env.sandbox.Clock().Scale())
		if line := rebuiltLine(r.env); line != "" {
			fmt.Fprintln(p.w, line)
		}
	}
	if r.env.throwaway {
		fmt.Fprintln(p.w, "no signing key found: this run is signed with a throwaway key, kept in the run directory, which proves only that the log is whole, not who wrote it; create a signing key with 'drpilot keygen'")
	}
	fmt.Fprintf(p.w, "run directory %s\n", r.log.Dir())
}

// Event prints one line; wait progress only every few polls, so that a
// long wait does not flood the terminal.
func (p *textPrinter) Event(e steps.Event) {
	if e.Type == steps.EventWaitProgress && e.Wait != nil && e.Wait.Polls > 1 && e.Wait.Polls%5 != 0 {
		return
	}
	line := textLine(e)
	if line == "" {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	step := e.Step
	if step == "" {
		step = "-"
	}
	fmt.Fprintf(p.w, "%s %-28s %s\n", e.Time.Format("15:04:05"), step, line)
}

// textLine is an event's text, or "" for events the text output omits.
func textLine(e steps.Event) string {
	switch e.Type {
	case steps.EventRunStarted, steps.EventRunFinished:
		return ""
	case steps.EventStepReady:
		return "ready: " + e.Message
	case steps.EventStepRunning:
		if e.Attempt > 1 {
			return fmt.Sprintf("running (attempt %d)", e.Attempt)
		}
		return "running"
	case steps.EventCallDone:
		switch {
		case e.Call == nil:
			return strings.TrimSpace(e.Message + " " + e.Error)
		case e.Simulated:
			return e.Message + " " + runbooks.CompactJSON(e.Call.Input)
		}
		return e.Call.Summary()
	case steps.EventWaitProgress:
		if e.Wait == nil {
			return e.Message
		}
		if e.Wait.Polls == 0 {
			return "waiting: " + e.Wait.State
		}
		return fmt.Sprintf("waiting: %s (poll %d)", e.Wait.State, e.Wait.Polls)
	case steps.EventStepDone:
		return strings.TrimSpace(e.Message + " " + formatOutputs(e.Outputs))
	case steps.EventStepFailed:
		return "FAILED: " + e.Error
	case steps.EventStepSkipped:
		return "skipped: " + e.Message
	case steps.EventStepRetry:
		return "retry: " + e.Error
	}
	return e.Message
}

func formatOutputs(out map[string]any) string {
	if len(out) == 0 {
		return ""
	}
	return "outputs " + runbooks.CompactJSON(out)
}

func (p *textPrinter) end(r *preparedRun, sum *steps.RunSummary) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, line := range endLines(r, sum) {
		fmt.Fprintln(p.w, line)
	}
}

// endLines say how the run ended, what it waits for, and what to run next:
// the same lines end the text output and the terminal UI's finish screen.
func endLines(r *preparedRun, sum *steps.RunSummary) []string {
	var lines []string
	if sum != nil {
		lines = append(lines, fmt.Sprintf("run %s %s in %s: %s", r.id, strings.ToUpper(sum.Outcome),
			runbooks.FormatDuration(sum.Elapsed.Round(time.Second)), countsLine(sum.Counts)))
		lines = append(lines, "  "+sum.RTO)
		if sum.Reason != "" {
			lines = append(lines, "  "+sum.Reason)
		}
		for _, n := range sum.Needs {
			lines = append(lines, "  "+needLine(n))
		}
		for _, b := range sum.Blocked {
			lines = append(lines, fmt.Sprintf("  not run: %s (%s)", b.Step, b.Because))
		}
	}
	if line := sandboxEndLine(r.env); line != "" && sum != nil && sum.Resumable {
		lines = append(lines, line)
	}
	lines = append(lines, "run directory "+r.log.Dir())
	if url := r.team.copyURL(); url != "" {
		lines = append(lines, "log copied to "+url+" (another machine: drpilot audit verify "+url+" --pub KEY, drpilot resume "+url+" --runbook FILE)")
	}
	if sum == nil || !sum.Resumable {
		return append(lines, "verify: "+verifyCommand(r), "export: "+exportCommand(r))
	}
	return append(lines, "resume: drpilot resume "+r.log.Dir(), "or end it for good: "+abortCommand(r))
}

// needLine says what a person must give, and how.
func needLine(n steps.Need) string {
	if n.Kind == steps.NeedApproval {
		return fmt.Sprintf("needs approval: step %s waits at its gate (resume and approve it, or add --yes headless)", n.Step)
	}
	return fmt.Sprintf("needs a decision: step %s failed: %s; decide with --decide %s=retry|skip|continue (skip and continue need --reason)", n.Step, n.Error, n.Step)
}

// abortCommand ends a paused run for good, sealing its log.
func abortCommand(r *preparedRun) string {
	return fmt.Sprintf("drpilot abort %s --reason \"...\"", r.log.Dir())
}

func countsLine(c map[string]int) string {
	var parts []string
	for _, s := range []string{steps.StatusDone, steps.StatusFailed, steps.StatusSkipped, steps.StatusInterrupted, steps.StatusNotRun} {
		if c[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c[s], s))
		}
	}
	return strings.Join(parts, ", ")
}

// jsonPrinter writes one JSON object per line: every executor event, and
// run.directory lines at the start and end.
type jsonPrinter struct {
	mu  sync.Mutex
	enc *json.Encoder
}

// directoryEvent is the JSON line that names the run directory.
type directoryEvent struct {
	Type   string    `json:"type"`
	Time   time.Time `json:"time"`
	Run    string    `json:"run"`
	Dir    string    `json:"dir"`
	Verify string    `json:"verify"`
	Export string    `json:"export"`
}

func (p *jsonPrinter) directory(r *preparedRun) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.enc.Encode(directoryEvent{Type: "run.directory", Time: time.Now(), Run: r.id, Dir: r.log.Dir(), Verify: verifyCommand(r), Export: exportCommand(r)})
}

func (p *jsonPrinter) begin(r *preparedRun) { p.directory(r) }

func (p *jsonPrinter) Event(e steps.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.enc.Encode(e)
}

func (p *jsonPrinter) end(r *preparedRun, _ *steps.RunSummary) { p.directory(r) }
