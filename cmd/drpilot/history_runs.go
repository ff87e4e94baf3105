package main

import (
	"bufio"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/drpilot/drpilot/audit"
	"github.com/drpilot/drpilot/sandbox"
)

// pastRun is one run directory as history and audit diff read it: the
// record export builds (so durations and RTO/RPO verdicts are export's,
// never computed a second way) and what the listing adds.
type pastRun struct {
	Dir       string
	RunbookID string
	// OwnKey is set when the verdict was reached with the run's own
	// pub.pem, which proves the log whole, not who signed it.
	OwnKey bool
	// TimeScale is the sandbox's, for a sandbox run: its steps'
	// durations in the log are real time, and the sandbox's clock ran
	// this many times faster.
	TimeScale float64
	Rec       *audit.Record
	// Copy is the run's copy in an audit bucket (s3://…/RUN_ID/), when
	// history read one; Dir is then "" for a run this machine lacks.
	Copy string
}

// runbookID is the runbook's id, which the run id begins with; the log
// names the runbook by file, and the file may have moved.
func runbookID(rec *audit.Record) string {
	if id := runbookIDOf(rec.Run); id != "" {
		return id
	}
	return strings.TrimSuffix(filepath.Base(rec.Runbook), ".toml")
}

// loadRun reads a run directory once through export, against trusted, or
// the run's own pub.pem when trusted is nil.
func loadRun(dir string, trusted ed25519.PublicKey) (*pastRun, error) {
	if _, err := os.Stat(filepath.Join(dir, audit.EventsFile)); err != nil {
		return nil, fmt.Errorf("%s: %w", dir, audit.ErrNotALog)
	}
	run := &pastRun{Dir: dir}
	if trusted == nil {
		data, err := os.ReadFile(filepath.Join(dir, audit.PubFile))
		if err != nil {
			return nil, fmt.Errorf("%s: no %s: %w", dir, audit.PubFile, audit.ErrNotALog)
		}
		if trusted, err = audit.ParsePublicKey(data); err != nil {
			return nil, fmt.Errorf("%s: %v", filepath.Join(dir, audit.PubFile), err)
		}
		run.OwnKey = true
	}
	rec, err := audit.Export(dir, trusted)
	if err != nil {
		return nil, err
	}
	if rec.Run == "" {
		return nil, fmt.Errorf("%s: no run.start: %w", dir, audit.ErrNotALog)
	}
	run.Rec, run.RunbookID = rec, runbookID(rec)
	if rec.Mode == "sandbox" {
		run.TimeScale = sandboxTimeScale(dir)
	}
	return run, nil
}

// sandboxTimeScale reads the time scale from the first line of a sandbox
// run's recording; 1 when there is none.
func sandboxTimeScale(dir string) float64 {
	f, err := os.Open(filepath.Join(dir, "sandbox", sandbox.RecordingFile))
	if err != nil {
		return 1
	}
	defer f.Close()
	line, _ := bufio.NewReader(f).ReadBytes('\n')
	var h sandbox.Header
	if json.Unmarshal(line, &h) != nil || h.TimeScale <= 0 {
		return 1
	}
	return h.TimeScale
}

// stepDuration is a step's duration on the run's clock: real time, or the
// sandbox's in a sandbox run — exact when its events record the sandbox's
// clock (the record's times are then on it), else real time scaled, as
// the sandbox's clock runs; -1 for a step that did not end.
func (r *pastRun) stepDuration(s audit.StepRecord) time.Duration {
	if s.Ended.IsZero() {
		return -1
	}
	d := s.Ended.Sub(s.Started)
	if r.TimeScale > 1 && r.Rec.Clock != "sandbox" {
		d = time.Duration(float64(d) * r.TimeScale)
	}
	return d
}

// verdict is the log's verdict in a few words: which key it was checked
// against, and whether the log is sealed.
func (r *pastRun) verdict() string {
	v := string(r.Rec.Verdict)
	if r.OwnKey && r.Rec.Verdict == audit.Valid {
		// Checked against its own pub.pem, a VALID log is whole and
		// unchanged; who holds that key is another question.
		v = "VALID (own key)"
	}
	if !r.Rec.Sealed && r.Rec.Verdict != audit.Invalid {
		v += ", unsealed"
	}
	return v
}

// outcome is the run's outcome, "running" for a log without an end.
func (r *pastRun) outcome() string {
	if r.Rec.Outcome == "unfinished" || r.Rec.Outcome == "" {
		return "running"
	}
	return r.Rec.Outcome
}

// loadRuns reads every run directory under each of dirs (a directory
// that does not exist has no runs), newest first. What is not a run is
// reported to warn, in the order of the directories, and skipped. The
// logs are verified in parallel: verifying (signatures, Merkle roots) is
// most of the time a long history takes.
func loadRuns(dirs []string, trusted ed25519.PublicKey, warn func(string)) []*pastRun {
	var paths []string
	seen := map[string]bool{}
	for _, parent := range dirs {
		if _, err := os.Stat(filepath.Join(parent, audit.EventsFile)); err == nil && !seen[parent] {
			seen[parent] = true // --dir names a run, not a directory of runs
			paths = append(paths, parent)
			continue
		}
		entries, err := os.ReadDir(parent)
		if err != nil {
			if !os.IsNotExist(err) {
				warn(fmt.Sprintf("cannot read %s: %v", parent, unwrapPath(err)))
			}
			continue
		}
		for _, e := range entries {
			if dir := filepath.Join(parent, e.Name()); e.IsDir() && !seen[dir] {
				seen[dir] = true
				paths = append(paths, dir)
			}
		}
	}
	return loadDirs(paths, trusted, warn)
}

// loadDirs reads each run directory of paths, newest first, warning of
// those that are not runs.
func loadDirs(paths []string, trusted ed25519.PublicKey, warn func(string)) []*pastRun {
	loaded := make([]*pastRun, len(paths))
	errs := make([]error, len(paths))
	var wg sync.WaitGroup
	slots := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, dir := range paths {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer func() { <-slots; wg.Done() }()
			loaded[i], errs[i] = loadRun(dir, trusted)
		}()
	}
	wg.Wait()
	var runs []*pastRun
	for i, run := range loaded {
		if errs[i] != nil {
			msg := errs[i].Error()
			if !strings.HasPrefix(msg, paths[i]) {
				msg = paths[i] + ": " + msg
			}
			warn("skipping " + msg)
			continue
		}
		runs = append(runs, run)
	}
	slices.SortStableFunc(runs, func(a, b *pastRun) int { return b.Rec.Started.Compare(a.Rec.Started) })
	return runs
}

// lastRehearsal is the start screen's "since the last rehearsal" line:
// the newest finished run of runbook id under dirs (the current run, id
// self, aside), and whether the runbook's file has changed since.
func lastRehearsal(dirs []string, id, self, sha string) string {
	last := newestFinished(dirs, id, self)
	if last == nil {
		return "no earlier run of this runbook here"
	}
	rec := last.Rec
	line := fmt.Sprintf("since the last rehearsal: %s, %s, %s", rec.Started.UTC().Format("2006-01-02 15:04 UTC"),
		modeLabel(rec.Mode), last.outcome())
	if rec.RTO.Achieved != "" {
		line += ", RTO " + rec.RTO.Achieved
		if rec.RTO.Target != "" {
			line += " (target " + rec.RTO.Target + ")"
		}
	}
	if rec.RunbookSHA256 != sha {
		return line + "; the runbook changed since (its SHA-256 differs)"
	}
	return line + "; the runbook is unchanged since"
}

// newestFinished finds the newest run of runbook id that ended or paused,
// reading as few logs as it can, since the start screen waits for it: a
// directory named as drpilot names runs (<runbook id>-<UTC start>-<hex>)
// says its runbook and, sorted by name, its age, so those are read newest
// first until one finished; one named with --audit-dir has to be read.
func newestFinished(dirs []string, id, self string) *pastRun {
	var named, other []string
	for _, parent := range dirs {
		entries, _ := os.ReadDir(parent)
		for _, e := range entries {
			dir := filepath.Join(parent, e.Name())
			switch rid := runbookIDOf(e.Name()); {
			case !e.IsDir() || e.Name() == self || slices.Contains(named, dir) || slices.Contains(other, dir):
			case rid == id:
				named = append(named, dir)
			case rid == "":
				other = append(other, dir)
			}
		}
	}
	slices.SortFunc(named, func(a, b string) int { return strings.Compare(filepath.Base(b), filepath.Base(a)) })
	var last *pastRun
	consider := func(dir string) bool {
		run, err := loadRun(dir, nil)
		if err != nil || run.RunbookID != id || run.Rec.Run == self || run.outcome() == "running" {
			return false
		}
		if last == nil || run.Rec.Started.After(last.Rec.Started) {
			last = run
		}
		return true
	}
	for _, dir := range named {
		if consider(dir) {
			break
		}
	}
	for _, dir := range other {
		consider(dir)
	}
	return last
}

// rehearsalDirs are where the start screen looks for earlier runs: the
// state directory's runs, and the directory the current run is kept in.
func rehearsalDirs(runDir string) []string {
	var dirs []string
	if runs, err := defaultRunsDir(); err == nil {
		dirs = append(dirs, runs)
	}
	if parent := filepath.Dir(runDir); !slices.Contains(dirs, parent) {
		dirs = append(dirs, parent)
	}
	return dirs
}
