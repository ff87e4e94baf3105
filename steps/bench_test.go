package steps

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// stepsRunbook builds a runbook of n independent steps, each the given
// action with the given [steps.with] body, all gated off.
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

// BenchmarkStepOverhead measures what the executor adds to a step beyond
// its AWS call: scheduling, templates, events, and the audit log with its
// fsyncs (aws.request is durable) and a checkpoint after every mutating
// step. The goal is under 1 ms a step.
func BenchmarkStepOverhead(b *testing.B) {
	const n = 50
	b.Run("read-only", func(b *testing.B) {
		src := stepsRunbook(n, "wait", `duration = "0s"`)
		var total time.Duration
		for b.Loop() {
			tr := prepareRun(b, src, "", runOptions{parallel: 1})
			start := time.Now()
			tr.exec.Run(context.Background())
			total += time.Since(start)
		}
		b.ReportMetric(float64(total.Microseconds())/float64(b.N*n), "µs/step")
	})
	b.Run("mutating", func(b *testing.B) {
		src := stepsRunbook(n, "aws.call", `call = "ssm:PutParameter"
input = { Name = "/bench/{i}", Value = "on", Type = "String", Overwrite = true }`)
		var total, calls time.Duration
		for b.Loop() {
			tr := prepareRun(b, src, "", runOptions{parallel: 1})
			start := time.Now()
			tr.exec.Run(context.Background())
			total += time.Since(start)
			// The same calls without the executor, against the same
			// sandbox, to subtract.
			start = time.Now()
			for i := 0; i < n; i++ {
				tr.exec.opts.Clients.Invoke(context.Background(), "ssm", "eu-west-2", "PutParameter",
					map[string]any{"Name": fmt.Sprintf("/bench/%d", i), "Value": "on", "Type": "String", "Overwrite": true})
			}
			calls += time.Since(start)
		}
		b.ReportMetric(float64((total-calls).Microseconds())/float64(b.N*n), "µs-overhead/step")
	})
}
