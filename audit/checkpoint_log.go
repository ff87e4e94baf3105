package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/mod/sumdb/note"
)

// CheckpointsFile holds a run's checkpoints, one signed note per line,
// appended: one file and one fsync per checkpoint, where the older layout
// (checkpoints/<N>.note) cost a file, a rename and a directory fsync each.
const CheckpointsFile = "checkpoints.jsonl"

// checkpointLine is one line of checkpoints.jsonl: the lines covered and
// the signed note, its exact bytes.
type checkpointLine struct {
	N    int64  `json:"n"`
	Note string `json:"note"`
}

// checkpointLog writes a run's checkpoints, in order, each at most once.
// Its own lock orders the writes of the foreground (Seal, Checkpoint) and
// of the background checkpointer: each line names the one before it.
type checkpointLog struct {
	mu  sync.Mutex
	dir string
	// file is checkpoints.jsonl; nil when the log keeps the older layout,
	// a file per checkpoint, which a resume continues as it is.
	file *os.File
	prev string // hex SHA-256 of the last line of file
	n    int64  // lines of events.jsonl the newest checkpoint covers
}

// createCheckpointLog starts a new run's checkpoints.jsonl; the directory
// is synced so that the file's entry survives a crash.
func createCheckpointLog(dir string) (*checkpointLog, error) {
	f, err := os.OpenFile(filepath.Join(dir, CheckpointsFile), os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syncDir(dir); err != nil {
		f.Close()
		return nil, err
	}
	return &checkpointLog{dir: dir, file: f, prev: zeroHash}, nil
}

// openCheckpointLog continues a run's checkpoints for a resume, in the
// layout the log has: a log with checkpoint files and no checkpoints.jsonl
// was written by an older drpilot and goes on with files. A torn last line
// (a crash while writing it) is cut off: it was never a checkpoint.
func openCheckpointLog(dir string, signed int64) (*checkpointLog, error) {
	path := filepath.Join(dir, CheckpointsFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		notes, _ := filepath.Glob(filepath.Join(dir, CheckpointsDir, "*.note"))
		if len(notes) > 0 {
			return &checkpointLog{dir: dir, n: signed}, nil
		}
		l, err := createCheckpointLog(dir)
		if l != nil {
			l.n = signed
		}
		return l, err
	}
	if err != nil {
		return nil, err
	}
	whole := bytes.LastIndexByte(data, '\n') + 1
	if whole < len(data) {
		if err := os.Truncate(path, int64(whole)); err != nil {
			return nil, fmt.Errorf("cut the torn last line of %s: %w", CheckpointsFile, err)
		}
	}
	l := &checkpointLog{dir: dir, prev: zeroHash, n: signed}
	if whole > 0 {
		last := data[bytes.LastIndexByte(data[:whole-1], '\n')+1 : whole-1]
		l.prev = lineHash(last)
	}
	if l.file, err = os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0o600); err != nil {
		return nil, err
	}
	return l, nil
}

// write signs c and appends it, synced, unless a checkpoint that covers
// as much is written already. The lines it covers must be on disk.
func (l *checkpointLog) write(c checkpoint, signer note.Signer) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if c.n <= l.n {
		return nil
	}
	if l.file == nil {
		if err := writeCheckpointFile(l.dir, c, signer); err != nil {
			return err
		}
		l.n = c.n
		return nil
	}
	c.prev = l.prev
	msg, err := note.Sign(&note.Note{Text: c.text()}, signer)
	if err != nil {
		return fmt.Errorf("sign checkpoint %d: %w", c.n, err)
	}
	line, err := json.Marshal(checkpointLine{N: c.n, Note: string(msg)})
	if err != nil {
		return err
	}
	// One write of the whole line: a crash leaves at most a torn last
	// line, which verify ignores and resume cuts off.
	if _, err := l.file.Write(append(line, '\n')); err != nil {
		return err
	}
	if err := l.file.Sync(); err != nil {
		return err
	}
	l.prev, l.n = lineHash(line), c.n
	return nil
}

// close closes checkpoints.jsonl.
func (l *checkpointLog) close() error {
	if l == nil || l.file == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.file.Close()
}

// parseCheckpointLine decodes one line of checkpoints.jsonl strictly and
// returns its note's text, unverified: what the checkpoint says. Which
// signatures must be checked is the verifier's call.
func parseCheckpointLine(line []byte) (checkpointLine, checkpoint, error) {
	var cl checkpointLine
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cl); err != nil || dec.More() {
		return cl, checkpoint{}, fmt.Errorf("not a checkpoint line (want {\"n\":N,\"note\":\"…\"})")
	}
	text := noteText(cl.Note)
	if text == "" {
		return cl, checkpoint{}, errors.New("the note has no signature")
	}
	c, err := parseCheckpoint(text)
	if err != nil {
		return cl, c, err
	}
	if c.prev == "" {
		return cl, c, errors.New("the note does not name the checkpoint line before it (prev)")
	}
	return cl, c, nil
}
