package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/drpilot/drpilot/audit"
	"github.com/spf13/cobra"
)

type exportOptions struct {
	pub    string
	format string
	output string
	s3     s3Flags
	stdout io.Writer
}

func newAuditExportCommand() *cobra.Command {
	opts := exportOptions{}
	cmd := &cobra.Command{
		Use:   "export DIR|s3://…",
		Short: "Write a run's post-incident record",
		Long: `export writes the record of the run in DIR for the post-incident review, from its
audit log alone: the outcome, the RTO achieved (run start to end) and the RPO
achieved (the oldest restore point's age when its step started) against the
runbook's targets, each phase's duration, every step with its status, skip
reason or error and its AWS request ids (to match CloudTrail), every decision
with who made it and why, the operators' notes, every request that changed
something, and the verification verdict of the log. md, html and json carry
the same facts; --format html is a self-contained page (no script, nothing to
fetch, prints on A4) with the verdict banner, a SIMULATED or DRY-RUN banner, a
timeline of the steps (approval and AWS waits, failures, the RTO line, the
critical path) and, for a sandbox run, a game-day scorecard of its faults.

The record goes to stdout, or with -o to FILE, which is written whole or not
at all (a temporary file renamed over FILE, mode 0644).

An s3:// address reads a team run's copy in its audit bucket (docs/team.md), as
audit verify does.

A log that does not verify still gets a record, headed by its verdict; export
then says why on stderr and exits 1.`,
		Example: `  drpilot audit export RUN_DIR --pub keys/oncall.pub -o incident.md
  drpilot audit export RUN_DIR --pub oncall.pub --format json | jq .steps
  drpilot audit export s3://acme-dr-audit/drpilot/store-region-failover/20261203T101500Z-1a2b3c/ --pub oncall.pub --region us-west-2`,
		Args: argsExactly(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.stdout = cmd.OutOrStdout()
			return runAuditExport(cmd.Context(), opts, args[0])
		},
	}
	cmd.Flags().StringVar(&opts.format, "format", "md", "the record's format: md, html or json")
	cmd.Flags().StringVar(&opts.pub, "pub", "", "the trusted public key (PEM, or note-verifier form)")
	cmd.Flags().StringVarP(&opts.output, "output", "o", "", "write the record to FILE instead of stdout")
	opts.s3.add(cmd)
	return cmd
}

func runAuditExport(ctx context.Context, opts exportOptions, location string) error {
	if opts.format != "md" && opts.format != "html" && opts.format != "json" {
		return badInput("--format %q: choose md, html or json", opts.format)
	}
	trusted, err := readTrustedKey(opts.pub)
	if err != nil {
		return err
	}
	dir, cleanup, err := localRun(ctx, location, opts.s3)
	if err != nil {
		return err
	}
	defer cleanup()
	rec, err := audit.Export(dir, trusted)
	if err != nil {
		return badInput("cannot read the run directory: %v", err)
	}
	rec.VerdictReason = verdictReason(dir, rec.Verdict, rec.VerdictReason)
	write := func(w io.Writer) error { return writeRecord(w, rec, opts.format) }
	if opts.output == "" {
		err = write(opts.stdout)
	} else if err = writeFileAtomic(opts.output, write); err != nil {
		return badInput("-o %s: %v", opts.output, unwrapPath(err))
	}
	if err != nil {
		return err
	}
	if rec.Verdict != audit.Valid {
		return notValid(dir, location, rec, opts.pub != "")
	}
	return nil
}

// writeRecord writes the record in one of the formats.
func writeRecord(w io.Writer, rec *audit.Record, format string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rec)
	case "html":
		return rec.WriteHTML(w)
	}
	return rec.WriteMarkdown(w)
}

// notValid is export's error when the log is not VALID. The record is
// written all the same, headed by its verdict; this line says on stderr,
// which a redirected stdout does not hide, why the exit code is 1 and what
// to do.
func notValid(dir, location string, rec *audit.Record, pubGiven bool) error {
	var todo string
	switch {
	case rec.Verdict == audit.UntrustedKey && throwawayFingerprint(dir) != "":
		// The reason already says which --pub to give.
	case rec.Verdict == audit.UntrustedKey && !pubGiven:
		todo = "; give the public key of whoever signed the run with --pub"
	case rec.Verdict == audit.UntrustedKey:
		todo = "; the log is signed by another key than --pub: give the right public key, or find out who signed it"
	case rec.Verdict == audit.Incomplete:
		todo = "; the run was interrupted or its log cut short, and the record covers what the log holds"
	default:
		todo = "; the log was changed or damaged after it was written: do not rely on the record"
	}
	return &exitError{code: exitFailed, err: fmt.Errorf("audit export: the record was written, but the log in %s is %s, not VALID: %s%s",
		location, rec.Verdict, rec.VerdictReason, todo)}
}

// writeFileAtomic writes path through a temporary file in the same
// directory that is synced, made mode 0644 and renamed over path: whoever
// reads path sees the old file or the whole new one, never a half-written
// record, even when drpilot is killed midway.
func writeFileAtomic(path string, write func(io.Writer) error) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = write(tmp); err != nil {
		return err
	}
	if err = tmp.Chmod(0o644); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
