// Command benchtable reads `go test -bench` output on stdin and prints the
// performance goals as a table: goal, measured, verdict. It is what
// `make bench` ends with, so that a goal is a line a person reads, not a
// number to look up in a benchmark's comment.
//
// It exits 0 whatever the verdicts: a benchmark on a loaded machine is a
// measurement, not a test. It exits 1 only when the output has a failed
// benchmark or the input cannot be read.
package main

import (
	"fmt"
	"io"
	"os"
)

func main() {
	results, failed, err := parse(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
	write(os.Stdout, judge(goals, results))
	if len(failed) > 0 {
		fmt.Fprintf(os.Stderr, "benchtable: failed: %v\n", failed)
		os.Exit(1)
	}
}

// write prints the rows as an aligned table, then the notes that explain
// a goal not met.
func write(w io.Writer, rows []row) {
	gw, mw := len("goal"), len("measured")
	for _, r := range rows {
		gw, mw = max(gw, len(r.Goal)), max(mw, len(r.Measured))
	}
	fmt.Fprintf(w, "%-*s  %-*s  %s\n", gw, "goal", mw, "measured", "verdict")
	for _, r := range rows {
		fmt.Fprintf(w, "%-*s  %-*s  %s\n", gw, r.Goal, mw, r.Measured, r.Verdict)
	}
	for _, r := range rows {
		if r.Verdict != verdictMet && r.Why != "" {
			fmt.Fprintf(w, "\n%s: %s\n", r.Goal, r.Why)
		}
	}
}
