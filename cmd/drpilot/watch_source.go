package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/drpilot/drpilot/audit"
	"github.com/drpilot/drpilot/team"
)

// logSource is where a watch reads the run's audit log from. Next returns
// the complete lines written since the last call, nothing when there are
// none yet: a line being written is never returned half.
type logSource interface {
	Next(ctx context.Context) ([]byte, error)
	// Every is how often Next is worth calling.
	Every() time.Duration
	// Where says where the log is read, for the header.
	Where() string
}

// dirSource tails a run directory's events.jsonl.
type dirSource struct {
	dir string
	off int64
}

func (d *dirSource) Every() time.Duration { return 300 * time.Millisecond }
func (d *dirSource) Where() string        { return "local directory " + d.dir }

func (d *dirSource) Next(context.Context) ([]byte, error) {
	f, err := os.Open(filepath.Join(d.dir, audit.EventsFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil // the run has not written its first line yet
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if _, err := f.Seek(d.off, io.SeekStart); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, err
	}
	// A line is complete once its LF is written: the rest is a line the
	// run is still writing (or a crash tore), read again next time.
	end := bytes.LastIndexByte(data, '\n') + 1
	d.off += int64(end)
	return data[:end], nil
}

// s3Source follows a run's copy in the audit bucket.
type s3Source struct {
	store  *team.Store
	bucket string
	prefix string
	next   int64
}

func (s *s3Source) Every() time.Duration { return time.Second }
func (s *s3Source) Where() string        { return "copy s3://" + s.bucket + "/" + s.prefix }

func (s *s3Source) Next(ctx context.Context) ([]byte, error) {
	data, next, err := s.store.Lines(ctx, s.prefix, s.next)
	if err != nil {
		return nil, err
	}
	s.next = next
	return data, nil
}
