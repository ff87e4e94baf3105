package audit

import (
	"bytes"
	"crypto/ed25519"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// recipe returns the shell commands of the reviewer's recipe in
// docs/audit-format.md: every sh block after its heading, in order.
func recipe(t *testing.T) string {
	t.Helper()
	doc, err := os.ReadFile("../docs/audit-format.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "## A reviewer's recipe")
	if !ok {
		t.Fatal("docs/audit-format.md has no reviewer's recipe")
	}
	var script strings.Builder
	for {
		_, block, found := strings.Cut(rest, "```sh\n")
		if !found {
			break
		}
		body, after, _ := strings.Cut(block, "```")
		script.WriteString(body)
		rest = after
	}
	if script.Len() == 0 {
		t.Fatal("the recipe has no sh blocks")
	}
	return script.String()
}

// TestReviewerRecipe runs exactly the documented commands: they accept a
// sealed run and reject tampered copies.
func TestReviewerRecipe(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"bash", "openssl", "jq", "sha256sum", "base64", "python3"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the recipe needs %s, which is not installed (.ci/run installs it)", tool)
		}
	}
	if out, _ := exec.Command("openssl", "pkeyutl", "-help").CombinedOutput(); !bytes.Contains(out, []byte("-rawin")) {
		t.Skip("this openssl has no pkeyutl -rawin (OpenSSL 3 is needed for Ed25519)")
	}
	script := recipe(t)
	key, other := testKey(t), testKey(t)
	src := t.TempDir()
	writeRun(t, src, key, 90, true)
	pub := filepath.Join(t.TempDir(), "trusted.pem")
	pemText, _ := PublicKeyPEM(key.Public().(ed25519.PublicKey))
	os.WriteFile(pub, pemText, 0o644)
	otherDir := t.TempDir()
	writeRun(t, otherDir, other, 90, true)
	filesDir := t.TempDir()
	writeRunLayout(t, filesDir, key, 90, true, 0, true)
	orig := readRun(t, src)
	adoptedDir := t.TempDir()
	crashAfterADecision(t, adoptedDir, key)
	reopened, err := Reopen(adoptedDir, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	reopened.Writer.Append(Entry{Type: TypeRunResumed, Data: map[string]any{AdoptedKey: reopened.Unsigned.Record()}})
	reopened.Writer.Seal("alice", map[string]string{"outcome": "succeeded"})
	// Two approvals, and the same log with bob's deny turned into an
	// approve by someone holding the run's key, who re-signed the log.
	alice, bob := testKey(t), testKey(t)
	// alice's reason has what JSON escapes and what it does not: the
	// statement's bytes must come out of jq exactly as they were signed.
	approvedDir := writeApprovalRun(t, key,
		signApproval(t, alice, "alice", "run-1", "promote-replica", "approve", func(s *ApprovalStatement) { s.Reason = "lag <1s & \"ok\" — é\\" }),
		signApproval(t, bob, "bob", "run-1", "promote-replica", "approve", nil))
	if rep, _ := Verify(approvedDir, key.Public().(ed25519.PublicKey)); rep.Verdict != Valid || len(rep.Approvals) != 2 {
		t.Fatalf("drpilot's verdict on the approved run: %+v", rep)
	}
	forged := signApproval(t, bob, "bob", "run-1", "promote-replica", "deny", nil)
	forged.data.Decision = "approve"
	forged.data.Approval.Statement = strings.Replace(forged.data.Approval.Statement, `"deny"`, `"approve"`, 1)
	forgedDir := writeApprovalRun(t, key, signApproval(t, alice, "alice", "run-1", "promote-replica", "approve", nil), forged)
	otherRunDir := writeApprovalRun(t, key, signApproval(t, bob, "bob", "run-0", "promote-replica", "approve", nil))
	fpAlice := Fingerprint(alice.Public().(ed25519.PublicKey))
	// The logs the recipe accepts; it says what is odd about the others.
	valid := map[string]bool{"sealed run": true, "sealed run, a checkpoint file each": true, "adopted after a crash": true, "approved": true}

	cases := []struct {
		name   string
		tamper func(r *runFiles)
		want   string // the recipe's verdict
	}{
		{"sealed run", func(r *runFiles) {}, "the run verifies: 92 events"},
		{"sealed run, a checkpoint file each", func(r *runFiles) { *r = readRun(t, filesDir) }, "the run verifies: 92 events"},
		{"seal removed, a checkpoint file each", func(r *runFiles) {
			*r = readRun(t, filesDir)
			delete(r.notes, "000092.note")
		}, "not sealed"},
		{"adopted after a crash", func(r *runFiles) { *r = readRun(t, adoptedDir) }, "note: seq 2-3 (decisions at seq 3) were unsigned when the run stopped and were adopted at seq 4"},
		{"approved", func(r *runFiles) { *r = readRun(t, approvedDir) }, "approval: promote-replica: alice (" + fpAlice + ") approve at 2026-12-03T10:20:00Z"},
		{"a forged approval, the log re-signed", func(r *runFiles) { *r = readRun(t, forgedDir) }, "the approval at seq 3 (step promote-replica, bob) does not verify"},
		{"an approval of another run", func(r *runFiles) { *r = readRun(t, otherRunDir) }, "the approval at seq 2 (step promote-replica, bob) is signed, but not for this run"},
		{"signed by another key", func(r *runFiles) { *r = readRun(t, otherDir) }, "not signed by the trusted key"},
		{"a flipped byte", func(r *runFiles) { flip(t, r, 20, `"i":19`, `"i":18`) }, "seq 21: the chain is broken"},
		{"a line deleted, chain recomputed", func(r *runFiles) {
			ls := lines(r.events)
			r.events = rechain(t, append(ls[:10:10], ls[11:]...))
		}, "no checkpoint covers all 91 lines"},
		{"a line replaced, chain recomputed", func(r *runFiles) {
			ls := lines(r.events)
			ls[30] = bytes.Replace(ls[30], []byte(`"i":29`), []byte(`"i":28`), 1)
			r.events = rechain(t, ls)
		}, "the seal's chain head is not the last line"},
		{"seal removed", func(r *runFiles) { delete(r.notes, "000092.note") }, "not sealed"},
		{"bytes appended after the seal", func(r *runFiles) { r.events = append(r.events, []byte("GARBAGE")...) }, "not sealed"},
		{"seal signature flipped", func(r *runFiles) {
			// Another base64 letter, so that the signature still decodes
			// (a flipped bit can make it invalid base64 instead).
			n := r.notes["000092.note"]
			if n[len(n)-5] == 'A' {
				n[len(n)-5] = 'B'
			} else {
				n[len(n)-5] = 'A'
			}
		}, "the seal's signature does not verify"},
	}
	// Each case runs the recipe's few hundred small processes: side by
	// side, so that the test takes the time of the slowest, not the sum.
	for _, tc := range cases {
		r := orig.clone()
		tc.tamper(&r)
		dir := r.write(t)
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command("bash", "-euo", "pipefail", "-c", script)
			cmd.Env = append(os.Environ(), "RUN="+dir, "PUB="+pub)
			out, err := cmd.CombinedOutput()
			accepted := err == nil
			if accepted != valid[tc.name] || !strings.Contains(string(out), tc.want) {
				t.Errorf("%s: accepted=%v, output:\n%s\nwant it to say %q", tc.name, accepted, out, tc.want)
			}
		})
	}
}
