package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
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

// TestSandboxRefusesBadPolicies: --policy KEYID=FILE is refused, before
// anything is served, when malformed, when its file is not a policy
// (naming the file and what is wrong), or when a key is given twice.
func TestSandboxRefusesBadPolicies(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "good.json"), filepath.Join(dir, "bad.json")
	if err := os.WriteFile(good, []byte(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ssm:*","Resource":"*"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ssm:*"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := map[string][]string{
		"write KEYID=FILE":                                 {"--policy", good},
		bad + ": Statement[0]: needs Resource":             {"--policy", "AKIDA=" + bad},
		"is given twice":                                   {"--policy", "AKIDA=" + good, "--policy", "AKIDA=" + good},
		filepath.Join(dir, "none.json") + ": no such file": {"--policy", "AKIDA=" + filepath.Join(dir, "none.json")},
	}
	for want, flags := range cases {
		code, _, errOut := drpilot(t, append([]string{"sandbox", "--addr", "127.0.0.1:0"}, flags...)...)
		if code != exitBadInput || !strings.Contains(errOut, want) {
			t.Errorf("%v: exit %d: %s", flags, code, errOut)
		}
	}
	code, _, errOut := drpilot(t, "run", "--sandbox-policy", good, "--headless", "runbooks/none.toml")
	if code != exitBadInput || !strings.Contains(errOut, "--sandbox-policy apply to --sandbox only") {
		t.Errorf("run --sandbox-policy without --sandbox: exit %d: %s", code, errOut)
	}
}

// TestSandboxServesUntilCancelled runs drpilot sandbox on a free port,
// with a policy, reads the endpoint it prints, calls it, and stops it.
func TestSandboxServesUntilCancelled(t *testing.T) {
	t.Parallel()
	policy := filepath.Join(t.TempDir(), "policy.json")
	if err := os.WriteFile(policy, []byte(`{"Statement":{"Effect":"Allow","Action":"ssm:*","Resource":"*"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"sandbox", "--addr", "127.0.0.1:0", "--time-scale", "60", "--policy", "AKIDRUNBOOK=" + policy}, pw, io.Discard)
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
	if resp, err = http.Get(endpoint + "/_sandbox/denials"); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /_sandbox/denials: %v %v", resp, err)
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

// TestRunSandboxPolicy: run --sandbox --sandbox-policy holds the run to a
// policy: the least privilege the runbook needs lets it succeed, and
// the same policy without one of its actions fails the step that needs
// it with AWS's AccessDenied.
func TestRunSandboxPolicy(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, actions string) string {
		path := filepath.Join(dir, name)
		doc := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":[` + actions + `],
			"Resource":"arn:aws:ssm:eu-west-2:123456789012:parameter/shop/maintenance"}}`
		if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	enough := write("enough.json", `"ssm:GetParameter","ssm:PutParameter"`)
	code, out, errOut := drpilot(t, "run", paramsRunbook, "--sandbox", "--sandbox-policy", enough, "--headless", "--yes", "--audit-dir", runDir(t))
	if code != exitOK {
		t.Fatalf("run under the least privilege it needs: exit %d\n%s%s", code, out, errOut)
	}
	short := write("short.json", `"ssm:GetParameter"`)
	code, out, errOut = drpilot(t, "run", paramsRunbook, "--sandbox", "--sandbox-policy", short, "--headless", "--yes", "--audit-dir", runDir(t))
	if code != exitFailed || !strings.Contains(out+errOut, "AccessDeniedException") || !strings.Contains(out+errOut, "ssm:PutParameter") {
		t.Fatalf("run without ssm:PutParameter: exit %d\n%s%s", code, out, errOut)
	}
}
