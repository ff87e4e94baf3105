package audit

import (
	"bytes"
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// checkpointLines verifies checkpoints.jsonl. Each line names the hash of
// the line before it inside its signed text, so the newest checkpoint's
// signature vouches for all of them: that one signature is checked, and
// every checkpoint's consistency with the log (run, chain head, Merkle
// root, and the chain of checkpoint lines). Another line's signature is
// checked only to say what is wrong with it when it does not fit.
func (v *verifier) checkpointLines(data []byte, verifier note.Verifier) {
	chunks := bytes.Split(data, []byte("\n"))
	if last := chunks[len(chunks)-1]; len(last) > 0 {
		v.rep.Warnings = append(v.rep.Warnings, fmt.Sprintf("the last line of %s is torn (a crash while writing it?): it is no checkpoint", CheckpointsFile))
	}
	chunks = chunks[:len(chunks)-1]
	prev, lastN := zeroHash, int64(0)
	for i, line := range chunks {
		name := fmt.Sprintf("%s line %d", CheckpointsFile, i+1)
		cl, c, err := parseCheckpointLine(line)
		at := v.lineAt(cl.N)
		switch {
		case err != nil:
			v.invalidCheckpoint(at, name, line, verifier, err.Error())
		case c.n != cl.N:
			v.invalidCheckpoint(at, name, line, verifier, fmt.Sprintf("covers %d lines, not the %d its line says", c.n, cl.N))
		case c.prev != prev && i > 0 && !signatureVerifies(chunks[i-1], verifier):
			v.invalid(v.lineAt(lastN), "%s line %d: signature does not verify with the run's key: the checkpoint was altered", CheckpointsFile, i)
		case c.prev != prev:
			v.invalid(at, "%s: prev does not name the checkpoint line before it: a checkpoint was removed, added or altered", name)
		case c.n <= lastN:
			v.invalidCheckpoint(at, name, line, verifier, fmt.Sprintf("covers %d lines, after a checkpoint of %d: checkpoints go forward", c.n, lastN))
		case !v.prefixOfLog(name, c):
			if !signatureVerifies(line, verifier) {
				v.rep.Reason = name + ": signature does not verify with the run's key; " + v.rep.Reason
			}
		}
		if v.rep.Verdict != "" {
			return
		}
		v.signed(c.n)
		prev, lastN = lineHash(line), c.n
	}
	if len(chunks) > 0 {
		v.newestSigned(chunks[len(chunks)-1], lastN, verifier)
	}
}

// newestSigned checks the newest checkpoint's signature, and that the
// text it signs is the text the checks above read.
func (v *verifier) newestSigned(line []byte, n int64, verifier note.Verifier) {
	cl, _, _ := parseCheckpointLine(line)
	signed, err := note.Open([]byte(cl.Note), note.VerifierList(verifier))
	name := fmt.Sprintf("%s line %d", CheckpointsFile, v.rep.Checkpoints)
	switch {
	case err != nil:
		v.invalid(v.lineAt(n), "%s: signature does not verify with the run's key: %v", name, err)
	case signed.Text != noteText(cl.Note):
		v.invalid(v.lineAt(n), "%s: the signed text is not the checkpoint's text", name)
	}
}

// invalidCheckpoint reports a checkpoint line that does not fit the log,
// saying first when its signature does not verify either: then the line
// was altered, which is what a reviewer needs to know.
func (v *verifier) invalidCheckpoint(at int64, name string, line []byte, verifier note.Verifier, why string) {
	if !signatureVerifies(line, verifier) {
		v.invalid(at, "%s: signature does not verify with the run's key (%s)", name, why)
		return
	}
	v.invalid(at, "%s: %s", name, why)
}

// signatureVerifies says whether a checkpoint line's note is signed by
// the run's key.
func signatureVerifies(line []byte, verifier note.Verifier) bool {
	cl, _, err := parseCheckpointLine(line)
	if err != nil && cl.Note == "" {
		return false
	}
	_, err = note.Open([]byte(cl.Note), note.VerifierList(verifier))
	return err == nil
}

// noteText is a signed note's text: everything up to the blank line
// before the signatures, with its newline (as note.Open splits it).
func noteText(msg string) string {
	i := strings.LastIndex(msg, "\n\n")
	if i < 0 {
		return ""
	}
	return msg[:i+1]
}
