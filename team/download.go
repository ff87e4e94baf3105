package team

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/drpilot/drpilot/audit"
)

// ParseURL splits s3://BUCKET/PREFIX into the bucket and the prefix,
// which ends with a slash.
func ParseURL(url string) (bucket, prefix string, err error) {
	rest, ok := strings.CutPrefix(url, "s3://")
	bucket, prefix, _ = strings.Cut(rest, "/")
	if !ok || bucket == "" || strings.Trim(prefix, "/") == "" {
		return "", "", fmt.Errorf("%q is not an s3://BUCKET/PREFIX/ address of a run's copy (e.g. s3://acme-dr-audit/drpilot/RUNBOOK_ID/RUN_ID/)", url)
	}
	return bucket, strings.TrimSuffix(prefix, "/") + "/", nil
}

// IsURL reports whether a run's location is an s3:// address.
func IsURL(location string) bool { return strings.HasPrefix(location, "s3://") }

// Download copies a run's log from the audit bucket into dir, which must
// not hold a log: pub.pem, events.jsonl (the parts end to end) and the
// checkpoints (checkpoints.jsonl the same way, or an older log's
// checkpoint files). It returns the number of lines.
func (s *Store) Download(ctx context.Context, prefix, dir string) (int64, error) {
	objects, err := s.list(ctx, prefix)
	if err != nil {
		return 0, err
	}
	parts, err := contiguousParts(objects, partsDir)
	if err != nil {
		return 0, fmt.Errorf("s3://%s/%s: %w", s.cfg.AuditBucket, prefix, err)
	}
	if len(parts) == 0 {
		return 0, fmt.Errorf("s3://%s/%s %w", s.cfg.AuditBucket, prefix, errNotCopy)
	}
	cpParts, err := contiguousParts(objects, checkpointsDir)
	if err != nil {
		return 0, fmt.Errorf("s3://%s/%s checkpoints: %w", s.cfg.AuditBucket, prefix, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return 0, err
	}
	if err := s.joinParts(ctx, prefix, parts, filepath.Join(dir, audit.EventsFile)); err != nil {
		return 0, err
	}
	if len(cpParts) > 0 {
		if err := s.joinParts(ctx, prefix, cpParts, filepath.Join(dir, audit.CheckpointsFile)); err != nil {
			return 0, err
		}
	}
	for _, o := range objects {
		local := ""
		switch {
		case o == audit.PubFile:
			local = audit.PubFile
		case strings.HasPrefix(o, checkpointsDir) && strings.HasSuffix(o, ".note") && !strings.Contains(strings.TrimPrefix(o, checkpointsDir), "/"):
			local = filepath.Join(audit.CheckpointsDir, strings.TrimPrefix(o, checkpointsDir))
			if err := os.MkdirAll(filepath.Join(dir, audit.CheckpointsDir), 0o700); err != nil {
				return 0, err
			}
		default:
			continue
		}
		if err := s.getFile(ctx, prefix+o, filepath.Join(dir, local)); err != nil {
			return 0, err
		}
	}
	return parts[len(parts)-1].last + 1, nil
}

// joinParts writes the parts of a file end to end into path, a new file.
func (s *Store) joinParts(ctx context.Context, prefix string, parts []part, path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	for _, p := range parts {
		var part bytes.Buffer
		if err := s.get(ctx, prefix+p.name, &part); err != nil {
			return err
		}
		lines, err := partLines(p, part.Bytes())
		if err != nil {
			return err
		}
		if _, err := f.Write(bytes.Join(lines[p.skip:], nil)); err != nil {
			return err
		}
	}
	if err := f.Sync(); err != nil {
		return err
	}
	return f.Close()
}

// get appends an object's bytes to w.
func (s *Store) get(ctx context.Context, key string, w io.Writer) error {
	out, err := s.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.cfg.AuditBucket), Key: aws.String(key)})
	if err != nil {
		return fmt.Errorf("audit bucket %s: GetObject %s: %w", s.cfg.AuditBucket, key, err)
	}
	defer out.Body.Close()
	if _, err := io.Copy(w, out.Body); err != nil {
		return fmt.Errorf("audit bucket %s: reading %s: %w", s.cfg.AuditBucket, key, err)
	}
	return nil
}

func (s *Store) getFile(ctx context.Context, key, path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if err := s.get(ctx, key, f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// partLines splits a part into its lines, each with its LF, and checks
// that it holds the lines its name says.
func partLines(p part, data []byte) ([][]byte, error) {
	lines := bytes.SplitAfter(data, []byte{'\n'})
	if n := len(lines); n > 0 && len(lines[n-1]) == 0 {
		lines = lines[:n-1]
	}
	if int64(len(lines)) != p.last-p.first+1 || !bytes.HasSuffix(data, []byte{'\n'}) {
		return nil, fmt.Errorf("the copy's part %s holds %d lines, not lines %d to %d", p.name, len(lines), p.first, p.last)
	}
	return lines, nil
}

// Lines reads the complete lines of a copy from line `from` on: what a
// watcher follows. It returns the lines' bytes, each with its LF.
func (s *Store) Lines(ctx context.Context, prefix string, from int64) ([]byte, int64, error) {
	objects, err := s.list(ctx, prefix)
	if err != nil {
		return nil, from, err
	}
	parts, err := contiguousParts(objects, partsDir)
	if err != nil {
		return nil, from, err
	}
	var buf bytes.Buffer
	next := from
	for _, p := range parts {
		if p.last < from {
			continue
		}
		var part bytes.Buffer
		if err := s.get(ctx, prefix+p.name, &part); err != nil {
			return nil, from, err
		}
		lines, err := partLines(p, part.Bytes())
		if err != nil {
			return nil, from, err
		}
		for i := p.skip; i < int64(len(lines)); i++ {
			if n := p.first + i; n >= from {
				buf.Write(lines[i])
				next = n + 1
			}
		}
	}
	return buf.Bytes(), next, nil
}
