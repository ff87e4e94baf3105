package audit

import (
	_ "embed"
	"html/template"
	"io"
	"slices"
	"time"
)

// The HTML record is rendered from the same Record as the markdown and
// the JSON, by html/template: every value comes from the log, which a
// reviewer cannot trust to be harmless, and the template escapes each in
// its context (text, attribute, SVG). The page is one file with nothing
// to fetch and no script: it opens in any browser years later, and
// prints on A4.

//go:embed export_html.tmpl
var htmlTemplate string

var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"stamp":  stamp,
	"short":  short,
	"result": requestResult,
	"add":    func(a, b int) int { return a + b },
	// shown hides the waits a step did not have.
	"shown": func(span string) bool { return span != "" && span != "0s" },
	"clock": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("15:04:05.000")
	},
	"crit": func(string) bool { return false }, // replaced per record
	"verdict": func(o Objective) template.HTML {
		switch {
		case o.Met == nil:
			return ""
		case *o.Met:
			return `<span class="met">met</span>`
		}
		return `<span class="missed">MISSED</span>`
	},
}).Parse(htmlTemplate))

// reportView is what the template reads: the record and what the page
// derives from it for drawing, never new facts.
type reportView struct {
	R            *Record
	TL           *timeline
	VerdictClass string
	Mode         *modeBanner
	Operator     string
	critical     []string
}

// modeBanner is the banner of a run that did not act on AWS.
type modeBanner struct{ Title, Text string }

// WriteHTML writes the record as a self-contained HTML page.
func (r *Record) WriteHTML(w io.Writer) error {
	v := reportView{R: r, TL: r.timeline(), Operator: r.Operator, critical: r.CriticalPath}
	if v.Operator == "" {
		v.Operator = "not recorded"
	}
	switch r.Verdict {
	case Valid:
		v.VerdictClass = "v-valid"
	case Incomplete:
		v.VerdictClass = "v-incomplete"
	case UntrustedKey:
		v.VerdictClass = "v-untrusted"
	default:
		v.VerdictClass = "v-invalid"
	}
	switch r.Mode {
	case "sandbox":
		v.Mode = &modeBanner{"SIMULATED — sandbox run", "Nothing in AWS was changed: every call went to drpilot's simulated AWS."}
	case "dry-run":
		v.Mode = &modeBanner{"DRY-RUN — nothing was sent", "Every mutating call was shown, not sent: nothing was recovered."}
	}
	t, err := reportTemplate.Clone()
	if err != nil {
		return err
	}
	t.Funcs(template.FuncMap{"crit": func(id string) bool { return slices.Contains(v.critical, id) }})
	return t.Execute(w, v)
}
