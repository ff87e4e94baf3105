package steps

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
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
// step.ready to step.done less the time its AWS calls took, on the run's
// clock (the sandbox's, when it is scaled).
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
// fsync of every aws.request and a checkpoint after every mutating step
// (written in the background, and its fsyncs shared with the requests').
// Each iteration runs runs of 50 steps until at least 1,000 steps are
// measured, and reports their median and 90th percentile. The goal is a
// median under 1 ms and a p90 under 2 ms.
func BenchmarkStepOverhead(b *testing.B) {
	const n, atLeast = 50, 1000
	for _, bc := range []struct{ name, action, with string }{
		{"read-only", "wait", `duration = "1ns"`},
		{"mutating", "aws.call", `call = "ssm:PutParameter"
input = { Name = "/bench/{i}", Value = "on", Type = "String", Overwrite = true }`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			src := stepsRunbook(n, bc.action, bc.with)
			var all []time.Duration
			for b.Loop() {
				for measured := 0; measured < atLeast; measured += n {
					tr := prepareRun(b, src, "", runOptions{parallel: 1})
					if sum, err := tr.exec.Run(context.Background()); err != nil || sum.Outcome != OutcomeSucceeded {
						b.Fatalf("run: %v %+v", err, sum)
					}
					// The events' times are the sandbox's clock, which
					// runs Scale times faster than the real one.
					scale := tr.sb.Clock().Scale()
					for _, d := range stepOverheads(tr.rec) {
						all = append(all, time.Duration(float64(d)/scale))
					}
				}
			}
			slices.Sort(all)
			ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
			b.ReportMetric(ms(all[len(all)/2]), "ms/step-p50")
			b.ReportMetric(ms(all[len(all)*9/10]), "ms/step-p90")
			b.ReportMetric(float64(len(all)), "steps")
		})
	}
}

// volumeScenario has a completed snapshot in eu-west-2 to restore volumes
// from; a volume from a snapshot takes two simulated minutes.
const volumeScenario = `time_scale = 600
[[create]]
service = "ec2"
region = "eu-west-2"
operation = "CreateVolume"
id = "vol-0b0000000000000b1"
input = { AvailabilityZone = "eu-west-2a", Size = 100 }
[[create]]
service = "ec2"
region = "eu-west-2"
operation = "CreateSnapshot"
id = "snap-0b0000000000000a1"
input = { VolumeId = "vol-0b0000000000000b1" }
`

// volumeRestores is n independent volume restores.
func volumeRestores(n int) string {
	return stepsRunbook(n, "ec2.create-volume", `snapshot_id = "snap-0b0000000000000a1"
availability_zone = "eu-west-2a"`)
}

// BenchmarkParallelRestores runs 100 independent restores with --parallel
// 16 and reports how close the run comes to the schedule's lower bound:
// the larger of its critical path (one restore) and its total work (100
// restores) divided by 16, with one restore's time measured alone against
// the same sandbox. The goal is within 1.1x. Equal restores cannot beat
// ceil(100/16) = 7 rounds, 1.12x that bound, so the benchmark also reports
// the ratio to 7 rounds: what the scheduler itself adds.
func BenchmarkParallelRestores(b *testing.B) {
	var ratio, rounds float64
	for b.Loop() {
		one := prepareRun(b, volumeRestores(1), volumeScenario, runOptions{timeScale: 600})
		start := time.Now()
		if sum, err := one.exec.Run(context.Background()); err != nil || sum.Outcome != OutcomeSucceeded {
			b.Fatalf("one restore: %v %+v", err, sum)
		}
		single := time.Since(start)
		many := prepareRun(b, volumeRestores(100), volumeScenario, runOptions{timeScale: 600, parallel: 16})
		start = time.Now()
		if sum, err := many.exec.Run(context.Background()); err != nil || sum.Outcome != OutcomeSucceeded {
			b.Fatalf("100 restores: %v %+v", err, sum)
		}
		elapsed := time.Since(start)
		bound := max(single, time.Duration(float64(single)*100/16))
		ratio += float64(elapsed) / float64(bound)
		rounds += float64(elapsed) / float64(7*single)
	}
	b.ReportMetric(ratio/float64(b.N), "x-lower-bound")
	b.ReportMetric(rounds/float64(b.N), "x-7-rounds")
}

// BenchmarkWaitPolls reports the API calls a volume restore's built-in
// wait makes, next to those the SDK's own VolumeAvailable waiter makes for
// the same restore (its delays scaled like the executor's), and their
// ratio: the goal is no more than the SDK's. Both draw their pauses at
// random, so the ratio is a mean over the iterations.
func BenchmarkWaitPolls(b *testing.B) {
	var ours, sdk int64
	for b.Loop() {
		tr := prepareRun(b, volumeRestores(1), volumeScenario, runOptions{timeScale: 600})
		if _, err := tr.exec.Run(context.Background()); err != nil {
			b.Fatal(err)
		}
		ours += tr.exec.PollCount()

		scale := tr.sb.Clock().Scale()
		resp, err := tr.exec.opts.Clients.Invoke(context.Background(), "ec2", "eu-west-2", "CreateVolume",
			map[string]any{"SnapshotId": "snap-0b0000000000000a1", "AvailabilityZone": "eu-west-2a"})
		if err != nil {
			b.Fatal(err)
		}
		client, _ := tr.exec.opts.Clients.Client("ec2", "eu-west-2")
		before := countCalls(tr, "DescribeVolumes")
		waiter := ec2.NewVolumeAvailableWaiter(client.(*ec2.Client), func(o *ec2.VolumeAvailableWaiterOptions) {
			o.MinDelay = time.Duration(float64(15*time.Second) / scale)
			o.MaxDelay = time.Duration(float64(120*time.Second) / scale)
		})
		id, _ := resp.Output["VolumeId"].(string)
		if err := waiter.Wait(context.Background(), &ec2.DescribeVolumesInput{VolumeIds: []string{id}}, time.Minute); err != nil {
			b.Fatal(err)
		}
		sdk += int64(countCalls(tr, "DescribeVolumes") - before)
	}
	b.ReportMetric(float64(ours)/float64(b.N), "polls-drpilot")
	b.ReportMetric(float64(sdk)/float64(b.N), "polls-sdk-waiter")
	b.ReportMetric(float64(ours)/float64(sdk), "x-sdk-polls")
}

// countCalls counts the sandbox's requests for an operation.
func countCalls(tr *testRun, operation string) int {
	entries, _ := tr.sb.Journal().Entries()
	n := 0
	for _, e := range entries {
		if e.Operation == operation {
			n++
		}
	}
	return n
}
