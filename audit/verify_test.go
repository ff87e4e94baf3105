package audit

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// runFiles is a run directory held in memory, to tamper with.
type runFiles struct {
	events []byte
	pub    []byte
	// notes are the checkpoints by their file name in the older layout
	// (000064.note), each the signed note's bytes; in the newer layout
	// (jsonl), each is one line of checkpoints.jsonl, written in order.
	notes map[string][]byte
	jsonl bool
}

func readRun(t *testing.T, dir string) runFiles {
	t.Helper()
	r := runFiles{notes: map[string][]byte{}}
	r.events, _ = os.ReadFile(filepath.Join(dir, EventsFile))
	r.pub, _ = os.ReadFile(filepath.Join(dir, PubFile))
	notes, _ := filepath.Glob(filepath.Join(dir, CheckpointsDir, "*.note"))
	for _, n := range notes {
		r.notes[filepath.Base(n)], _ = os.ReadFile(n)
	}
	data, err := os.ReadFile(filepath.Join(dir, CheckpointsFile))
	if err != nil {
		return r
	}
	r.jsonl = true
	for _, line := range lines(data) {
		var cl checkpointLine
		if err := json.Unmarshal(line, &cl); err != nil {
			t.Fatalf("%s: %v", CheckpointsFile, err)
		}
		r.notes[fmt.Sprintf("%06d.note", cl.N)] = []byte(cl.Note)
	}
	return r
}

func (r runFiles) write(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, EventsFile), r.events, 0o600)
	if r.pub != nil {
		os.WriteFile(filepath.Join(dir, PubFile), r.pub, 0o644)
	}
	if r.jsonl {
		names := slices.Sorted(maps.Keys(r.notes))
		var out []byte
		for _, name := range names {
			var n int64
			fmt.Sscanf(name, "%d.note", &n)
			line, _ := json.Marshal(checkpointLine{N: n, Note: string(r.notes[name])})
			out = append(append(out, line...), '\n')
		}
		os.WriteFile(filepath.Join(dir, CheckpointsFile), out, 0o600)
		return dir
	}
	os.MkdirAll(filepath.Join(dir, CheckpointsDir), 0o700)
	for name, b := range r.notes {
		os.WriteFile(filepath.Join(dir, CheckpointsDir, name), b, 0o644)
	}
	return dir
}

func (r runFiles) clone() runFiles {
	c := runFiles{events: bytes.Clone(r.events), pub: bytes.Clone(r.pub), notes: map[string][]byte{}, jsonl: r.jsonl}
	for k, v := range r.notes {
		c.notes[k] = bytes.Clone(v)
	}
	return c
}

func lines(b []byte) [][]byte { return bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n")) }

func join(ls [][]byte) []byte { return append(bytes.Join(ls, []byte("\n")), '\n') }

// rechain renumbers and re-links lines as a forger without the key would:
// every seq and prev made consistent again.
func rechain(t *testing.T, ls [][]byte) []byte {
	t.Helper()
	prev := zeroHash
	out := make([][]byte, len(ls))
	for i, l := range ls {
		var e Event
		if err := json.Unmarshal(l, &e); err != nil {
			t.Fatal(err)
		}
		e.Seq, e.Prev = int64(i), prev
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		out[i], prev = b, lineHash(b)
	}
	return join(out)
}

// flip changes one character of the first occurrence of old in line seq.
func flip(t *testing.T, r *runFiles, seq int, old, repl string) {
	t.Helper()
	ls := lines(r.events)
	if !bytes.Contains(ls[seq], []byte(old)) {
		t.Fatalf("line %d has no %q: %s", seq, old, ls[seq])
	}
	ls[seq] = bytes.Replace(ls[seq], []byte(old), []byte(repl), 1)
	r.events = join(ls)
}

// TestTamperSuite runs every tampering on a log of each layout: one
// checkpoints.jsonl, and a file per checkpoint (older drpilot's), which
// verify still reads.
func TestTamperSuite(t *testing.T) {
	t.Parallel()
	for _, layout := range []struct {
		name       string
		fileLayout bool
	}{{"checkpoints.jsonl", false}, {"checkpoint files", true}} {
		t.Run(layout.name, func(t *testing.T) {
			t.Parallel()
			tamperSuite(t, layout.fileLayout)
		})
	}
}

func tamperSuite(t *testing.T, fileLayout bool) {
	keyA, keyB := testKey(t), testKey(t)
	pubA := keyA.Public().(ed25519.PublicKey)
	srcDir := t.TempDir()
	writeRunLayout(t, srcDir, keyA, 100, true, 0, fileLayout) // 102 lines; checkpoints at 64 and 102
	orig := readRun(t, srcDir)
	if orig.jsonl == fileLayout || len(orig.notes) != 2 {
		t.Fatalf("the log is not in the layout under test: jsonl %v, %d checkpoints", orig.jsonl, len(orig.notes))
	}
	otherDir := t.TempDir()
	writeRunLayout(t, otherDir, keyB, 100, true, 0, fileLayout)
	resigned := readRun(t, otherDir)
	spliceDir := t.TempDir()
	w, _ := Create(spliceDir, Options{RunID: "run-2", Key: keyA, Now: stepClock(), fileLayout: fileLayout})
	for i := 0; i < 100; i++ {
		w.Append(Entry{Type: TypeNote, Data: map[string]any{"i": i}})
	}
	w.Seal("", nil)
	otherRun := readRun(t, spliceDir)

	cases := []struct {
		name    string
		tamper  func(r *runFiles)
		trusted ed25519.PublicKey
		verdict Verdict
		seq     int64 // checked when >= 0
		reason  string
	}{
		{"untouched", func(r *runFiles) {}, pubA, Valid, 101, ""},
		{"no trusted key", func(r *runFiles) {}, nil, UntrustedKey, 101, "no trusted key"},
		{"bit flip in data", func(r *runFiles) { flip(t, r, 20, `"i":19`, `"i":18`) }, pubA, Invalid, 21, "chain is broken"},
		{"bit flip in prev", func(r *runFiles) {
			ls := lines(r.events)
			i := bytes.Index(ls[30], []byte(`"prev":"`)) + 8
			ls[30][i] = map[bool]byte{true: '1', false: '0'}[ls[30][i] == '0'] // another hex digit
			r.events = join(ls)
		}, pubA, Invalid, 30, "chain is broken"},
		{"bit flip in seq", func(r *runFiles) { flip(t, r, 40, `"seq":40`, `"seq":41`) }, pubA, Invalid, 40, "has seq 41"},
		{"two lines swapped", func(r *runFiles) {
			ls := lines(r.events)
			ls[50], ls[51] = ls[51], ls[50]
			r.events = join(ls)
		}, pubA, Invalid, 50, "has seq 51"},
		{"middle line deleted, seq renumbered, chain recomputed", func(r *runFiles) {
			ls := lines(r.events)
			r.events = rechain(t, append(ls[:10:10], ls[11:]...))
		}, pubA, Invalid, 63, "chain head does not match seq 63"},
		{"forged line inserted, chain recomputed", func(r *runFiles) {
			ls := lines(r.events)
			forged := []byte(`{"v":1,"run":"run-1","seq":0,"ts":"2026-11-21T03:00:30Z","type":"decision","step":"step-5","actor":"alice","data":{"answer":"approved"},"prev":""}`)
			r.events = rechain(t, append(ls[:70:70], append([][]byte{forged}, ls[70:]...)...))
		}, pubA, Invalid, 101, "chain head does not match seq 101"},
		{"line appended after the seal, chain recomputed", func(r *runFiles) {
			ls := lines(r.events)
			r.events = rechain(t, append(ls, ls[5]))
		}, pubA, Invalid, 102, "after run.end"},
		{"tail and final checkpoint removed", func(r *runFiles) {
			r.events = join(lines(r.events)[:80])
			delete(r.notes, "000102.note")
		}, pubA, Incomplete, 79, "no run.end"},
		{"final checkpoint removed", func(r *runFiles) { delete(r.notes, "000102.note") }, pubA, Incomplete, 101, "seal is missing"},
		{"tail removed, final checkpoint kept", func(r *runFiles) { r.events = join(lines(r.events)[:80]) }, pubA, Invalid, 79, "lines were removed"},
		{"whole log re-signed with another key", func(r *runFiles) { *r = resigned.clone() }, pubA, UntrustedKey, 101, "not the trusted key"},
		{"pub.pem replaced by another key", func(r *runFiles) { r.pub = resigned.pub }, pubA, Invalid, 0, "another signing key"},
		{"pub.pem removed", func(r *runFiles) { r.pub = nil }, pubA, Invalid, 0, "pub.pem"},
		{"flip in a checkpoint's body", func(r *runFiles) {
			r.notes["000064.note"] = bytes.Replace(r.notes["000064.note"], []byte("\n64\n"), []byte("\n65\n"), 1)
		}, pubA, Invalid, 63, "signature does not verify"},
		{"flip in a checkpoint's signature", func(r *runFiles) {
			n := r.notes["000064.note"]
			n[len(n)-5] ^= 1
		}, pubA, Invalid, 63, "signature does not verify"},
		{"CRLF line endings", func(r *runFiles) { r.events = bytes.ReplaceAll(r.events, []byte("\n"), []byte("\r\n")) }, pubA, Invalid, 0, "CRLF"},
		{"byte order mark", func(r *runFiles) { r.events = append([]byte("\xef\xbb\xbf"), r.events...) }, pubA, Invalid, 0, "byte order mark"},
		{"blank line", func(r *runFiles) {
			ls := lines(r.events)
			r.events = join(append(ls[:33:33], append([][]byte{{}}, ls[33:]...)...))
		}, pubA, Invalid, 33, "blank line"},
		{"lines spliced in from another run", func(r *runFiles) {
			ls, other := lines(r.events), lines(otherRun.events)
			ls[60] = other[60]
			r.events = join(ls)
		}, pubA, Invalid, 60, "another run"},
		{"bytes appended after the seal, no newline", func(r *runFiles) {
			r.events = append(r.events, []byte("GARBAGE")...)
		}, pubA, Invalid, 101, "follow the sealed run.end"},
		{"torn final line after a crash", func(r *runFiles) {
			r.events = r.events[:len(r.events)-20]
			delete(r.notes, "000102.note")
		}, pubA, Incomplete, 100, "torn"},
	}
	for _, tc := range cases {
		r := orig.clone()
		tc.tamper(&r)
		rep, err := Verify(r.write(t), tc.trusted)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if rep.Verdict != tc.verdict || (tc.seq >= 0 && rep.Seq != tc.seq) || !strings.Contains(rep.Reason, tc.reason) {
			t.Errorf("%s: got %s at seq %d (%s); want %s at seq %d mentioning %q", tc.name, rep.Verdict, rep.Seq, rep.Reason, tc.verdict, tc.seq, tc.reason)
		}
	}
}

// TestTimestampsOutOfOrder: a clock that steps back does not break a log;
// the chain is intact, so it is VALID, with a warning.
func TestTimestampsOutOfOrder(t *testing.T) {
	t.Parallel()
	dir, key := t.TempDir(), testKey(t)
	times := []time.Time{
		time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 21, 3, 0, 5, 0, time.UTC),
		time.Date(2026, 11, 21, 2, 59, 58, 0, time.UTC), // NTP stepped back
		time.Date(2026, 11, 21, 3, 0, 9, 0, time.UTC),
	}
	i := 0
	w, err := Create(dir, Options{RunID: "run-ts", Key: key, Now: func() time.Time { i++; return times[min(i-1, len(times)-1)] }})
	if err != nil {
		t.Fatal(err)
	}
	w.Append(Entry{Type: TypeNote})
	w.Append(Entry{Type: TypeNote})
	if err := w.Seal("", nil); err != nil {
		t.Fatal(err)
	}
	rep, err := Verify(dir, key.Public().(ed25519.PublicKey))
	if err != nil || rep.Verdict != Valid || len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "seq 2: timestamp") {
		t.Fatalf("report = %+v, %v", rep, err)
	}
}

func TestVerifyUnreadableDirectory(t *testing.T) {
	t.Parallel()
	if _, err := Verify(t.TempDir(), nil); err == nil || !strings.Contains(err.Error(), "not a drpilot run directory") {
		t.Fatalf("empty directory: %v", err)
	}
	if _, err := Verify(filepath.Join(t.TempDir(), "missing"), nil); err == nil {
		t.Fatal("missing directory: no error")
	}
}

// checkpointCovers lists how many lines each checkpoint of a run covers,
// in either layout.
func checkpointCovers(t testing.TB, dir string) []int64 {
	t.Helper()
	var got []int64
	notes, _ := filepath.Glob(filepath.Join(dir, CheckpointsDir, "*.note"))
	for _, n := range notes {
		var covers int64
		fmt.Sscanf(filepath.Base(n), "%d.note", &covers)
		got = append(got, covers)
	}
	data, _ := os.ReadFile(filepath.Join(dir, CheckpointsFile))
	for _, line := range bytes.SplitAfter(data, []byte("\n")) {
		var cl checkpointLine
		if len(line) > 0 {
			if err := json.Unmarshal(line, &cl); err != nil {
				t.Fatalf("%s: %v", CheckpointsFile, err)
			}
			got = append(got, cl.N)
		}
	}
	return got
}

// dropCheckpoint removes the checkpoint of n lines, in either layout: as a
// crash before it was written would (the newest), or as someone who
// tampers with the log (any other).
func dropCheckpoint(dir string, n int64) error {
	if err := os.Remove(filepath.Join(dir, filepath.FromSlash(checkpointName(n)))); err == nil {
		return nil
	}
	path := filepath.Join(dir, CheckpointsFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var kept []byte
	found := false
	for _, line := range bytes.SplitAfter(data, []byte("\n")) {
		var cl checkpointLine
		if json.Unmarshal(line, &cl) == nil && cl.N == n {
			found = true
			continue
		}
		kept = append(kept, line...)
	}
	if !found {
		return fmt.Errorf("no checkpoint of %d lines", n)
	}
	return os.WriteFile(path, kept, 0o600)
}

// TestEventMembers: the byte scan that replaced a second decode accepts
// exactly the nine members, each once, whatever the values hold.
func TestEventMembers(t *testing.T) {
	t.Parallel()
	const rest = `"seq":0,"ts":"2026-11-21T03:00:00Z","type":"note","step":"","actor":"a","data":%s,"prev":"p"}`
	for _, tc := range []struct {
		line string
		want bool
	}{
		{`{"v":1,"run":"r",` + fmt.Sprintf(rest, `{}`), true},
		{`{ "v" : 1 , "run":"r",` + fmt.Sprintf(rest, `{"v":1,"run":["x","y"],"seq":{"z":"\"}"}}`), true},
		{`{"v":1,"run":"a\",\"run\":\"b",` + fmt.Sprintf(rest, `{}`), true},
		{`{"v":1,"run":"r","run":"s",` + fmt.Sprintf(rest, `{}`), false},
		{`{"v":1,` + fmt.Sprintf(rest, `{}`), false},
		{`{"v":1,"run":"r","extra":0,` + fmt.Sprintf(rest, `{}`), false},
		{`{"v":1,"Run":"r",` + fmt.Sprintf(rest, `{}`), false},
		{`{"v":1,"r\u0075n":"r",` + fmt.Sprintf(rest, `{}`), false},
	} {
		if got := eventMembers([]byte(tc.line)); got != tc.want {
			t.Errorf("eventMembers(%s) = %v, want %v", tc.line, got, tc.want)
		}
	}
}
