package audit

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

// signed is one approver's signed answer, and the decision that logs it.
type signed struct {
	step, actor string
	data        ApprovalDecision
}

// signApproval signs a statement as team.Sign does (the audit package
// cannot import team; team's own test checks team.Sign against Verify),
// after edit has had its way with the statement.
func signApproval(t *testing.T, priv ed25519.PrivateKey, name, run, step, verdict string, edit func(*ApprovalStatement)) signed {
	t.Helper()
	pub := priv.Public().(ed25519.PublicKey)
	st := ApprovalStatement{Type: ApprovalStatementType, Runbook: "store-region-failover", Run: run, Step: step,
		Digest: strings.Repeat("ab", 32), Verdict: verdict, Approver: name, Key: Fingerprint(pub), At: "2026-12-03T10:20:00Z"}
	if edit != nil {
		edit(&st)
	}
	raw, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := NewApprovalRecord(raw, ed25519.Sign(priv, raw), pub, name)
	if err != nil {
		t.Fatal(err)
	}
	return signed{step: step, actor: name, data: ApprovalDecision{Decision: verdict, Gate: "approvals", Reason: "looks right", Approval: rec}}
}

// writeApprovalRun writes a sealed run, signed by key, whose decisions
// carry the approvals, and returns its directory.
func writeApprovalRun(t *testing.T, key ed25519.PrivateKey, approvals ...signed) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "run")
	w, err := Create(dir, Options{RunID: "run-1", Key: key, Now: stepClock(), Actor: "alice", Start: RunInfo{Runbook: "store-region-failover", Mode: "live"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Append(Entry{Type: TypeStepReady, Step: "promote-replica", Actor: "alice", Data: map[string]any{"title": "Promote"}}); err != nil {
		t.Fatal(err)
	}
	for _, a := range approvals {
		if _, err := w.Append(Entry{Type: TypeDecision, Step: a.step, Actor: a.actor, Data: a.data}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Seal("alice", map[string]any{"outcome": "succeeded"}); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestApprovalsVerify(t *testing.T) {
	t.Parallel()
	runKey, alice, bob := testKey(t), testKey(t), testKey(t)
	runPub := runKey.Public().(ed25519.PublicKey)
	dir := writeApprovalRun(t, runKey,
		signApproval(t, alice, "alice", "run-1", "promote-replica", "approve", nil),
		signApproval(t, bob, "bob", "run-1", "promote-replica", "approve", nil))
	rep, err := Verify(dir, runPub)
	if err != nil || rep.Verdict != Valid {
		t.Fatalf("%+v %v", rep, err)
	}
	fa, fb := Fingerprint(alice.Public().(ed25519.PublicKey)), Fingerprint(bob.Public().(ed25519.PublicKey))
	want := []ApprovalSeen{
		{Seq: 2, Step: "promote-replica", Approver: "alice", Key: fa, Verdict: "approve", At: "2026-12-03T10:20:00Z"},
		{Seq: 3, Step: "promote-replica", Approver: "bob", Key: fb, Verdict: "approve", At: "2026-12-03T10:20:00Z"},
	}
	if len(rep.Approvals) != 2 || rep.Approvals[0] != want[0] || rep.Approvals[1] != want[1] {
		t.Fatalf("approvals: %+v", rep.Approvals)
	}
	if got := rep.ApprovalsLine(); got != "promote-replica: alice ("+fa+") approve, bob ("+fb+") approve" {
		t.Errorf("line: %s", got)
	}
	// The reviewer trusts alice only, and bob's key under another name.
	rep.MarkUntrusted(map[string]ed25519.PublicKey{"alice": alice.Public().(ed25519.PublicKey)}, "keys/")
	if rep.Verdict != Valid || rep.Approvals[0].Untrusted || !rep.Approvals[1].Untrusted || len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "not among the trusted keys in keys/") {
		t.Fatalf("untrusted: %+v", rep)
	}
	rep, _ = Verify(dir, runPub)
	rep.MarkUntrusted(map[string]ed25519.PublicKey{"alice": alice.Public().(ed25519.PublicKey), "carol": bob.Public().(ed25519.PublicKey)}, "keys/")
	if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], `signed as "bob" by key `+fb+`, which keys/ trusts as "carol"`) {
		t.Fatalf("misnamed: %+v", rep.Warnings)
	}
}

// TestApprovalMismatches: every way an approval can fail to be what the
// line says makes the log INVALID at that line, even though the run's
// key signed every checkpoint (the writer signs whatever it is given).
func TestApprovalMismatches(t *testing.T) {
	t.Parallel()
	runKey, bob, mallory := testKey(t), testKey(t), testKey(t)
	ok := func() signed { return signApproval(t, bob, "bob", "run-1", "promote-replica", "approve", nil) }
	cases := []struct {
		name string
		a    signed
		want string
	}{
		{"statement altered after signing", func() signed {
			a := ok()
			a.data.Approval.Statement = strings.Replace(a.data.Approval.Statement, `"approve"`, `"deny"`, 1)
			a.data.Decision = "deny"
			return a
		}(), "the signature does not verify over the statement"},
		{"signed by another key than public_key", func() signed {
			a, m := ok(), signApproval(t, mallory, "bob", "run-1", "promote-replica", "approve", nil)
			a.data.Approval.Signature = m.data.Approval.Signature
			return a
		}(), "the signature does not verify"},
		{"statement names another key", signApproval(t, bob, "bob", "run-1", "promote-replica", "approve", func(s *ApprovalStatement) { s.Key = "0123456789abcdef" }), "the statement names key 0123456789abcdef"},
		{"record names another key", func() signed { a := ok(); a.data.Approval.Key = "0123456789abcdef"; return a }(), "the record names key 0123456789abcdef"},
		{"not an approval", signApproval(t, bob, "bob", "run-1", "promote-replica", "approve", func(s *ApprovalStatement) { s.Type = "drpilot.other.v1" }), `a "drpilot.other.v1"`},
		{"another run", signApproval(t, bob, "bob", "run-0", "promote-replica", "approve", nil), `approves run "run-0"`},
		{"another step", signApproval(t, bob, "bob", "run-1", "drop-tables", "approve", nil), `about step "drop-tables", not "promote-replica"`},
		{"a deny logged as approve", func() signed {
			a := signApproval(t, bob, "bob", "run-1", "promote-replica", "deny", nil)
			a.data.Decision = "approve"
			return a
		}(), `verdict is "deny", but the decision logged is "approve"`},
		{"record names another approver", func() signed { a := ok(); a.data.Approval.Approver = "carol"; return a }(), `signed as "bob", but the record names "carol"`},
		{"another actor", func() signed { a := ok(); a.actor = "carol"; return a }(), `the decision's actor is "carol"`},
		{"bad public key", func() signed { a := ok(); a.data.Approval.PublicKey = "nope"; return a }(), "public_key: not a PEM public key"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.a.step = "promote-replica"
			dir := writeApprovalRun(t, runKey, ok(), tc.a)
			rep, err := Verify(dir, runKey.Public().(ed25519.PublicKey))
			if err != nil || rep.Verdict != Invalid || rep.Seq != 3 || !strings.Contains(rep.Reason, tc.want) || !strings.Contains(rep.Reason, `the approval of step "promote-replica" by`) {
				t.Fatalf("want INVALID at seq 3 saying %q, got %+v %v", tc.want, rep, err)
			}
		})
	}
}

// TestForgedApproval: an attacker changes bob's approval in the log. One
// without the run's key re-hashes the chain, and the checkpoints (and the
// approval) give it away; one who holds the run's key also re-signs the
// checkpoints, and then only bob's signature over his statement does.
func TestForgedApproval(t *testing.T) {
	t.Parallel()
	runKey, bob := testKey(t), testKey(t)
	runPub := runKey.Public().(ed25519.PublicKey)
	deny := signApproval(t, bob, "bob", "run-1", "promote-replica", "deny", nil)
	dir := writeApprovalRun(t, runKey, deny)
	if rep, _ := Verify(dir, runPub); rep.Verdict != Valid {
		t.Fatalf("the original: %+v", rep)
	}
	forge := func(line []byte) []byte {
		for _, r := range [][2]string{{`\"deny\"`, `\"approve\"`}, {`"decision":"deny"`, `"decision":"approve"`}} {
			if !bytes.Contains(line, []byte(r[0])) {
				t.Fatalf("no %s in %s", r[0], line)
			}
			line = bytes.Replace(line, []byte(r[0]), []byte(r[1]), 1)
		}
		return line
	}

	// Without the run's key: the chain is re-hashed, the checkpoints are
	// left as they were.
	r := readRun(t, dir)
	ls := lines(r.events)
	ls[2] = forge(ls[2])
	r.events = rechain(t, ls)
	rep, _ := Verify(r.write(t), runPub)
	if rep.Verdict != Invalid || rep.Seq != 2 || !strings.Contains(rep.Reason, "the signature does not verify over the statement") {
		t.Fatalf("forged without the run key: %+v", rep)
	}

	// With the run's key: the forged log is written and signed afresh,
	// every checkpoint good.
	forged := deny
	forged.data.Decision = "approve"
	forged.data.Approval.Statement = strings.Replace(deny.data.Approval.Statement, `"deny"`, `"approve"`, 1)
	resigned := writeApprovalRun(t, runKey, forged)
	rep, _ = Verify(resigned, runPub)
	if rep.Verdict != Invalid || rep.Seq != 2 || !strings.Contains(rep.Reason, `the approval of step "promote-replica" by "bob"`) || !strings.Contains(rep.Reason, "the signature does not verify over the statement") {
		t.Fatalf("forged with the run key: %+v", rep)
	}
	// ...and the checkpoints of that log are good, the seal included:
	// nothing but bob's signature over his statement catches it.
	vf, err := noteVerifier(runPub)
	if err != nil {
		t.Fatal(err)
	}
	rf := readRun(t, resigned)
	for name, msg := range rf.notes {
		if _, err := note.Open(msg, note.VerifierList(vf)); err != nil {
			t.Fatalf("%s of the re-signed log: %v", name, err)
		}
	}
	if len(rf.notes) == 0 {
		t.Fatal("no checkpoints")
	}
}
