package team

import (
	"crypto/ed25519"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drpilot/drpilot/audit"
)

// TestSignedApprovalInTheLog: an approval made with Sign, logged as the
// executor logs it (a decision whose data is an audit.ApprovalDecision),
// verifies with audit.Verify, which checks it without this package; and
// the same approval logged for another step does not.
func TestSignedApprovalInTheLog(t *testing.T) {
	t.Parallel()
	runKey, _ := audit.GenerateKey()
	bob, _ := audit.GenerateKey()
	g := GateBody{Runbook: "store", RunbookSHA256: strings.Repeat("0", 64), Run: "run-a", Step: "promote-replica", Confirm: "type", Approvals: 2}
	a, err := Sign(bob, "bob", g, Approve, "replica lag is 0", time.Date(2026, 12, 3, 10, 21, 7, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Parse(a.Raw, a.Signature, a.PublicKey); err != nil {
		t.Fatal(err)
	}
	rec, err := audit.NewApprovalRecord(a.Raw, a.Signature, a.PublicKey, a.Statement.Approver)
	if err != nil {
		t.Fatal(err)
	}
	logged := func(step string) *audit.Report {
		dir := filepath.Join(t.TempDir(), "run")
		w, err := audit.Create(dir, audit.Options{RunID: "run-a", Key: runKey, Actor: "alice", Start: audit.RunInfo{Runbook: "store", Mode: "live"}})
		if err != nil {
			t.Fatal(err)
		}
		data := audit.ApprovalDecision{Decision: a.Statement.Verdict, Gate: "approvals", Reason: a.Statement.Reason, Approval: rec}
		if _, err := w.Append(audit.Entry{Type: audit.TypeDecision, Step: step, Actor: "bob", Data: data}); err != nil {
			t.Fatal(err)
		}
		if err := w.Seal("alice", map[string]string{"outcome": "succeeded"}); err != nil {
			t.Fatal(err)
		}
		rep, err := audit.Verify(dir, runKey.Public().(ed25519.PublicKey))
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	rep := logged("promote-replica")
	want := audit.ApprovalSeen{Seq: 1, Step: "promote-replica", Approver: "bob", Key: audit.Fingerprint(bob.Public().(ed25519.PublicKey)), Verdict: Approve, At: "2026-12-03T10:21:07Z"}
	if rep.Verdict != audit.Valid || len(rep.Approvals) != 1 || rep.Approvals[0] != want {
		t.Fatalf("%+v", rep)
	}
	if rep := logged("drop-tables"); rep.Verdict != audit.Invalid || rep.Seq != 1 || !strings.Contains(rep.Reason, `about step "promote-replica", not "drop-tables"`) {
		t.Fatalf("another step: %+v", rep)
	}
}
