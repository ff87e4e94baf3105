// Command drpilot walks an on-call engineer through a disaster-recovery
// runbook for an AWS workload. This file wires the subcommands; each lives
// in a file of its own as runX(ctx, opts, args).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"charm.land/fang/v2"
	"github.com/spf13/cobra"
)

// Exit codes, as README.md and every command's help document them.
const (
	exitOK       = 0
	exitFailed   = 1 // the runbook failed, or a verdict is not VALID
	exitBadInput = 2 // a runbook, flag or file that cannot be used
	exitAborted  = 3 // the run paused (resumable) or was aborted
)

// exitError carries an exit code. A silent one has already said what went
// wrong on its own (check prints every diagnostic) and adds nothing.
type exitError struct {
	code   int
	err    error
	silent bool
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// silentExit ends the command with code after it has printed its own
// report.
func silentExit(code int) error { return &exitError{code: code, silent: true} }

// badInput reports input that cannot be used, with exit code 2.
func badInput(format string, args ...any) error {
	return &exitError{code: exitBadInput, err: fmt.Errorf(format, args...)}
}

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the command line and returns the exit code, so that tests
// can run the whole CLI in-process.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRootCommand()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	addDefaultCommands(root)
	fitHelp(root, stdout, helpWidth(stdout, os.Getenv))
	err := fang.Execute(ctx, root,
		fang.WithVersion(versionString()),
		fang.WithErrorHandler(errorHandler),
		fang.WithNotifySignal(os.Interrupt),
	)
	return exitCode(err)
}

func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if errors.Is(err, context.Canceled) {
		return exitAborted
	}
	// Anything cobra refuses before a command runs (an unknown flag or
	// command, a wrong number of arguments) is bad input.
	return exitBadInput
}

// errorHandler prints one clear line; commands that already reported
// themselves print nothing more.
func errorHandler(w io.Writer, _ fang.Styles, err error) {
	var ee *exitError
	if errors.As(err, &ee) && ee.silent {
		return
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "drpilot") {
		msg = "drpilot: " + msg
	}
	fmt.Fprintln(w, msg)
	if exitCode(err) == exitBadInput && (ee == nil || ee.err == nil) {
		fmt.Fprintln(w, "Run 'drpilot --help' for usage.")
	}
}

// argsExactly and argsAtLeast refuse a wrong number of arguments with the
// command's usage line, which says what to give.
func argsExactly(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return badInput("%s takes %d argument(s), got %d: usage: %s", cmd.Name(), n, len(args), cmd.UseLine())
		}
		return nil
	}
}

func argsAtLeast(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < n {
			return badInput("%s needs at least %d argument(s): usage: %s", cmd.Name(), n, cmd.UseLine())
		}
		return nil
	}
}

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "drpilot",
		Short: "Walk through a disaster-recovery runbook for AWS, step by step",
		Long: `drpilot runs disaster-recovery runbooks for AWS workloads: TOML files that
encode the recovery procedure (declare, freeze, restore, reintegrate, switch,
verify, notify) and bind each step to an AWS action with preconditions.

Exit codes: 0 ok, 1 runbook failed or verdict not VALID, 2 bad input,
3 paused (resumable) or aborted.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newCheckCommand(), newPlanCommand(), newReadyCommand(), newPolicyCommand(), newKeygenCommand(), newPubkeyCommand(),
		newAuditCommand(), newRunCommand(), newResumeCommand(), newAbortCommand(), newApproveCommand(), newTeamCommand(),
		newWatchCommand(), newSandboxCommand(), newHistoryCommand(), newVersionCommand())
	return root
}

// addDefaultCommands adds cobra's help and completion commands, which
// cobra would add as it runs, so that their help is fitted to the width
// like the others' and completion's summary fits the list of commands.
// The completion scripts go to the output set on root before this.
func addDefaultCommands(root *cobra.Command) {
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() == "completion" {
			c.Short = "Print the shell completion script for a shell"
		}
	}
}
