package audit

import (
	"crypto/ed25519"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// benchRun is the log of a 10,000-step run as the executor writes it,
// every step mutating: ten events a step (step.ready, a precondition, two
// calls with their answers, three progress notes, step.done) and a
// checkpoint after each, 100,002 lines in all. It is written once per
// test binary, in memory-backed storage when there is some: the setup
// does 30,000 fsyncs, which is not what the benchmarks measure.
var benchRun struct {
	once sync.Once
	dir  string
	pub  ed25519.PublicKey
	err  error
}

const benchSteps = 10_000

// TestMain removes the benchmarks' log, which they share, after all of
// them.
func TestMain(m *testing.M) {
	code := m.Run()
	if benchRun.dir != "" {
		os.RemoveAll(benchRun.dir)
	}
	os.Exit(code)
}

func benchLog(b *testing.B) (string, ed25519.PublicKey) {
	b.Helper()
	benchRun.once.Do(func() {
		parent := ""
		if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
			parent = "/dev/shm"
		}
		benchRun.dir, benchRun.err = os.MkdirTemp(parent, "drpilot-audit-bench-")
		if benchRun.err != nil {
			return
		}
		key, err := GenerateKey()
		if err != nil {
			benchRun.err = err
			return
		}
		benchRun.pub = key.Public().(ed25519.PublicKey)
		benchRun.err = writeStepsLog(benchRun.dir, key, benchSteps)
	})

	if benchRun.err != nil {
		b.Fatal(benchRun.err)
	}
	return benchRun.dir, benchRun.pub
}

// writeStepsLog writes the log of a run of n mutating steps.
func writeStepsLog(dir string, key ed25519.PrivateKey, n int) error {
	w, err := Create(dir, Options{RunID: "bench", Key: key, Now: time.Now, Actor: "alice", Start: RunInfo{Runbook: "bench", Mode: "sandbox"}})
	if err != nil {
		return err
	}
	for i := range n {
		step := "step-" + itoa(i)
		entries := []Entry{
			{Type: TypeStepReady, Step: step, Data: map[string]any{"phase": "restore", "action": "aws.call", "region": "eu-west-2"}},
			{Type: TypePrecondition, Step: step, Data: map[string]any{"check": "replica-lag", "ok": true}},
		}
		for call := range 2 {
			entries = append(entries,
				Entry{Type: TypeAWSRequest, Step: step, Data: map[string]any{"call": call, "operation": "ssm:PutParameter", "region": "eu-west-2", "input": map[string]any{"Name": "/dr/" + step, "Value": "on", "Overwrite": true}}},
				Entry{Type: TypeAWSResponse, Step: step, Data: map[string]any{"call": call, "request_id": "5f0e8c2a-3b1d-4c6e-9a7f-" + itoa(100000+i), "output": map[string]any{"Version": 2, "Tier": "Standard"}}})
		}
		for p := range 3 {
			entries = append(entries, Entry{Type: TypeNote, Step: step, Data: map[string]any{"text": "polling: state available", "poll": p}})
		}
		entries = append(entries, Entry{Type: TypeStepDone, Step: step, Data: map[string]any{"attempt": 1}})
		for _, e := range entries {
			if _, err := w.Append(e); err != nil {
				return err
			}
		}
		if err := w.Checkpoint(); err != nil {
			return err
		}
	}
	return w.Seal("alice", map[string]any{"outcome": "succeeded"})
}

func itoa(i int) string { return string(appendInt(nil, i)) }

func appendInt(b []byte, i int) []byte {
	if i >= 10 {
		b = appendInt(b, i/10)
	}
	return append(b, byte('0'+i%10))
}

// BenchmarkVerify100kEvents verifies a sealed 100,002-line log with a
// checkpoint after each of its 10,000 steps. The goal is 100,000 events/s.
func BenchmarkVerify100kEvents(b *testing.B) {
	dir, pub := benchLog(b)
	var lines int64
	start, cpu := time.Now(), cpuTime()
	for b.Loop() {
		rep, err := Verify(dir, pub)
		if err != nil || rep.Verdict != Valid {
			b.Fatalf("verify: %v %+v", err, rep)
		}
		lines += rep.Lines
	}
	b.ReportMetric(float64(lines)/time.Since(start).Seconds(), "events/s")
	// Per second of CPU too: on a machine shared with other work the
	// wall clock says as much about the others as about verify.
	b.ReportMetric(float64(lines)/(cpuTime()-cpu).Seconds(), "events/cpu-s")
}

// cpuTime is the CPU time this process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkCheckpointsOf10kSteps reports what the checkpoints of a
// 10,000-step run (a checkpoint after every step) cost on disk: how many
// files they take and their bytes per byte of events.jsonl.
func BenchmarkCheckpointsOf10kSteps(b *testing.B) {
	dir, _ := benchLog(b)
	for b.Loop() {
		files, bytes := 0, int64(0)
		err := filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
			if err != nil || info.IsDir() {
				return err
			}
			if name := filepath.Base(path); name != EventsFile && name != PubFile {
				files++
				bytes += info.Size()
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		log, err := os.Stat(filepath.Join(dir, EventsFile))
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(files), "checkpoint-files")
		b.ReportMetric(float64(bytes)/float64(log.Size()), "checkpoint/log")
	}
}
