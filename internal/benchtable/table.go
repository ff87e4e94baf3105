package main

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// goal is one performance goal: a metric a benchmark reports, and the
// bound it must keep.
type goal struct {
	// Text is the goal as a person states it.
	Text string
	// Bench is the benchmark's full name without the -N CPU suffix,
	// sub-benchmarks included ("BenchmarkStepOverhead/mutating").
	Bench string
	// Unit is the metric's unit as the benchmark reports it.
	Unit string
	// Max or Min bounds the metric; exactly one is set.
	Max, Min float64
	// Why says why a goal cannot be met on this machine, with what
	// shows the limit; printed under the table when it is not met.
	Why string
}

const (
	verdictMet     = "met"
	verdictMissed  = "MISSED"
	verdictMissing = "not measured"
)

// row is one line of the table.
type row struct {
	Goal, Measured, Verdict, Why string
}

// metricKey names one measured figure.
type metricKey struct{ bench, unit string }

// benchLine is a result line: name-N, iterations, then value unit pairs.
var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+(.*)$`)

// parse reads `go test -bench` output. A figure reported by several runs
// of the same benchmark (-count) is their mean. It also returns the
// benchmarks that failed.
func parse(r io.Reader) (map[metricKey]float64, []string, error) {
	sums, counts := map[metricKey]float64{}, map[metricKey]int{}
	var failed []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if name, ok := strings.CutPrefix(strings.TrimSpace(line), "--- FAIL: "); ok {
			failed = append(failed, strings.Fields(name)[0])
			continue
		}
		if pkg, ok := strings.CutPrefix(line, "FAIL\t"); ok {
			failed = append(failed, strings.Fields(pkg)[0])
			continue
		}
		m := benchLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		fields := strings.Fields(m[2])
		for i := 0; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				break
			}
			k := metricKey{m[1], fields[i+1]}
			sums[k] += v
			counts[k]++
		}
	}
	if err := sc.Err(); err != nil {
		return nil, nil, err
	}
	for k := range sums {
		sums[k] /= float64(counts[k])
	}
	return sums, failed, nil
}

// judge gives each goal its row.
func judge(goals []goal, results map[metricKey]float64) []row {
	rows := make([]row, 0, len(goals))
	for _, g := range goals {
		r := row{Goal: g.Text, Why: g.Why, Verdict: verdictMissing, Measured: "-"}
		if v, ok := results[metricKey{g.Bench, g.Unit}]; ok {
			r.Measured = fmt.Sprintf("%s %s", strconv.FormatFloat(v, 'g', 4, 64), g.Unit)
			r.Verdict = verdictMet
			if (g.Max != 0 && v > g.Max) || (g.Min != 0 && v < g.Min) {
				r.Verdict = verdictMissed
			}
		}
		rows = append(rows, r)
	}
	return rows
}
