package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// hintLine returns the line of a run's output that starts with prefix,
// split into its words, without "drpilot".
func hintLine(t *testing.T, out, prefix string) []string {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if rest, ok := strings.CutPrefix(line, prefix+"drpilot "); ok {
			return strings.Fields(rest)
		}
	}
	t.Fatalf("no %q line in:\n%s", prefix, out)
	return nil
}

// TestRunHintsWorkAsPrinted runs the verify and export commands that a
// sandbox run prints, as printed (the record goes to a temporary
// directory), and checks that nothing calls the run's throwaway key
// trusted.
func TestRunHintsWorkAsPrinted(t *testing.T) {
	t.Parallel()
	dir := runDir(t)
	code, out, errOut := drpilot(t, "run", paramsRunbook, "--sandbox", "--headless", "--yes", "--audit-dir", dir)
	if code != exitOK {
		t.Fatalf("run: exit %d\n%s%s", code, out, errOut)
	}
	verify := hintLine(t, out, "verify: ")
	code, verified, errOut := drpilot(t, verify...)
	if code != exitOK || !strings.HasPrefix(verified, "VALID: ") || !strings.Contains(verified, "throwaway key") || !strings.Contains(verified, "not who wrote it") {
		t.Errorf("%s: exit %d\n%s%s", strings.Join(verify, " "), code, verified, errOut)
	}
	export := hintLine(t, out, "export: ")
	if len(export) < 2 || export[len(export)-2] != "-o" {
		t.Fatalf("the export hint does not end in -o FILE: %v", export)
	}
	record := filepath.Join(t.TempDir(), export[len(export)-1])
	export[len(export)-1] = record
	code, stdout, errOut := drpilot(t, export...)
	if code != exitOK || stdout != "" || errOut != "" {
		t.Fatalf("%s: exit %d, stdout %q, stderr %q", strings.Join(export, " "), code, stdout, errOut)
	}
	md, err := os.ReadFile(record)
	if err != nil || !strings.Contains(string(md), "**Audit log: VALID** — sealed and signed by") {
		t.Fatalf("the record (%v):\n%s", err, md)
	}
	for name, text := range map[string]string{"run": out, "verify": verified, "export": string(md)} {
		if strings.Contains(strings.ToLower(text), "trusted") {
			t.Errorf("the %s output calls the throwaway key trusted:\n%s", name, text)
		}
	}
	// Without --pub the verdict is not VALID: the record is still written,
	// and stderr says why in one line.
	code, _, errOut = drpilot(t, "audit", "export", dir, "-o", record)
	if code != exitFailed || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "UNTRUSTED KEY, not VALID") {
		t.Errorf("export without --pub: exit %d, stderr %q", code, errOut)
	}
}

// TestAuditExportOutputFile: -o writes the record whole, mode 0644,
// replacing an older one, and leaves nothing behind when it cannot.
func TestAuditExportOutputFile(t *testing.T) {
	t.Parallel()
	keyPath, key := keygenAt(t)
	dir := sealedRun(t, key)
	out := t.TempDir()
	record := filepath.Join(out, "record.json")
	if err := os.WriteFile(record, []byte("an older record"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, errOut := drpilot(t, "audit", "export", dir, "--pub", keyPath+".pub", "--format", "json", "-o", record)
	if code != exitOK || stdout != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, errOut)
	}
	info, err := os.Stat(record)
	if err != nil || info.Mode().Perm() != 0o644 {
		t.Fatalf("the record: %v %v", info, err)
	}
	if data, _ := os.ReadFile(record); !strings.Contains(string(data), `"verdict": "VALID"`) {
		t.Errorf("the record was not replaced:\n%s", data)
	}
	// A destination that is a directory cannot be replaced.
	sub := filepath.Join(out, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = drpilot(t, "audit", "export", dir, "--pub", keyPath+".pub", "-o", sub)
	if code != exitBadInput || !strings.Contains(errOut, "-o "+sub) {
		t.Errorf("-o a directory: exit %d, stderr %q", code, errOut)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 2 {
		t.Errorf("export left files behind: %v", entries)
	}
	code, _, errOut = drpilot(t, "audit", "export", dir, "-o", filepath.Join(out, "no-such-dir", "r.md"))
	if code != exitBadInput || !strings.Contains(errOut, "no-such-dir") {
		t.Errorf("-o in a missing directory: exit %d, stderr %q", code, errOut)
	}
}
