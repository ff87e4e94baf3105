package ui

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/drpilot/drpilot/audit"
	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/sandbox"
	"github.com/drpilot/drpilot/steps"
	"github.com/drpilot/drpilot/steps/awsclient"
)

// waitStepsModel is the run screen of a runbook of n wait steps (with
// extra TOML in each), at 120x40, on a fixed clock.
func waitStepsModel(b *testing.B, n int, extra string) (Model, time.Time) {
	rb, diags := runbooks.Parse("bench.toml", []byte(waitStepsRunbook(n, extra, "1h")))
	if diags.HasErrors() {
		b.Fatal(diags)
	}
	plan, _ := runbooks.Plan(rb, steps.Default())
	now := time.Now()
	m := New(Options{Plan: plan, Mode: steps.ModeSandbox, Now: func() time.Time { return now }})
	next, _ := m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	m = next.(Model)
	m.screen = screenRun
	return m, now
}

// runScreen500 is the run screen of a 500-step runbook whose event log
// holds 10,000 lines, with 16 steps running and the 250th selected.
func runScreen500(b *testing.B) (Model, time.Time) {
	m, now := waitStepsModel(b, 500, "")
	for i := 0; i < 10000; i++ {
		id := fmt.Sprintf("s%d", i%500)
		m.run.apply(steps.Event{Type: steps.EventStepReady, Step: id, Time: now, Message: "ready: step " + id})
	}
	for i := 240; i < 256; i++ {
		m.run.apply(steps.Event{Type: steps.EventStepRunning, Step: fmt.Sprintf("s%d", i), Time: now})
	}
	m.selected, m.follow = 250, false
	return m, now
}

// BenchmarkRunScreen is a frame of the run screen of a 500-step runbook
// whose event log holds 10,000 lines, at 120x40, as a run draws them: between
// two frames a step ends, the log grows by a line, and the spinner of the
// 16 running steps turns. The goal is under 5 ms a frame.
func BenchmarkRunScreen(b *testing.B) {
	m, now := runScreen500(b)
	i := 0
	for b.Loop() {
		i++
		m.onEvent(steps.Event{Type: steps.EventStepDone, Step: fmt.Sprintf("s%d", 300+i%200), Time: now, Message: "done"})
		m.frame++
		_ = m.View()
	}
	b.ReportMetric(msPer(b), "ms/frame")
}

// BenchmarkRunScreenRedrawn is the same frame with nothing kept from the
// frame before (as after a resize or a change of colours): every row in
// view is drawn again.
func BenchmarkRunScreenRedrawn(b *testing.B) {
	m, _ := runScreen500(b)
	for b.Loop() {
		m.stylesGen++
		_ = m.View()
	}
	b.ReportMetric(msPer(b), "ms/frame-redrawn")
}

// BenchmarkTUIAgainstHeadless runs the same 1,000 quick wait steps twice
// in each round: once headless (the executor alone, every gate approved)
// and once in the
// program, its events going through the bridge to the run screen, drawn at
// 120x40 (to nowhere). It reports the run's time in the TUI over its time
// headless; the goal is at most 1.05.
func BenchmarkTUIAgainstHeadless(b *testing.B) {
	const n = 1000
	var headless, tui time.Duration
	round := 0
	for b.Loop() {
		round++
		// Which goes first alternates: the first of a round pays for what
		// the previous round left to collect.
		if round%2 == 0 {
			tui += tuiRun(b, n, fmt.Sprint("tui-", round))
		}
		headless += headlessRun(b, n, fmt.Sprint("headless-", round))
		if round%2 == 1 {
			tui += tuiRun(b, n, fmt.Sprint("tui-", round))
		}
	}
	b.ReportMetric(float64(headless.Microseconds())/float64(b.N)/1000, "ms-headless/run")
	b.ReportMetric(float64(tui.Microseconds())/float64(b.N)/1000, "ms-tui/run")
	b.ReportMetric(float64(tui)/float64(headless), "tui/headless")
}

// headlessRun runs n quick wait steps with no screen, every gate
// approved, and returns the run's time.
func headlessRun(b *testing.B, n int, runID string) time.Duration {
	run := waitStepsRun(b, n, runID, steps.HeadlessApprover{Yes: true})
	start := time.Now()
	if sum, err := run.exec.Run(context.Background()); err != nil || sum.Outcome != steps.OutcomeSucceeded {
		b.Fatalf("headless: %v %+v", err, sum)
	}
	return time.Since(start)
}

// tuiRun runs n quick wait steps in a program drawing the run screen, and
// returns the run's time: from the executor's start to its end.
func tuiRun(b *testing.B, n int, runID string) time.Duration {
	bridge := NewBridge(nil)
	run := waitStepsRun(b, n, runID, bridge, bridge)
	var took time.Duration
	var sum *steps.RunSummary
	var err error
	ran := make(chan struct{})
	model := New(Options{Plan: run.plan, Mode: steps.ModeSandbox, AuditDir: run.dir, Control: run.exec, Bridge: bridge,
		Run: func() (*steps.RunSummary, error) {
			defer close(ran)
			start := time.Now()
			sum, err = run.exec.Run(context.Background())
			took = time.Since(start)
			return sum, err
		}})
	p := tea.NewProgram(model, tea.WithInput(nil), tea.WithOutput(io.Discard), tea.WithWindowSize(120, 40),
		tea.WithoutSignalHandler())
	bridge.Attach(p.Send)
	go p.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	go func() {
		<-ran
		p.Quit()
	}()
	if _, perr := p.Run(); perr != nil {
		b.Fatal(perr)
	}
	<-ran
	if err != nil || sum.Outcome != steps.OutcomeSucceeded {
		b.Fatalf("tui: %v %+v", err, sum)
	}
	return took
}

// BenchmarkFirstFrame measures what drpilot run --sandbox does before the
// start screen's first frame, in-process: load and plan the store
// runbook, stage its scenario in a sandbox served on loopback, ask STS who
// the caller is, create the audit log and render the start screen. The
// goal for the process is under 150 ms; this is its work without the
// process start and the terminal set-up.
func BenchmarkFirstFrame(b *testing.B) {
	for b.Loop() {
		rb, diags := runbooks.Load(filepath.Join("..", "runbooks", "store-region-failover.toml"))
		if diags.HasErrors() {
			b.Fatal(diags)
		}
		plan, _ := runbooks.Plan(rb, steps.Default())
		sc, err := sandbox.LoadScenario(filepath.Join("..", "runbooks", "scenarios", "store-region-failover.toml"))
		if err != nil {
			b.Fatal(err)
		}
		sb, err := sandbox.NewFromScenario(sc, 0)
		if err != nil {
			b.Fatal(err)
		}
		srv := httptest.NewServer(sb)
		cfg, _ := config.LoadDefaultConfig(context.Background(), config.WithRegion(rb.Regions.Recovery),
			config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKIDSANDBOX", "secret", "")),
			config.WithSharedConfigFiles([]string{}), config.WithSharedCredentialsFiles([]string{}), config.WithBaseEndpoint(srv.URL))
		clients, _ := awsclient.NewFactory(awsclient.Options{Config: cfg, ReadOnly: steps.ReadOnly})
		if _, err := clients.Invoke(context.Background(), "sts", rb.Regions.Recovery, "GetCallerIdentity", nil); err != nil {
			b.Fatal(err)
		}
		key, _ := audit.GenerateKey()
		log, err := audit.Create(filepath.Join(b.TempDir(), "run"), audit.Options{RunID: "bench", Key: key})
		if err != nil {
			b.Fatal(err)
		}
		m := New(Options{Plan: plan, Mode: steps.ModeSandbox})
		next, _ := m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
		_ = next.(Model).View()
		log.Close()
		srv.Close()
	}
}

// BenchmarkSixteenStepsPolling is one tick of the run screen while 16
// steps poll at once: a progress event from each, then a frame. Its time
// per tick bounds how responsive the program stays; the goal is well under
// the 250 ms tick.
func BenchmarkSixteenStepsPolling(b *testing.B) {
	m, now := waitStepsModel(b, 16, "after = []\n")
	var next tea.Model
	for i := 0; i < 16; i++ {
		next, _ = m.Update(eventMsg(steps.Event{Type: steps.EventStepRunning, Step: fmt.Sprintf("s%d", i), Time: now}))
		m = next.(Model)
	}
	polls := 0
	for b.Loop() {
		polls++
		for i := 0; i < 16; i++ {
			next, _ = m.Update(eventMsg(steps.Event{Type: steps.EventWaitProgress, Step: fmt.Sprintf("s%d", i), Time: now,
				Wait: &steps.WaitProgress{State: "creating", Polls: polls}}))
			m = next.(Model)
		}
		_ = m.render()
	}
	b.ReportMetric(msPer(b), "ms/tick")
}

// msPer is the benchmark's measured time per iteration, in milliseconds:
// its ns/op, in the unit its goal is stated in.
func msPer(b *testing.B) float64 {
	return float64(b.Elapsed()) / float64(b.N) / 1e6
}
