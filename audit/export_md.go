package audit

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// WriteMarkdown writes the record as a markdown document for the
// post-incident review.
func (r *Record) WriteMarkdown(w io.Writer) error {
	p := &mdWriter{w: w}
	p.f("# Run %s\n\n", r.Run)
	p.f("**Audit log: %s** — %s\n\n", r.Verdict, r.VerdictReason)
	p.f("| | |\n|---|---|\n")
	p.f("| runbook | `%s` (SHA-256 `%s`) |\n", r.Runbook, short(r.RunbookSHA256))
	p.f("| mode | %s |\n| operator | %s |\n| account | %s |\n| caller | `%s` |\n", r.Mode, cell(r.Operator), r.Account, r.CallerARN)
	p.f("| Regions | primary %s, recovery %s |\n", r.Regions["primary"], r.Regions["recovery"])
	p.f("| started | %s |\n| ended | %s |\n| outcome | **%s** |\n", stamp(r.Started), stamp(r.Ended), r.Outcome)
	p.f("| RTO | %s |\n| RPO | %s |\n", rtoLine(r.RTO), objectiveLine(r.RPO))
	if note := r.TimesNote(); note != "" {
		p.f("| times | %s |\n", note)
	}
	if r.Resumed > 0 {
		p.f("| resumed | %d time(s) |\n", r.Resumed)
	}
	for _, a := range r.Adopted {
		p.f("| adopted unsigned | %s |\n", cell(a.Describe()))
	}
	p.f("\n## Phases\n\n| phase | started | ended | duration |\n|---|---|---|---|\n")
	for _, ph := range r.Phases {
		p.f("| %s | %s | %s | %s |\n", ph.Name, stamp(ph.Started), stamp(ph.Ended), ph.Duration)
	}
	p.steps(r)
	p.remarks("Decisions", r.Decisions)
	p.failures(r.Failures)
	p.gameDay(r.GameDay)
	p.remarks("Notes", r.Notes)
	p.f("\n## AWS requests that change something\n\n| time | step | operation | Region | request id | result |\n|---|---|---|---|---|---|\n")
	for _, q := range r.Requests {
		p.f("| %s | %s | %s | %s | %s | %s |\n", stamp(q.Time), q.Step, q.Operation, q.Region, q.RequestID, cell(requestResult(q)))
	}
	return p.err
}

// steps writes the steps' table and the critical path.
func (p *mdWriter) steps(r *Record) {
	p.f("\n## Steps\n\n| step | phase | action | Region | status | started | duration | expect | approval wait | AWS wait | attempts | request ids |\n")
	p.f("|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, s := range r.Steps {
		status := s.Status
		switch {
		case s.Error != "":
			status += ": " + s.Error
		case s.SkipReason != "":
			status += ": " + s.SkipReason
		}
		attempts := fmt.Sprint(s.Attempts)
		if s.Retries > 0 {
			attempts += fmt.Sprintf(" (%d call retries)", s.Retries)
		}
		p.f("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", cell(s.ID), cell(s.Phase), s.Action, s.Region, cell(status),
			stamp(s.Started), s.Duration, s.Expect, s.ApprovalWait, s.AWSWait, attempts, strings.Join(s.RequestIDs, " "))
	}
	if len(r.CriticalPath) > 0 {
		p.f("\nCritical path: %s (%s).\n", cell(strings.Join(r.CriticalPath, " → ")), r.CriticalPathHow)
	}
}

// failures writes every failed attempt and call error.
func (p *mdWriter) failures(list []Failure) {
	p.f("\n## Failures\n\n")
	if len(list) == 0 {
		p.f("None.\n")
		return
	}
	p.f("| time | step | kind | what | error |\n|---|---|---|---|---|\n")
	for _, f := range list {
		p.f("| %s | %s | %s | %s | %s |\n", stamp(f.Time), cell(f.Step), f.Kind, cell(f.What), cell(f.Error))
	}
}

// gameDay writes a sandbox run's scorecard.
func (p *mdWriter) gameDay(g *GameDay) {
	if g == nil {
		return
	}
	p.f("\n## Game-day scorecard\n\nScenario: %s\n\n| fault injected | steps it hit |\n|---|---|\n", cell(g.Scenario))
	for _, f := range g.Faults {
		hit := strings.Join(f.Steps, ", ")
		if hit == "" {
			hit = "no step's calls show it"
		}
		p.f("| %s | %s |\n", cell(f.Fault), cell(hit))
	}
	p.f("\n| step in trouble | errors | how the run responded | expect | took (sandbox clock) | time lost |\n|---|---|---|---|---|---|\n")
	for _, h := range g.Hits {
		p.f("| %s | %s | %s | %s | %s | %s |\n", cell(h.Step), cell(strings.Join(h.Errors, "; ")), cell(h.Response), h.Expect, h.Took, h.TimeLost)
	}
	p.f("\n%s.\n", g.How)
}

// requestResult says how a request was answered.
func requestResult(q RequestRecord) string {
	switch {
	case q.DryRun:
		return "dry run: not sent"
	case q.Unanswered:
		return "no answer logged"
	case q.Error != "":
		return q.Error
	}
	return "ok"
}

// mdWriter writes and keeps the first error.
type mdWriter struct {
	w   io.Writer
	err error
}

func (p *mdWriter) f(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

func (p *mdWriter) remarks(title string, list []Remark) {
	p.f("\n## %s\n\n", title)
	if len(list) == 0 {
		p.f("None.\n")
		return
	}
	p.f("| time | step | by | what | reason |\n|---|---|---|---|---|\n")
	for _, r := range list {
		what := r.What
		if r.SignedBy != "" {
			what += fmt.Sprintf(" (signed approval, key %s)", r.SignedBy)
		}
		if r.AdoptedAt != nil {
			what += fmt.Sprintf(" (**unsigned** until adopted at seq %d: only the hash chain vouches for it)", *r.AdoptedAt)
		}
		p.f("| %s | %s | %s | %s | %s |\n", stamp(r.Time), r.Step, cell(r.Actor), cell(what), cell(r.Reason))
	}
}

// rtoLine is the RTO's verdict, in bold when it says how the run did.
func rtoLine(o Objective) string {
	if o.Verdict == "" {
		return objectiveLine(o)
	}
	return "**" + cell(o.Verdict) + "**"
}

// objectiveLine writes a target against what was achieved.
func objectiveLine(o Objective) string {
	switch {
	case o.Achieved == "" && o.Target == "":
		return "no target, not measured"
	case o.Achieved == "":
		return "target " + o.Target + ", not measured"
	case o.Met == nil:
		return fmt.Sprintf("achieved %s (%s), no target", o.Achieved, o.How)
	case *o.Met:
		return fmt.Sprintf("achieved %s against %s: **met** (%s)", o.Achieved, o.Target, o.How)
	}
	return fmt.Sprintf("achieved %s against %s: **missed** (%s)", o.Achieved, o.Target, o.How)
}

// cell makes text safe inside a markdown table cell.
func cell(s string) string {
	return strings.NewReplacer("|", "\\|", "\n", " ").Replace(s)
}

// stamp writes a time in UTC to the second, or "—" when unknown.
func stamp(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}
