package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const noTerminal = "stdin or stdout is not a terminal, and the terminal UI needs one: add --headless"

// TestNoTerminalNeedsHeadless: without a terminal (here stdout is a
// buffer), run and resume without --headless stop at once with exit 2
// and say what to add, rather than waiting for keys that never come.
func TestNoTerminalNeedsHeadless(t *testing.T) {
	t.Parallel()
	dir := runDir(t)
	for _, args := range [][]string{
		{"run", paramsRunbook, "--sandbox", "--audit-dir", dir},
		{"run", paramsRunbook, "--dry-run"},
		{"resume", t.TempDir()},
	} {
		code, out, errOut := drpilot(t, args...)
		if code != exitBadInput || !strings.Contains(errOut, noTerminal) || !strings.Contains(errOut, "--yes to approve every gated step") {
			t.Errorf("drpilot %s: exit %d, want 2 and %q\n%s%s", strings.Join(args, " "), code, noTerminal, out, errOut)
		}
		if out != "" {
			t.Errorf("drpilot %s printed before refusing:\n%s", strings.Join(args, " "), out)
		}
	}
	if _, err := os.Stat(dir); err == nil {
		t.Error("a refused run made its run directory")
	}
}

// TestTerminalOpensTheUI: with a terminal, the check lets run and resume
// go on; both then stop at the next problem, which is not the terminal.
// Not parallel: it replaces the terminal check for the whole package.
func TestTerminalOpensTheUI(t *testing.T) {
	saved := stdioIsTerminal
	stdioIsTerminal = func(io.Writer) bool { return true }
	t.Cleanup(func() { stdioIsTerminal = saved })
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run", paramsRunbook, "--sandbox", "--scenario", filepath.Join(t.TempDir(), "missing.toml"), "--audit-dir", runDir(t)}, "missing.toml"},
		{[]string{"resume", t.TempDir()}, "holds no run's audit log"},
	} {
		code, out, errOut := drpilot(t, tc.args...)
		if code != exitBadInput || strings.Contains(errOut, noTerminal) || !strings.Contains(errOut, tc.want) {
			t.Errorf("drpilot %s: exit %d, want 2 and %q\n%s%s", strings.Join(tc.args, " "), code, tc.want, out, errOut)
		}
	}
}
