package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTeamRunThatStopsAtOnceIsCopied: a team run whose first precondition
// fails ends before its log's copy has started (the bucket is slow to
// answer); the copy is still made, and holds what the run directory does.
func TestTeamRunThatStopsAtOnceIsCopied(t *testing.T) {
	endpoint := teamSandbox(t)
	file, keys := teamBooks(t)
	operatorAlone(t, file)
	src, _ := os.ReadFile(file)
	src = bytes.Replace(src, []byte("[steps.with]\n"), []byte(`[[steps.require]]
call = "ssm:GetParameter"
input = { Name = "/shop/ready" }
query = "Parameter.Value"
equals = "yes"
why = "The shop says when it is ready to freeze."
[steps.with]
`), 1)
	os.WriteFile(file, src, 0o644)
	if code, out, errOut := drpilot(t, "team", "init", file); code != exitOK {
		t.Fatalf("team init: exit %d\n%s%s", code, out, errOut)
	}
	s3Latency := func(ms int) {
		resp, err := http.Post(endpoint+"/_sandbox/faults", "application/json",
			strings.NewReader(fmt.Sprintf(`{"latency":{"service":"s3","ms":%d}}`, ms)))
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("fault: %v %v", resp, err)
		}
		resp.Body.Close()
	}
	s3Latency(1500)
	dir := runDir(t)
	code, out, errOut := drpilot(t, "run", file, "--headless", "--yes", "--key", keys["alice"], "--audit-dir", dir)
	if code == exitOK || strings.Contains(errOut, "NOT copied") {
		t.Fatalf("run with a failing precondition: exit %d\n%s%s", code, out, errOut)
	}
	s3Latency(0)
	local := verifyRun(t, dir)
	code, out, errOut = drpilot(t, "history", file, "--dir", filepath.Dir(dir), "--json")
	var rows []historyRow
	if code != exitOK || json.Unmarshal([]byte(out), &rows) != nil || len(rows) != 1 || rows[0].From != "both" ||
		rows[0].Run != local.Run {
		t.Fatalf("history: exit %d, want the run here and in the bucket\n%s%s", code, out, errOut)
	}
	// The run paused at the failure, so neither record is VALID yet; the
	// copy must say exactly what the run directory says.
	_, here, _ := drpilot(t, "audit", "verify", dir)
	_, there, errOut := drpilot(t, "audit", "verify", rows[0].Copy)
	if first := func(s string) string { l, _, _ := strings.Cut(s, "\n"); return l }; first(here) != first(there) ||
		!strings.Contains(there, "the run is paused") {
		t.Fatalf("the copy's verdict differs from the run directory's:\nhere:  %s\nthere: %s%s", here, there, errOut)
	}
}
