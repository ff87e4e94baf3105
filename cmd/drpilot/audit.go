package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/drpilot/drpilot/audit"
	"github.com/drpilot/drpilot/team"
	"github.com/spf13/cobra"
)

func newAuditCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Verify, export or compare runs' audit logs",
		Args:  argsExactly(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return badInput("audit needs a subcommand: usage: drpilot audit verify DIR|s3://… [--pub FILE], drpilot audit export DIR|s3://… [--format md|html|json], or drpilot audit diff RUN_A RUN_B")
		},
	}
	cmd.AddCommand(newAuditVerifyCommand(), newAuditExportCommand(), newAuditDiffCommand())
	return cmd
}

type verifyOptions struct {
	pub    string
	keys   string
	json   bool
	s3     s3Flags
	stdout io.Writer
}

func newAuditVerifyCommand() *cobra.Command {
	opts := verifyOptions{}
	cmd := &cobra.Command{
		Use:   "verify DIR|s3://…",
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

Every decision that carries a signed approval is checked: the approver's signature
over the statement, and that it names this run, the step, the verdict logged, the
approver and the key. One that does not hold makes the log INVALID at its line. The
approvals are listed after the verdict; --keys DIR (DIR/NAME.pub, as the runbooks'
keys/) warns about those by a key not in DIR, without changing the verdict.

An s3:// address reads a team run's copy in its audit bucket (docs/team.md): it is
downloaded into a temporary directory and checked as a run directory. The AWS
configuration is the standard one (--profile, AWS_ENDPOINT_URL); --region is the
bucket's Region.

Lines a crash left after the last checkpoint, which a resume or an abort then
adopted into the signed record, are listed as warnings: only the hash chain
protected them for a while (docs/audit-format.md, "Lines adopted after a crash").

Exit code 0 only for VALID; 1 for the other verdicts; 2 when the directory or
the key cannot be read, or the copy in S3 cannot be downloaded.`,
		Example: `  drpilot audit verify RUN_DIR --pub runbooks/keys/oncall.pub
  drpilot audit verify --json DIR --pub oncall.pub | jq .verdict
  drpilot audit verify RUN_DIR --pub keys/oncall.pub --keys runbooks/keys
  drpilot audit verify s3://acme-dr-audit/drpilot/store-region-failover/20261203T101500Z-1a2b3c/ --pub keys/oncall.pub --region us-west-2`,
		Args: argsExactly(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.stdout = cmd.OutOrStdout()
			return runAuditVerify(cmd.Context(), opts, args)
		},
	}
	cmd.Flags().StringVar(&opts.pub, "pub", "", "the trusted public key (PEM, or note-verifier form)")
	cmd.Flags().StringVar(&opts.keys, "keys", "", "a directory of the keys trusted to approve (DIR/NAME.pub); approvals by other keys are warned about")
	cmd.Flags().BoolVar(&opts.json, "json", false, "print the report as JSON")
	opts.s3.add(cmd)
	return cmd
}

func runAuditVerify(ctx context.Context, opts verifyOptions, args []string) error {
	trusted, err := readTrustedKey(opts.pub)
	if err != nil {
		return err
	}
	var approvers map[string]ed25519.PublicKey
	if opts.keys != "" {
		if approvers, err = readApproverKeys(opts.keys); err != nil {
			return err
		}
	}
	location := args[0]
	dir, cleanup, err := localRun(ctx, location, opts.s3)
	if err != nil {
		return err
	}
	defer cleanup()
	rep, err := audit.Verify(dir, trusted)
	if err != nil {
		return badInput("cannot read the run directory: %v", err)
	}
	rep.Reason = verdictReason(dir, rep.Verdict, rep.Reason)
	if opts.keys != "" {
		rep.MarkUntrusted(approvers, opts.keys)
	}
	if opts.json {
		enc := json.NewEncoder(opts.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		printReport(opts.stdout, location, rep)
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
	if len(rep.Approvals) > 0 {
		fmt.Fprintf(w, "approvals: %s\n", rep.ApprovalsLine())
	}
	for _, warning := range rep.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warning)
	}
}

// readTrustedKey reads --pub; "" means no trusted key.
func readTrustedKey(path string) (ed25519.PublicKey, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, badInput("cannot read the trusted key: %v", unwrapPath(err))
	}
	trusted, err := audit.ParsePublicKey(data)
	if err != nil {
		return nil, badInput("%s: %v", path, err)
	}
	return trusted, nil
}

// readApproverKeys reads --keys DIR as the team reads keys/: DIR/NAME.pub.
// A directory with no key is refused, since every approval would then be
// warned about for a typo in the path.
func readApproverKeys(dir string) (map[string]ed25519.PublicKey, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, badInput("--keys: %v", unwrapPath(err))
	}
	keys, err := team.LoadKeys(dir)
	if err != nil {
		return nil, badInput("--keys: %v", err)
	}
	if len(keys) == 0 {
		return nil, badInput("--keys %s: no public key (NAME.pub) in it", dir)
	}
	named := make(map[string]ed25519.PublicKey, len(keys))
	for _, k := range keys {
		named[k.Name] = k.Public
	}
	return named, nil
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
