package runbooks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// WriteText writes the plan for a reader: the header and RTO budget, the
// parallel levels, then each phase and its steps with their gates, AWS
// calls, Regions and preconditions. Plain text, no colour, stable order.
func (p *RunPlan) WriteText(w io.Writer) error {
	tw := &textWriter{w: w}
	p.writeHeader(tw)
	tw.line("")
	tw.line("Parallel levels (steps on one level may run at the same time):")
	for i, level := range p.Levels {
		tw.line("  L%d  %s", i, strings.Join(level, ", "))
	}
	for _, ph := range p.Phases {
		tw.line("")
		tw.line("Phase %s", ph.Name)
		for _, s := range ph.Steps {
			writeStep(tw, s)
		}
	}
	if len(p.Warnings) > 0 {
		tw.line("")
		tw.line("Warnings:")
		for _, d := range p.Warnings {
			tw.line("  %s", d.String())
		}
	}
	return tw.err
}

func (p *RunPlan) writeHeader(tw *textWriter) {
	tw.line("%s — %s", p.ID, p.Title)
	tw.line("file      %s (sha256 %s)", p.File, shortHash(p.SHA256))
	var facts []string
	if p.Strategy != "" {
		facts = append(facts, "strategy "+p.Strategy)
	}
	if p.Owner != "" {
		facts = append(facts, "owner "+p.Owner)
	}
	if p.Account != "" {
		facts = append(facts, "account "+p.Account)
	}
	if len(facts) > 0 {
		tw.line("runbook   %s", strings.Join(facts, " · "))
	}
	tw.line("regions   primary %s → recovery %s", p.Regions.Primary, p.Regions.Recovery)
	if t := p.Team; t != nil {
		tw.line("team      lock table %s in %s · audit log s3://%s, retained %s", t.LockTable, t.Region, t.AuditBucket, t.Retention)
	}
	b := p.Budget
	switch {
	case b.RTO == nil:
		tw.line("RTO       no target set; critical path %s", b.CriticalPath)
	case b.Within:
		tw.line("RTO       %s target; critical path %s: within budget, %s spare", b.RTO, b.CriticalPath, b.Spare)
	default:
		tw.line("RTO       %s target; critical path %s: OVER BUDGET by %s", b.RTO, b.CriticalPath, Duration{-b.Spare.Duration})
	}
	tw.line("          critical path: %s", strings.Join(b.Path, " → "))
	if p.RPO != nil {
		tw.line("RPO       %s target", p.RPO)
	}
	if len(p.Contacts) > 0 {
		ids := make([]string, len(p.Contacts))
		for i, c := range p.Contacts {
			ids[i] = c.ID
		}
		tw.line("contacts  %s", strings.Join(ids, ", "))
	}
}

func writeStep(tw *textWriter, s PlannedStep) {
	class := "read-only"
	if s.Mutating {
		class = "MUTATING"
	}
	crit := ""
	if s.Critical {
		crit = " · critical path"
	}
	tw.line("")
	tw.line("  %d. %s — %s", s.Index+1, s.ID, s.Title)
	tw.line("     %s · %s · level %d · gate: %s · expect %s (%s) · timeout %s%s",
		s.Action, class, s.Level, gateText(s.Gate), s.Expect, s.ExpectFrom, s.Timeout, crit)
	after := "(starts at once)"
	if len(s.After) > 0 {
		after = strings.Join(s.After, ", ")
	}
	tw.line("     after     %s", after)
	if s.Approvals > 1 || len(s.Approvers) > 0 {
		tw.line("     %s", approvalsText(s))
	}
	if len(s.Params) > 0 {
		tw.line("     with      %s", compactJSON(redactTexts(s.Params, s.secrets)))
	}
	for _, c := range s.Calls {
		mark := "read"
		if c.Mutating {
			mark = "WRITE"
		}
		tw.line("     call      %-5s %s in %s (%s)%s", mark, c.Operation, c.Region, c.Purpose, controlPlaneMark(c.ControlPlane))
		if len(c.Input) > 0 {
			tw.line("               %s", compactJSON(c.Input))
		}
	}
	if len(s.Calls) == 0 {
		tw.line("     call      none (no AWS call)")
	}
	for _, r := range s.Requires {
		tw.line("     require   %s in %s%s: %s %s", r.Call, r.Region, controlPlaneMark(r.ControlPlane), queryText(r.Query), strings.Join(r.Tests, " and "))
		if len(r.Input) > 0 {
			tw.line("               %s", compactJSON(r.Input))
		}
		if r.Why != "" {
			tw.line("               why: %s", r.Why)
		}
	}
	if s.Mutating && len(s.Requires) == 0 {
		tw.line("     require   none")
	}
	for _, o := range s.Outputs {
		tw.line("     output    %s = %s", o.Name, o.Query)
	}
	if s.Retries > 0 || s.OnFailure != OnFailureAsk {
		tw.line("     failure   retries %d, then %s", s.Retries, s.OnFailure)
	}
	if s.Undo != "" {
		tw.line("     undo      %s", firstLine(s.Undo))
	}
}

// approvalsText says who must approve: "approvals: 2 of alice, bob,
// carol", or of any trusted key (keys/*.pub) when the step names none.
func approvalsText(s PlannedStep) string {
	if len(s.Approvers) == 0 {
		return fmt.Sprintf("approvals: %d of any trusted keys", s.Approvals)
	}
	return fmt.Sprintf("approvals: %d of %s", s.Approvals, strings.Join(s.Approvers, ", "))
}

func gateText(g string) string {
	switch g {
	case ConfirmType:
		return "type the step id"
	case ConfirmYes:
		return "confirm"
	}
	return "none"
}

func queryText(q string) string {
	if q == "" {
		return "response"
	}
	return q
}

func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " …"
	}
	return s
}

// compactJSON writes a value on one line; encoding/json sorts map keys, so
// the output is stable.
func compactJSON(v any) string { return CompactJSON(v) }

// CompactJSON writes a value as one line of JSON for people to read: as
// written, without the \u003c escapes encoding/json puts in place of <, >
// and & for HTML ("DR bridge <dr@example.com>" stays so).
func CompactJSON(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

type textWriter struct {
	w   io.Writer
	err error
}

func (t *textWriter) line(format string, args ...any) {
	if t.err != nil {
		return
	}
	_, t.err = fmt.Fprintf(t.w, format+"\n", args...)
}

// controlPlaneMark marks a call that depends on a global service's
// control plane, which lives in that one Region only.
func controlPlaneMark(global bool) string {
	if global {
		return " · global control plane, only in this Region"
	}
	return ""
}
