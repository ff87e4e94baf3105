package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/drpilot/drpilot/audit"
	"github.com/spf13/cobra"
)

func newAuditCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Verify a run's audit log, or export its record",
		Args:  argsExactly(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return badInput("audit needs a subcommand: usage: drpilot audit verify DIR [--pub FILE], or drpilot audit export DIR [--format md|html|json]")
		},
	}
	cmd.AddCommand(newAuditVerifyCommand(), newAuditExportCommand())
	return cmd
}

type verifyOptions struct {
	pub    string
	json   bool
	stdout io.Writer
}

func newAuditVerifyCommand() *cobra.Command {
	opts := verifyOptions{}
	cmd := &cobra.Command{
		Use:   "verify DIR",
		Short: "Check that a run's audit log is whole, sealed and signed by a trusted key",
		Long: `verify checks a run directory: every line of events.jsonl (its form, its sequence
number, the run it belongs to, and the SHA-256 chain over the bytes as written),
every checkpoint (its Ed25519 signature, and that its Merkle root and chain head
match the log, so that each is a prefix of the final log), and the seal.

It prints one verdict:
  VALID          whole, sealed, and signed by the key given with --pub
  INCOMPLETE     no seal: the run was interrupted or the log truncated;
                 says the last sequence number that verifies
  INVALID at N   something broke at seq N: says what (chain, sequence,
                 Merkle root, signature, parse)
  UNTRUSTED KEY  the signatures verify, but not with the key given, or no
                 key was given

Lines a crash left after the last checkpoint, which a resume or an abort then
adopted into the signed record, are listed as warnings: only the hash chain
protected them for a while (docs/audit-format.md, "Lines adopted after a crash").

Exit code 0 only for VALID; 1 for the other verdicts; 2 when the directory or
the key cannot be read.`,
		Example: `  drpilot audit verify RUN_DIR --pub runbooks/keys/oncall.pub
  drpilot audit verify --json DIR --pub oncall.pub | jq .verdict`,
		Args: argsExactly(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.stdout = cmd.OutOrStdout()
			return runAuditVerify(cmd.Context(), opts, args)
		},
	}
	cmd.Flags().StringVar(&opts.pub, "pub", "", "the trusted public key (PEM, or note-verifier form)")
	cmd.Flags().BoolVar(&opts.json, "json", false, "print the report as JSON")
	return cmd
}

func runAuditVerify(_ context.Context, opts verifyOptions, args []string) error {
	var trusted ed25519.PublicKey
	if opts.pub != "" {
		data, err := os.ReadFile(opts.pub)
		if err != nil {
			return badInput("cannot read the trusted key: %v", unwrapPath(err))
		}
		if trusted, err = audit.ParsePublicKey(data); err != nil {
			return badInput("%s: %v", opts.pub, err)
		}
	}
	rep, err := audit.Verify(args[0], trusted)
	if err != nil {
		return badInput("cannot read the run directory: %v", err)
	}
	rep.Reason = verdictReason(args[0], rep.Verdict, rep.Reason)
	if opts.json {
		enc := json.NewEncoder(opts.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		printReport(opts.stdout, args[0], rep)
	}
	if rep.Verdict != audit.Valid {
		return silentExit(exitFailed)
	}
	return nil
}

func printReport(w io.Writer, dir string, rep *audit.Report) {
	switch rep.Verdict {
	case audit.Invalid:
		fmt.Fprintf(w, "INVALID at seq %d: %s\n", rep.Seq, rep.Reason)
	case audit.Incomplete:
		fmt.Fprintf(w, "INCOMPLETE: last verified seq %d: %s\n", rep.Seq, rep.Reason)
	default:
		fmt.Fprintf(w, "%s: %s\n", rep.Verdict, rep.Reason)
	}
	fmt.Fprintf(w, "%s: run %s · %d lines · %d checkpoints (the newest covers %d) · key %s\n",
		dir, orNone(rep.Run), rep.Lines, rep.Checkpoints, rep.Signed, orNone(rep.Key))
	for _, warning := range rep.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warning)
	}
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return fmt.Errorf("%s: %w", pe.Path, pe.Err)
	}
	return err
}
