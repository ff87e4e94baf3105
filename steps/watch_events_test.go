package steps

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"testing"
)

// translateLog translates a log from testdata/watch: logs a sandbox run of
// runbooks/store-region-failover.toml wrote (drpilot run --sandbox
// --headless, with --yes for succeeded.jsonl, without for paused.jsonl).
func translateLog(t *testing.T, name string) (*LogReader, []Event) {
	t.Helper()
	raw, err := os.ReadFile("testdata/watch/" + name)
	if err != nil {
		t.Fatal(err)
	}
	r := NewLogReader()
	var out []Event
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		evs, err := r.Line(sc.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, evs...)
	}
	return r, out
}

func TestLogReaderSucceededRun(t *testing.T) {
	r, events := translateLog(t, "succeeded.jsonl")
	if r.Start() == nil || r.Start().Mode != "sandbox" {
		t.Fatalf("run.start not read: %+v", r.Start())
	}
	count := map[EventType]int{}
	status := map[string]EventType{}
	for _, e := range events {
		count[e.Type]++
		switch e.Type {
		case EventCallSent:
			if status[e.Step] != EventStepRunning {
				t.Errorf("%s: a request before the step runs (%s)", e.Step, status[e.Step])
			}
		case EventCallDone:
			// The answer carries what the request said: the screen shows
			// the Region with the request id (a webhook has neither).
			if e.Call == nil || e.Call.Input == nil || e.Call.Operation != "webhook:POST" && (e.Call.Region == "" || e.Call.RequestID == "") {
				t.Errorf("%s: call.done without its request: %+v", e.Step, e.Call)
			}
		case EventStepReady, EventStepRunning, EventStepDone:
			status[e.Step] = e.Type
		}
	}
	if count[EventStepDone] != 18 || count[EventStepReady] != 18 || count[EventCallSent] != count[EventCallDone] || count[EventCallSent] == 0 {
		t.Errorf("events: %v", count)
	}
	for step, last := range status {
		if last != EventStepDone {
			t.Errorf("%s ends %s", step, last)
		}
	}
	last := events[len(events)-1]
	if last.Type != EventRunFinished || last.Run.Outcome != OutcomeSucceeded || last.Run.Resumable || r.Ended() != last.Run {
		t.Fatalf("last event %+v", last)
	}
	if last.Run.Elapsed <= 0 || last.Run.RTO == "" || last.Run.Counts["done"] != 18 {
		t.Errorf("summary %+v", last.Run)
	}
}

func TestLogReaderPausedRun(t *testing.T) {
	r, events := translateLog(t, "paused.jsonl")
	last := events[len(events)-1]
	if last.Type != EventRunFinished || last.Run.Outcome != OutcomePaused || !last.Run.Resumable {
		t.Fatalf("last event %+v", last)
	}
	if len(last.Run.Needs) != 1 || last.Run.Needs[0].Kind != NeedApproval || r.Ended() == nil {
		t.Errorf("needs %+v", last.Run.Needs)
	}
	// A resume continues the same log: the run goes on.
	if _, err := r.Line([]byte(`{"v":1,"run":"x","seq":3,"ts":"2026-12-03T12:51:00Z","type":"run.resumed","step":"","actor":"alice","data":{}}`)); err != nil || r.Ended() != nil {
		t.Errorf("run.resumed: %v, ended %+v", err, r.Ended())
	}
}

func TestLogReaderRefusesGarbage(t *testing.T) {
	if _, err := NewLogReader().Line([]byte("{not json")); err == nil {
		t.Fatal("a line that is not JSON was read")
	}
}

// TestLogReaderRetry: a failed step retried by a person runs again as
// its second attempt, once, whether the decision or the request says so.
func TestLogReaderRetry(t *testing.T) {
	r := NewLogReader()
	var running []int
	for _, line := range []string{
		`{"seq":1,"ts":"2026-12-03T12:00:01Z","type":"step.ready","step":"s","actor":"drpilot","data":{"title":"S"}}`,
		`{"seq":2,"ts":"2026-12-03T12:00:02Z","type":"aws.request","step":"s","actor":"drpilot","data":{"call":"s/1","operation":"ssm:PutParameter","region":"eu-west-2","attempt":1}}`,
		`{"seq":3,"ts":"2026-12-03T12:00:03Z","type":"aws.response","step":"s","actor":"aws","data":{"call":"s/1","operation":"ssm:PutParameter","error":"throttled"}}`,
		`{"seq":4,"ts":"2026-12-03T12:00:04Z","type":"step.failed","step":"s","actor":"drpilot","data":{"error":"throttled","attempt":1}}`,
		`{"seq":5,"ts":"2026-12-03T12:00:05Z","type":"decision","step":"s","actor":"kenji","data":{"decision":"retry","reason":"try again"}}`,
		`{"seq":6,"ts":"2026-12-03T12:00:06Z","type":"aws.request","step":"s","actor":"drpilot","data":{"call":"s/2","operation":"ssm:PutParameter","region":"eu-west-2","attempt":2}}`,
	} {
		events, err := r.Line([]byte(line))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range events {
			if e.Type == EventStepRunning {
				running = append(running, e.Attempt)
			}
			if e.Type == EventCallDone && (e.Call.Region != "eu-west-2" || e.Error != "throttled") {
				t.Errorf("the failed call: %+v", e.Call)
			}
		}
	}
	if fmt.Sprint(running) != "[1 2]" {
		t.Errorf("running attempts %v, want [1 2]", running)
	}
}
