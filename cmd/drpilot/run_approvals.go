package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/drpilot/drpilot/audit"
	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/steps"
	"github.com/drpilot/drpilot/team"
)

// approvalPoll is how often a gate that waits for other approvers reads
// their answers: "within seconds", at one read per trusted key.
const approvalPoll = 2 * time.Second

// teamApprover asks the operator first, as any run does, and then, for a
// step that needs approvals from several keys, publishes the gate to the
// lock table and waits for the others' signed answers (docs/team.md).
type teamApprover struct {
	steps.Approver
	tr   *teamRun
	rb   *runbooks.Runbook
	run  string
	key  ed25519.PrivateKey
	tell func(steps.Event)
}

// Approve implements steps.Approver.
func (a *teamApprover) Approve(ctx context.Context, g steps.Gate) (steps.Decision, error) {
	if g.Approvals <= 1 || a.tr == nil {
		return a.Approver.Approve(ctx, g)
	}
	body := a.gateBody(g)
	// The operator answers first, at their screen (or with --yes);
	// without anybody there the run pauses, as at any gate.
	d, err := a.Approver.Approve(ctx, g)
	if err != nil || d.Verdict != steps.VerdictApprove {
		return d, err
	}
	var own []team.Approval
	if me, trusted := team.KeyOf(a.tr.keys, a.key.Public().(ed25519.PublicKey)); trusted {
		mine, err := team.Sign(a.key, me.Name, body, team.Approve, d.Reason, a.tr.store.Now())
		if err != nil {
			return steps.Decision{}, err
		}
		own = append(own, mine)
		// The log names an approver by their key, which is what the
		// signature proves.
		d.Actor = me.Name
	}
	if err := a.tr.store.PublishGate(ctx, body); err != nil {
		return steps.Decision{}, fmt.Errorf("the gate needs %d approvals, and it could not be published for the other approvers: %w", g.Approvals, err)
	}
	// The operator's approval goes where the others' do, so that
	// approvers and watchers see it, and is counted from there.
	for _, mine := range own {
		if err := a.tr.store.PutApproval(ctx, mine); err != nil && !errors.Is(err, team.ErrAnswered) {
			return steps.Decision{}, fmt.Errorf("the operator's approval could not be written to the lock table: %w", err)
		}
	}
	tally, err := a.tr.store.WaitForAnswers(ctx, body, a.tr.keys, approvalPoll, func(t team.Tally) { a.progress(g, t) })
	if err != nil {
		return steps.Decision{}, err
	}
	outcome := "approved"
	if tally.Denied != nil {
		outcome = "denied"
	}
	a.tr.store.CloseGate(context.WithoutCancel(ctx), body.Run, body.Step, outcome)
	return decisionOf(d, own, tally), nil
}

// decisionOf turns a decided tally into the executor's decision. Every
// answer is logged as a decision of its own, each approver's with its
// signed statement: the operator's and the others'. The one that decides
// comes last: a refusal, or else the operator's approval.
func decisionOf(operator steps.Decision, own []team.Approval, t team.Tally) steps.Decision {
	if len(own) > 0 {
		operator.Approval = record(own[0])
	}
	answers := []steps.Decision{operator}
	for _, ap := range t.Approved {
		if len(own) > 0 && ap.Statement.Key == own[0].Statement.Key {
			continue
		}
		answers = append(answers, approvalDecision(ap))
	}
	if t.Denied != nil {
		deny := approvalDecision(*t.Denied)
		deny.Others = answers
		return deny
	}
	operator.Others = answers[1:]
	return operator
}

// approvalDecision is one approver's answer as a decision.
func approvalDecision(ap team.Approval) steps.Decision {
	verdict := steps.VerdictApprove
	if ap.Statement.Verdict == team.Deny {
		verdict = steps.VerdictDeny
	}
	return steps.Decision{Verdict: verdict, Actor: ap.Statement.Approver, Reason: ap.Statement.Reason, Approval: record(ap)}
}

// record is an approval as the audit log keeps it.
func record(ap team.Approval) *audit.ApprovalRecord {
	rec, err := audit.NewApprovalRecord(ap.Raw, ap.Signature, ap.PublicKey, ap.Statement.Approver)
	if err != nil {
		return nil // a key Parse accepted always encodes
	}
	return &rec
}

// progress tells the screen who has approved and who is awaited.
func (a *teamApprover) progress(g steps.Gate, t team.Tally) {
	if t.Unreadable != nil {
		a.tell(steps.Event{Type: steps.EventAwaiting, Step: g.Step, Time: a.tr.store.Now(),
			Message: fmt.Sprintf("the approvals cannot be read from the lock table (%v); still waiting, and trying again", t.Unreadable)})
		return
	}
	var names []string
	for _, ap := range t.Approved {
		names = append(names, ap.Statement.Approver+" ✓")
	}
	msg := fmt.Sprintf("approvals %d of %d", len(t.Approved), t.Needed)
	if len(names) > 0 {
		msg += ": " + strings.Join(names, ", ")
	}
	if len(t.Awaited) > 0 && !t.Done() {
		msg += "; awaiting " + strings.Join(t.Awaited, ", ") + " (drpilot approve " + a.rb.File + " " + g.Step + ")"
	}
	if t.Denied != nil {
		msg += "; refused by " + t.Denied.Statement.Approver
	}
	for _, why := range t.Ignored {
		msg += "; not counted: " + why
	}
	a.tell(steps.Event{Type: steps.EventAwaiting, Step: g.Step, Message: msg, Time: a.tr.store.Now()})
}

// newRound names one asking of a gate.
func newRound() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// gateBody is the gate as approvers on other machines see it.
func (a *teamApprover) gateBody(g steps.Gate) team.GateBody {
	calls := make([]team.GateCall, 0, len(g.Calls))
	for _, c := range g.Calls {
		calls = append(calls, team.GateCall{Operation: c.Operation, Region: c.Region, Input: c.Input})
	}
	return team.GateBody{Runbook: a.rb.ID, RunbookSHA256: a.rb.SHA256, Run: a.run, Step: g.Step, Title: g.Title, Doc: g.Doc,
		Confirm: g.Confirm, Calls: calls, Checklist: g.Checklist, Requires: g.Requires, Approvals: g.Approvals, Approvers: g.Approvers,
		Operator: actor(), Published: a.tr.store.Now().UTC(), Round: newRound(), Fence: a.tr.fence()}
}
