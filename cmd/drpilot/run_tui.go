package main

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"os"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/term"

	"github.com/drpilot/drpilot/audit"
	"github.com/drpilot/drpilot/steps"
	"github.com/drpilot/drpilot/ui"
)

// stdioIsTerminal reports whether the terminal UI has a terminal to run
// in: it reads keys from stdin and draws on stdout, so both must be one.
// It is a variable so that tests, whose stdout is a buffer, can say that
// there is a terminal.
var stdioIsTerminal = func(stdout io.Writer) bool {
	return isTerminal(os.Stdin) && isTerminal(stdout)
}

// isTerminal reports whether f is a file open on a terminal.
func isTerminal(f any) bool {
	file, ok := f.(interface{ Fd() uintptr })
	return ok && term.IsTerminal(file.Fd())
}

// checkTerminal refuses to open the terminal UI without a terminal. Run
// from a pipe, a cron job or CI, the UI would wait for keys that never
// come, and say nothing; --headless is what such a caller wants.
func checkTerminal(opts runOptions) error {
	if opts.headless || stdioIsTerminal(opts.stdout) {
		return nil
	}
	return badInput("stdin or stdout is not a terminal, and the terminal UI needs one: add --headless to print progress instead (and --yes to approve every gated step)")
}

// verdictLine verifies the run's sealed log against its own key and says
// the verdict in one line.
func verdictLine(r *preparedRun) string {
	rep, err := audit.Verify(r.log.Dir(), r.env.key.Public().(ed25519.PublicKey))
	if err != nil {
		return "cannot verify: " + err.Error()
	}
	return fmt.Sprintf("%s: %s", rep.Verdict, verdictReason(r.log.Dir(), rep.Verdict, rep.Reason))
}

// executeTUI runs the executor under the terminal UI: the program shows
// its events and answers its questions; the finish screen's lines are
// printed again after the program exits, so that they stay in the
// scrollback.
// printEnd prints the finish screen's lines again (or for the first time,
// when a signal stopped the program first) to stay in the scrollback, with
// the log's verdict.
func (r *preparedRun) printEnd(sum *steps.RunSummary) {
	for _, line := range endLines(r, sum) {
		fmt.Fprintln(r.opts.stdout, line)
	}
	fmt.Fprintln(r.opts.stdout, "audit log: "+verdictLine(r))
}

// endUnstarted ends a run the terminal UI never started. A signal before
// the run started: nobody decided anything, and the run can still be
// started with resume. The operator left at the start screen: the log says
// so and is sealed, rather than left looking like a crash.
func endUnstarted(ctx context.Context, exec *steps.Executor) (*steps.RunSummary, error) {
	if ctx.Err() != nil {
		exec.Interrupt(signalReason(ctx))
	} else {
		exec.Abort("the operator quit at the start screen", actor())
	}
	return exec.Run(context.Background())
}

func (r *preparedRun) executeTUI(ctx context.Context) error {
	defer r.team.finish() // after the log's last checkpoint: its copy is the last upload
	defer r.log.Close()
	bridge := ui.NewBridge(nil)
	exec, err := r.newExecutor(bridge, r.observers(bridge)...)
	if err != nil {
		return err
	}
	r.team.start(ctx, r.log, exec.Interrupt)
	var (
		sum     *steps.RunSummary
		runErr  error
		started = make(chan struct{})
		ended   = make(chan struct{})
	)
	model := ui.New(ui.Options{
		Plan: r.plan, Mode: r.env.mode, Account: r.env.account, CallerARN: r.env.callerARN,
		AuditDir: r.log.Dir(), Actor: actor(), Control: exec, Bridge: bridge,
		Finish: func(sum *steps.RunSummary) []string { return endLines(r, sum) },
		Run: func() (*steps.RunSummary, error) {
			close(started)
			defer close(ended)
			sum, runErr = exec.Run(context.WithoutCancel(ctx))
			// The run has ended or paused, its log sealed or signed:
			// the lock is free for the next run while the finish screen
			// shows, and the copy gets the log's last lines.
			r.team.finish()
			return sum, runErr
		},
		Readiness: func() []steps.Readiness { return exec.Readiness(ctx) },
		Verify:    func() string { return verdictLine(r) },
		// The screen's clocks (the RTO, each step's time) read the run's
		// one clock: the sandbox's in sandbox mode, as its events do.
		Now:  r.clock(),
		Team: r.team.status(),
		// Earlier runs' logs are read after the first frame: a long one
		// takes a good part of a second.
		ReadLastRun: func() string {
			return lastRehearsal(rehearsalDirs(r.log.Dir()), r.rb.ID, r.id, r.rb.SHA256)
		},
	})
	if sb := r.env.sandbox; sb != nil {
		// The start screen waits for a person, as a gate does: the
		// sandbox's clock runs at real speed while they read it, not at
		// its scale (at 600, ten seconds would add 100 minutes to the
		// rehearsal's RTO). The run sets the pace again when it starts.
		sb.Clock().PeoplePace(true)
	}
	// drpilot handles the signals, not the program: bubbletea's own
	// handler quits at once on SIGTERM (and can hang if the program's
	// context ends at the same moment), and the run must first stop at a
	// safe point.
	program := tea.NewProgram(model, tea.WithoutSignalHandler(), tea.WithOutput(r.opts.stdout))
	bridge.Attach(program.Send)
	// A signal (SIGINT from kill, SIGTERM, a closed terminal's SIGHUP)
	// interrupts the run, resumably, as in headless mode; once it has
	// stopped, the program quits, and the end is printed below.
	stop := context.AfterFunc(ctx, func() {
		exec.Interrupt(signalReason(ctx))
		select {
		case <-started:
			<-ended
		default:
		}
		program.Quit()
	})
	defer stop()
	_, perr := program.Run()
	if waitForRun(exec, started, ended) {
		r.printEnd(sum)
	} else {
		sum, runErr = endUnstarted(ctx, exec)
	}
	if perr != nil && sum == nil {
		return fmt.Errorf("terminal UI: %w", perr)
	}
	return exitFor(sum, runErr)
}

// waitForRun reports, once the screen has stopped, whether the run had
// started, and then waits for it to end. The screen can stop before the
// run (a terminal that went away): the run is interrupted, resumably,
// never left running without its operator.
func waitForRun(exec *steps.Executor, started, ended <-chan struct{}) bool {
	select {
	case <-started:
	default:
		return false
	}
	select {
	case <-ended:
	default:
		exec.Interrupt("the terminal UI stopped")
		<-ended
	}
	return true
}
