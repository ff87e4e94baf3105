package sandbox

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// replayScenario is a small scenario: one parameter, made a day before the
// start, so that a recording has a scenario to copy and check.
const replayScenario = `
start = 2026-03-01T12:00:00Z
time_scale = 60

[[create]]
service   = "ssm"
region    = "eu-west-2"
operation = "PutParameter"
input     = { Name = "/app/mode", Value = "normal", Type = "String" }
`

// recordedParameterRun records one PutParameter against the small scenario
// and returns the recording's directory.
func recordedParameterRun(t *testing.T) string {
	t.Helper()
	sb := replaySandbox(t)
	dir := filepath.Join(t.TempDir(), "sandbox")
	rec, err := sb.StartRecording(dir, RecordOptions{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb)
	defer srv.Close()
	putParameter(t, srv.URL, "read-only")
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// replaySandbox is a sandbox made from the small scenario, to record.
func replaySandbox(t *testing.T) *Sandbox {
	t.Helper()
	return sandboxOf(t, "replay.toml", replayScenario)
}

// sandboxOf is a sandbox made from scenario source, as file.
func sandboxOf(t *testing.T, file, src string) *Sandbox {
	t.Helper()
	sc, err := ParseScenario(file, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	sb, err := NewFromScenario(sc, 0)
	if err != nil {
		t.Fatal(err)
	}
	return sb
}

func putParameter(t *testing.T, url, value string) {
	t.Helper()
	_, err := ssm.NewFromConfig(awsConfig(t, url, "eu-west-2")).PutParameter(ctx(t), &ssm.PutParameterInput{
		Name: aws.String("/app/mode"), Value: aws.String(value), Type: ssmtypes.ParameterTypeString, Overwrite: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
}

// parameterIn reads /app/mode from a sandbox, as a client would.
func parameterIn(t *testing.T, sb *Sandbox) (string, int64, error) {
	t.Helper()
	srv := httptest.NewServer(sb)
	defer srv.Close()
	out, err := ssm.NewFromConfig(awsConfig(t, srv.URL, "eu-west-2")).GetParameter(ctx(t), &ssm.GetParameterInput{Name: aws.String("/app/mode")})
	if err != nil {
		return "", 0, err
	}
	return aws.ToString(out.Parameter.Value), out.Parameter.Version, nil
}

func rebuild(t *testing.T, dir string) (*Sandbox, *Restored) {
	t.Helper()
	rec, err := ReadRecording(dir)
	if err != nil {
		t.Fatal(err)
	}
	sb, restored, err := rec.Rebuild()
	if err != nil {
		t.Fatal(err)
	}
	return sb, restored
}

// TestReplayMeetsNoFault: a fault in effect at a replayed request's moment
// (here an outage and full throttling, which would have refused it) does
// not refuse it: it succeeded when it was served. The faults themselves
// are replayed, and the rebuilt sandbox answers with them.
func TestReplayMeetsNoFault(t *testing.T) {
	t.Parallel()
	dir := recordedParameterRun(t)
	path := filepath.Join(dir, RecordingFile)
	data, _ := os.ReadFile(path)
	header, rest, _ := strings.Cut(string(data), "\n")
	faults := `{"kind":"fault","sim_time":"2026-03-01T12:00:00Z","fault":{"outage":{"region":"eu-west-2"}}}` + "\n" +
		`{"kind":"fault","sim_time":"2026-03-01T12:00:00Z","fault":{"throttle":{"service":"ssm","rate":1}}}` + "\n"
	if err := os.WriteFile(path, []byte(header+"\n"+faults+rest), 0o600); err != nil {
		t.Fatal(err)
	}
	sb, restored := rebuild(t, dir)
	if restored.Requests != 1 || restored.Faults != 2 {
		t.Fatalf("replayed %d requests and %d faults, want 1 and 2", restored.Requests, restored.Faults)
	}
	if _, _, err := parameterIn(t, sb); err == nil || !strings.Contains(err.Error(), "ServiceUnavailable") {
		t.Fatalf("the outage was not replayed: %v", err)
	}
	sb.mu.Lock()
	value := existingState[ssmRegion](sb, "ssm", "eu-west-2").params["/app/mode"].versions
	sb.mu.Unlock()
	if len(value) != 2 || value[1].Value != "read-only" {
		t.Fatalf("the parameter's versions after the replay: %+v", value)
	}
}

// TestContinueRecording: a rebuilt sandbox carries its recording on, after
// cutting a torn last line; its request ids do not repeat the first
// process's, and a second rebuild has both processes' changes.
func TestContinueRecording(t *testing.T) {
	t.Parallel()
	dir := recordedParameterRun(t)
	path := filepath.Join(dir, RecordingFile)
	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(`{"kind":"request","sim_time":"2026-03-01T12:0`) // the machine stopped here
	f.Close()
	sb, restored := rebuild(t, dir)
	if restored.Recording.TornBytes == 0 || restored.Generation != 0 {
		t.Fatalf("torn %d bytes, generation %d", restored.Recording.TornBytes, restored.Generation)
	}
	started := restored.Clock
	rec, err := sb.ContinueRecording(restored, RecordOptions{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb)
	putParameter(t, srv.URL, "normal")
	srv.Close()
	rec.Close()
	again, restored := rebuild(t, dir)
	if restored.Requests != 2 || restored.Generation != 1 || restored.Recording.TornBytes != 0 || restored.Clock.Before(started) {
		t.Fatalf("second rebuild: %d requests, generation %d, torn %d, clock %s (first at %s)",
			restored.Requests, restored.Generation, restored.Recording.TornBytes, restored.Clock, started)
	}
	if value, version, err := parameterIn(t, again); err != nil || value != "normal" || version != 3 {
		t.Fatalf("after two processes: %s version %d, %v", value, version, err)
	}
	data, _ := os.ReadFile(path)
	if n := strings.Count(string(data), `-000100000001"`); n != 1 {
		t.Errorf("the rebuilt sandbox's first request id is not in its own range (%d found):\n%s", n, data)
	}
}

// TestRecordingRefusals: what cannot be rebuilt is an error that says
// where and what, never a rebuild of something else.
func TestRecordingRefusals(t *testing.T) {
	t.Parallel()
	header := `{"kind":"sandbox","format":1,"account":"123456789012","time_scale":60,"start":"2026-03-01T12:00:00Z"}` + "\n"
	for _, tc := range []struct{ name, data, want string }{
		{"empty", "", "no header line"},
		{"not a header", "{}\n", `kind is ""`},
		{"newer", strings.Replace(header, `"format":1`, `"format":3`, 1), "newer drpilot"},
		{"bad scale", strings.Replace(header, `60`, `0`, 1), "time_scale 0"},
		{"corrupt line", header + "{\"kind\":\n" + `{"kind":"clock","sim_time":"2026-03-01T12:00:00Z"}` + "\n", "x.jsonl:2: not a record"},
		{"unknown kind", header + `{"kind":"teleport","sim_time":"2026-03-01T12:00:00Z"}` + "\n", `unknown kind "teleport"`},
		{"request without id", header + `{"kind":"request","sim_time":"2026-03-01T12:00:00Z","service":"ssm","operation":"PutParameter","region":"eu-west-2"}` + "\n", "request_id"},
		{"two values", header + `{"kind":"clock","sim_time":"2026-03-01T12:00:00Z"} {}` + "\n", "more than one"},
	} {
		if _, err := ParseRecording("x.jsonl", []byte(tc.data)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error with %q", tc.name, err, tc.want)
		}
	}
	rec, err := ParseRecording("x.jsonl", []byte(header+`{"kind":"request","sim_time":"2026-03-01T12:00:00Z","service":"ssm","operation":"GetParameter","region":"eu-west-2","request_id":"r1","input":{}}`+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := rec.Rebuild(); err == nil || !strings.Contains(err.Error(), ":2: ssm GetParameter") {
		t.Errorf("a read-only operation replayed: %v", err)
	}
	dir := recordedParameterRun(t)
	sc, _ := ParseScenario("other.toml", []byte(replayScenario+"\n# another\n"))
	other, _ := NewFromScenario(sc, 0)
	if _, err := other.StartRecording(dir, RecordOptions{}); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("a second recording in the same directory: %v", err)
	}
	if _, err := ReadRecording(dir); err != nil {
		t.Errorf("the first recording after a second was refused: %v", err)
	}
	os.WriteFile(filepath.Join(dir, ScenarioCopy), []byte(replayScenario+"\n# edited\n"), 0o600)
	if _, err := ReadRecording(dir); err == nil || !strings.Contains(err.Error(), "the scenario changed since the run began") {
		t.Errorf("an edited scenario copy: %v", err)
	}
	if _, err := ReadRecording(t.TempDir()); err == nil || !strings.Contains(err.Error(), "cannot read the recording") {
		t.Errorf("no recording: %v", err)
	}
	sb := New(Options{Start: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)})
	srv := httptest.NewServer(sb)
	defer srv.Close()
	putParameter(t, srv.URL, "changed")
	if _, err := sb.StartRecording(t.TempDir(), RecordOptions{}); err == nil || !strings.Contains(err.Error(), "served 1 change(s) already") {
		t.Errorf("a recording started after a change: %v", err)
	}
}
