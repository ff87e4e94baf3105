package runbooks

import (
	"fmt"
	"sort"
	"strings"
)

// Severity says whether a diagnostic stops the runbook from running.
type Severity string

// Severities. An error makes the runbook invalid; a warning is printed and
// the runbook still runs.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
)

// Pos is a position in a runbook file. Line and Col count from 1; zero means
// unknown (the diagnostic is about the file as a whole).
type Pos struct {
	Line int `json:"line"`
	Col  int `json:"col"`
}

// Diagnostic is one problem found in a runbook: what, where and what to do.
type Diagnostic struct {
	Severity Severity `json:"severity"`
	File     string   `json:"file"`
	Line     int      `json:"line"`
	Col      int      `json:"col"`
	// Path is the key path of the offending value, e.g. "steps[3].with".
	// Array indices count from 0.
	Path    string `json:"path,omitempty"`
	Message string `json:"message"`
	// Hint says what to do, e.g. a "did you mean" suggestion.
	Hint string `json:"hint,omitempty"`
}

// String formats the diagnostic as "file:line:col: path: message (hint)",
// with "warning: " before the path for warnings.
func (d Diagnostic) String() string {
	var b strings.Builder
	b.WriteString(d.File)
	if d.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", d.Line, d.Col)
	}
	b.WriteString(": ")
	if d.Severity == SeverityWarning {
		b.WriteString("warning: ")
	}
	if d.Path != "" {
		b.WriteString(d.Path)
		b.WriteString(": ")
	}
	b.WriteString(d.Message)
	if d.Hint != "" {
		b.WriteString(" (")
		b.WriteString(d.Hint)
		b.WriteString(")")
	}
	return b.String()
}

// Diagnostics is a list of diagnostics in file order.
type Diagnostics []Diagnostic

// HasErrors reports whether any diagnostic is an error.
func (ds Diagnostics) HasErrors() bool {
	for _, d := range ds {
		if d.Severity == SeverityError {
			return true
		}
	}
	return false
}

// Errors returns only the errors.
func (ds Diagnostics) Errors() Diagnostics { return ds.filter(SeverityError) }

// Warnings returns only the warnings.
func (ds Diagnostics) Warnings() Diagnostics { return ds.filter(SeverityWarning) }

func (ds Diagnostics) filter(s Severity) Diagnostics {
	var out Diagnostics
	for _, d := range ds {
		if d.Severity == s {
			out = append(out, d)
		}
	}
	return out
}

// Error makes Diagnostics usable as an error: the first error, and how many
// more there are.
func (ds Diagnostics) Error() string {
	errs := ds.Errors()
	switch len(errs) {
	case 0:
		return "no errors"
	case 1:
		return errs[0].String()
	}
	return fmt.Sprintf("%s (and %d more errors)", errs[0].String(), len(errs)-1)
}

// sortByPosition orders diagnostics by file position, keeping the order in
// which they were found for equal positions, so that output is stable.
func (ds Diagnostics) sortByPosition() {
	sort.SliceStable(ds, func(i, j int) bool {
		if ds[i].Line != ds[j].Line {
			return ds[i].Line < ds[j].Line
		}
		return ds[i].Col < ds[j].Col
	})
}

// reporter collects diagnostics for one file, looking positions up by key
// path so that rules only name the path they complain about.
type reporter struct {
	file  string
	pos   *positions
	diags Diagnostics
	// blamed holds the paths that loading already reported, so that a
	// value of the wrong type is not reported again as missing.
	blamed map[string]bool
}

// index returns the position index, building it on first use.
func (r *reporter) index() *posIndex { return r.pos.index() }

func (r *reporter) add(sev Severity, path string, pos Pos, hint, format string, args ...any) {
	if r.blamed[path] {
		return
	}
	r.diags = append(r.diags, Diagnostic{
		Severity: sev, File: r.file, Line: pos.Line, Col: pos.Col,
		Path: path, Message: fmt.Sprintf(format, args...), Hint: hint,
	})
}

// errorAt reports an error at the key of path (or, if the key itself is not
// in the file, at its nearest enclosing table).
func (r *reporter) errorAt(path, hint, format string, args ...any) {
	r.add(SeverityError, path, r.index().key(path), hint, format, args...)
}

// errorAtValue reports an error at the value of path, for complaints about
// what was written rather than the key it was written to.
func (r *reporter) errorAtValue(path, hint, format string, args ...any) {
	r.add(SeverityError, path, r.index().value(path), hint, format, args...)
}

func (r *reporter) warnAt(path, hint, format string, args ...any) {
	r.add(SeverityWarning, path, r.index().key(path), hint, format, args...)
}

func (r *reporter) warnAtValue(path, hint, format string, args ...any) {
	r.add(SeverityWarning, path, r.index().value(path), hint, format, args...)
}
