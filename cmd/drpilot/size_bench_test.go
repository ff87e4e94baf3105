package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// binaryGoalMB is the most the drpilot binary may weigh (issue 12): it is
// one file an operator copies onto a bastion in the middle of an outage.
const binaryGoalMB = 150

// BenchmarkBinarySize builds drpilot as `make build` ships it (stripped of
// its symbol table and DWARF, which stack traces do not need) and reports
// its size, failing over the goal of 150 MB. Every AWS service drpilot
// can call links its whole SDK client, since aws.call reaches any of its
// operations by name, so each service in the registry costs about 2 MB.
// The size with symbols, as a plain go build makes it, is reported beside.
func BenchmarkBinarySize(b *testing.B) {
	if _, err := exec.LookPath("make"); err != nil {
		b.Skip("no make on this machine to build drpilot as it ships")
	}
	bin := filepath.Join(b.TempDir(), "drpilot")
	if out, err := exec.Command("make", "-s", "-C", "../..", "build", "BIN="+bin).CombinedOutput(); err != nil {
		b.Fatalf("make build: %v\n%s", err, out)
	}
	plain := drpilotBinaryFor(b)
	var shipped, withSymbols os.FileInfo
	for b.Loop() {
		var err error
		if shipped, err = os.Stat(bin); err != nil {
			b.Fatal(err)
		}
		if withSymbols, err = os.Stat(plain); err != nil {
			b.Fatal(err)
		}
	}
	mb := float64(shipped.Size()) / 1e6
	b.ReportMetric(mb, "MB-binary")
	b.ReportMetric(float64(withSymbols.Size())/1e6, "MB-with-symbols")
	if mb > binaryGoalMB {
		b.Errorf("drpilot is %.1f MB, over the goal of %d MB", mb, binaryGoalMB)
	}
}
