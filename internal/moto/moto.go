// Package moto starts moto_server, an AWS emulator drpilot's authors did
// not write, for the tests that cross-check drpilot's AWS calls and its
// sandbox against it. A machine without it skips those tests, saying so.
package moto

import (
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"testing"
	"time"
)

// Start serves a moto_server of the test's own on a free loopback port
// until the test ends, and returns its address; without moto_server on
// the machine, or when it does not start, the test is skipped with what
// is not checked.
func Start(t testing.TB, unchecked string) string {
	t.Helper()
	path, err := exec.LookPath("moto_server")
	if err != nil {
		t.Skipf("no moto_server on this machine: %s", unchecked)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(path, "-p", fmt.Sprint(port))
	if err := cmd.Start(); err != nil {
		t.Skipf("moto_server does not start (%v): %s", err, unchecked)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(url + "/moto-api/"); err == nil {
			resp.Body.Close()
			return url
		}
	}
	t.Skipf("moto_server did not answer on %s: %s", url, unchecked)
	return ""
}
