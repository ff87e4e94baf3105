package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/drpilot/drpilot/audit"
	"github.com/drpilot/drpilot/sandbox"
	"github.com/drpilot/drpilot/steps/awsclient"
)

// The crash test kills a real drpilot process with SIGKILL at many points
// of a run (between two events, and between a mutating request and its
// answer), resumes the run, and checks that it completes, that nothing was
// done twice, and that the log verifies. The run is live against a
// sandbox served by the test, which outlives the killed process as AWS
// does; sandbox_resume_test.go kills --sandbox runs, whose sandbox is
// rebuilt from its recording.

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// drpilotBinary builds the command once for the tests that need a process.
func drpilotBinary(t *testing.T) string { return drpilotBinaryFor(t) }

// drpilotBinaryFor builds the command once, for tests and benchmarks.
func drpilotBinaryFor(t testing.TB) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "drpilot-bin")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "drpilot")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// crashFixture is one live run's world: a sandbox, a runbook directory
// with a trusted key, and the environment that points drpilot at them.
type crashFixture struct {
	sb       *sandbox.Sandbox
	runbook  string
	dir      string
	pub      ed25519.PublicKey
	env      []string
	endpoint string
}

func newCrashFixture(t *testing.T) *crashFixture {
	t.Helper()
	sc, err := sandbox.LoadScenario("testdata/run/scenarios/crash.toml")
	if err != nil {
		t.Fatal(err)
	}
	sb, err := sandbox.NewFromScenario(sc, 0)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	books := t.TempDir()
	src, _ := os.ReadFile("testdata/run/crash.toml")
	os.WriteFile(filepath.Join(books, "crash.toml"), src, 0o644)
	os.Mkdir(filepath.Join(books, "keys"), 0o755)
	key, _ := audit.GenerateKey()
	keyPath := filepath.Join(t.TempDir(), "key.pem")
	if err := audit.WriteKey(keyPath, key); err != nil {
		t.Fatal(err)
	}
	pubPEM, _ := os.ReadFile(keyPath + ".pub")
	os.WriteFile(filepath.Join(books, "keys", "oncall.pub"), pubPEM, 0o644)
	env := append(os.Environ(), "AWS_ENDPOINT_URL="+srv.URL, "AWS_ACCESS_KEY_ID=AKIDTEST", "AWS_SECRET_ACCESS_KEY=secret",
		"AWS_CONFIG_FILE=/nonexistent", "AWS_SHARED_CREDENTIALS_FILE=/nonexistent", "AWS_PROFILE=", "DRPILOT_KEY="+keyPath)
	return &crashFixture{sb: sb, runbook: filepath.Join(books, "crash.toml"), dir: filepath.Join(t.TempDir(), "run"),
		pub: key.Public().(ed25519.PublicKey), env: env, endpoint: srv.URL}
}

// killWhen runs drpilot run and kills it with SIGKILL as soon as the log
// satisfies cond. It reports whether the kill came before the run ended.
func (f *crashFixture) killWhen(t *testing.T, cond func(lines []string) bool) bool {
	t.Helper()
	cmd := exec.Command(drpilotBinary(t), "run", f.runbook, "--headless", "--yes", "--audit-dir", f.dir)
	cmd.Env = f.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-exited:
			if err != nil {
				t.Fatalf("the run failed before the kill: %v\n%s", err, out.String())
			}
			return false
		case <-tick.C:
			data, _ := os.ReadFile(filepath.Join(f.dir, audit.EventsFile))
			if cond(strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")) {
				cmd.Process.Kill()
				<-exited
				return true
			}
		}
	}
}

// resume runs drpilot resume to the end.
func (f *crashFixture) resume(t *testing.T) string {
	t.Helper()
	cmd := exec.Command(drpilotBinary(t), "resume", f.dir, "--headless", "--yes")
	cmd.Env = f.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("resume: %v\n%s", err, out)
	}
	return string(out)
}

// checkOutcome asserts the run completed once, with one restored volume,
// and a VALID log.
func (f *crashFixture) checkOutcome(t *testing.T) {
	t.Helper()
	rep, err := audit.Verify(f.dir, f.pub)
	if err != nil || rep.Verdict != audit.Valid {
		t.Fatalf("audit log: %v %+v", err, rep)
	}
	data, _ := os.ReadFile(filepath.Join(f.dir, audit.EventsFile))
	log := string(data)
	for _, step := range []string{"freeze", "restore-volume", "record-volume", "unfreeze"} {
		if n := strings.Count(log, `"type":"step.done","step":"`+step+`"`); n != 1 {
			t.Errorf("step %s is done %d times in the log", step, n)
		}
	}
	if !strings.Contains(log, `"type":"run.resumed"`) {
		t.Error("the log has no run.resumed")
	}
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion("eu-west-2"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")),
		config.WithSharedConfigFiles([]string{}), config.WithSharedCredentialsFiles([]string{}),
		config.WithBaseEndpoint(f.endpoint))
	if err != nil {
		t.Fatal(err)
	}
	clients, _ := awsclient.NewFactory(awsclient.Options{Config: cfg})
	resp, err := clients.Invoke(context.Background(), "ec2", "eu-west-2", "DescribeVolumes", nil)
	if err != nil {
		t.Fatal(err)
	}
	volumes := 0
	list, _ := resp.Output["Volumes"].([]any)
	for _, v := range list {
		if v.(map[string]any)["SnapshotId"] == "snap-0c0000000000000a1" {
			volumes++
		}
	}
	if volumes != 1 {
		t.Errorf("%d volumes were restored from the snapshot, want 1", volumes)
	}
}

func TestCrashAndResume(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills drpilot processes")
	}
	t.Parallel()
	lineOf := func(n int) func([]string) bool {
		return func(lines []string) bool { return len(lines) >= n }
	}
	inFlight := func(nth int) func([]string) bool {
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
	points := map[string]func([]string) bool{}
	for _, n := range []int{2, 4, 7, 10, 13, 16, 19} {
		points[fmt.Sprintf("after line %d", n)] = lineOf(n)
	}
	for nth := 1; nth <= 4; nth++ {
		points[fmt.Sprintf("request %d in flight", nth)] = inFlight(nth)
	}
	for name, cond := range points {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newCrashFixture(t)
			if !f.killWhen(t, cond) {
				t.Skip("the run ended before this point")
			}
			f.resume(t)
			f.checkOutcome(t)
		})
	}
}
