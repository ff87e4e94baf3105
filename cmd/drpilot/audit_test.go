package main

import (
	"crypto/ed25519"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drpilot/drpilot/audit"
)

// sealedRun writes a small sealed run signed by key and returns its dir.
func sealedRun(t *testing.T, key ed25519.PrivateKey) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "run")
	w, err := audit.Create(dir, audit.Options{RunID: "run-cli", Key: key, Actor: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		if _, err := w.Append(audit.Entry{Type: audit.TypeNote, Actor: "alice", Data: map[string]int{"i": i}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Seal("alice", nil); err != nil {
		t.Fatal(err)
	}
	return dir
}

// keygenAt runs drpilot keygen --out in a temporary directory.
func keygenAt(t *testing.T) (string, ed25519.PrivateKey) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "keys", "signing-key.pem")
	code, out, errOut := drpilot(t, "keygen", "--out", path)
	if code != exitOK || !strings.Contains(out, "BEGIN PUBLIC KEY") || !strings.Contains(out, "note verifier: drpilot+") {
		t.Fatalf("keygen: exit %d\n%s%s", code, out, errOut)
	}
	key, err := audit.ReadKey(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, key
}

func TestKeygen(t *testing.T) {
	t.Parallel()
	path, key := keygenAt(t)
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key mode: %v %v", info.Mode(), err)
	}
	pubPEM, err := os.ReadFile(path + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	if pub, err := audit.ParsePublicKey(pubPEM); err != nil || !pub.Equal(key.Public()) {
		t.Fatalf("FILE.pub does not hold the public key: %v", err)
	}
	code, _, errOut := drpilot(t, "keygen", "--out", path)
	if code != exitBadInput || !strings.Contains(errOut, "already exists") {
		t.Fatalf("keygen over an existing key: exit %d: %s", code, errOut)
	}
	if again, _ := audit.ReadKey(path); !again.Equal(key) {
		t.Fatal("keygen overwrote the key")
	}
}

func TestPubkeyRefusesAReadableKey(t *testing.T) {
	t.Parallel()
	path, _ := keygenAt(t)
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := drpilot(t, "pubkey", "--key", path)
	if code != exitBadInput || !strings.Contains(errOut, "readable by group or others (mode 0640): run chmod 600 "+path) {
		t.Fatalf("exit %d: %s", code, errOut)
	}
}

func TestAuditVerifyVerdictsAndExitCodes(t *testing.T) {
	t.Parallel()
	keyPath, key := keygenAt(t)
	_, otherKey := keygenAt(t)
	dir := sealedRun(t, key)
	pub := keyPath + ".pub"
	code, out, _ := drpilot(t, "audit", "verify", dir, "--pub", pub)
	if code != exitOK || !strings.HasPrefix(out, "VALID: 7 events, sealed and signed by the trusted key") {
		t.Fatalf("sealed run: exit %d\n%s", code, out)
	}
	code, out, _ = drpilot(t, "audit", "verify", dir)
	if code != exitFailed || !strings.HasPrefix(out, "UNTRUSTED KEY:") {
		t.Fatalf("no --pub: exit %d\n%s", code, out)
	}
	other := sealedRun(t, otherKey)
	code, out, _ = drpilot(t, "audit", "verify", "--json", other, "--pub", pub)
	var rep audit.Report
	if code != exitFailed || json.Unmarshal([]byte(out), &rep) != nil || rep.Verdict != audit.UntrustedKey {
		t.Fatalf("another key, --json: exit %d\n%s", code, out)
	}
	events := filepath.Join(dir, audit.EventsFile)
	data, _ := os.ReadFile(events)
	os.WriteFile(events, []byte(strings.Replace(string(data), `"i":3`, `"i":4`, 1)), 0o600)
	code, out, _ = drpilot(t, "audit", "verify", dir, "--pub", pub)
	if code != exitFailed || !strings.HasPrefix(out, "INVALID at seq 5: seq 5: prev does not match") {
		t.Fatalf("tampered run: exit %d\n%s", code, out)
	}
	code, _, errOut := drpilot(t, "audit", "verify", t.TempDir(), "--pub", pub)
	if code != exitBadInput || !strings.Contains(errOut, "not a drpilot run directory") {
		t.Fatalf("empty directory: exit %d: %s", code, errOut)
	}
	code, _, errOut = drpilot(t, "audit", "verify", dir, "--pub", filepath.Join(t.TempDir(), "missing.pem"))
	if code != exitBadInput || !strings.Contains(errOut, "cannot read the trusted key") {
		t.Fatalf("missing key: exit %d: %s", code, errOut)
	}
}
