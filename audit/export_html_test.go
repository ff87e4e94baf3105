package audit

import (
	"crypto/ed25519"
	"encoding/json"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

const hostile = `<script>alert("x")</script>`

// reportRun writes a sealed sandbox run of three steps: a hostile title
// and reason, two approvers, request ids, a throttled call that failed a
// step, and the scenario's fault in run.start.
func reportRun(t *testing.T, mode string) *Record {
	t.Helper()
	key, _ := GenerateKey()
	dir := filepath.Join(t.TempDir(), "run")
	fault := json.RawMessage(`{"throttle":{"service":"dynamodb","rate":1}}`)
	w, err := Create(dir, Options{RunID: "r1", Key: key, Actor: "oncall-olga", Start: RunInfo{Mode: mode, Runbook: "rb.toml",
		RTO: "30m", RPO: "15m", Sandbox: &SandboxInfo{Scenario: "sc.toml", Faults: []json.RawMessage{fault}}}})
	if err != nil {
		t.Fatal(err)
	}
	add := func(typ, step, actor string, data map[string]any) {
		if _, err := w.Append(Entry{Type: typ, Step: step, Actor: actor, Data: data}); err != nil {
			t.Fatal(err)
		}
	}
	add(TypeStepReady, "a", "drpilot", map[string]any{"phase": "freeze", "title": hostile, "after": []string{}, "expect": "1m"})
	add(TypeDecision, "a", "approver-ann", map[string]any{"decision": "approve", "reason": hostile})
	add(TypeAWSRequest, "a", "drpilot", map[string]any{"call": "a/1", "operation": "ssm:PutParameter", "region": "us-west-2"})
	add(TypeAWSResponse, "a", "aws", map[string]any{"call": "a/1", "request_id": "req-0a1"})
	add(TypeStepDone, "a", "drpilot", map[string]any{"attempt": 1})
	add(TypeStepReady, "b", "drpilot", map[string]any{"phase": "restore", "title": "restore carts", "after": []string{"a"}, "expect": "1ms"})
	add(TypeDecision, "b", "approver-bob", map[string]any{"decision": "approve", "reason": "RPO is fine"})
	add(TypeAWSRequest, "b", "drpilot", map[string]any{"call": "b/1", "operation": "dynamodb:RestoreTableToPointInTime", "region": "us-west-2"})
	add(TypeAWSResponse, "b", "aws", map[string]any{"call": "b/1", "request_id": "req-0b1", "error": "ThrottlingException: Rate exceeded"})
	add(TypeStepFailed, "b", "drpilot", map[string]any{"attempt": 1, "error": "dynamodb:RestoreTableToPointInTime in us-west-2: ThrottlingException"})
	add(TypeAWSRequest, "b", "drpilot", map[string]any{"call": "b/2", "operation": "dynamodb:RestoreTableToPointInTime", "region": "us-west-2", "attempt": 2})
	add(TypeAWSResponse, "b", "aws", map[string]any{"call": "b/2", "request_id": "req-0b2"})
	add(TypeStepDone, "b", "drpilot", map[string]any{"attempt": 2})
	add(TypeStepReady, "c", "drpilot", map[string]any{"phase": "restore", "title": "check", "after": []string{"b"}})
	add(TypeStepDone, "c", "drpilot", map[string]any{"attempt": 1})
	if err := w.Seal("drpilot", map[string]any{"outcome": "succeeded", "elapsed": "20m"}); err != nil {
		t.Fatal(err)
	}
	rec, err := Export(dir, key.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

func render(t *testing.T, rec *Record) (md, html, js string) {
	t.Helper()
	var m, h strings.Builder
	if err := rec.WriteMarkdown(&m); err != nil {
		t.Fatal(err)
	}
	if err := rec.WriteHTML(&h); err != nil {
		t.Fatal(err)
	}
	j, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	return m.String(), h.String(), string(j)
}

// TestHTMLEscapesTheLog: a step title and a decision's reason are the
// log's, and the log is not trusted: no script of theirs reaches the page.
func TestHTMLEscapesTheLog(t *testing.T) {
	t.Parallel()
	_, html, _ := render(t, reportRun(t, "sandbox"))
	if strings.Contains(strings.ToLower(html), "<script") {
		t.Fatalf("the page holds a script tag:\n%s", html)
	}
	if n := strings.Count(html, "&lt;script&gt;"); n < 2 {
		t.Errorf("the hostile title and reason are shown escaped %d times, want 2 or more", n)
	}
	// The SVG's xmlns is the one http:// address, a name, not a fetch.
	for _, banned := range []string{"https://", "<img", "<link", "@import", "url(http"} {
		if strings.Contains(html, banned) {
			t.Errorf("the page fetches something: %q", banned)
		}
	}
	if strings.Contains(html, "src=") {
		t.Error("the page has a src attribute: it must be self-contained")
	}
}

// TestHTMLBanners: the verdict banner for every verdict, and the
// SIMULATED or DRY-RUN banner for those modes only.
func TestHTMLBanners(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"live", "sandbox", "dry-run"} {
		rec := reportRun(t, mode)
		for _, v := range []Verdict{Valid, Invalid, Incomplete, UntrustedKey} {
			rec.Verdict = v
			_, html, _ := render(t, rec)
			if !strings.Contains(html, "Audit log: "+string(v)+"<small>") {
				t.Errorf("%s run, %s: no verdict banner", mode, v)
			}
			simulated, dry := strings.Contains(html, "SIMULATED — sandbox run"), strings.Contains(html, "DRY-RUN — nothing was sent")
			if simulated != (mode == "sandbox") || dry != (mode == "dry-run") {
				t.Errorf("%s run: SIMULATED banner %v, DRY-RUN banner %v", mode, simulated, dry)
			}
		}
	}
}

// TestHTMLTimeline: one bar per step (the work bar; the waits are drawn
// over it), the RTO line, the failure's ×, and the critical path from the
// logged dependencies.
func TestHTMLTimeline(t *testing.T) {
	t.Parallel()
	rec := reportRun(t, "sandbox")
	_, html, _ := render(t, rec)
	svg := html[strings.Index(html, "<svg"):strings.Index(html, "</svg>")]
	bars := regexp.MustCompile(`<rect class="(work|failed|skipped)( crit)?"`).FindAllString(svg, -1)
	if len(bars) != len(rec.Steps) {
		t.Errorf("%d bars for %d steps", len(bars), len(rec.Steps))
	}
	if !strings.Contains(svg, `<line class="rto"`) || !strings.Contains(svg, "RTO 30m") {
		t.Error("no RTO line")
	}
	if !strings.Contains(svg, `class="fail"`) {
		t.Error("no failure mark")
	}
	if !slices.Equal(rec.CriticalPath, []string{"a", "b", "c"}) || !strings.Contains(rec.CriticalPathHow, "dependencies") {
		t.Errorf("critical path %v (%s)", rec.CriticalPath, rec.CriticalPathHow)
	}
	g := rec.GameDay
	if g == nil || len(g.Faults) != 1 || !slices.Equal(g.Faults[0].Steps, []string{"b"}) || len(g.Hits) != 1 || !strings.Contains(g.Hits[0].Response, "retried") {
		t.Errorf("scorecard %+v", g)
	}
}

// TestFormatsCarryTheSameFacts: every request id and every approver is
// in the markdown, the HTML and the JSON alike.
func TestFormatsCarryTheSameFacts(t *testing.T) {
	t.Parallel()
	md, html, js := render(t, reportRun(t, "sandbox"))
	facts := func(s string) []string {
		out := regexp.MustCompile(`req-[0-9a-f]+|approver-[a-z]+|oncall-olga`).FindAllString(s, -1)
		slices.Sort(out)
		return slices.Compact(out)
	}
	want := []string{"approver-ann", "approver-bob", "oncall-olga", "req-0a1", "req-0b1", "req-0b2"}
	for name, s := range map[string]string{"md": md, "html": html, "json": js} {
		if got := facts(s); !slices.Equal(got, want) {
			t.Errorf("%s carries %v, want %v", name, got, want)
		}
	}
	for _, phrase := range []string{"RPO is fine", "ThrottlingException", "throttling of dynamodb"} {
		for name, s := range map[string]string{"md": md, "html": html, "json": js} {
			if !strings.Contains(s, phrase) {
				t.Errorf("%s lacks %q", name, phrase)
			}
		}
	}
}

// TestCriticalPathWithoutDependencies: a log written before step.ready
// carried after gets the chain of steps each of which started when the
// one before it ended, and says so.
func TestCriticalPathWithoutDependencies(t *testing.T) {
	t.Parallel()
	at := func(s int) time.Time { return time.Date(2026, 12, 3, 10, 0, s, 0, time.UTC) }
	steps := []StepRecord{
		{ID: "a", Started: at(0), Ended: at(10)},
		{ID: "side", Started: at(0), Ended: at(5)},
		{ID: "b", Started: at(10), Ended: at(30)},
		{ID: "c", Started: at(30), Ended: at(31)},
		{ID: "late-side", Started: at(12), Ended: at(20)},
	}
	path, how := criticalPath(steps)
	if !slices.Equal(path, []string{"a", "b", "c"}) || !strings.Contains(how, "does not hold the runbook's dependencies") {
		t.Errorf("critical path %v (%s)", path, how)
	}
}

// TestApprovalWaitStartsAfterThePreconditions: the wait for a gate's
// answer is counted from the step's last precondition, not from when it
// was ready: slow precondition reads are the step's own time, not a
// person's.
func TestApprovalWaitStartsAfterThePreconditions(t *testing.T) {
	key, _ := GenerateKey()
	dir := filepath.Join(t.TempDir(), "run")
	now := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
	w, err := Create(dir, Options{RunID: "r1", Key: key, Actor: "olga", Now: func() time.Time { return now }, Start: RunInfo{Mode: "live", Runbook: "rb.toml"}})
	if err != nil {
		t.Fatal(err)
	}
	at := func(d time.Duration, typ string, data map[string]any) {
		now = time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC).Add(d)
		if _, err := w.Append(Entry{Type: typ, Step: "a", Actor: "drpilot", Data: data}); err != nil {
			t.Fatal(err)
		}
	}
	at(0, TypeStepReady, map[string]any{"phase": "freeze", "title": "a"})
	at(40*time.Second, TypePrecondition, map[string]any{"held": true}) // a slow read
	at(50*time.Second, TypeDecision, map[string]any{"decision": "approve"})
	at(51*time.Second, TypeAWSRequest, map[string]any{"call": "a/1", "operation": "ssm:PutParameter", "region": "us-west-2"})
	at(52*time.Second, TypeAWSResponse, map[string]any{"call": "a/1", "request_id": "req-1"})
	at(52*time.Second, TypeStepDone, map[string]any{"attempt": 1})
	if err := w.Seal("drpilot", map[string]any{"outcome": "succeeded"}); err != nil {
		t.Fatal(err)
	}
	rec, err := Export(dir, key.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	if s := rec.Steps[0]; s.ApprovalWait != "10s" {
		t.Fatalf("approval wait %q, want 10s (from the precondition to the decision)", s.ApprovalWait)
	}
}
