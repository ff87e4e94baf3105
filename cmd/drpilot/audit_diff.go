package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/drpilot/drpilot/audit"
	"github.com/drpilot/drpilot/runbooks"
	"github.com/spf13/cobra"
)

type diffOptions struct {
	json   bool
	force  bool
	stdout io.Writer
}

func newAuditDiffCommand() *cobra.Command {
	opts := diffOptions{}
	cmd := &cobra.Command{
		Use:   "diff RUN_A RUN_B",
		Short: "Compare two runs of a runbook, step by step",
		Long: `diff compares two run directories of the same runbook, from their logs alone:
each step (the steps of both, in the order the runs logged them) with its
planned duration (its expect, from the runbook or the action's catalogue),
its status and duration in each run with how far off the plan it was, and
the difference, marked slower or faster when it is more than 10% and more
than 1s; the steps only one run has; the
decisions and the failures or skips one run has and the other not; and
whether the runbook file changed between them (its SHA-256 differs: which
steps changed is not in the logs).

A sandbox run's durations are on the sandbox's clock, as its RTO is
measured: as its log records it, or, in a log that does not, estimated as
real time multiplied by the sandbox's time scale.

Exit code 0; 2 when a directory is not a run, or the runs are of different
runbooks (--force compares them anyway).`,
		Example: `  drpilot audit diff OLD_RUN_DIR NEW_RUN_DIR
  drpilot audit diff A B --json | jq '.steps[]|select(.change=="slower")'`,
		Args: argsExactly(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.stdout = cmd.OutOrStdout()
			return runAuditDiff(opts, args[0], args[1])
		},
	}
	cmd.Flags().BoolVar(&opts.json, "json", false, "print the comparison as JSON")
	cmd.Flags().BoolVar(&opts.force, "force", false, "compare runs of different runbooks")
	return cmd
}

// runDiff is what audit diff prints.
type runDiff struct {
	A              diffRun    `json:"a"`
	B              diffRun    `json:"b"`
	RunbookChanged bool       `json:"runbook_changed"`
	Steps          []stepDiff `json:"steps"`
	Added          []string   `json:"added"`
	Removed        []string   `json:"removed"`
	// Differences are the decisions, failures and skips one run has and
	// the other not, one sentence each.
	Differences []string `json:"differences"`
}

type diffRun struct {
	Run       string  `json:"run"`
	Dir       string  `json:"dir"`
	Runbook   string  `json:"runbook"`
	SHA256    string  `json:"runbook_sha256"`
	Mode      string  `json:"mode"`
	Outcome   string  `json:"outcome"`
	RTO       string  `json:"rto"`
	TimeScale float64 `json:"time_scale,omitempty"`
	// Clock is the record's: "sandbox" when the durations are the
	// sandbox's clock as the log records it, "log" otherwise.
	Clock string `json:"clock"`
}

// stepDiff is one step in both runs; A or B is nil where the run has no
// such step.
type stepDiff struct {
	ID    string `json:"id"`
	Phase string `json:"phase,omitempty"`
	// Planned is the step's expected duration in B's runbook (A's when B
	// lacks the step), and PlannedA A's when it was different.
	Planned  string    `json:"planned,omitempty"`
	PlannedA string    `json:"planned_a,omitempty"`
	A        *stepSide `json:"a,omitempty"`
	B        *stepSide `json:"b,omitempty"`
	// Delta is B's duration less A's, when both ended.
	Delta string `json:"delta,omitempty"`
	// Change is slower, faster, status (it ended otherwise), added or
	// removed (the runbook changed), "not run in A" or "…B" (the same
	// runbook: that run stopped before it), "not in A" or "…B" (the
	// runbook changed and that run stopped early: either), or "" for the
	// same.
	Change string `json:"change,omitempty"`
}

type stepSide struct {
	Status   string `json:"status"`
	Duration string `json:"duration,omitempty"`
	Error    string `json:"error,omitempty"`
	Skip     string `json:"skip_reason,omitempty"`
	// VsPlanned is the duration less the planned one ("+40s"), when the
	// step ended and its runbook gave an expectation.
	VsPlanned string `json:"vs_planned,omitempty"`
	d         time.Duration
}

func runAuditDiff(opts diffOptions, dirA, dirB string) error {
	a, err := loadRun(dirA, nil)
	if err != nil {
		return badInput("RUN_A: %v", err)
	}
	b, err := loadRun(dirB, nil)
	if err != nil {
		return badInput("RUN_B: %v", err)
	}
	if a.RunbookID != b.RunbookID && !opts.force {
		return badInput("the runs are of different runbooks (%s, %s): give --force to compare them anyway", a.RunbookID, b.RunbookID)
	}
	d := diffRuns(a, b)
	if opts.json {
		enc := json.NewEncoder(opts.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(d)
	}
	printDiff(opts.stdout, d)
	return nil
}

func diffRuns(a, b *pastRun) *runDiff {
	d := &runDiff{A: a.diffRun(), B: b.diffRun(), RunbookChanged: a.Rec.RunbookSHA256 != b.Rec.RunbookSHA256,
		Added: []string{}, Removed: []string{}, Differences: []string{}}
	inA, inB := stepsByID(a.Rec), stepsByID(b.Rec)
	for _, id := range unionOrder(a.Rec.Steps, b.Rec.Steps) {
		sd := stepDiff{ID: id}
		planA, planB := a.planned(id), b.planned(id)
		if s, ok := inA[id]; ok {
			sd.A, sd.Phase = a.side(s, planA), s.Phase
		}
		if s, ok := inB[id]; ok {
			sd.B, sd.Phase = b.side(s, planB), s.Phase
		}
		sd.Planned = planB.text
		if sd.Planned == "" {
			sd.Planned = planA.text
		} else if planA.text != "" && planA.text != planB.text {
			sd.PlannedA = planA.text
		}
		sd.compare(d.RunbookChanged, a.outcome() == "succeeded", b.outcome() == "succeeded")
		switch sd.Change {
		case "added":
			d.Added = append(d.Added, id)
		case "removed":
			d.Removed = append(d.Removed, id)
		case "status":
			d.Differences = append(d.Differences, statusChange(sd))
		}
		d.Steps = append(d.Steps, sd)
	}
	d.Differences = append(d.Differences, decisionChanges(a.Rec.Decisions, b.Rec.Decisions)...)
	return d
}

func (r *pastRun) diffRun() diffRun {
	return diffRun{Run: r.Rec.Run, Dir: r.Dir, Runbook: r.RunbookID, SHA256: r.Rec.RunbookSHA256, Mode: r.Rec.Mode,
		Outcome: r.outcome(), RTO: r.Rec.RTO.Verdict, TimeScale: r.TimeScale, Clock: r.Rec.Clock}
}

func (r *pastRun) side(s audit.StepRecord, plan planned) *stepSide {
	side := &stepSide{Status: s.Status, Error: s.Error, Skip: s.SkipReason, d: r.stepDuration(s)}
	if side.d >= 0 {
		side.Duration = side.d.Round(time.Second).String()
		if plan.text != "" {
			side.VsPlanned = signed(side.d - plan.d)
		}
	}
	return side
}

// planned is a step's expected duration as its run's log gives it.
type planned struct {
	text string
	d    time.Duration
}

// planned reads a step's expectation from the plan run.start carries or,
// in a log written before it did, from the step's step.ready.
func (r *pastRun) planned(id string) planned {
	text := ""
	if i := slices.IndexFunc(r.Rec.Plan, func(p audit.PlanStep) bool { return p.ID == id }); i >= 0 {
		text = r.Rec.Plan[i].Expect
	} else if i := slices.IndexFunc(r.Rec.Steps, func(s audit.StepRecord) bool { return s.ID == id }); i >= 0 {
		text = r.Rec.Steps[i].Expect
	}
	d, err := runbooks.ParseDuration(text)
	if err != nil {
		return planned{}
	}
	return planned{text: text, d: d}
}

func stepsByID(rec *audit.Record) map[string]audit.StepRecord {
	m := make(map[string]audit.StepRecord, len(rec.Steps))
	for _, s := range rec.Steps {
		m[s.ID] = s
	}
	return m
}

// unionOrder is A's steps in the order A logged them, with each step only
// B has placed after the step B logged before it.
func unionOrder(a, b []audit.StepRecord) []string {
	var out []string
	for _, s := range a {
		out = append(out, s.ID)
	}
	after := -1
	for _, s := range b {
		if i := slices.Index(out, s.ID); i >= 0 {
			after = i
			continue
		}
		out = slices.Insert(out, after+1, s.ID)
		after++
	}
	return out
}

// compare sets the step's change: a step whose status differs says so
// first; durations count only between two steps that ended alike. A step
// one run lacks was added or removed only if the runbook changed and the
// run that lacks it got to the end; with the same runbook, that run
// stopped before it.
func (sd *stepDiff) compare(changed, aDone, bDone bool) {
	missing := func(run string, done bool) string {
		switch {
		case !changed:
			return "not run in " + run
		case done && run == "A":
			return "added"
		case done:
			return "removed"
		}
		return "not in " + run
	}
	switch {
	case sd.A == nil:
		sd.Change = missing("A", aDone)
		return
	case sd.B == nil:
		sd.Change = missing("B", bDone)
		return
	case sd.A.Status != sd.B.Status:
		sd.Change = "status"
	}
	if sd.A.d < 0 || sd.B.d < 0 {
		return
	}
	delta := sd.B.d - sd.A.d
	sd.Delta = signed(delta)
	if sd.Change != "" {
		return
	}
	// More than 10% and more than a second: a step of 200ms that took
	// 400ms did not get slower in any way that matters to an RTO.
	if abs := max(delta, -delta); abs > time.Second && abs*10 > sd.A.d {
		sd.Change = map[bool]string{true: "slower", false: "faster"}[delta > 0]
	}
}

func signed(d time.Duration) string {
	d = d.Round(time.Second)
	if d >= 0 {
		return "+" + d.String()
	}
	return d.String()
}

func statusChange(sd stepDiff) string {
	why := func(s *stepSide) string {
		switch {
		case s.Status == "started":
			return "started and not ended"
		case s.Error != "":
			return s.Status + " (" + cut(s.Error, 60) + ")"
		case s.Skip != "":
			return s.Status + " (" + cut(s.Skip, 60) + ")"
		}
		return s.Status
	}
	return fmt.Sprintf("step %s: %s in A, %s in B", sd.ID, why(sd.A), why(sd.B))
}

// decisionChanges are the decisions one run made and the other did not,
// by step and verdict: who made them and when differ between any two
// runs and are not a difference.
func decisionChanges(a, b []audit.Remark) []string {
	key := func(r audit.Remark) string { return orNone(r.Step) + ": " + r.What }
	count := func(list []audit.Remark) map[string]int {
		m := map[string]int{}
		for _, r := range list {
			m[key(r)]++
		}
		return m
	}
	ca, cb := count(a), count(b)
	var out []string
	for _, r := range a {
		if k := key(r); ca[k] > cb[k] {
			out = append(out, fmt.Sprintf("decision %s (%s) in A, not in B", k, r.Actor))
			ca[k]--
		}
	}
	ca = count(a)
	for _, r := range b {
		if k := key(r); cb[k] > ca[k] {
			out = append(out, fmt.Sprintf("decision %s (%s) in B, not in A", k, r.Actor))
			cb[k]--
		}
	}
	return out
}

func printDiff(w io.Writer, d *runDiff) {
	for _, r := range []struct {
		name string
		run  diffRun
	}{{"A", d.A}, {"B", d.B}} {
		fmt.Fprintf(w, "%s %s: %s, %s\n  %s\n", r.name, r.run.Run, modeLabel(r.run.Mode), r.run.Outcome, orDash(r.run.RTO))
	}
	if d.RunbookChanged {
		fmt.Fprintf(w, "runbook changed: the runbook file's SHA-256 differs (A %s, B %s); which steps changed is not in the logs\n",
			cut(d.A.SHA256, 13), cut(d.B.SHA256, 13))
	} else {
		fmt.Fprintf(w, "runbook unchanged (SHA-256 %s)\n", cut(d.A.SHA256, 13))
	}
	for _, r := range []diffRun{d.A, d.B} {
		switch {
		case r.Clock == "sandbox":
			fmt.Fprintf(w, "%s: durations on the sandbox's clock, as its log records it\n", r.Run)
		case r.TimeScale > 1:
			fmt.Fprintf(w, "%s: durations on the sandbox's clock estimated as real time × its time scale (its log does not record the clock)\n", r.Run)
		}
	}
	fmt.Fprintln(w)
	id := 4
	for _, s := range d.Steps {
		id = max(id, min(len(s.ID), 32))
	}
	row := func(cells ...any) {
		fmt.Fprintln(w, strings.TrimRight(fmt.Sprintf("%-*s  %-9s %-22s %-22s %-9s %s", cells...), " "))
	}
	row(id, "STEP", "PLANNED", "A (VS PLAN)", "B (VS PLAN)", "DELTA", "CHANGE")
	for _, s := range d.Steps {
		plan := orDash(s.Planned)
		if s.PlannedA != "" {
			plan = s.PlannedA + "→" + s.Planned
		}
		row(id, cut(s.ID, 32), plan, sideCell(s.A), sideCell(s.B), orDash(s.Delta), s.Change)
	}
	if len(d.Added) > 0 {
		fmt.Fprintf(w, "\nonly in B (added): %s\n", strings.Join(d.Added, ", "))
	}
	if len(d.Removed) > 0 {
		fmt.Fprintf(w, "\nonly in A (removed): %s\n", strings.Join(d.Removed, ", "))
	}
	if len(d.Differences) > 0 {
		fmt.Fprintln(w)
		for _, line := range d.Differences {
			fmt.Fprintln(w, line)
		}
	}
}

func sideCell(s *stepSide) string {
	if s == nil {
		return "-"
	}
	cell := s.Status + " " + orDash(s.Duration)
	if s.VsPlanned != "" {
		cell += " (" + s.VsPlanned + ")"
	}
	return cell
}
