package audit

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"
)

// testKey makes a signing key for a test.
func testKey(t testing.TB) ed25519.PrivateKey {
	t.Helper()
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// stepClock is a clock that moves one second per reading.
func stepClock() func() time.Time {
	var mu sync.Mutex
	t := time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC)
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t = t.Add(time.Second)
		return t
	}
}

// writeRun writes a run of n events after run.start, a mix of the types
// the executor writes, and seals it when seal is set.
func writeRun(t testing.TB, dir string, key ed25519.PrivateKey, n int, seal bool) {
	t.Helper()
	writeRunCheckpointing(t, dir, key, n, seal, 0)
}

// writeRunCheckpointing is writeRun with an explicit checkpoint after every
// every-th event, as the executor makes after each mutating step.
func writeRunCheckpointing(t testing.TB, dir string, key ed25519.PrivateKey, n int, seal bool, every int) {
	t.Helper()
	writeRunLayout(t, dir, key, n, seal, every, false)
}

// writeRunLayout is writeRunCheckpointing, in the older layout (a file per
// checkpoint) when fileLayout is set.
func writeRunLayout(t testing.TB, dir string, key ed25519.PrivateKey, n int, seal bool, every int, fileLayout bool) {
	t.Helper()
	w, err := Create(dir, Options{RunID: "run-1", Key: key, Now: stepClock(), Actor: "alice", fileLayout: fileLayout,
		Start: RunInfo{Runbook: "store-region-failover", Mode: "sandbox", Regions: map[string]string{"primary": "ap-northeast-1"}}})
	if err != nil {
		t.Fatal(err)
	}
	types := []string{TypeStepReady, TypePrecondition, TypeAWSRequest, TypeAWSResponse, TypeStepDone}
	for i := 0; i < n; i++ {
		typ := types[i%len(types)]
		data := map[string]any{"i": i, "operation": "rds:PromoteReadReplica"}
		if _, err := w.Append(Entry{Type: typ, Step: fmt.Sprintf("step-%d", i/len(types)), Actor: "alice", Data: data}); err != nil {
			t.Fatal(err)
		}
		if every > 0 && i%every == every-1 {
			if err := w.Checkpoint(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if seal {
		if err := w.Seal("alice", map[string]any{"outcome": "completed"}); err != nil {
			t.Fatal(err)
		}
	} else if err := errors.Join(w.file.Close(), w.cps.close()); err != nil {
		t.Fatal(err)
	}
}

func TestWriterSealedRunIsValid(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		every int
		// Lines covered by the checkpoints: every 64 events without one,
		// after each explicit one, and the seal (run.start + 150 + run.end).
		want []int64
	}{
		{"every 64 events", 0, []int64{64, 128, 152}},
		{"after each mutating step", 40, []int64{41, 81, 121, 152}},
		{"both", 100, []int64{64, 101, 152}},
	} {
		dir, key := t.TempDir(), testKey(t)
		writeRunCheckpointing(t, dir, key, 150, true, tt.every)
		rep, err := Verify(dir, key.Public().(ed25519.PublicKey))
		if err != nil {
			t.Fatal(err)
		}
		if rep.Verdict != Valid || rep.Lines != 152 || !rep.Sealed || len(rep.Warnings) != 0 {
			t.Fatalf("%s: report = %+v", tt.name, rep)
		}
		got := checkpointCovers(t, dir)
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("%s: checkpoints cover %v lines, want %v", tt.name, got, tt.want)
		}
	}
}

func TestWriterRefusesExistingLog(t *testing.T) {
	t.Parallel()
	dir, key := t.TempDir(), testKey(t)
	writeRun(t, dir, key, 1, true)
	if _, err := Create(dir, Options{RunID: "run-2", Key: key}); err == nil || !strings.Contains(err.Error(), "already holds a run's log") {
		t.Fatalf("Create over an existing log: %v", err)
	}
}

func TestWriterConcurrentAppends(t *testing.T) {
	t.Parallel()
	dir, key := t.TempDir(), testKey(t)
	w, err := Create(dir, Options{RunID: "run-c", Key: key})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				if _, err := w.Append(Entry{Type: TypeNote, Step: fmt.Sprintf("branch-%d", g), Data: map[string]int{"i": i}}); err != nil {
					t.Error(err)
					return
				}
				if i%7 == 0 {
					if err := w.Checkpoint(); err != nil {
						t.Error(err)
					}
				}
			}
		}()
	}
	wg.Wait()
	if err := w.Seal("", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Append(Entry{Type: TypeNote}); err != ErrClosed {
		t.Errorf("Append after Seal: %v, want ErrClosed", err)
	}
	rep, err := Verify(dir, key.Public().(ed25519.PublicKey))
	if err != nil || rep.Verdict != Valid || rep.Lines != 402 {
		t.Fatalf("report = %+v, %v", rep, err)
	}
}

func TestWriterRedactsSecrets(t *testing.T) {
	t.Parallel()
	dir, key := t.TempDir(), testKey(t)
	w, err := Create(dir, Options{RunID: "run-r", Key: key})
	if err != nil {
		t.Fatal(err)
	}
	data := map[string]any{
		"operation": "rds:RestoreDBInstanceToPointInTime",
		"input": map[string]any{
			"DBInstanceIdentifier": "orders",
			"MasterUserPassword":   "hunter2",
			"ClientToken":          "run-r/restore",
			"Tags":                 []any{map[string]any{"Key": "x", "secret_access_key": "wJalrXUtnFEMI"}},
		},
		"webhook_body": "keep me out",
	}
	if _, err := w.Append(Entry{Type: TypeAWSRequest, Data: data, Sensitive: []string{"webhook_body"}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Seal("", nil); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, EventsFile))
	line := strings.Split(string(raw), "\n")[1]
	for _, secret := range []string{"hunter2", "wJalrXUtnFEMI", "keep me out"} {
		if strings.Contains(line, secret) {
			t.Errorf("the log contains the secret %q: %s", secret, line)
		}
	}
	var e struct {
		Data struct {
			Input struct {
				ClientToken string `json:"ClientToken"`
			} `json:"input"`
			Redacted []string `json:"_redacted"`
			Sum      string   `json:"_unredacted_sha256"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(line), &e); err != nil {
		t.Fatal(err)
	}
	want := []string{"input.MasterUserPassword", "input.Tags[0].secret_access_key", "webhook_body"}
	if strings.Join(e.Data.Redacted, ",") != strings.Join(want, ",") {
		t.Errorf("redacted %v, want %v", e.Data.Redacted, want)
	}
	orig, _ := json.Marshal(data)
	sum := sha256.Sum256(orig)
	if e.Data.Sum != hex.EncodeToString(sum[:]) {
		t.Errorf("_unredacted_sha256 = %s, want the SHA-256 of the data as given", e.Data.Sum)
	}
	if e.Data.Input.ClientToken != "run-r/restore" {
		t.Errorf("the idempotency token was redacted: %q", e.Data.Input.ClientToken)
	}
}

// TestCrashAtAnyInstant cuts a sealed log at every byte near a line end
// (where a torn line turns whole) and every 11th byte elsewhere, keeping the
// checkpoints that would have existed by then (a checkpoint is written
// only after the lines it covers are synced): every cut verifies as
// INCOMPLETE up to its last whole line, never INVALID.
func TestCrashAtAnyInstant(t *testing.T) {
	t.Parallel()
	src, key := t.TempDir(), testKey(t)
	writeRunCheckpointing(t, src, key, 70, true, 10)
	events, _ := os.ReadFile(filepath.Join(src, EventsFile))
	pub, _ := os.ReadFile(filepath.Join(src, PubFile))
	cps, _ := os.ReadFile(filepath.Join(src, CheckpointsFile))
	cpLines := bytes.SplitAfter(cps, []byte("\n"))
	if len(cpLines) < 7 {
		t.Fatalf("want a checkpoint every 10 events, got %q", cps)
	}
	for cut := 0; cut < len(events); cut++ {
		if nearLF := strings.Contains(string(events[max(cut-2, 0):min(cut+3, len(events))]), "\n"); !nearLF && cut%11 != 0 {
			continue
		}
		whole := int64(strings.Count(string(events[:cut]), "\n"))
		// The checkpoints written by then, and, when one more was being
		// written as the crash came, half of it: a torn line.
		var kept []byte
		for _, line := range cpLines {
			var cl checkpointLine
			if json.Unmarshal(line, &cl) == nil && cl.N <= whole {
				kept = append(kept, line...)
			} else if len(line) > 0 && cut%2 == 0 {
				kept = append(kept, line[:len(line)/2]...)
				break
			}
		}
		fsys := fstest.MapFS{EventsFile: {Data: events[:cut]}, PubFile: {Data: pub}, CheckpointsFile: {Data: kept}}
		rep, err := VerifyFS(fsys, key.Public().(ed25519.PublicKey))
		if err != nil {
			t.Fatal(err)
		}
		if rep.Verdict != Incomplete || rep.Lines != whole || rep.Seq != whole-1 {
			t.Fatalf("cut at byte %d (%d whole lines): %+v", cut, whole, rep)
		}
	}
}
