package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"io"
	"os"

	"github.com/drpilot/drpilot/audit"
	"github.com/spf13/cobra"
)

type exportOptions struct {
	pub    string
	format string
	stdout io.Writer
}

func newAuditExportCommand() *cobra.Command {
	opts := exportOptions{}
	cmd := &cobra.Command{
		Use:   "export DIR [--format md|html|json] [--pub FILE]",
		Short: "Write a run's post-incident record: timeline, decisions, RTO/RPO, request ids",
		Long: `export writes the record of the run in DIR for the post-incident review, from its
audit log alone: the outcome, the RTO achieved (run start to end) and the RPO
achieved (the oldest restore point's age when its step started) against the
runbook's targets, each phase's duration, every step with its status, skip
reason or error and its AWS request ids (to match CloudTrail), every decision
with who made it and why, the operators' notes, every request that changed
something, and the verification verdict of the log.

A log that does not verify still gets a record, headed by its verdict; the exit
code is then 1.`,
		Example: `  drpilot audit export RUN_DIR --pub runbooks/keys/oncall.pub > incident.md
  drpilot audit export RUN_DIR --format json | jq '.steps[] | select(.status != "done")'`,
		Args: argsExactly(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.stdout = cmd.OutOrStdout()
			return runAuditExport(cmd.Context(), opts, args[0])
		},
	}
	cmd.Flags().StringVar(&opts.format, "format", "md", "md, html or json")
	cmd.Flags().StringVar(&opts.pub, "pub", "", "the trusted public key (PEM, or note-verifier form)")
	return cmd
}

func runAuditExport(_ context.Context, opts exportOptions, dir string) error {
	if opts.format != "md" && opts.format != "html" && opts.format != "json" {
		return badInput("--format %q: choose md, html or json", opts.format)
	}
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
	rec, err := audit.Export(dir, trusted)
	if err != nil {
		return badInput("cannot read the run directory: %v", err)
	}
	switch opts.format {
	case "json":
		enc := json.NewEncoder(opts.stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(rec)
	case "html":
		err = rec.WriteHTML(opts.stdout)
	default:
		err = rec.WriteMarkdown(opts.stdout)
	}
	if err != nil {
		return err
	}
	if rec.Verdict != audit.Valid {
		return silentExit(exitFailed)
	}
	return nil
}
