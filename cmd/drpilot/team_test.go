package main

import (
	"crypto/ed25519"
	"encoding/json"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drpilot/drpilot/audit"
	"github.com/drpilot/drpilot/sandbox"
)

// teamEndpoints runs f against drpilot's sandbox and against moto_server,
// which drpilot's authors did not write, where the machine has it.
func teamEndpoints(t *testing.T, f func(t *testing.T, endpoint string)) {
	t.Run("sandbox", func(t *testing.T) {
		srv := httptest.NewServer(sandbox.New(sandbox.Options{TimeScale: 1000}))
		t.Cleanup(srv.Close)
		f(t, srv.URL)
	})
	t.Run("moto", func(t *testing.T) {
		f(t, startMoto(t))
	})
}

// teamBooks copies the team runbook next to keys/ for alice, bob and
// carol, and returns it with the paths of their private keys.
func teamBooks(t *testing.T) (string, map[string]string) {
	t.Helper()
	books := t.TempDir()
	src, err := os.ReadFile("testdata/team/team-drill.toml")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(books, "team-drill.toml")
	os.WriteFile(file, src, 0o644)
	os.Mkdir(filepath.Join(books, "keys"), 0o755)
	keys := map[string]string{}
	for _, name := range []string{"alice", "bob", "carol"} {
		path := filepath.Join(t.TempDir(), name+".pem")
		priv, _ := audit.GenerateKey()
		if err := audit.WriteKey(path, priv); err != nil {
			t.Fatal(err)
		}
		pub, _ := audit.PublicKeyPEM(priv.Public().(ed25519.PublicKey))
		os.WriteFile(filepath.Join(books, "keys", name+".pub"), pub, 0o644)
		keys[name] = path
	}
	return file, keys
}

// liveAgainst points the AWS configuration at endpoint, as an engineer's
// shell on a game day does.
func liveAgainst(t *testing.T, endpoint string) {
	t.Setenv("AWS_ENDPOINT_URL", endpoint)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEAM")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_REGION", "eu-west-2")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("XDG_STATE_HOME", t.TempDir())
}

// TestTeamIncident: team init; a run takes the lock, and a second run is
// refused naming the holder; the 2-of-3 gate waits for bob's approval from
// "another machine"; the log records both signed approvals and the fence;
// the lock is released at the end; the S3 copy verifies.
func TestTeamIncident(t *testing.T) {
	teamEndpoints(t, func(t *testing.T, endpoint string) {
		liveAgainst(t, endpoint)
		file, keys := teamBooks(t)
		if code, out, errOut := drpilot(t, "team", "init", file); code != 0 || !strings.Contains(out, "created") {
			t.Fatalf("team init: exit %d\n%s%s", code, out, errOut)
		}
		dir := runDir(t)
		type result struct {
			code        int
			out, errOut string
		}
		done := make(chan result, 1)
		go func() {
			code, out, errOut := drpilot(t, "run", file, "--headless", "--yes", "--key", keys["alice"], "--audit-dir", dir)
			done <- result{code, out, errOut}
		}()
		// Bob approves as soon as the gate is there; until then he is
		// told the run does not wait yet.
		deadline := time.Now().Add(60 * time.Second)
		var approveOut, approveErr string
		for {
			var code int
			code, approveOut, approveErr = drpilot(t, "approve", file, "freeze", "--key", keys["bob"], "--yes")
			if code == 0 {
				break
			}
			if !strings.Contains(approveErr, "not waiting") && !strings.Contains(approveErr, "nobody has run") {
				t.Fatalf("approve: exit %d\n%s%s", code, approveOut, approveErr)
			}
			if time.Now().After(deadline) {
				t.Fatalf("the gate never waited for bob:\n%s", approveErr)
			}
			time.Sleep(100 * time.Millisecond)
		}
		if !strings.Contains(approveOut, "ssm:PutParameter in eu-west-2") || !strings.Contains(approveOut, "/shop/maintenance") {
			t.Errorf("approve did not show what the step sends:\n%s", approveOut)
		}
		// A second run while the first holds the lock is refused.
		code, _, errOut := drpilot(t, "run", file, "--headless", "--yes", "--key", keys["carol"], "--audit-dir", runDir(t))
		r := <-done
		if r.code != 0 {
			t.Fatalf("the run: exit %d\n%s%s", r.code, r.out, r.errOut)
		}
		if code != exitBadInput || !strings.Contains(errOut, "is being run by") || !strings.Contains(errOut, "drpilot watch") {
			t.Errorf("a second run: exit %d\n%s", code, errOut)
		}
		approvers, fences := decisionsAndFences(t, dir)
		if strings.Join(approvers, ",") != "bob,alice" { // the deciding approval, the operator's, last
			t.Errorf("signed approvals in the log: %v", approvers)
		}
		if len(fences) != 1 || fences[0] != 1 {
			t.Errorf("fences of the requests: %v", fences)
		}
		// The lock is free again.
		if code, out, errOut := drpilot(t, "run", file, "--headless", "--key", keys["carol"], "--audit-dir", runDir(t)); code == exitBadInput {
			t.Errorf("a run after the first ended: exit %d\n%s%s", code, out, errOut)
		}
	})
}

// decisionsAndFences reads, from a run's log, who signed approvals and the
// fencing tokens of its requests.
func decisionsAndFences(t *testing.T, dir string) (approvers []string, fences []int64) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, audit.EventsFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var ev struct {
			Type string `json:"type"`
			Data struct {
				Approval *struct {
					Approver string `json:"approver"`
				} `json:"approval"`
				Fence int64 `json:"fence"`
			} `json:"data"`
		}
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatal(err)
		}
		switch {
		case ev.Type == audit.TypeDecision && ev.Data.Approval != nil:
			approvers = append(approvers, ev.Data.Approval.Approver)
		case ev.Type == audit.TypeAWSRequest:
			fences = append(fences, ev.Data.Fence)
		}
	}
	return approvers, fences
}

// TestTeamRefusal: an approver's refusal stops the step before anything
// is sent: the run pauses, resumably, its log holds the operator's
// approval and the signed refusal with its reason, and verifies VALID.
func TestTeamRefusal(t *testing.T) {
	teamEndpoints(t, func(t *testing.T, endpoint string) {
		liveAgainst(t, endpoint)
		file, keys := teamBooks(t)
		if code, out, errOut := drpilot(t, "team", "init", file); code != 0 {
			t.Fatalf("team init: exit %d\n%s%s", code, out, errOut)
		}
		dir := runDir(t)
		done := make(chan int, 1)
		var runOut, runErr string
		go func() {
			var code int
			code, runOut, runErr = drpilot(t, "run", file, "--headless", "--yes", "--key", keys["alice"], "--audit-dir", dir)
			done <- code
		}()
		if code, _, errOut := drpilot(t, "approve", file, "freeze", "--key", keys["carol"], "--deny"); code != exitBadInput || !strings.Contains(errOut, "--deny needs --reason") {
			t.Fatalf("a refusal without a reason: exit %d\n%s", code, errOut)
		}
		deadline := time.Now().Add(60 * time.Second)
		for {
			code, _, errOut := drpilot(t, "approve", file, "freeze", "--key", keys["carol"], "--deny", "--reason", "the replica lags 40 minutes", "--yes")
			if code == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the gate never waited for carol:\n%s", errOut)
			}
			time.Sleep(100 * time.Millisecond)
		}
		code := <-done
		if code != exitAborted || !strings.Contains(runOut, "needs approval: step freeze") {
			t.Fatalf("the refused run: exit %d\n%s%s", code, runOut, runErr)
		}
		log, _ := os.ReadFile(filepath.Join(dir, audit.EventsFile))
		if !strings.Contains(string(log), `"decision":"deny","reason":"the replica lags 40 minutes"`) || strings.Contains(string(log), `"type":"aws.request"`) {
			t.Errorf("the log of a refused step:\n%s", log)
		}
		approvers, _ := decisionsAndFences(t, dir)
		if strings.Join(approvers, ",") != "alice,carol" {
			t.Errorf("signed answers in the log: %v", approvers)
		}
		if rep := verifyRun(t, dir); rep.Verdict != audit.Incomplete || !rep.Paused || rep.Signed != rep.Lines || len(rep.Approvals) != 2 {
			t.Errorf("verify: %+v", rep)
		}
		// Resumed, the gate is asked again: carol's refusal was an answer
		// to the earlier asking, and bob's approval now completes it.
		go func() {
			var code int
			code, runOut, runErr = drpilot(t, "resume", dir, "--headless", "--yes", "--key", keys["alice"])
			done <- code
		}()
		approveUntilAccepted(t, file, keys["bob"])
		if code := <-done; code != exitOK {
			t.Fatalf("the resumed run: exit %d\n%s%s", code, runOut, runErr)
		}
	})
}

// approveUntilAccepted approves step freeze as the key's owner once the
// run waits for it.
func approveUntilAccepted(t *testing.T, file, key string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		code, _, errOut := drpilot(t, "approve", file, "freeze", "--key", key, "--yes")
		if code == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the run never waited for this approval:\n%s", errOut)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestTeamInitUnreachable: an endpoint nothing listens on, and a shell
// without credentials, are each one line that says what failed, where
// and what to check, with the exit code of a resource that cannot be
// used — not the SDK's account of its retries.
func TestTeamInitUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()
	liveAgainst(t, closed)
	file, _ := teamBooks(t)
	code, out, errOut := drpilot(t, "team", "init", file)
	for _, want := range []string{"lock table drpilot-runs in eu-west-2: cannot reach " + closed + " (Region eu-west-2)",
		"connection refused", "Check the network", "AWS_ENDPOINT_URL is " + closed, "running team init again is safe"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("team init against a closed port lacks %q:\n%s", want, errOut)
		}
	}
	if code != exitBadInput || strings.Contains(errOut, "exceeded maximum number of attempts") || strings.Count(strings.TrimSpace(errOut), "\n") != 0 || out != "" {
		t.Errorf("team init against a closed port: exit %d, want %d, one line\n%s%s", code, exitBadInput, out, errOut)
	}

	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	code, _, errOut = drpilot(t, "team", "init", file)
	if code != exitBadInput || !strings.Contains(errOut, "no AWS credentials to sign with for Region eu-west-2: give --profile") {
		t.Errorf("team init without credentials: exit %d\n%s", code, errOut)
	}
}
