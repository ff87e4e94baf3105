package ui

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/steps"
)

// gateCatcher approves every gate until the one it waits for, which it
// keeps and answers by aborting the run: the test needs the question, not
// the rest of the run.
type gateCatcher struct {
	step string
	mu   sync.Mutex
	gate *steps.Gate
}

func (c *gateCatcher) Approve(_ context.Context, g steps.Gate) (steps.Decision, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if g.Step != c.step {
		return steps.Decision{Verdict: steps.VerdictApprove, Actor: "test"}, nil
	}
	c.gate = &g
	return steps.Decision{Verdict: steps.VerdictAbort, Actor: "test", Reason: "the test has its gate"}, nil
}

func (c *gateCatcher) OnFailure(context.Context, steps.Failure) (steps.Decision, error) {
	return steps.Decision{Verdict: steps.VerdictStop, Actor: "test"}, nil
}

// shippedGate runs a shipped runbook against its scenario in the sandbox
// until the gate of step, and returns the plan and that gate as the
// executor asked it.
func shippedGate(t *testing.T, id, step string) (*runbooks.RunPlan, steps.Gate) {
	t.Helper()
	catcher := &gateCatcher{step: step}
	run := newShippedRun(t, id, "gate-test", catcher)
	if _, err := run.exec.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if catcher.gate == nil {
		t.Fatalf("the run never asked about %s", step)
	}
	return run.plan, *catcher.gate
}

// gateScreen is the run screen of plan at w x h, with step asking g.
func gateScreen(t *testing.T, plan *runbooks.RunPlan, g steps.Gate, w, h int) Model {
	t.Helper()
	clock := time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC)
	m := New(Options{Plan: plan, Mode: steps.ModeSandbox, Actor: "kenji", Control: &fakeControl{},
		Run: func() (*steps.RunSummary, error) { return nil, nil }, Now: func() time.Time { return clock }})
	m = send(t, m, tea.WindowSizeMsg{Width: w, Height: h})
	m = running(t, m)
	m = send(t, m, eventMsg(steps.Event{Type: steps.EventStepReady, Step: g.Step, Time: clock}))
	m = send(t, m, eventMsg(steps.Event{Type: steps.EventAwaiting, Step: g.Step, Time: clock}))
	return send(t, m, gateMsg{gate: g, reply: make(chan steps.Decision, 1)})
}

// TestNotifyGateShowsEachDelivery: the gate of the store runbook's first
// notify step, asked by the executor against the sandbox, shows every
// delivery (contact, name, channel, address) and the words that will be
// sent, where the pane showed "sns:Publish {}" before.
func TestNotifyGateShowsEachDelivery(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a shipped runbook in the sandbox")
	}
	t.Parallel()
	plan, g := shippedGate(t, "store-region-failover", "warn-stores")
	m := gateScreen(t, plan, g, 120, 40)
	// The pane, wide enough that no line wraps, for what it says.
	detail := plain(m.stepDetail(200))
	want := `SENDS 4 messages:
→ store-managers (Store managers (all 412 stores))
  sns_topic arn:aws:sns:ap-northeast-3:123456789012:store-managers-broadcast
  webhook https://storeops.example.jp/api/broadcast/dr
→ commander (Incident commander (retail))
  email retail-ic@example.jp
  ssm_contact arn:aws:ssm-contacts:ap-northeast-3:123456789012:contact/retail-ic
subject: Store systems: moving to the Osaka back end now
message:
  We are moving the store systems to our Osaka back end because of a problem in Tokyo.
  For about 30 minutes POS terminals will run OFFLINE: card sales still work, gift cards,
  returns with receipt lookup and stock checks do not. Do not restart the terminals.
  We will tell you when everything is back. (run gate-test)
`
	if got := trimLines(detail); !strings.Contains(got, want) {
		t.Errorf("the gate's pane:\n%s\nwant it to hold:\n%s", got, want)
	}
	if strings.Contains(detail, "{}") || strings.Contains(detail, "null") {
		t.Errorf("the gate shows an empty input:\n%s", detail)
	}
	// The screen as the operator sees it.
	golden(t, "notify-gate-120x40", plain(m.render()))
}

// longGate is a gate whose requests do not fit an 80x24 screen.
func longGate(confirm string) steps.Gate {
	g := flagGate(confirm)
	g.Calls[0].Input["Value"] = strings.Repeat("a long value that wraps ", 20) + "THE END"
	return g
}

// TestTheDetailScrollsToTheEndOfALongGate: what does not fit is announced,
// and shift+↓ brings it up, in a typed gate's prompt too.
func TestTheDetailScrollsToTheEndOfALongGate(t *testing.T) {
	for _, confirm := range []string{"yes", "type"} {
		m, _ := testModel(t)
		m = send(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})
		m = running(t, m)
		m = send(t, m, gateMsg{gate: longGate(confirm), reply: make(chan steps.Decision, 1)})
		if screen := plain(m.render()); strings.Contains(screen, "THE END") || !strings.Contains(screen, "more lines (shift+↓)") {
			t.Fatalf("%s: the overflow is not announced:\n%s", confirm, screen)
		}
		for i := 0; i < 30; i++ {
			m = send(t, m, tea.KeyPressMsg{Code: tea.KeyDown, Mod: tea.ModShift})
		}
		screen := plain(m.render())
		if !strings.Contains(screen, "THE END") || !strings.Contains(screen, "(shift+↑)") {
			t.Errorf("%s: shift+↓ does not bring the end up:\n%s", confirm, screen)
		}
		if confirm == "type" && (m.prompt == nil || m.prompt.input.Value() != "") {
			t.Errorf("scrolling typed into the prompt or closed it: prompt for %q", promptStep(m))
		}
		m = send(t, m, tea.KeyPressMsg{Code: tea.KeyUp, Mod: tea.ModShift})
		if m.detail.offset == 0 {
			t.Errorf("%s: shift+↑ does not scroll back", confirm)
		}
	}
}

// TestAGateShowsItsRequestsNotThePlans: the pane shows the request the
// gate carries (templates resolved), not the plan's.
func TestAGateShowsItsRequestsNotThePlans(t *testing.T) {
	m, _ := testModel(t)
	m = running(t, m)
	g := flagGate("yes")
	g.Calls[0].Input["Name"] = "/shop/resolved-at-the-gate"
	m = send(t, m, gateMsg{gate: g, reply: make(chan steps.Decision, 1)})
	if detail := plain(m.stepDetail(60)); !strings.Contains(detail, "/shop/resolved-at-the-gate") || strings.Contains(detail, `"/shop/maintenance"`) {
		t.Errorf("the gate's pane:\n%s", detail)
	}
}

// promptStep is the step the open prompt is about, or "none".
func promptStep(m Model) string {
	if m.prompt == nil {
		return "none"
	}
	return m.prompt.step
}

// trimLines drops the spaces a wrapped pane pads its lines with.
func trimLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}

// TestDeliveriesWithDifferentWordsSayWhichChannelSendsWhich: a subject
// SNS shortens is shown next to the full one, each with its channels; a
// delivery that cannot be sent says why.
func TestDeliveriesWithDifferentWordsSayWhichChannelSendsWhich(t *testing.T) {
	m, _ := testModel(t)
	m = running(t, m)
	d := func(channel, address, subject, failure string) steps.CallInfo {
		return steps.CallInfo{Operation: "x:Send", Mutating: true, Error: failure,
			Delivery: &steps.Delivery{Contact: "oncall", Name: "On-call", Channel: channel, Address: address, Subject: subject, Message: "Back."}}
	}
	g := steps.Gate{Step: "flag", Confirm: "yes", Calls: []steps.CallInfo{
		d("email", "oncall@example.com", "A long subject", ""),
		d("sns_topic", "arn:aws:sns:eu-west-2:123456789012:oncall", "A long...", ""),
		d("webhook", "http://hooks.example.com/x", "A long subject", "refusing plain HTTP"),
	}}
	m = send(t, m, gateMsg{gate: g, reply: make(chan steps.Decision, 1)})
	detail := trimLines(plain(m.stepDetail(100)))
	for _, want := range []string{
		"SENDS 3 messages:\n→ oncall (On-call)\n  email oncall@example.com\n  sns_topic arn:aws:sns:eu-west-2:123456789012:oncall\n  webhook http://hooks.example.com/x\n    cannot be sent: refusing plain HTTP\n",
		"subject (email): A long subject\nsubject (sns_topic): A long...\nmessage:\n  Back.\n",
	} {
		if !strings.Contains(detail, want) {
			t.Errorf("the gate's pane:\n%s\nlacks:\n%s", detail, want)
		}
	}
}

// TestStackGateShowsTheChangeSet: a stack deployment's gate shows the
// change set created before it as sent, with its request id, and the
// resource changes its execution makes, replacements called out.
func TestStackGateShowsTheChangeSet(t *testing.T) {
	m, _ := testModel(t)
	m = running(t, m)
	ref := map[string]any{"ChangeSetName": "drpilot-run-deploy", "StackName": "shop"}
	g := steps.Gate{Step: "flag", Confirm: "yes", Calls: []steps.CallInfo{
		{Operation: "cloudformation:CreateChangeSet", Region: "eu-west-2", Mutating: true, Input: ref, RequestID: "req-1"},
		{Operation: "cloudformation:ExecuteChangeSet", Region: "eu-west-2", Mutating: true, Input: ref, Changes: []steps.ResourceChange{
			{Action: "Add", LogicalResourceID: "Topic", ResourceType: "AWS::SNS::Topic"},
			{Action: "Modify", LogicalResourceID: "Queue", ResourceType: "AWS::SQS::Queue", Replacement: "True"},
		}},
	}}
	m = send(t, m, gateMsg{gate: g, reply: make(chan steps.Decision, 1)})
	detail := trimLines(plain(m.stepDetail(100)))
	for _, want := range []string{
		"SENT cloudformation:CreateChangeSet in eu-west-2 before this gate · request id req-1\n",
		"CHANGES cloudformation:ExecuteChangeSet in eu-west-2\n",
		"  2 resource changes:\n    Add     Topic  AWS::SNS::Topic\n    Modify  Queue  AWS::SQS::Queue  replacement: True\n",
	} {
		if !strings.Contains(detail, want) {
			t.Errorf("the gate's pane:\n%s\nlacks:\n%s", detail, want)
		}
	}
}
