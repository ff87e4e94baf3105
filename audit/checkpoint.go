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
// hash of the last of them, as the next line's prev would name it). In
// checkpoints.jsonl it also names the checkpoint line before it (prev),
// so that the newest signature vouches for every checkpoint before it.
type checkpoint struct {
	run  string
	n    int64
	root tlog.Hash
	head string
	// prev is the hex SHA-256 of the line before this one in
	// checkpoints.jsonl (64 zeros for the first); "" in a checkpoint file
	// of the older layout, checkpoints/<N>.note, which has no such line.
	prev string
}

// text is the note text docs/audit-format.md specifies:
// "drpilot/<run>\n<N>\n<base64 root>\nchain <hex head>\n", and then
// "prev <hex>\n" in checkpoints.jsonl.
func (c checkpoint) text() string {
	t := fmt.Sprintf("%s/%s\n%d\n%s\nchain %s\n", NoteName, c.run, c.n,
		base64.StdEncoding.EncodeToString(c.root[:]), c.head)
	if c.prev != "" {
		t += "prev " + c.prev + "\n"
	}
	return t
}

// parseCheckpoint reads a checkpoint note's text: four lines, or five
// with prev.
func parseCheckpoint(text string) (checkpoint, error) {
	lines := strings.Split(text, "\n")
	if n := len(lines); (n != 5 && n != 6) || lines[n-1] != "" {
		return checkpoint{}, fmt.Errorf("want 4 or 5 lines, got %d", len(lines)-1)
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
	if !ok || !isHexHash(head) {
		return c, fmt.Errorf("malformed chain head %q", lines[3])
	}
	if len(lines) == 6 {
		prev, ok := strings.CutPrefix(lines[4], "prev ")
		if !ok || !isHexHash(prev) {
			return c, fmt.Errorf("malformed prev %q", lines[4])
		}
		c.prev = prev
	}
	c.run, c.n, c.head = run, n, head
	copy(c.root[:], root)
	return c, nil
}

// isHexHash says whether s is a hex SHA-256, lower case.
func isHexHash(s string) bool {
	return len(s) == 64 && strings.Trim(s, "0123456789abcdef") == ""
}

// checkpointName is checkpoints/<N>.note, N zero-padded to 6 digits, as
// an io/fs path (forward slashes): the older layout, a file per
// checkpoint, which drpilot still reads and continues.
func checkpointName(n int64) string {
	return fmt.Sprintf("%s/%06d.note", CheckpointsDir, n)
}

// writeCheckpointFile signs c and writes it as a file of the older layout,
// atomically: a temporary file, synced, renamed into place, and the
// directory synced, so that a crash leaves either no checkpoint or a
// whole one.
func writeCheckpointFile(dir string, c checkpoint, signer note.Signer) error {
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
