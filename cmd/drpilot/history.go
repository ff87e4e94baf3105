package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/drpilot/drpilot/audit"
	"github.com/spf13/cobra"
)

type historyOptions struct {
	runbook string
	json    bool
	dirs    []string
	buckets []string
	s3      s3Flags
	pub     string
	files   []string
	stdout  io.Writer
	stderr  io.Writer
}

func newHistoryCommand() *cobra.Command {
	opts := historyOptions{}
	cmd := &cobra.Command{
		Use:   "history [FILE...]",
		Short: "List past runs, here and in audit buckets",
		Long: `history lists every run under the state directory's runs
($XDG_STATE_HOME/drpilot/runs) and under each --dir, newest first: when it
started (UTC), the runbook, the mode, the operator, the outcome, the RTO and
RPO achieved against their targets (as audit export measures them), how long
it took, and the verdict of its log.

Given runbook FILEs, it lists their runs only, and adds the copies in the
audit bucket each names in [runbook.team] (in the team Region). --bucket
s3://BUCKET[/PREFIX] adds the copies in any bucket (--region, --profile).
A run found here and in a bucket is listed once; FROM says where (here, s3,
both). A bucket that cannot be read is a warning on stderr, not a failure.

Each log is verified with its own pub.pem ("VALID (own key)": whole and
unchanged, not who signed it), or with --pub, the key you trust. A log that
is not sealed (a paused or interrupted run) says so. A directory that is not
a run is skipped with a warning on stderr.

Exit code 0; 2 when a --dir, a FILE, a --bucket address or the key cannot
be read.`,
		Example: `  drpilot history
  drpilot history runbooks/store-region-failover.toml --pub keys/oncall.pub
  drpilot history --bucket s3://acme-dr-audit --region eu-west-2
  drpilot history --dir ./rehearsals --json | jq '.[0].rto'`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.stdout, opts.stderr, opts.files = cmd.OutOrStdout(), cmd.ErrOrStderr(), args
			return runHistory(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.runbook, "runbook", "", "only the runs of this runbook id")
	f.BoolVar(&opts.json, "json", false, "print the runs as a JSON array")
	f.StringArrayVar(&opts.dirs, "dir", nil, "another directory of run directories (repeatable)")
	f.StringVar(&opts.pub, "pub", "", "verify the logs with this trusted key, not their own")
	f.StringArrayVar(&opts.buckets, "bucket", nil, "also the copies in this audit bucket, s3://BUCKET[/PREFIX] (repeatable)")
	opts.s3.add(cmd)
	return cmd
}

// historyRow is one run in history's listing (and its --json).
type historyRow struct {
	Run      string          `json:"run"`
	Dir      string          `json:"dir"`
	Started  time.Time       `json:"started"`
	Runbook  string          `json:"runbook"`
	File     string          `json:"runbook_file"`
	SHA256   string          `json:"runbook_sha256"`
	Mode     string          `json:"mode"`
	Operator string          `json:"operator"`
	Outcome  string          `json:"outcome"`
	RTO      audit.Objective `json:"rto"`
	RPO      audit.Objective `json:"rpo"`
	Duration string          `json:"duration,omitempty"`
	Verdict  string          `json:"verdict"`
	// From is where the run was found: "here" (Dir), "s3" (Copy), or
	// "both".
	From      string  `json:"from"`
	Copy      string  `json:"copy,omitempty"`
	Sealed    bool    `json:"sealed"`
	OwnKey    bool    `json:"verified_with_own_key"`
	TimeScale float64 `json:"time_scale,omitempty"`
}

func runHistory(ctx context.Context, opts historyOptions) error {
	trusted, err := readTrustedKey(opts.pub)
	if err != nil {
		return err
	}
	buckets, ids, err := historyBuckets(opts.files, opts.buckets, opts.stderr)
	if err != nil {
		return err
	}
	if opts.runbook != "" {
		ids = append(ids, opts.runbook)
		for i, b := range buckets {
			if b.prefix == "drpilot/" { // only that runbook's copies need reading
				buckets[i].prefix = "drpilot/" + opts.runbook + "/"
			}
		}
	}
	for _, d := range opts.dirs {
		if _, err := os.Stat(d); err != nil {
			return badInput("--dir: %v", unwrapPath(err))
		}
	}
	dirs := opts.dirs
	if runs, err := defaultRunsDir(); err == nil {
		dirs = append([]string{runs}, dirs...)
	}
	warn := func(s string) { fmt.Fprintf(opts.stderr, "drpilot history: %s\n", s) }
	runs := loadRuns(dirs, trusted, warn)
	if len(buckets) > 0 {
		tmp, cleanup, err := historyTemp()
		if err != nil {
			return err
		}
		defer cleanup()
		runs = mergeRuns(runs, bucketRuns(ctx, buckets, opts.s3, tmp, trusted, warn))
	}
	rows := []historyRow{}
	for _, r := range runs {
		if len(ids) == 0 || slices.Contains(ids, r.RunbookID) {
			rows = append(rows, r.row())
		}
	}
	if opts.json {
		enc := json.NewEncoder(opts.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	for _, b := range buckets {
		dirs = append(dirs, b.url())
	}
	printHistory(opts.stdout, rows, dirs, len(buckets) > 0)
	return nil
}

func (r *pastRun) row() historyRow {
	rec := r.Rec
	row := historyRow{Run: rec.Run, Dir: r.Dir, Started: rec.Started.UTC(), Runbook: r.RunbookID, File: rec.Runbook,
		SHA256: rec.RunbookSHA256, Mode: rec.Mode, Operator: rec.Operator, Outcome: r.outcome(), RTO: rec.RTO, RPO: rec.RPO,
		Verdict: r.verdict(), Sealed: rec.Sealed, OwnKey: r.OwnKey, TimeScale: r.TimeScale, Copy: r.Copy, From: "here"}
	switch {
	case r.Dir == "":
		row.From = "s3"
	case r.Copy != "":
		row.From = "both"
	}
	if !rec.Ended.IsZero() {
		row.Duration = rec.Ended.Sub(rec.Started).Round(time.Second).String()
	}
	return row
}

// historyWidth is the listing's width; the runbook column gets what the
// others leave, and every other column has a cap, so no line is wider.
const historyWidth = 100

// historyCaps are the columns' widest, the runbook's (index 1) unused;
// with buckets read, the operator's is narrower and FROM comes last.
var historyCaps = []int{16, 0, 7, 10, 9, 11, 11, 7, 10}

func printHistory(w io.Writer, rows []historyRow, dirs []string, from bool) {
	if len(rows) == 0 {
		fmt.Fprintf(w, "no runs under %s\n", strings.Join(dirs, ", "))
		return
	}
	caps := slices.Clone(historyCaps)
	head := []string{"STARTED (UTC)", "RUNBOOK", "MODE", "OPERATOR", "OUTCOME", "RTO", "RPO", "TOOK", "LOG"}
	if from {
		caps[3] -= 2
		caps, head = append(caps, 4), append(head, "FROM")
	}
	table := [][]string{head}
	for _, r := range rows {
		cells := []string{r.Started.Format("2006-01-02 15:04"), r.Runbook, modeLabel(r.Mode), r.Operator,
			r.Outcome, objectiveCell(r.RTO), objectiveCell(r.RPO), orDash(r.Duration), shortVerdict(r.Verdict)}
		if from {
			cells = append(cells, r.From)
		}
		table = append(table, cells)
	}
	widths := make([]int, len(caps))
	for _, cells := range table {
		for i, c := range cells {
			widths[i] = max(widths[i], len([]rune(c)))
		}
	}
	rest := historyWidth - (len(widths) - 1)
	for i := range widths {
		if i != 1 {
			widths[i] = min(widths[i], caps[i])
			rest -= widths[i]
		}
	}
	widths[1] = max(min(widths[1], rest), 8)
	for _, cells := range table {
		var line strings.Builder
		for i, c := range cells {
			if i == len(cells)-1 {
				line.WriteString(cut(c, widths[i]))
				break
			}
			fmt.Fprintf(&line, "%-*s ", widths[i], cut(c, widths[i]))
		}
		fmt.Fprintln(w, strings.TrimRight(line.String(), " "))
	}
}

// shortVerdict keeps the listing narrow; --json has the whole verdict. An
// INCOMPLETE log is unsealed by definition.
func shortVerdict(v string) string {
	v = strings.Replace(v, "INCOMPLETE, unsealed", "INCOMPLETE", 1)
	return strings.NewReplacer("VALID (own key)", "VALID own", "UNTRUSTED KEY", "UNTRUSTED", ", unsealed", " unsealed").Replace(v)
}

func modeLabel(mode string) string {
	return strings.ToUpper(mode)
}

// objectiveCell is achieved against target: "7m46s<=30m" met,
// "41m>30m" missed, "12m/30m" when no verdict applies (a run that did
// not recover), "-" when nothing was measured.
func objectiveCell(o audit.Objective) string {
	if o.Achieved == "" && o.Target == "" {
		return "-"
	}
	sep := "/"
	if o.Met != nil && *o.Met {
		sep = "<="
	} else if o.Met != nil {
		sep = ">"
	}
	return orDash(o.Achieved) + sep + orDash(o.Target)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// cut shortens s to n columns, with "…" for what it left out.
func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
