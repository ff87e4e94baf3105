package audit

import (
	"fmt"
	"html"
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
	p.f("| mode | %s |\n| account | %s |\n| caller | `%s` |\n", r.Mode, r.Account, r.CallerARN)
	p.f("| Regions | primary %s, recovery %s |\n", r.Regions["primary"], r.Regions["recovery"])
	p.f("| started | %s |\n| ended | %s |\n| outcome | **%s** |\n", stamp(r.Started), stamp(r.Ended), r.Outcome)
	p.f("| RTO | %s |\n| RPO | %s |\n", rtoLine(r.RTO), objectiveLine(r.RPO))
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
	p.f("\n## Steps\n\n| step | phase | action | Region | status | duration | request ids |\n|---|---|---|---|---|---|---|\n")
	for _, s := range r.Steps {
		status := s.Status
		switch {
		case s.Error != "":
			status += ": " + s.Error
		case s.SkipReason != "":
			status += ": " + s.SkipReason
		}
		p.f("| %s | %s | %s | %s | %s | %s | %s |\n", cell(s.ID), s.Phase, s.Action, s.Region, cell(status), s.Duration, strings.Join(s.RequestIDs, " "))
	}
	p.remarks("Decisions", r.Decisions)
	p.remarks("Notes", r.Notes)
	p.f("\n## AWS requests that change something\n\n| time | step | operation | Region | request id | result |\n|---|---|---|---|---|---|\n")
	for _, q := range r.Requests {
		result := "ok"
		switch {
		case q.DryRun:
			result = "dry run: not sent"
		case q.Unanswered:
			result = "no answer logged"
		case q.Error != "":
			result = q.Error
		}
		p.f("| %s | %s | %s | %s | %s | %s |\n", stamp(q.Time), q.Step, q.Operation, q.Region, q.RequestID, cell(result))
	}
	return p.err
}

// WriteHTML writes the markdown record as a minimal, self-contained HTML
// page: a reviewer opens it in any browser, with nothing to fetch.
func (r *Record) WriteHTML(w io.Writer) error {
	var md strings.Builder
	if err := r.WriteMarkdown(&md); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>Run %s</title>\n"+
		"<style>body{font-family:sans-serif;margin:2em}pre{white-space:pre-wrap}</style></head>\n"+
		"<body><pre>%s</pre></body></html>\n", html.EscapeString(r.Run), html.EscapeString(md.String()))
	return err
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
