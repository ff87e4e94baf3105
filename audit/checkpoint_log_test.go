package audit

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTamperedMiddleCheckpoint: verify checks only the newest signature,
// and every other checkpoint through the chain of checkpoint lines, so a
// change to any checkpoint in the middle is still INVALID.
func TestTamperedMiddleCheckpoint(t *testing.T) {
	t.Parallel()
	key := testKey(t)
	pub := key.Public().(ed25519.PublicKey)
	src := t.TempDir()
	writeRunCheckpointing(t, src, key, 100, true, 10) // checkpoints at 11, 21, ..., 64, ..., 102
	data, _ := os.ReadFile(filepath.Join(src, CheckpointsFile))
	orig := lines(data)
	if len(orig) < 8 {
		t.Fatalf("want many checkpoints, got %d", len(orig))
	}
	const mid = 4 // checkpoints.jsonl line 5: the checkpoint of 51 lines
	var cl checkpointLine
	json.Unmarshal(orig[mid], &cl)
	if cl.N != 51 {
		t.Fatalf("line %d covers %d lines", mid+1, cl.N)
	}
	// relink recomputes every prev after line i as a forger without the
	// key can: the texts change, the signatures stay.
	relink := func(ls [][]byte, i int) [][]byte {
		for j := i + 1; j < len(ls); j++ {
			var c checkpointLine
			json.Unmarshal(ls[j], &c)
			text := noteText(c.Note)
			at := strings.Index(text, "prev ")
			c.Note = text[:at] + "prev " + lineHash(ls[j-1]) + "\n" + c.Note[len(text):]
			ls[j], _ = json.Marshal(c)
		}
		return ls
	}
	edit := func(ls [][]byte, i int, f func(note string) string) [][]byte {
		var c checkpointLine
		json.Unmarshal(ls[i], &c)
		c.Note = f(c.Note)
		ls[i], _ = json.Marshal(c)
		return ls
	}
	cases := []struct {
		name   string
		tamper func(ls [][]byte) [][]byte
		seq    int64
		reason string
	}{
		{"signature flipped", func(ls [][]byte) [][]byte {
			return edit(ls, mid, func(n string) string { return strings.Replace(n, "— drpilot ", "— drpilot A", 1)[:len(n)] })
		}, 50, "line 5: signature does not verify"},
		{"line count changed", func(ls [][]byte) [][]byte {
			return edit(ls, mid, func(n string) string { return strings.Replace(n, "\n51\n", "\n52\n", 1) })
		}, 50, "signature does not verify"},
		{"removed", func(ls [][]byte) [][]byte { return append(ls[:mid:mid], ls[mid+1:]...) }, 60, "prev does not name the checkpoint line before"},
		{"two swapped", func(ls [][]byte) [][]byte {
			ls[mid], ls[mid+1] = ls[mid+1], ls[mid]
			return ls
		}, 60, "prev does not name"},
		{"a forged one added, the chain relinked", func(ls [][]byte) [][]byte {
			forged := bytes.Clone(ls[mid])
			ls = append(ls[:mid+1:mid+1], append([][]byte{forged}, ls[mid+1:]...)...)
			return relink(ls, mid)
		}, 50, "checkpoints go forward"},
		{"signature flipped, the chain relinked", func(ls [][]byte) [][]byte {
			ls = edit(ls, mid, func(n string) string { return strings.Replace(n, "— drpilot ", "— drpilot A", 1)[:len(n)] })
			return relink(ls, mid)
		}, 101, "signature does not verify"},
	}
	for _, tc := range cases {
		dir := t.TempDir()
		for _, f := range []string{EventsFile, PubFile} {
			b, _ := os.ReadFile(filepath.Join(src, f))
			os.WriteFile(filepath.Join(dir, f), b, 0o600)
		}
		ls := make([][]byte, len(orig))
		for i := range orig {
			ls[i] = bytes.Clone(orig[i])
		}
		os.WriteFile(filepath.Join(dir, CheckpointsFile), join(tc.tamper(ls)), 0o600)
		rep, err := Verify(dir, pub)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Verdict != Invalid || rep.Seq != tc.seq || !strings.Contains(rep.Reason, tc.reason) {
			t.Errorf("%s: %s at seq %d (%s); want INVALID at seq %d mentioning %q", tc.name, rep.Verdict, rep.Seq, rep.Reason, tc.seq, tc.reason)
		}
	}
}

// TestTornCheckpointLine: a crash while a checkpoint line was written
// leaves part of it; verify ignores it with a warning, and a resume cuts
// it off and goes on, so the sealed log is VALID.
func TestTornCheckpointLine(t *testing.T) {
	t.Parallel()
	key := testKey(t)
	pub := key.Public().(ed25519.PublicKey)
	dir := t.TempDir()
	writeRunCheckpointing(t, dir, key, 30, false, 10)
	path := filepath.Join(dir, CheckpointsFile)
	data, _ := os.ReadFile(path)
	ls := lines(data)
	torn := append(bytes.Clone(data[:len(data)-len(ls[len(ls)-1])-1]), ls[len(ls)-1][:40]...)
	os.WriteFile(path, torn, 0o600)
	rep, err := Verify(dir, pub)
	if err != nil || rep.Verdict != Incomplete || rep.Checkpoints != len(ls)-1 || len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "torn") {
		t.Fatalf("a torn checkpoint line: %+v %v", rep, err)
	}
	r, err := Reopen(dir, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Writer.Append(Entry{Type: TypeRunResumed, Data: map[string]any{AdoptedKey: r.Unsigned.Record()}}); err != nil {
		t.Fatal(err)
	}
	if err := r.Writer.Seal("alice", nil); err != nil {
		t.Fatal(err)
	}
	if rep, err := Verify(dir, pub); err != nil || rep.Verdict != Valid || len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "adopted") {
		t.Fatalf("after the resume: %+v %v", rep, err)
	}
}

// TestResumeKeepsTheOlderLayout: a log an older drpilot wrote (a file per
// checkpoint) is resumed in its own layout, and verifies.
func TestResumeKeepsTheOlderLayout(t *testing.T) {
	t.Parallel()
	key := testKey(t)
	dir := t.TempDir()
	writeRunLayout(t, dir, key, 30, false, 10, true)
	r, err := Reopen(dir, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Writer.Append(Entry{Type: TypeRunResumed, Data: map[string]any{AdoptedKey: r.Unsigned.Record()}})
	r.Writer.Append(Entry{Type: TypeNote})
	if err := r.Writer.Seal("alice", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, CheckpointsFile)); err == nil {
		t.Fatal("the resume started checkpoints.jsonl beside the checkpoint files")
	}
	if rep, err := Verify(dir, key.Public().(ed25519.PublicKey)); err != nil || rep.Verdict != Valid || rep.Lines != 34 {
		t.Fatalf("after the resume: %+v %v", rep, err)
	}
}
