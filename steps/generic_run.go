package steps

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// The actions that belong to no one service: aws.call, wait and manual.

// runAWSCall sends the operation the step names with its input as written.
// Read-only operations are sent in every mode; others are mutating (an
// operation the classifier does not know counts as mutating), so dry-run
// does not send them.
func runAWSCall(ctx context.Context, s *StepRun) (map[string]any, error) {
	input, _ := s.Param("input")
	in, _ := input.(map[string]any)
	return s.Call(ctx, s.String("call"), in)
}

// runWait pauses for the step's duration (scaled in sandbox mode),
// reporting the time left as progress.
func runWait(ctx context.Context, s *StepRun) (map[string]any, error) {
	d, err := s.Duration("duration")
	if err != nil {
		return nil, err
	}
	tick := max(d/10, time.Second)
	for left := d; left > 0; left -= tick {
		s.exec.emit(Event{Type: EventWaitProgress, Step: s.ID(), Message: "waiting",
			Wait: &WaitProgress{State: fmt.Sprintf("%s left", left.Round(time.Second)), Elapsed: d - left, Expect: d}})
		if err := s.Sleep(ctx, min(tick, left)); err != nil {
			return nil, err
		}
	}
	return map[string]any{"Waited": d.String()}, nil
}

// runManual hands the step to a person: the Approver shows the doc and
// the checklist and answers when every item is ticked.
func runManual(ctx context.Context, s *StepRun) (map[string]any, error) {
	var items []string
	switch list := s.params["checklist"].(type) {
	case nil:
	case []any:
		for _, it := range list {
			items = append(items, fmt.Sprint(it))
		}
	default:
		return nil, fmt.Errorf("checklist must be an array of strings, and it resolved to %s", formatObserved(list))
	}
	if s.DryRun() {
		s.Note("dry-run: the checklist is shown, not ticked: %s", strings.Join(items, "; "))
		return map[string]any{"Checklist": items}, nil
	}
	g := Gate{Step: s.ID(), Title: s.plan.Title, Confirm: "checklist", Checklist: items, Doc: s.plan.Doc,
		Approvals: s.plan.Approvals, Approvers: s.plan.Approvers}
	d, err := askWithin(s.exec, func() (Decision, error) { return s.exec.opts.Approver.Approve(ctx, g) })
	if err != nil {
		return nil, err
	}
	s.exec.decision(s.ID(), d, "checklist")
	switch d.Verdict {
	case VerdictApprove:
		return map[string]any{"Checklist": items, "ConfirmedBy": d.Actor}, nil
	case VerdictSkip:
		return nil, errSkipped{reason: d.Reason, outputs: d.Outputs}
	case VerdictAbort:
		s.exec.abort(d.Reason)
		return nil, errAborted{d.Reason}
	case VerdictDeny:
		return nil, fmt.Errorf("%w by %s: %s", ErrRefused, d.Actor, d.Reason)
	}
	return nil, fmt.Errorf("manual step: unexpected answer %q", d.Verdict)
}
