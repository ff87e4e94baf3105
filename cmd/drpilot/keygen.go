package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/drpilot/drpilot/audit"
	"github.com/spf13/cobra"
)

type keygenOptions struct {
	out    string
	stdout io.Writer
}

func newKeygenCommand() *cobra.Command {
	opts := keygenOptions{}
	cmd := &cobra.Command{
		Use:   "keygen",
		Short: "Make the Ed25519 key that signs audit logs",
		Long: `keygen makes an Ed25519 signing key for the audit log and writes it as PKCS#8 PEM
with mode 0600, and its public key to FILE.pub. It never overwrites a key.

Where: --out, else $DRPILOT_KEY, else $XDG_CONFIG_HOME/drpilot/signing-key.pem
(~/.config/drpilot/signing-key.pem when XDG_CONFIG_HOME is unset) — the order in
which drpilot looks for the key when it signs.

It prints the public key as PEM and in note-verifier form. Keep the public key
with your runbooks: reviewers pass it to drpilot audit verify --pub.`,
		Example: `  drpilot keygen
  drpilot keygen --out ~/.config/drpilot/oncall-2026.pem`,
		Args: argsExactly(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.stdout = cmd.OutOrStdout()
			return runKeygen(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.out, "out", "", "where to write the key (default: $DRPILOT_KEY, else the configuration directory)")
	return cmd
}

func runKeygen(_ context.Context, opts keygenOptions) error {
	path, _, err := audit.KeyPath(opts.out)
	if err != nil {
		return badInput("%v", err)
	}
	key, err := audit.GenerateKey()
	if err != nil {
		return err
	}
	if err := audit.WriteKey(path, key); err != nil {
		if errors.Is(err, audit.ErrKeyExists) {
			return badInput("%v", err)
		}
		return badInput("cannot write the key: %v", err)
	}
	fmt.Fprintf(opts.stdout, "Wrote the signing key to %s (mode 0600) and its public key to %s.pub.\n\n", path, path)
	return printPublicKey(opts.stdout, key.Public().(ed25519.PublicKey))
}

func printPublicKey(w io.Writer, pub ed25519.PublicKey) error {
	pemText, err := audit.PublicKeyPEM(pub)
	if err != nil {
		return err
	}
	vkey, err := audit.VerifierKey(pub)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\nnote verifier: %s\nfingerprint:   %s\n", pemText, vkey, audit.Fingerprint(pub))
	return err
}

type pubkeyOptions struct {
	key    string
	stdout io.Writer
}

func newPubkeyCommand() *cobra.Command {
	opts := pubkeyOptions{}
	cmd := &cobra.Command{
		Use:   "pubkey",
		Short: "Print the public half of the signing key",
		Long: `pubkey finds the signing key as drpilot does when it signs — --key, else
$DRPILOT_KEY, else $XDG_CONFIG_HOME/drpilot/signing-key.pem — checks it (a key
that group or others can read is refused), and prints its public key as PEM and
in note-verifier form.`,
		Args: argsExactly(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.stdout = cmd.OutOrStdout()
			return runPubkey(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.key, "key", "", "the signing key (default: $DRPILOT_KEY, else the configuration directory)")
	return cmd
}

func runPubkey(_ context.Context, opts pubkeyOptions) error {
	path, source, err := audit.KeyPath(opts.key)
	if err != nil {
		return badInput("%v", err)
	}
	key, err := audit.ReadKey(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return badInput("no signing key at %s (from %s): make one with drpilot keygen", path, source)
		}
		return badInput("%v", err)
	}
	fmt.Fprintf(opts.stdout, "Signing key %s (from %s).\n\n", path, source)
	return printPublicKey(opts.stdout, key.Public().(ed25519.PublicKey))
}
