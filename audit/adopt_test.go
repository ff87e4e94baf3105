package audit

import (
	"bytes"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// crashAfterADecision writes a run that checkpoints, then takes a decision
// and crashes after writing it and before signing it (the writer signs
// each decision at once, so that is the only moment a crash leaves one
// unsigned). It returns the decision's seq.
func crashAfterADecision(t *testing.T, dir string, key ed25519.PrivateKey) int64 {
	t.Helper()
	w, err := Create(dir, Options{RunID: "r1", Key: key, Now: stepClock(), Actor: "alice", Start: RunInfo{Mode: "live"}})
	if err != nil {
		t.Fatal(err)
	}
	w.Append(Entry{Type: TypeStepDone, Step: "freeze"})
	if err := w.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	w.Append(Entry{Type: TypeStepReady, Step: "fail-over"})
	seq, _ := w.Append(Entry{Type: TypeDecision, Step: "fail-over", Actor: "alice", Data: map[string]string{"decision": "approve"}})
	w.file.Close()
	w.cps.close()
	// The crash came before the decision's checkpoint was written.
	if err := dropCheckpoint(dir, seq+1); err != nil {
		t.Fatal(err)
	}
	return seq
}

// launder edits the approver of the unsigned decision and recomputes the
// chain, as anyone who can write the file can.
func launder(t *testing.T, dir string, seq int64) {
	t.Helper()
	path := filepath.Join(dir, EventsFile)
	data, _ := os.ReadFile(path)
	ls := lines(data)
	ls[seq] = bytes.Replace(ls[seq], []byte(`"actor":"alice"`), []byte(`"actor":"mallory"`), 1)
	os.WriteFile(path, rechain(t, ls), 0o600)
}

// TestResumeRecordsTheUnsignedLinesItAdopts: an approval edited in the
// unsigned tail after a crash cannot be told from the original by the
// chain, so the resume records exactly which lines it adopted, and verify
// and export flag them — they never pass as signed when they were not.
func TestResumeRecordsTheUnsignedLinesItAdopts(t *testing.T) {
	t.Parallel()
	key := testKey(t)
	pub := key.Public().(ed25519.PublicKey)
	dir := t.TempDir()
	decision := crashAfterADecision(t, dir, key)
	launder(t, dir, decision)
	if rep, _ := Verify(dir, pub); rep.Verdict != Incomplete || rep.Signed != 2 {
		t.Fatalf("before resume: %s, %d signed: %s", rep.Verdict, rep.Signed, rep.Reason)
	}

	r, err := Reopen(dir, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Adoption{At: 4, FromSeq: 2, Count: 2, ChainHead: r.Writer.prev, Decisions: []int64{decision}}
	if !adoptionsEqual([]Adoption{r.Unsigned}, []Adoption{want}) {
		t.Fatalf("unsigned tail %+v, want %+v", r.Unsigned, want)
	}
	r.Writer.Append(Entry{Type: TypeRunResumed, Data: map[string]any{AdoptedKey: r.Unsigned.Record()}})
	if err := r.Writer.Seal("alice", map[string]string{"outcome": "succeeded"}); err != nil {
		t.Fatal(err)
	}

	rep, _ := Verify(dir, pub)
	if rep.Verdict != Valid || !adoptionsEqual(rep.Adopted, []Adoption{want}) {
		t.Fatalf("after resume: %s (%s), adopted %+v", rep.Verdict, rep.Reason, rep.Adopted)
	}
	if !strings.Contains(rep.Reason, "adopted unsigned") || !slices.ContainsFunc(rep.Warnings, func(w string) bool { return strings.Contains(w, "seq 2–3") }) {
		t.Errorf("verify does not say which lines were adopted unsigned: %s %q", rep.Reason, rep.Warnings)
	}
	rec, err := Export(dir, pub)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Decisions) != 1 || rec.Decisions[0].Actor != "mallory" || rec.Decisions[0].AdoptedAt == nil || *rec.Decisions[0].AdoptedAt != 4 {
		t.Fatalf("the laundered approval is not flagged: %+v", rec.Decisions)
	}
	var md strings.Builder
	rec.WriteMarkdown(&md)
	if !strings.Contains(md.String(), "**unsigned** until adopted at seq 4") || !strings.Contains(md.String(), "| adopted unsigned |") {
		t.Errorf("the markdown record does not flag the adopted lines:\n%s", md.String())
	}
}

// TestAGivenUpResumeSignsNothing: a resume that stops before it appends
// its adopting line (refused by the operator, wrong account) leaves the
// tail unsigned: signing it then would pass it off as signed with no
// record that it was adopted.
func TestAGivenUpResumeSignsNothing(t *testing.T) {
	t.Parallel()
	key := testKey(t)
	dir := t.TempDir()
	crashAfterADecision(t, dir, key)
	r, err := Reopen(dir, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Writer.Close()
	if rep, _ := Verify(dir, key.Public().(ed25519.PublicKey)); rep.Verdict != Incomplete || rep.Signed != 2 || rep.Checkpoints != 1 {
		t.Fatalf("after a resume that gave up: %s, %d checkpoints, %d lines signed", rep.Verdict, rep.Checkpoints, rep.Signed)
	}
}

// TestAdoptionMustMatchTheCheckpoints: the record of what was adopted is
// checked against the checkpoints, so removing the checkpoint it stands on
// (to pass more lines off as adopted, or hide that a line was signed) is
// INVALID, and a resume written before adoptions were recorded is flagged
// all the same.
func TestAdoptionMustMatchTheCheckpoints(t *testing.T) {
	t.Parallel()
	key := testKey(t)
	pub := key.Public().(ed25519.PublicKey)
	for _, tt := range []struct {
		name    string
		record  bool
		tamper  func(dir string)
		verdict Verdict
	}{
		{"recorded", true, func(string) {}, Valid},
		{"checkpoint removed", true, func(dir string) { dropCheckpoint(dir, 2) }, Invalid},
		{"not recorded", false, func(string) {}, Valid},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			crashAfterADecision(t, dir, key)
			r, err := Reopen(dir, key, nil)
			if err != nil {
				t.Fatal(err)
			}
			data := map[string]any{}
			if tt.record {
				data[AdoptedKey] = r.Unsigned.Record()
			}
			r.Writer.Append(Entry{Type: TypeRunResumed, Data: data})
			r.Writer.Seal("alice", map[string]string{"outcome": "succeeded"})
			tt.tamper(dir)
			rep, _ := Verify(dir, pub)
			if rep.Verdict != tt.verdict {
				t.Fatalf("%s at %d: %s, want %s", rep.Verdict, rep.Seq, rep.Reason, tt.verdict)
			}
			if rep.Verdict == Valid && (len(rep.Adopted) != 1 || rep.Adopted[0].Count != 2) {
				t.Errorf("adopted %+v, want the 2 unsigned lines", rep.Adopted)
			}
			if tt.verdict == Invalid && !strings.Contains(rep.Reason, "a checkpoint was removed") {
				t.Errorf("reason %q", rep.Reason)
			}
		})
	}
}

// TestNoAdoptionAfterAPause: a run that paused signed everything it wrote,
// so its resume adopts nothing and nothing is flagged.
func TestNoAdoptionAfterAPause(t *testing.T) {
	t.Parallel()
	key := testKey(t)
	dir := t.TempDir()
	w, _ := Create(dir, Options{RunID: "r1", Key: key, Now: stepClock(), Start: RunInfo{Mode: "live"}})
	w.Append(Entry{Type: TypeDecision, Data: map[string]string{"decision": "approve"}})
	if err := w.Pause("alice", map[string]string{"outcome": "paused"}); err != nil {
		t.Fatal(err)
	}
	w.Close()
	r, err := Reopen(dir, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Unsigned.Count != 0 {
		t.Fatalf("a paused run has an unsigned tail: %+v", r.Unsigned)
	}
	r.Writer.Append(Entry{Type: TypeRunResumed, Data: map[string]any{}})
	r.Writer.Seal("alice", map[string]string{"outcome": "succeeded"})
	if rep, _ := Verify(dir, key.Public().(ed25519.PublicKey)); rep.Verdict != Valid || len(rep.Adopted) != 0 || len(rep.Warnings) != 0 {
		t.Fatalf("%s: adopted %+v, warnings %q", rep.Verdict, rep.Adopted, rep.Warnings)
	}
}

func adoptionsEqual(a, b []Adoption) bool {
	return slices.EqualFunc(a, b, func(x, y Adoption) bool {
		return x.At == y.At && x.FromSeq == y.FromSeq && x.Count == y.Count && x.ChainHead == y.ChainHead && slices.Equal(x.Decisions, y.Decisions)
	})
}
