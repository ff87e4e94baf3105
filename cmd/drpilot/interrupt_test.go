package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/drpilot/drpilot/audit"
)

// The interruption test stops a real drpilot process at many points of a
// live run against a sandbox the test serves, the ways an operator's run
// gets stopped: Ctrl-C, SIGTERM, a lost SSH session's SIGHUP, kill -9,
// headless and in the terminal UI. Each run is then resumed, and must
// complete with every step done once, no mutating request sent twice, and
// a VALID log. TestCrashAndResume adds kill -9 at eleven more points.

// interruption is one way to stop a run, at one point of its log.
type interruption struct {
	tui bool
	// how: "SIGINT", "SIGTERM", "SIGHUP", "SIGKILL", or in the TUI
	// "ctrl+c" (a key) and "hangup" (the terminal itself goes away).
	how string
	at  func(lines []string) bool
}

// afterLine is a point: the log has n lines.
func afterLine(n int) func([]string) bool {
	return func(lines []string) bool { return len(lines) >= n }
}

// requestInFlight is a point: the nth mutating request is logged and its
// answer is not.
func requestInFlight(nth int) func([]string) bool {
	return func(lines []string) bool {
		seen := 0
		for _, l := range lines {
			if strings.Contains(l, `"type":"aws.request"`) {
				seen++
			}
		}
		return seen >= nth && strings.Contains(lines[len(lines)-1], `"type":"aws.request"`)
	}
}

func TestInterruptAndResume(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and interrupts drpilot processes")
	}
	t.Parallel()
	if _, err := exec.LookPath("script"); err != nil {
		t.Log("script (util-linux) is not installed: the terminal UI cases are skipped")
	}
	cases := map[string]interruption{
		"headless SIGINT after line 4":          {how: "SIGINT", at: afterLine(4)},
		"headless SIGINT, request 2 in flight":  {how: "SIGINT", at: requestInFlight(2)},
		"headless SIGTERM after line 10":        {how: "SIGTERM", at: afterLine(10)},
		"headless SIGTERM, request 3 in flight": {how: "SIGTERM", at: requestInFlight(3)},
		"headless SIGHUP after line 13":         {how: "SIGHUP", at: afterLine(13)},
		"headless SIGKILL after line 7":         {how: "SIGKILL", at: afterLine(7)},
		"TUI ctrl+c after line 7":               {tui: true, how: "ctrl+c", at: afterLine(7)},
		"TUI ctrl+c, request 1 in flight":       {tui: true, how: "ctrl+c", at: requestInFlight(1)},
		"TUI SIGTERM after line 10":             {tui: true, how: "SIGTERM", at: afterLine(10)},
		"TUI terminal closed after line 13":     {tui: true, how: "hangup", at: afterLine(13)},
		"TUI SIGKILL, request 2 in flight":      {tui: true, how: "SIGKILL", at: requestInFlight(2)},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if _, err := exec.LookPath("script"); c.tui && err != nil {
				t.Skip("no script(1) to give the terminal UI a terminal")
			}
			f := newCrashFixture(t)
			stopped, out := f.interrupt(t, c)
			if !stopped {
				t.Skip("the run ended before this point")
			}
			if c.how != "SIGKILL" {
				// The run stopped itself at a safe point: the log ends
				// with run.paused, signed, and the screen says how to go on.
				rep, _ := audit.Verify(f.dir, f.pub)
				if rep == nil || !rep.Paused || rep.Signed != rep.Lines {
					t.Fatalf("after %s the log is not paused and signed: %+v\n%s", c.how, rep, out)
				}
				if c.how != "hangup" && !strings.Contains(out, "drpilot resume "+f.dir) {
					t.Errorf("after %s the screen does not say how to resume:\n%s", c.how, out)
				}
			}
			f.resume(t)
			f.checkOutcome(t)
			f.checkNoDuplicateRequests(t)
		})
	}
}

// interrupt runs drpilot and stops it as c says when its log reaches c's
// point. It reports whether it stopped the run before the run ended, and
// what the run printed.
func (f *crashFixture) interrupt(t *testing.T, c interruption) (bool, string) {
	t.Helper()
	args := []string{"run", f.runbook, "--audit-dir", f.dir}
	var cmd *exec.Cmd
	if c.tui {
		// script gives the terminal UI a pseudo-terminal; its size is set
		// first, since a new one has none.
		line := "stty cols 120 rows 40; exec " + drpilotBinary(t) + " " + strings.Join(args, " ")
		cmd = exec.Command("script", "-q", "-e", "-c", line, "/dev/null")
	} else {
		cmd = exec.Command(drpilotBinary(t), append(args, "--headless", "--yes")...)
	}
	cmd.Env = f.env
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	keys, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer keys.Close()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	started := !c.tui
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-exited:
			return false, out.String()
		case <-tick.C:
		}
		if !started && strings.Contains(out.String(), "Readiness") {
			io.WriteString(keys, "\r") // the start screen: begin the run
			started = true
		}
		data, _ := os.ReadFile(filepath.Join(f.dir, audit.EventsFile))
		if !c.at(strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")) {
			continue
		}
		target := f.stop(t, cmd, keys, c.how)
		deadline := time.After(2 * time.Minute)
		for {
			select {
			case <-exited:
				return true, out.String()
			case <-deadline:
				cmd.Process.Kill()
				t.Fatalf("drpilot did not stop after %s:\n%s", c.how, out.String())
			case <-tick.C:
			}
			if c.how == "ctrl+c" && strings.Contains(out.String(), "PAUSED") {
				// The finish screen stays until the operator has read it.
				io.WriteString(keys, "q")
			}
			if c.tui && syscall.Kill(target, 0) != nil {
				// drpilot is gone: script, reading a pipe, waits for its end.
				keys.Close()
			}
		}
	}
}

// stop delivers the interruption, and returns drpilot's pid.
func (f *crashFixture) stop(t *testing.T, cmd *exec.Cmd, keys io.Writer, how string) int {
	t.Helper()
	target := cmd.Process.Pid
	if cmd.Path != drpilotBinary(t) {
		// Under script, drpilot is script's child.
		target = childOf(t, cmd.Process.Pid)
	}
	switch how {
	case "ctrl+c":
		io.WriteString(keys, "\x03")
	case "hangup":
		// The terminal goes away: script dies, the pseudo-terminal closes,
		// and the kernel hangs up on drpilot as it would over a lost SSH
		// session.
		cmd.Process.Kill()
		// script's exit does not wait for drpilot's: wait for it here, so
		// that the resume finds the log as drpilot left it.
		waitGone(t, target)
	default:
		sig := map[string]syscall.Signal{"SIGINT": syscall.SIGINT, "SIGTERM": syscall.SIGTERM,
			"SIGHUP": syscall.SIGHUP, "SIGKILL": syscall.SIGKILL}[how]
		if err := syscall.Kill(target, sig); err != nil {
			t.Fatalf("kill %d: %v", target, err)
		}
	}
	return target
}

// childOf returns the pid of a process's only child.
func childOf(t *testing.T, pid int) int {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	fields := strings.Fields(string(data))
	if err != nil || len(fields) == 0 {
		t.Fatalf("no child of %d: %v", pid, err)
	}
	child, _ := strconv.Atoi(fields[0])
	return child
}

// waitGone waits until a process has exited.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for syscall.Kill(pid, 0) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("drpilot (pid %d) did not exit after its terminal closed", pid)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// checkNoDuplicateRequests counts the mutating requests the sandbox
// answered: each of the run's three parameter writes and its one volume
// restore exactly once, however the run was stopped and resumed.
func (f *crashFixture) checkNoDuplicateRequests(t *testing.T) {
	t.Helper()
	entries, _ := f.sb.Journal().Entries()
	counts := map[string]int{}
	for _, e := range entries {
		if e.Mutating && e.Status < 300 {
			counts[e.Operation]++
		}
	}
	if counts["PutParameter"] != 3 || counts["CreateVolume"] != 1 {
		t.Errorf("mutating requests answered: %v, want PutParameter 3 and CreateVolume 1", counts)
	}
}

// lockedBuffer is a buffer two goroutines may use: the process writes,
// the test reads.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
