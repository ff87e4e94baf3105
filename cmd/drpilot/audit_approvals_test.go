package main

import (
	"crypto/ed25519"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drpilot/drpilot/audit"
	"github.com/drpilot/drpilot/team"
)

// approvedRun is a sealed run whose gated step alice and bob approved
// with team.Sign, logged as the executor logs approvals.
type approvedRun struct {
	dir, pub       string // the run directory; the run key's public half
	alice, bob     ed25519.PrivateKey
	fpAlice, fpBob string
}

func newApprovedRun(t *testing.T) approvedRun {
	t.Helper()
	r := approvedRun{dir: filepath.Join(t.TempDir(), "run")}
	runKey, _ := audit.GenerateKey()
	r.alice, _ = audit.GenerateKey()
	r.bob, _ = audit.GenerateKey()
	r.fpAlice, r.fpBob = audit.Fingerprint(r.alice.Public().(ed25519.PublicKey)), audit.Fingerprint(r.bob.Public().(ed25519.PublicKey))
	w, err := audit.Create(r.dir, audit.Options{RunID: "run-team", Key: runKey, Actor: "alice", Start: audit.RunInfo{Runbook: "store-region-failover", Mode: "live"}})
	if err != nil {
		t.Fatal(err)
	}
	g := team.GateBody{Runbook: "store-region-failover", RunbookSHA256: strings.Repeat("1", 64), Run: "run-team", Step: "promote-replica", Confirm: "type", Approvals: 2}
	for _, who := range []struct {
		name string
		key  ed25519.PrivateKey
	}{{"alice", r.alice}, {"bob", r.bob}} {
		a, err := team.Sign(who.key, who.name, g, team.Approve, "lag is 0", time.Date(2026, 12, 3, 10, 21, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		rec, err := audit.NewApprovalRecord(a.Raw, a.Signature, a.PublicKey, who.name)
		if err != nil {
			t.Fatal(err)
		}
		data := audit.ApprovalDecision{Decision: team.Approve, Gate: "approvals", Reason: "lag is 0", Approval: rec}
		if _, err := w.Append(audit.Entry{Type: audit.TypeDecision, Step: "promote-replica", Actor: who.name, Data: data}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Seal("alice", map[string]string{"outcome": "succeeded"}); err != nil {
		t.Fatal(err)
	}
	r.pub = writePub(t, t.TempDir(), "run.pub", runKey)
	return r
}

// writePub writes key's public half as dir/name.
func writePub(t *testing.T, dir, name string, key ed25519.PrivateKey) string {
	t.Helper()
	pemText, err := audit.PublicKeyPEM(key.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pemText, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestAuditVerifyListsApprovals(t *testing.T) {
	t.Parallel()
	r := newApprovedRun(t)
	code, out, errOut := drpilot(t, "audit", "verify", r.dir, "--pub", r.pub)
	want := "approvals: promote-replica: alice (" + r.fpAlice + ") approve, bob (" + r.fpBob + ") approve\n"
	if code != exitOK || !strings.HasPrefix(out, "VALID") || !strings.Contains(out, want) {
		t.Fatalf("exit %d\n%s%s\nwant %q", code, out, errOut, want)
	}
	code, out, _ = drpilot(t, "audit", "verify", "--json", r.dir, "--pub", r.pub)
	var rep struct {
		Approvals []map[string]any `json:"approvals"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != exitOK || len(rep.Approvals) != 2 {
		t.Fatalf("--json: %d %v\n%s", code, err, out)
	}
	if a := rep.Approvals[1]; a["seq"] != 2.0 || a["step"] != "promote-replica" || a["approver"] != "bob" || a["key"] != r.fpBob || a["verdict"] != "approve" || a["at"] != "2026-12-03T10:21:00Z" {
		t.Errorf("--json approval: %v", a)
	}

	// The reviewer trusts alice to approve, not bob: a warning, and the
	// log is still VALID.
	keys := t.TempDir()
	writePub(t, keys, "alice.pub", r.alice)
	code, out, errOut = drpilot(t, "audit", "verify", r.dir, "--pub", r.pub, "--keys", keys)
	if code != exitOK || !strings.Contains(out, "bob ("+r.fpBob+") approve [untrusted key]") ||
		!strings.Contains(out, "warning: seq 2: the approval of step \"promote-replica\" by \"bob\" is signed by key "+r.fpBob+", which is not among the trusted keys in "+keys) ||
		strings.Contains(out, "alice ("+r.fpAlice+") approve [untrusted") {
		t.Fatalf("--keys: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = drpilot(t, "audit", "verify", "--json", r.dir, "--pub", r.pub, "--keys", keys)
	if code != exitOK || !strings.Contains(out, `"untrusted": true`) {
		t.Fatalf("--json --keys: %d\n%s", code, out)
	}
	code, out, errOut = drpilot(t, "audit", "export", r.dir, "--pub", r.pub)
	if code != exitOK || !strings.Contains(out, "| bob | approve (signed approval, key "+r.fpBob+") | lag is 0 |") {
		t.Fatalf("export: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut := drpilot(t, "audit", "verify", r.dir, "--keys", t.TempDir()); code != exitBadInput || !strings.Contains(errOut, "no public key (NAME.pub)") {
		t.Fatalf("--keys of an empty directory: %d %s", code, errOut)
	}
}

// TestAuditVerifyForgedApproval: bob's approval altered by someone who
// holds the run's key and signed the log again is INVALID at its line.
func TestAuditVerifyForgedApproval(t *testing.T) {
	t.Parallel()
	r := newApprovedRun(t)
	events := filepath.Join(r.dir, audit.EventsFile)
	data, _ := os.ReadFile(events)
	ls := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	runKey, forged := rewriteLog(t, ls, func(seq int, line string) string {
		if seq == 2 {
			return strings.Replace(line, `lag is 0\"`, `lag is 10s\"`, 1)
		}
		return line
	})
	code, out, _ := drpilot(t, "audit", "verify", forged, "--pub", writePub(t, t.TempDir(), "run.pub", runKey))
	if code != exitFailed || !strings.Contains(out, `INVALID at seq 2: seq 2: the approval of step "promote-replica" by "bob" (key `+r.fpBob+`): the signature does not verify over the statement`) {
		t.Fatalf("exit %d\n%s", code, out)
	}
}

// rewriteLog writes the events of ls, edited, as a new log signed by a
// new run key: what whoever holds a run's key can do. The events keep
// their type, step, actor and data.
func rewriteLog(t *testing.T, ls []string, edit func(seq int, line string) string) (ed25519.PrivateKey, string) {
	t.Helper()
	key, _ := audit.GenerateKey()
	dir := filepath.Join(t.TempDir(), "forged")
	w, err := audit.Create(dir, audit.Options{RunID: "run-team", Key: key, Actor: "alice", Start: audit.RunInfo{Runbook: "store-region-failover", Mode: "live"}})
	if err != nil {
		t.Fatal(err)
	}
	for seq, line := range ls[1 : len(ls)-1] {
		var e audit.Event
		if err := json.Unmarshal([]byte(edit(seq+1, line)), &e); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Append(audit.Entry{Type: e.Type, Step: e.Step, Actor: e.Actor, Data: e.Data}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Seal("alice", map[string]string{"outcome": "succeeded"}); err != nil {
		t.Fatal(err)
	}
	return key, dir
}
