package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/drpilot/drpilot/audit"
	"github.com/drpilot/drpilot/steps"
	"github.com/spf13/cobra"
)

// abortOptions are drpilot abort's flags.
type abortOptions struct {
	reason string
	key    string
	stdout io.Writer
}

func newAbortCommand() *cobra.Command {
	opts := abortOptions{}
	cmd := &cobra.Command{
		Use:   "abort DIR",
		Short: "End a paused run for good, sealing its log",
		Long: `abort ends the run whose audit log is in DIR, when it stopped with something
left to do (interrupted, paused for a decision or an approval, killed) and
nobody will resume it. It sends nothing to AWS: it records the operator's
decision to abort, with the reason, and seals the log (run.end, outcome aborted),
so that the record verifies VALID and says why the run ended there.

It signs with the run's key, as resume does. Exit codes: 0 the log is sealed,
2 the directory holds no run that can be ended (already sealed, not verifying).`,
		Example: `  drpilot abort ~/.local/state/drpilot/runs/store-region-failover-20261121T031500Z-3f9a --reason "primary Region back; failing back by hand"`,
		Args:    argsExactly(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.stdout = cmd.OutOrStdout()
			return runAbort(cmd.Context(), opts, args[0])
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.reason, "reason", "", "why the run ends here (required): it goes into the audit log")
	f.StringVar(&opts.key, "key", "", "the run's signing key (default $DRPILOT_KEY, then the default path)")
	return cmd
}

// runAbort appends the abort decision and run.end to a run that did not
// end, and seals it.
func runAbort(_ context.Context, opts abortOptions, dir string) error {
	reason := strings.TrimSpace(opts.reason)
	if reason == "" {
		return badInput("say why the run ends here with --reason: it goes into the audit log")
	}
	if _, err := os.Stat(filepath.Join(dir, audit.EventsFile)); err != nil {
		return badInput("cannot abort %s: it holds no run's audit log (%s); give the run directory that drpilot run printed", dir, audit.EventsFile)
	}
	key, _, err := resumeKey(opts.key, dir)
	if err != nil {
		return err
	}
	reopened, err := audit.Reopen(dir, key, nil)
	if err != nil {
		return badInput("cannot abort %s: %v", dir, err)
	}
	defer reopened.Writer.Close()
	who := actor()
	decision := map[string]any{"decision": string(steps.VerdictAbort), "reason": reason, "via": "drpilot abort"}
	if tail := reopened.Unsigned; tail.Count > 0 {
		// Abort acts on none of them, so it does not ask; it seals them,
		// and says which they were, as resume does.
		showUnsigned(opts.stdout, tail, reopened.Events)
		decision[audit.AdoptedKey] = adoption{tail: tail}.record(who)
	}
	if _, err := reopened.Writer.Append(audit.Entry{Type: audit.TypeDecision, Actor: who, Data: decision}); err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	end := map[string]any{"outcome": steps.OutcomeAborted, "abort_reason": reason, "reason": "aborted: " + reason}
	// What the run had done when it stopped stays the run's record: its
	// time on the mode's clock and its counts, from its last run.paused.
	for i := len(reopened.Events) - 1; i >= 0; i-- {
		if ev := reopened.Events[i]; ev.Type == audit.TypeRunPaused {
			var paused map[string]any
			if json.Unmarshal(ev.Data, &paused) == nil {
				end["elapsed"], end["counts"] = paused["elapsed"], paused["counts"]
			}
			break
		}
	}
	if err := reopened.Writer.Seal(who, end); err != nil {
		return fmt.Errorf("seal the audit log: %w", err)
	}
	fmt.Fprintf(opts.stdout, "run %s ABORTED: %s\nthe log is sealed: drpilot audit verify %s --pub <the run's public key>\n", reopened.Writer.Run(), reason, dir)
	return nil
}
