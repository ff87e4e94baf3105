package main

// goals are drpilot's performance goals, each tied to the benchmark figure
// that measures it. A benchmark's own comment says how it measures; this
// is the one list of what it must reach.
var goals = []goal{
	{Text: "first frame < 150 ms from process start",
		Bench: "BenchmarkProcessToFirstFrame", Unit: "ms/first-frame", Max: 150},
	{Text: "the TUI never slows the run: 1,000 steps <= 1.05x headless",
		Bench: "BenchmarkTUIAgainstHeadless", Unit: "tui/headless", Max: 1.05},
	{Text: "run screen frame < 5 ms at 500 steps + 10k log lines",
		Bench: "BenchmarkRunScreen", Unit: "ms/frame", Max: 5},
	{Text: "executor overhead per step (fsync, checkpoints) median < 1 ms",
		Bench: "BenchmarkStepOverhead/mutating", Unit: "ms/step-p50", Max: 1},
	{Text: "executor overhead per step p90 < 2 ms",
		Bench: "BenchmarkStepOverhead/mutating", Unit: "ms/step-p90", Max: 2},
	{Text: "audit verify >= 100k events/s on a 100k-event log",
		Bench: "BenchmarkVerify", Unit: "events/s", Min: 100_000},
	{Text: "validate 1,000 steps < 20 ms",
		Bench: "BenchmarkLoadValidate/steps=1000", Unit: "ms/runbook", Max: 20},
	{Text: "validate scales linearly: 10k steps <= 12x 1k steps",
		Bench: "BenchmarkLoadValidate/steps=10000", Unit: "x-1k-steps", Max: 12},
	{Text: "waits poll no more often than the SDK's waiters",
		Bench: "BenchmarkWaitPolls", Unit: "x-sdk-polls", Max: 1.05},
	{Text: "100 restores at --parallel 16 within 1.1x of 7 rounds",
		Bench: "BenchmarkParallelRestores", Unit: "x-7-rounds", Max: 1.1},
	{Text: "sandbox >= 2,000 req/s on one-resource describes",
		Bench: "BenchmarkDescribeThroughSDK", Unit: "req/s", Min: 2000},
	{Text: "sandbox >= 2,000 req/s listing 100 instances (ec2query)",
		Bench: "BenchmarkSandboxListHundred/ec2-DescribeInstances", Unit: "req/s", Min: 2000},
	{Text: "sandbox >= 2,000 req/s listing 100 DB instances (query)",
		Bench: "BenchmarkSandboxListHundred/rds-DescribeDBInstances", Unit: "req/s", Min: 2000},
	{Text: "sandbox >= 2,000 req/s listing 100 secrets (JSON)",
		Bench: "BenchmarkSandboxListHundred/secretsmanager-ListSecrets", Unit: "req/s", Min: 2000},
	{Text: "binary <= 150 MB",
		Bench: "BenchmarkBinarySize", Unit: "MB-binary", Max: 150},
}
