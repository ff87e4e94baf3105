// Package audit is drpilot's signed, hash-chained event log (docs/audit-format.md).
// One run is one directory: events.jsonl, one JSON event per line, each
// naming the SHA-256 of the line before it; checkpoints.jsonl, signed
// notes, one a line, that commit to the Merkle root of the first N lines
// and to the checkpoint line before (an older log keeps a file per
// checkpoint, checkpoints/<N>.note); and pub.pem,
// the signing key's public half. Verify checks all of it from the bytes as
// written, so that a reviewer can trust the record of an incident and
// prove that nobody edited it afterwards.
package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
)

// Version is the event format version, the "v" of every line.
const Version = 1

// File and directory names inside a run directory.
const (
	EventsFile     = "events.jsonl"
	CheckpointsDir = "checkpoints"
	PubFile        = "pub.pem"
)

// Event types. The executor writes these; the audit log does not depend on
// their meaning except for the seal (run.end) and for which must be
// durable before drpilot goes on (see durable).
const (
	TypeRunStart = "run.start"
	TypeRunEnd   = "run.end"
	// TypeRunPaused ends a run that stopped with something left to do
	// (interrupted, or waiting for a person): the log is not sealed, and
	// drpilot resume or drpilot abort continues it.
	TypeRunPaused    = "run.paused"
	TypeStepReady    = "step.ready"
	TypePrecondition = "precondition"
	TypeAWSRequest   = "aws.request"
	TypeAWSResponse  = "aws.response"
	TypeDecision     = "decision"
	TypeStepDone     = "step.done"
	TypeStepFailed   = "step.failed"
	TypeStepSkipped  = "step.skipped"
	TypeNote         = "note"
)

// durable says which events are fsynced before Append returns: the start
// and end of a run, every AWS request (written before it is sent, so that
// a crash can never hide a call that was made) and every operator decision.
func durable(eventType string) bool {
	switch eventType {
	case TypeRunStart, TypeRunEnd, TypeRunPaused, TypeAWSRequest, TypeDecision:
		return true
	}
	return false
}

// Event is one line of events.jsonl. The field order is the order of the
// JSON keys on the line.
type Event struct {
	V     int             `json:"v"`
	Run   string          `json:"run"`
	Seq   int64           `json:"seq"`
	TS    string          `json:"ts"`
	Type  string          `json:"type"`
	Step  string          `json:"step"`
	Actor string          `json:"actor"`
	Data  json.RawMessage `json:"data"`
	Prev  string          `json:"prev"`
}

// zeroHash is prev at seq 0.
var zeroHash = strings.Repeat("0", 64)

// lineHash is the hex SHA-256 of a line's bytes without its LF: what the
// next line's prev names and what a checkpoint's chain head is.
func lineHash(line []byte) string {
	sum := sha256.Sum256(line)
	return hex.EncodeToString(sum[:])
}
