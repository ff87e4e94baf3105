package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// BenchmarkProcessToFirstFrame measures, for the real binary in a real
// terminal (tmux), the time from starting `drpilot run
// runbooks/store-region-failover.toml --sandbox` to the start screen's
// mode badge on the screen. Each round also times a shell that prints the
// badge at once, in a session made the same way: that is tmux's own part
// (a session, a shell, the 2 ms polling of its screen), reported as
// ms-tmux, and ms/first-frame is drpilot's time less it. The goal is
// under 150 ms. It skips where tmux is missing.
func BenchmarkProcessToFirstFrame(b *testing.B) {
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		b.Skip("no tmux on this machine to give drpilot a terminal")
	}
	bin := drpilotBinaryFor(b)
	state, runs := b.TempDir(), b.TempDir()
	// A server of its own, kept up by a session that waits: were the
	// server to exit with each measured session, the next one would race
	// its shutdown ("server exited unexpectedly").
	socket := fmt.Sprintf("drpilot-bench-%d", os.Getpid())
	tmuxCmd := func(args ...string) *exec.Cmd { return exec.Command(tmux, append([]string{"-L", socket}, args...)...) }
	if out, err := tmuxCmd("new-session", "-d", "-s", "keep", "sleep 3600").CombinedOutput(); err != nil {
		b.Fatalf("tmux: %v %s", err, out)
	}
	defer tmuxCmd("kill-server").Run()
	session := 0
	// untilBadge starts command in a new session and returns the time
	// until the badge is on its screen.
	untilBadge := func(command string) time.Duration {
		session++
		name := fmt.Sprintf("s%d", session)
		defer tmuxCmd("kill-session", "-t", name).Run()
		start := time.Now()
		if out, err := tmuxCmd("new-session", "-d", "-s", name, "-x", "120", "-y", "40", command).CombinedOutput(); err != nil {
			b.Fatalf("tmux: %v %s", err, out)
		}
		for {
			screen, _ := tmuxCmd("capture-pane", "-t", name, "-p").Output()
			if strings.Contains(string(screen), "SANDBOX: SIMULATED AWS") {
				return time.Since(start)
			}
			if time.Since(start) > 20*time.Second {
				b.Fatalf("no start screen after 20s:\n%s", screen)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	var drpilot, shell time.Duration
	for b.Loop() {
		shell += untilBadge("printf 'SANDBOX: SIMULATED AWS'; sleep 30")
		drpilot += untilBadge(fmt.Sprintf("XDG_STATE_HOME=%s %s run ../../runbooks/store-region-failover.toml --sandbox --audit-dir %s; sleep 30",
			state, bin, filepath.Join(runs, fmt.Sprint(session))))
	}
	b.ReportMetric(float64(shell.Microseconds())/float64(b.N)/1000, "ms-tmux")
	b.ReportMetric(float64((drpilot-shell).Microseconds())/float64(b.N)/1000, "ms/first-frame")
}
