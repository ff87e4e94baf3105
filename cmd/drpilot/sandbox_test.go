package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestSandboxRefusesNonLoopback(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{"0.0.0.0:4566", ":4566", "192.0.2.1:4566", "example.com:80"} {
		code, _, errOut := drpilot(t, "sandbox", "--addr", addr)
		if code != exitBadInput || !strings.Contains(errOut, "--allow-remote") {
			t.Errorf("--addr %s: exit %d: %s", addr, code, errOut)
		}
	}
	if code, _, errOut := drpilot(t, "sandbox", "--time-scale", "0"); code != exitBadInput || !strings.Contains(errOut, "--time-scale") {
		t.Errorf("--time-scale 0: exit %d: %s", code, errOut)
	}
}

// TestSandboxServesUntilCancelled runs drpilot sandbox on a free port,
// reads the endpoint it prints, calls it, and stops it.
func TestSandboxServesUntilCancelled(t *testing.T) {
	t.Parallel()
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"sandbox", "--addr", "127.0.0.1:0", "--time-scale", "60"}, pw, io.Discard)
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	endpoint := ""
	for lines.Scan() {
		if e, ok := strings.CutPrefix(lines.Text(), "export AWS_ENDPOINT_URL="); ok {
			endpoint = e
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if endpoint == "" {
		t.Fatal("drpilot sandbox printed no AWS_ENDPOINT_URL line")
	}
	resp, err := http.Get(endpoint + "/_sandbox/state")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /_sandbox/state: %v %v", resp, err)
	}
	resp.Body.Close()
	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Fatalf("exit %d after cancel", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("drpilot sandbox did not stop")
	}
}
