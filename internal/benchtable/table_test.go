package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const sample = `goos: linux
BenchmarkStepOverhead/mutating-2         	      20	  60000000 ns/op	         0.9000 ms/step-p50	         2.500 ms/step-p90
BenchmarkStepOverhead/mutating-2         	      20	  60000000 ns/op	         1.100 ms/step-p50	         2.700 ms/step-p90
BenchmarkVerify   	       1	1000000000 ns/op	    150000 events/s
--- FAIL: BenchmarkBroken
FAIL	github.com/drpilot/drpilot/ui [build failed]
PASS
`

func TestParseAveragesRunsAndFindsFailures(t *testing.T) {
	got, failed, err := parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if v := got[metricKey{"BenchmarkStepOverhead/mutating", "ms/step-p50"}]; v < 0.999 || v > 1.001 {
		t.Errorf("p50 mean = %v, want 1.0 (mean of 0.9 and 1.1)", v)
	}
	if v := got[metricKey{"BenchmarkVerify", "events/s"}]; v != 150000 {
		t.Errorf("events/s = %v", v)
	}
	if len(failed) != 2 || failed[0] != "BenchmarkBroken" || failed[1] != "github.com/drpilot/drpilot/ui" {
		t.Errorf("failed = %v", failed)
	}
}

func TestJudgeBoundsAndMissingFigures(t *testing.T) {
	gs := []goal{
		{Text: "a", Bench: "B", Unit: "ms", Max: 1},
		{Text: "b", Bench: "B", Unit: "ops", Min: 10},
		{Text: "c", Bench: "C", Unit: "ms", Max: 1, Why: "disk"},
	}
	rows := judge(gs, map[metricKey]float64{{"B", "ms"}: 1.5, {"B", "ops"}: 10})
	want := []string{verdictMissed, verdictMet, verdictMissing}
	for i, r := range rows {
		if r.Verdict != want[i] {
			t.Errorf("%s: verdict %q, want %q", r.Goal, r.Verdict, want[i])
		}
	}
	var out strings.Builder
	write(&out, rows)
	if !strings.Contains(out.String(), "1.5 ms") || !strings.Contains(out.String(), "c: disk") {
		t.Errorf("table:\n%s", out.String())
	}
}

func TestEveryGoalHasOneBound(t *testing.T) {
	for _, g := range goals {
		if (g.Max == 0) == (g.Min == 0) {
			t.Errorf("%s: exactly one of Max and Min must be set", g.Text)
		}
	}
}

// A goal whose benchmark was renamed would read "not measured" for ever.
func TestEveryGoalNamesABenchmarkThatExists(t *testing.T) {
	defined := map[string]bool{}
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return err
		}
		src, err := os.ReadFile(path)
		for _, m := range benchFunc.FindAllSubmatch(src, -1) {
			defined[string(m[1])] = true
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range goals {
		top, _, _ := strings.Cut(g.Bench, "/")
		if !defined[top] {
			t.Errorf("%s: no func %s(b *testing.B) in the repository", g.Text, top)
		}
	}
}

var benchFunc = regexp.MustCompile(`(?m)^func (Benchmark\w+)\(b \*testing\.B\)`)
