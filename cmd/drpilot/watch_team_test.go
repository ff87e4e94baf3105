package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/drpilot/drpilot/steps"
)

// TestWatchATeamRun: a live team run against moto_server is watched by
// its runbook: the watch finds the run through the lock, follows the log's
// copy, shows the 2-of-3 gate with who is awaited, and bob approves from
// the watch, which lets the run go on to its end. Once the lock is
// released, a watch of the runbook shows the last run.
func TestWatchATeamRun(t *testing.T) {
	liveAgainst(t, startMoto(t))
	file, keys := teamBooks(t)
	if code, out, errOut := drpilot(t, "team", "init", file); code != 0 {
		t.Fatalf("team init: exit %d\n%s%s", code, out, errOut)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	ran := make(chan int, 1)
	go func() {
		code, out, errOut := drpilot(t, "run", file, "--headless", "--yes", "--key", keys["alice"], "--audit-dir", runDir(t))
		if code != 0 {
			t.Errorf("the run: exit %d\n%s%s", code, out, errOut)
		}
		ran <- code
	}()
	w := watchTeamRun(t, ctx, file, keys["bob"])
	followed := make(chan error, 1)
	go func() { followed <- w.follow(ctx, func(steps.Event) {}, true) }()
	s := &status{w: w, me: w.loadApprover()}
	var st = s.read(ctx)
	for ; st.Steps["freeze"].Approvals == ""; st = s.read(ctx) {
		if ctx.Err() != nil {
			t.Fatalf("the gate never showed in the watch: %+v", st)
		}
		time.Sleep(100 * time.Millisecond)
	}
	ws := st.Steps["freeze"]
	// Alice approved at her gate before the run published it: the watch
	// counts her answer as the run does, from the lease's key.
	if !strings.Contains(st.Header, "held by") || ws.Approvals != "approvals: 1 of 2 — alice ✓; awaiting bob, carol" ||
		ws.CannotApprove != "" || !strings.Contains(strings.Join(ws.Gate, "\n"), "/shop/maintenance") {
		t.Errorf("the watch of the waiting gate: %q %+v", st.Header, ws)
	}
	if err := s.answer(ctx, "freeze", true, ""); err != nil {
		t.Fatal(err)
	}
	if code := <-ran; code != 0 {
		t.FailNow()
	}
	if err := <-followed; err != nil || w.reader.Ended() == nil || w.reader.Ended().Outcome != steps.OutcomeSucceeded {
		t.Fatalf("following to the end: %v, %+v", err, w.reader.Ended())
	}
	code, out, errOut := drpilot(t, "watch", file, "--headless")
	if code != exitOK || !strings.Contains(errOut, "nobody holds the lock; showing the last run, "+w.run) ||
		!strings.Contains(out, "signed approve by bob") || !strings.Contains(out, "SUCCEEDED") {
		t.Errorf("a watch after the run: exit %d\n%s%s", code, out, errOut)
	}
}

// watchTeamRun opens a watch of a team runbook as drpilot watch FILE does,
// once the run holds its lock and its copy has its first line.
func watchTeamRun(t *testing.T, ctx context.Context, file, key string) *watcher {
	t.Helper()
	var stderr bytes.Buffer
	for {
		w, err := openWatch(ctx, watchOptions{key: key, stdout: io.Discard, stderr: &stderr}, file)
		if err == nil {
			if err := w.readStart(ctx); err != nil {
				t.Fatal(err)
			}
			rb, plan, _, err := findRunbook(w.reader.Start(), w.run, file, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			w.rb, w.plan = rb, plan
			return w
		}
		if !strings.Contains(err.Error(), "nobody has run") || ctx.Err() != nil {
			t.Fatalf("watching the runbook: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
