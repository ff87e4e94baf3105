package steps

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// stepsRunbook builds a runbook of n independent steps, each the given
// action with the given [steps.with] body, none of them gated.
func stepsRunbook(n int, action, with string) string {
	var b strings.Builder
	b.WriteString(`format = 1
[runbook]
id = "bench"
title = "Benchmark"
[runbook.regions]
primary = "eu-west-1"
recovery = "eu-west-2"
`)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "\n[[steps]]\nid = \"s%d\"\nphase = \"restore\"\naction = %q\nconfirm = \"none\"\nafter = []\ndoc = \"x\"\n[steps.with]\n%s\n",
			i, action, strings.ReplaceAll(with, "{i}", fmt.Sprint(i)))
	}
	return b.String()
}

// stepOverheads returns, per step of a finished run, its time from
// step.ready to step.done less the time its AWS calls took.
func stepOverheads(rec *recorder) []time.Duration {
	ready := map[string]time.Time{}
	calls := map[string]time.Duration{}
	var out []time.Duration
	for _, e := range rec.all() {
		switch e.Type {
		case EventStepReady:
			ready[e.Step] = e.Time
		case EventCallDone:
			calls[e.Step] += e.Call.Duration
		case EventStepDone:
			out = append(out, e.Time.Sub(ready[e.Step])-calls[e.Step])
		}
	}
	return out
}

// BenchmarkStepOverhead measures what the executor adds to a step beyond
// its AWS call: templates, events, scheduling and the audit log, with the
// fsync of every aws.request and a checkpoint after every mutating step.
// The goal is a median under 1 ms.
func BenchmarkStepOverhead(b *testing.B) {
	const n = 50
	for _, bc := range []struct{ name, action, with string }{
		{"read-only", "wait", `duration = "1ns"`},
		{"mutating", "aws.call", `call = "ssm:PutParameter"
input = { Name = "/bench/{i}", Value = "on", Type = "String", Overwrite = true }`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			src := stepsRunbook(n, bc.action, bc.with)
			var all []time.Duration
			for b.Loop() {
				tr := prepareRun(b, src, "", runOptions{parallel: 1})
				if sum, err := tr.exec.Run(context.Background()); err != nil || sum.Outcome != OutcomeSucceeded {
					b.Fatalf("run: %v %+v", err, sum)
				}
				all = append(all, stepOverheads(tr.rec)...)
			}
			slices.Sort(all)
			b.ReportMetric(float64(all[len(all)/2].Microseconds()), "µs-median/step")
			b.ReportMetric(float64(all[len(all)*9/10].Microseconds()), "µs-p90/step")
		})
	}
}
