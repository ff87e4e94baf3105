package audit

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// checkpoint is the body of a signed checkpoint note: the run, how many
// lines it covers, the Merkle root of those lines and the chain head (the
// hash of the last of them, as the next line's prev would name it).
type checkpoint struct {
	run  string
	n    int64
	root tlog.Hash
	head string
}

// text is the note text docs/audit-format.md specifies:
// "drpilot/<run>\n<N>\n<base64 root>\nchain <hex head>\n".
func (c checkpoint) text() string {
	return fmt.Sprintf("%s/%s\n%d\n%s\nchain %s\n", NoteName, c.run, c.n,
		base64.StdEncoding.EncodeToString(c.root[:]), c.head)
}

// parseCheckpoint reads a checkpoint note's text.
func parseCheckpoint(text string) (checkpoint, error) {
	lines := strings.Split(text, "\n")
	if len(lines) != 5 || lines[4] != "" {
		return checkpoint{}, fmt.Errorf("want 4 lines, got %d", len(lines)-1)
	}
	var c checkpoint
	run, ok := strings.CutPrefix(lines[0], NoteName+"/")
	if !ok || run == "" {
		return c, fmt.Errorf("first line %q does not name a drpilot run", lines[0])
	}
	n, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || n < 1 || strconv.FormatInt(n, 10) != lines[1] {
		return c, fmt.Errorf("malformed line count %q", lines[1])
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != tlog.HashSize {
		return c, fmt.Errorf("malformed Merkle root %q", lines[2])
	}
	head, ok := strings.CutPrefix(lines[3], "chain ")
	if !ok || len(head) != 64 || strings.Trim(head, "0123456789abcdef") != "" {
		return c, fmt.Errorf("malformed chain head %q", lines[3])
	}
	c.run, c.n, c.head = run, n, head
	copy(c.root[:], root)
	return c, nil
}

// checkpointName is checkpoints/<N>.note, N zero-padded to 6 digits, as
// an io/fs path (forward slashes).
func checkpointName(n int64) string {
	return fmt.Sprintf("%s/%06d.note", CheckpointsDir, n)
}

// writeCheckpoint signs c and writes it atomically: a temporary file,
// synced, renamed into place, and the directory synced, so that a crash
// leaves either no checkpoint or a whole one.
func writeCheckpoint(dir string, c checkpoint, signer note.Signer) error {
	msg, err := note.Sign(&note.Note{Text: c.text()}, signer)
	if err != nil {
		return fmt.Errorf("sign checkpoint %d: %w", c.n, err)
	}
	final := filepath.Join(dir, filepath.FromSlash(checkpointName(c.n)))
	tmp, err := os.CreateTemp(filepath.Join(dir, CheckpointsDir), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := writeSyncClose(tmp, msg); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return err
	}
	return syncDir(filepath.Join(dir, CheckpointsDir))
}

// writeSyncClose writes data to f, syncs it to disk and closes it, closing
// it on every path.
func writeSyncClose(f *os.File, data []byte) error {
	_, err := f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// syncDir makes a directory's entries durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
