package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drpilot/drpilot/audit"
	"github.com/drpilot/drpilot/sandbox"
)

// crashRightAfter turns the fixture's finished run into the log a crash
// right after line seq was written would have left: the lines up to it,
// and only the checkpoints written before it (not its own). Every line was synced when written, so
// this is exactly what was on disk at that instant; AWS, as ever, keeps
// what was done after it.
func crashRightAfter(t *testing.T, dir string, seq int) {
	t.Helper()
	path := filepath.Join(dir, audit.EventsFile)
	data, _ := os.ReadFile(path)
	lines := strings.SplitAfter(string(data), "\n")
	os.WriteFile(path, []byte(strings.Join(lines[:seq+1], "")), 0o600)
	notes, _ := filepath.Glob(filepath.Join(dir, audit.CheckpointsDir, "*.note"))
	for _, n := range notes {
		var covered int
		if _, err := fmt.Sscanf(filepath.Base(n), "%d.note", &covered); err == nil && covered > seq {
			os.Remove(n)
		}
	}
	cpPath := filepath.Join(dir, audit.CheckpointsFile)
	cps, _ := os.ReadFile(cpPath)
	var kept []string
	for _, line := range strings.SplitAfter(string(cps), "\n") {
		var cp struct{ N int }
		if json.Unmarshal([]byte(line), &cp) == nil && cp.N <= seq {
			kept = append(kept, line)
		}
	}
	os.WriteFile(cpPath, []byte(strings.Join(kept, "")), 0o600)
}

// freshWorld points the fixture at a new sandbox in the scenario's state.
func (f *crashFixture) freshWorld(t *testing.T) {
	t.Helper()
	sc, err := sandbox.LoadScenario("testdata/run/scenarios/crash.toml")
	if err != nil {
		t.Fatal(err)
	}
	if f.sb, err = sandbox.NewFromScenario(sc, 0); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(f.sb)
	t.Cleanup(srv.Close)
	for i, kv := range f.env {
		if strings.HasPrefix(kv, "AWS_ENDPOINT_URL=") {
			f.env[i] = "AWS_ENDPOINT_URL=" + srv.URL
		}
	}
	f.endpoint = srv.URL
}

// launderActor edits who made the decision at seq and recomputes the
// chain, as anyone who can write the file can while it is unsigned.
func launderActor(t *testing.T, dir string, seq int, actor string) {
	t.Helper()
	path := filepath.Join(dir, audit.EventsFile)
	data, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	var out bytes.Buffer
	prev := strings.Repeat("0", 64)
	for i, l := range lines {
		var ev audit.Event
		if err := json.Unmarshal([]byte(l), &ev); err != nil {
			t.Fatal(err)
		}
		if i == seq {
			ev.Actor = actor
		}
		ev.Prev = prev
		b, _ := json.Marshal(ev)
		out.Write(append(b, '\n'))
		sum := sha256.Sum256(b)
		prev = hex.EncodeToString(sum[:])
	}
	os.WriteFile(path, out.Bytes(), 0o600)
}

// TestResumeAsksBeforeAdoptingUnsignedDecisions: an approval left after
// the last signature by a crash, then edited (the approver changed, the
// chain recomputed), is shown to the operator before anything happens; a
// resume that nobody can ask refuses and changes nothing, and one told to
// adopt it records exactly which lines it adopted, so that verify and the
// exported record flag the approval instead of passing it off as signed.
func TestResumeAsksBeforeAdoptingUnsignedDecisions(t *testing.T) {
	if testing.Short() {
		t.Skip("runs drpilot processes")
	}
	t.Parallel()
	f := newCrashFixture(t)
	src, _ := os.ReadFile(f.runbook)
	// The first step needs an approval: --yes gives it, as a decision.
	gated := strings.Replace(string(src), `action = "ssm.put-parameter"`+"\n"+`confirm = "none"`, `action = "ssm.put-parameter"`+"\n"+`confirm = "yes"`, 1)
	if gated == string(src) {
		t.Fatal("the crash runbook no longer has the restore step this test gates")
	}
	os.WriteFile(f.runbook, []byte(gated), 0o644)
	if f.killWhen(t, func([]string) bool { return false }) {
		t.Fatal("the run was killed")
	}
	approval := -1
	for i, ev := range auditEvents(t, f.dir) {
		if ev.Type == audit.TypeDecision && ev.Step == "freeze" {
			approval = i
		}
	}
	if approval < 0 {
		t.Fatal("the run recorded no approval of freeze")
	}
	crashRightAfter(t, f.dir, approval)
	f.freshWorld(t) // AWS as it was when the approval was written: untouched
	launderActor(t, f.dir, approval, "mallory")
	before, _ := os.ReadFile(filepath.Join(f.dir, audit.EventsFile))
	signedBefore, _ := os.ReadFile(filepath.Join(f.dir, audit.CheckpointsFile))

	cmd := exec.Command(drpilotBinary(t), "resume", f.dir, "--headless", "--yes")
	cmd.Env = f.env
	out, _ := cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); code != exitBadInput || !strings.Contains(string(out), "approve by mallory") || !strings.Contains(string(out), "--adopt-unsigned") {
		t.Fatalf("resume without --adopt-unsigned: exit %d\n%s", code, out)
	}
	after, _ := os.ReadFile(filepath.Join(f.dir, audit.EventsFile))
	signedAfter, _ := os.ReadFile(filepath.Join(f.dir, audit.CheckpointsFile))
	if !bytes.Equal(before, after) || !bytes.Equal(signedBefore, signedAfter) {
		t.Fatalf("the refused resume changed the log or signed it: checkpoints %s, then %s", signedBefore, signedAfter)
	}

	checkAbortFlagsTheTail(t, copyRun(t, f.dir), f, approval)

	cmd = exec.Command(drpilotBinary(t), "resume", f.dir, "--headless", "--yes", "--adopt-unsigned")
	cmd.Env = f.env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("resume --adopt-unsigned: %v\n%s", err, out)
	}
	f.checkOutcome(t)
	rep, _ := audit.Verify(f.dir, f.pub)
	if len(rep.Adopted) != 1 || len(rep.Adopted[0].Decisions) != 1 || rep.Adopted[0].Decisions[0] != int64(approval) {
		t.Fatalf("verify does not flag the adopted approval: %+v", rep.Adopted)
	}
	for _, ev := range auditEvents(t, f.dir) {
		if ev.Type == audit.TypeRunResumed {
			var data map[string]map[string]any
			json.Unmarshal(ev.Data, &data)
			if adopted := data[audit.AdoptedKey]; adopted["confirmed_via"] != "--adopt-unsigned" || adopted["decisions_confirmed_by"] == "" {
				t.Errorf("run.resumed does not say who vouched for the unsigned decision: %v", ev.Data)
			}
		}
	}
	code, md, _ := drpilot(t, "audit", "export", f.dir)
	if code != 1 || !strings.Contains(md, "mallory") || !strings.Contains(md, "**unsigned** until adopted") {
		t.Errorf("export (exit %d) does not flag the adopted approval:\n%s", code, md)
	}
}

// checkAbortFlagsTheTail: abort acts on nothing, so it does not ask, but
// it seals the unsigned lines, and says which they were, as resume does.
func checkAbortFlagsTheTail(t *testing.T, dir string, f *crashFixture, approval int) {
	t.Helper()
	cmd := exec.Command(drpilotBinary(t), "abort", dir, "--reason", "failing over by hand")
	cmd.Env = f.env
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "approve by mallory") {
		t.Fatalf("abort: %v\n%s", err, out)
	}
	rep, _ := audit.Verify(dir, f.pub)
	if rep.Verdict != audit.Valid || len(rep.Adopted) != 1 || len(rep.Adopted[0].Decisions) != 1 || rep.Adopted[0].Decisions[0] != int64(approval) {
		t.Fatalf("after abort: %s (%s), adopted %+v", rep.Verdict, rep.Reason, rep.Adopted)
	}
}

// auditEvents reads a run's log.
func auditEvents(t *testing.T, dir string) []audit.Event {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, audit.EventsFile))
	if err != nil {
		t.Fatal(err)
	}
	var events []audit.Event
	for _, l := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		var ev audit.Event
		if err := json.Unmarshal([]byte(l), &ev); err != nil {
			t.Fatal(err)
		}
		events = append(events, ev)
	}
	return events
}

func TestConfirmAdoptionAtThePrompt(t *testing.T) {
	t.Parallel()
	tail := audit.Adoption{At: 3, FromSeq: 1, Count: 2, Decisions: []int64{2}}
	events := []audit.Event{{Seq: 0, Type: audit.TypeRunStart}, {Seq: 1, Type: audit.TypeStepReady, Step: "s"},
		{Seq: 2, Type: audit.TypeDecision, Step: "s", Actor: "alice", Data: json.RawMessage(`{"decision":"approve","reason":"go"}`)}}
	for _, tt := range []struct {
		answer, via string
		refused     bool
	}{{"adopt\n", "typed at the prompt", false}, {"yes\n", "", true}, {"", "", true}} {
		var w strings.Builder
		a, err := confirmAdoption(&w, strings.NewReader(tt.answer), true, false, tail, events)
		if (err != nil) != tt.refused || a.via != tt.via {
			t.Errorf("answer %q: via %q, err %v", tt.answer, a.via, err)
		}
		if !strings.Contains(w.String(), `approve by alice: "go"`) || !strings.Contains(w.String(), "seq 1–2") {
			t.Errorf("the prompt does not show the unsigned lines:\n%s", w.String())
		}
	}
	// Lines without a decision are adopted without a question.
	var w strings.Builder
	a, err := confirmAdoption(&w, strings.NewReader(""), false, false, audit.Adoption{At: 2, FromSeq: 1, Count: 1}, events)
	if err != nil || a.via != "" || !strings.Contains(w.String(), "hold no decision") {
		t.Errorf("no decision: via %q, err %v\n%s", a.via, err, w.String())
	}
}
