package main

import (
	"crypto/ed25519"
	"fmt"
	"os"
	"path/filepath"

	"github.com/drpilot/drpilot/audit"
)

// A dry-run or sandbox run without a signing key is signed with a
// throwaway key that drpilot makes for it and keeps in the run directory
// (throwawayKeyFile, and its public half next to it), so that resume can
// continue the log. The run's pub.pem is then that key's public half: a
// log that verifies against it is whole and unchanged since it was
// sealed, but nothing says who wrote it, since anyone can make such a key
// and sign anything with it. drpilot therefore never calls a throwaway key
// trusted, in any verdict it prints or any record it exports.

// throwawayFingerprint returns the fingerprint of the throwaway key that
// signed the run in dir, or "" when the run was not signed with one.
func throwawayFingerprint(dir string) string {
	own, err := readPublicKey(filepath.Join(dir, throwawayKeyFile+".pub"))
	if err != nil {
		return ""
	}
	signer, err := readPublicKey(filepath.Join(dir, audit.PubFile))
	if err != nil || !own.Equal(signer) {
		return ""
	}
	return audit.Fingerprint(own)
}

func readPublicKey(path string) (ed25519.PublicKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return audit.ParsePublicKey(data)
}

// verdictReason is the reason to print with a verdict on the run in dir.
// For a run signed with a throwaway key it says what such a key proves and
// how to check the log; otherwise it is the verifier's own reason.
func verdictReason(dir string, verdict audit.Verdict, reason string) string {
	fp := throwawayFingerprint(dir)
	if fp == "" {
		return reason
	}
	switch verdict {
	case audit.Valid:
		return fmt.Sprintf("sealed and signed by %s, a throwaway key that drpilot made for this run because it had no signing key: it proves only that the log is whole and unchanged since it was sealed, not who wrote it", fp)
	case audit.UntrustedKey:
		return fmt.Sprintf("signatures verify with %s, a throwaway key that drpilot made for this run because it had no signing key; give --pub %s to check that the log is whole and unchanged (no throwaway key can prove who wrote it)",
			fp, filepath.Join(dir, audit.PubFile))
	}
	return reason
}
