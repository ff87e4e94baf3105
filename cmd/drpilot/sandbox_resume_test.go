package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/drpilot/drpilot/audit"
	"github.com/drpilot/drpilot/sandbox"
	"github.com/drpilot/drpilot/steps/awsclient"
)

// A --sandbox run of a shipped runbook, in its own drpilot process, is
// stopped at a mutating step by SIGINT or SIGKILL and resumed: its
// sandbox is rebuilt from the recording in its run directory, and the run
// completes against it. Where it stops is made certain, whatever the
// machine's speed, with a latency fault posted at run time to the
// sandbox's endpoint: the step's request is in flight for that long.

const backupRestoreRunbook = "../../runbooks/backup-restore-rapid-recovery.toml"

// sandboxProcess is drpilot run --sandbox running in a process.
type sandboxProcess struct {
	dir, endpoint string
	cmd           *exec.Cmd
	mu            sync.Mutex
	out           bytes.Buffer
	exited        chan error
}

// output is what the process printed so far.
func (p *sandboxProcess) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// sandboxProcessEnv keeps the user's signing key out of the test: the run
// and its resume sign with a throwaway key kept in the run directory.
func sandboxProcessEnv(t *testing.T) []string {
	return append(os.Environ(), "DRPILOT_KEY="+filepath.Join(t.TempDir(), "no-key.pem"))
}

// startSandboxProcess starts a headless sandbox run of a runbook and waits
// until it prints its sandbox's endpoint. At time scale 300 the run takes
// seconds, and the scenario's recovery points, 13 and 15 simulated
// minutes old at the start, stay within the 2 h RPO for 21 real seconds:
// the restores start long before.
func startSandboxProcess(t *testing.T, runbook string) *sandboxProcess {
	t.Helper()
	p := &sandboxProcess{dir: filepath.Join(t.TempDir(), "run"), exited: make(chan error, 1)}
	p.cmd = exec.Command(drpilotBinary(t), "run", runbook, "--sandbox", "--headless", "--yes", "--time-scale", "300", "--audit-dir", p.dir)
	p.cmd.Env = sandboxProcessEnv(t)
	pr, pw := io.Pipe()
	p.cmd.Stdout, p.cmd.Stderr = pw, pw
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			p.mu.Lock()
			p.out.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			if ep, ok := strings.CutPrefix(sc.Text(), "sandbox http://"); ok {
				found <- "http://" + strings.Fields(ep)[0]
			}
		}
	}()
	go func() {
		err := p.cmd.Wait()
		pw.Close()
		p.exited <- err
	}()
	select {
	case p.endpoint = <-found:
	case err := <-p.exited:
		t.Fatalf("the run ended before it served its sandbox: %v\n%s", err, p.output())
	}
	return p
}

// fault posts a fault to the run's sandbox, as a game day's operator does.
func (p *sandboxProcess) fault(t *testing.T, fault string) {
	t.Helper()
	resp, err := http.Post(p.endpoint+"/_sandbox/faults", "application/json", strings.NewReader(fault))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /_sandbox/faults %s: %v %v", fault, resp, err)
	}
	resp.Body.Close()
}

// stopAt sends sig as soon as the log's last line is step's request,
// which is then in flight, and waits for the process to end.
func (p *sandboxProcess) stopAt(t *testing.T, sig syscall.Signal, step string) {
	t.Helper()
	want := `"type":"aws.request","step":"` + step + `"`
	for {
		select {
		case err := <-p.exited:
			t.Fatalf("the run ended (%v) before %s sent its request:\n%s", err, step, p.output())
		default:
		}
		data, _ := os.ReadFile(filepath.Join(p.dir, audit.EventsFile))
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		if strings.Contains(lines[len(lines)-1], want) {
			break
		}
		pollPause()
	}
	p.cmd.Process.Signal(sig)
	<-p.exited
}

// resumeProcess runs drpilot resume DIR --headless --yes to the end.
func resumeProcess(t *testing.T, dir string) string {
	t.Helper()
	cmd := exec.Command(drpilotBinary(t), "resume", dir, "--headless", "--yes")
	cmd.Env = sandboxProcessEnv(t)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("resume: %v\n%s", err, out)
	}
	return string(out)
}

// logEvent is what the checks read of an audit log's line.
type logEvent struct {
	Seq  int64  `json:"seq"`
	Type string `json:"type"`
	Step string `json:"step"`
	Data struct {
		Call      string         `json:"call"`
		Operation string         `json:"operation"`
		RequestID string         `json:"request_id"`
		Error     string         `json:"error"`
		Outputs   map[string]any `json:"outputs"`
	} `json:"data"`
}

func readLog(t *testing.T, dir string) []logEvent {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, audit.EventsFile))
	if err != nil {
		t.Fatal(err)
	}
	var events []logEvent
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var ev logEvent
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatal(err)
		}
		events = append(events, ev)
	}
	return events
}

// checkAppliedOnce pairs the sandbox's recording with the log: every
// request the log shows answered was applied once, and the sandbox applied
// nothing else but, at most, the calls a stop left unanswered (which the
// resumed steps reconciled). The restores and the attachment, which would
// make a second resource, were made once.
func checkAppliedOnce(t *testing.T, dir string, events []logEvent) *sandbox.Recording {
	t.Helper()
	rec, err := sandbox.ReadRecording(filepath.Join(dir, sandboxRecordingDir))
	if err != nil {
		t.Fatal(err)
	}
	applied, ops := map[string]bool{}, map[string]int{}
	for _, r := range rec.Records {
		if r.Kind == sandbox.KindRequest {
			applied[r.RequestID] = true
			ops[r.Service+":"+r.Operation]++
		}
	}
	answered, unanswered := map[string]bool{}, map[string]bool{}
	for _, ev := range events {
		switch {
		case ev.Type == audit.TypeAWSRequest:
			unanswered[ev.Data.Call] = true
		case ev.Type == audit.TypeAWSResponse:
			delete(unanswered, ev.Data.Call)
			if ev.Data.RequestID != "" && ev.Data.Error == "" {
				answered[ev.Data.RequestID] = true
			}
		}
	}
	for id := range answered {
		if !applied[id] {
			t.Errorf("request %s is answered in the log and missing from the recording", id)
		}
	}
	if extra := len(applied) - len(answered); extra < 0 || extra > len(unanswered) {
		t.Errorf("the sandbox applied %d requests, the log answered %d and left %d unanswered", len(applied), len(answered), len(unanswered))
	}
	for op, want := range map[string]int{"backup:StartRestoreJob": 2, "ec2:AttachVolume": 1, "autoscaling:UpdateAutoScalingGroup": 1} {
		if ops[op] != want {
			t.Errorf("the sandbox applied %s %d times, want %d", op, ops[op], want)
		}
	}
	return rec
}

// outputsOf returns each step's outputs, as the log's step.done says.
func outputsOf(events []logEvent) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, ev := range events {
		if ev.Type == audit.TypeStepDone {
			out[ev.Step] = ev.Data.Outputs
		}
	}
	return out
}

// pollPause is the pause between two looks at a condition.
func pollPause() { time.Sleep(2 * time.Millisecond) }

// checkRecoveredState rebuilds the sandbox from the finished run's
// recording, as resume does, and reads through the SDK what the log's
// outputs name: the restored database and volume, the app server they are
// attached to, the parameter pointing at the database and the DNS change.
func checkRecoveredState(t *testing.T, rec *sandbox.Recording, events []logEvent) {
	t.Helper()
	sb, _, err := rec.Rebuild()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb)
	defer srv.Close()
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion("eu-central-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")),
		config.WithSharedConfigFiles([]string{}), config.WithSharedCredentialsFiles([]string{}), config.WithBaseEndpoint(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	clients, _ := awsclient.NewFactory(awsclient.Options{Config: cfg})
	read := func(service, region, op string, input map[string]any) map[string]any {
		t.Helper()
		resp, err := clients.Invoke(context.Background(), service, region, op, input)
		if err != nil {
			t.Fatalf("%s:%s: %v", service, op, err)
		}
		return resp.Output
	}
	out := outputsOf(events)
	dbs := read("rds", "eu-central-1", "DescribeDBInstances", map[string]any{"DBInstanceIdentifier": "docstore-db-dr"})
	db := dbs["DBInstances"].([]any)[0].(map[string]any)
	if db["DBInstanceArn"] != out["restore-database"]["db_arn"] || db["DBInstanceStatus"] != "available" {
		t.Errorf("restored database %v %v, the log says %v", db["DBInstanceArn"], db["DBInstanceStatus"], out["restore-database"])
	}
	volumeID, _ := out["find-restored-volume"]["volume_id"].(string)
	if arn, _ := out["restore-data-volume"]["volume_arn"].(string); volumeID == "" || !strings.HasSuffix(arn, "/"+volumeID) {
		t.Errorf("the restore made %s, and the run found %q", arn, volumeID)
	}
	vols := read("ec2", "eu-central-1", "DescribeVolumes", map[string]any{"VolumeIds": []any{volumeID}})
	vol := vols["Volumes"].([]any)[0].(map[string]any)
	attached := vol["Attachments"].([]any)[0].(map[string]any)
	if vol["State"] != "in-use" || attached["InstanceId"] != out["start-app-server"]["instance_id"] {
		t.Errorf("volume %s is %v, attached to %v; the app server is %v", volumeID, vol["State"], attached["InstanceId"], out["start-app-server"])
	}
	param := read("ssm", "eu-central-1", "GetParameter", map[string]any{"Name": "/docstore/db-endpoint"})
	if value := param["Parameter"].(map[string]any)["Value"]; value != out["db-available"]["endpoint"] {
		t.Errorf("/docstore/db-endpoint is %v, the restored database's endpoint %v", value, out["db-available"])
	}
	change := read("route53", "us-east-1", "GetChange", map[string]any{"Id": out["switch-dns"]["change"]})
	if status := change["ChangeInfo"].(map[string]any)["Status"]; status != "INSYNC" {
		t.Errorf("the DNS change %v is %v", out["switch-dns"]["change"], status)
	}
}

// checkResumedRun checks a resumed run's end: it succeeded, its log
// verifies, nothing was applied twice, and the sandbox holds what the log
// says the run made.
func checkResumedRun(t *testing.T, dir, resumed string) {
	t.Helper()
	for _, want := range []string{"sandbox rebuilt from its recording (" + filepath.Join(dir, "sandbox") + ")", "SUCCEEDED", "17 done"} {
		if !strings.Contains(resumed, want) {
			t.Errorf("the resumed run's output lacks %q:\n%s", want, resumed)
		}
	}
	code, out, errOut := drpilot(t, "audit", "verify", dir, "--pub", filepath.Join(dir, audit.PubFile))
	if code != exitOK || !strings.HasPrefix(out, "VALID") {
		t.Errorf("audit verify: exit %d\n%s%s", code, out, errOut)
	}
	events := readLog(t, dir)
	rec := checkAppliedOnce(t, dir, events)
	checkRecoveredState(t, rec, events)
}

// TestSandboxRunResumesAfterSIGINT: interrupted while switch-dns's DNS
// change is in flight, the run answers and logs it, pauses, and says how
// to resume; resumed, it rebuilds its sandbox and completes.
func TestSandboxRunResumesAfterSIGINT(t *testing.T) {
	if testing.Short() {
		t.Skip("runs and interrupts drpilot processes")
	}
	t.Parallel()
	p := startSandboxProcess(t, backupRestoreRunbook)
	p.fault(t, `{"latency": {"service": "route53", "ms": 150}}`)
	p.stopAt(t, syscall.SIGINT, "switch-dns")
	out := p.output()
	for _, want := range []string{"PAUSED", "  interrupted: ", "the sandbox's changes are recorded in " + filepath.Join(p.dir, "sandbox"),
		"resume: drpilot resume " + p.dir} {
		if !strings.Contains(out, want) {
			t.Errorf("the interrupted run's output lacks %q:\n%s", want, out)
		}
	}
	if code, out, _ := drpilot(t, "audit", "verify", p.dir, "--pub", filepath.Join(p.dir, audit.PubFile)); code != exitFailed || !strings.Contains(out, "paused") {
		t.Errorf("the paused run's log: exit %d %s", code, out)
	}
	checkResumedRun(t, p.dir, resumeProcess(t, p.dir))
}

// TestSandboxRunResumesAfterKill: killed with SIGKILL while
// point-app-at-db's request is in flight, the run leaves its log and its
// recording as they were; resume refuses a recording that lost a change,
// and with the recording whole, rebuilds the sandbox and completes.
func TestSandboxRunResumesAfterKill(t *testing.T) {
	if testing.Short() {
		t.Skip("runs and kills drpilot processes")
	}
	t.Parallel()
	p := startSandboxProcess(t, backupRestoreRunbook)
	p.fault(t, `{"latency": {"region": "eu-central-1", "service": "ssm", "ms": 500}}`)
	p.stopAt(t, syscall.SIGKILL, "point-app-at-db")
	checkResumeRefusals(t, p.dir)
	checkResumedRun(t, p.dir, resumeProcess(t, p.dir))
}

// copyRun copies a run directory, to damage the copy.
func copyRun(t *testing.T, dir string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "run")
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o700)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// checkResumeRefusals damages copies of a stopped sandbox run and checks
// that resume refuses each with exit 2, saying what is wrong and what to
// do, instead of rebuilding a sandbox the run did not have.
func checkResumeRefusals(t *testing.T, dir string) {
	t.Helper()
	recording := filepath.Join(sandboxRecordingDir, sandbox.RecordingFile)
	answered := map[string]bool{}
	for _, ev := range readLog(t, dir) {
		if ev.Type == audit.TypeAWSResponse && ev.Data.Error == "" {
			answered[ev.Data.RequestID] = true
		}
	}
	for _, tc := range []struct {
		name   string
		damage func(copy string)
		args   []string
		want   string
	}{
		{"no recording", func(c string) { os.Remove(filepath.Join(c, recording)) }, nil, "cannot read the recording"},
		{"an edited scenario", func(c string) { appendTo(t, filepath.Join(c, sandboxRecordingDir, sandbox.ScenarioCopy), "# edited\n") },
			nil, "the scenario changed since the run began"},
		{"a corrupt line", func(c string) { insertRecord(t, filepath.Join(c, recording), "{not json") }, nil, ":2: not a record"},
		{"a lost change", func(c string) { dropAnswered(t, filepath.Join(c, recording), answered) }, nil, "the recording is incomplete"},
		{"--profile", func(string) {}, []string{"--profile", "prod"}, "--profile applies to live and --dry-run runs"},
	} {
		c := copyRun(t, dir)
		tc.damage(c)
		cmd := exec.Command(drpilotBinary(t), append([]string{"resume", c, "--headless", "--yes"}, tc.args...)...)
		cmd.Env = sandboxProcessEnv(t)
		out, _ := cmd.CombinedOutput()
		if code := cmd.ProcessState.ExitCode(); code != exitBadInput || !strings.Contains(string(out), tc.want) {
			t.Errorf("%s: exit %d, want 2 and %q:\n%s", tc.name, code, tc.want, out)
		}
		if tc.name != "--profile" && !strings.Contains(string(out), "drpilot abort "+c) {
			t.Errorf("%s: the refusal does not say how to end the run:\n%s", tc.name, out)
		}
	}
}

func appendTo(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(text)
	f.Close()
}

// insertRecord puts a line right after the recording's header.
func insertRecord(t *testing.T, path, line string) {
	t.Helper()
	data, _ := os.ReadFile(path)
	header, rest, _ := strings.Cut(string(data), "\n")
	if err := os.WriteFile(path, []byte(header+"\n"+line+"\n"+rest), 0o600); err != nil {
		t.Fatal(err)
	}
}

// dropAnswered removes the last recorded request that the log shows
// answered, as a recording whose disk failed would lack it.
func dropAnswered(t *testing.T, path string, answered map[string]bool) {
	t.Helper()
	data, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	for i := len(lines) - 1; i > 0; i-- {
		var r sandbox.Record
		if json.Unmarshal([]byte(lines[i]), &r) == nil && r.Kind == sandbox.KindRequest && answered[r.RequestID] {
			lines = append(lines[:i], lines[i+1:]...)
			os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600)
			return
		}
	}
	t.Fatal("no recorded request is answered in the log")
}
