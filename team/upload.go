package team

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/drpilot/drpilot/audit"
)

// LogPrefix is where a run's log is copied in the audit bucket.
func LogPrefix(runbook, run string) string { return "drpilot/" + runbook + "/" + run + "/" }

// LogURL is the s3:// address of a run's copy.
func (s *Store) LogURL(runbook, run string) string {
	return "s3://" + s.cfg.AuditBucket + "/" + LogPrefix(runbook, run)
}

// Names of the objects of a copy, under its prefix: the parts of
// events.jsonl, and under checkpointsDir the parts of checkpoints.jsonl
// (or, in the copy of a log of the older layout, its checkpoint files).
const (
	partsDir       = "events/"
	checkpointsDir = "checkpoints/"
)

// partName names a part of an appended file (events.jsonl under partsDir,
// checkpoints.jsonl under checkpointsDir) by the first and last line it
// holds.
func partName(dir string, first, last int64) string {
	return fmt.Sprintf("%s%06d-%06d.jsonl", dir, first, last)
}

// appended is where the copy of a file that only grows stands: it is
// uploaded as parts of complete lines, each part once.
type appended struct {
	local  string // its name in the run directory
	dir    string // where its parts go
	offset int64  // bytes uploaded
	lines  int64  // lines uploaded
}

// Copy is where the upload of a run's log stands.
type Copy struct {
	// Lines is how many lines of events.jsonl the bucket holds; Behind
	// how many more the local log has.
	Lines, Behind int64
	// Since is when the copy first fell behind; zero when it is not.
	Since time.Time
	// Err is the last upload's failure, nil once one succeeds.
	Err error
}

// Uploader copies a run directory's log to the audit bucket as it grows:
// complete lines of events.jsonl as new parts, and every checkpoint. It
// never blocks the run: uploads happen in its own goroutine, and a
// failure is retried with backoff.
type Uploader struct {
	store  *Store
	dir    string
	prefix string
	nudge  chan struct{}

	mu     sync.Mutex
	copy   Copy
	events appended        // events.jsonl; copy.Lines are its lines uploaded
	cps    appended        // checkpoints.jsonl
	sent   map[string]bool // pub.pem and an older log's checkpoint files uploaded
}

// NewUploader prepares the copy of the log in dir under prefix. It reads
// what the bucket already holds (a resumed run's earlier parts), so that
// nothing is uploaded twice and the parts stay contiguous.
func (s *Store) NewUploader(ctx context.Context, dir, prefix string) (*Uploader, error) {
	u := &Uploader{store: s, dir: dir, prefix: prefix, nudge: make(chan struct{}, 1), sent: map[string]bool{},
		events: appended{local: audit.EventsFile, dir: partsDir}, cps: appended{local: audit.CheckpointsFile, dir: checkpointsDir}}
	objects, err := s.list(ctx, prefix)
	if err != nil {
		return nil, err
	}
	for _, o := range objects {
		if !strings.HasSuffix(o, ".jsonl") {
			u.sent[o] = true
		}
	}
	for _, a := range []*appended{&u.events, &u.cps} {
		if err := u.resumeCopy(objects, a); err != nil {
			return nil, err
		}
	}
	u.copy.Lines = u.events.lines
	return u, nil
}

// resumeCopy finds how much of an appended file the bucket holds already.
func (u *Uploader) resumeCopy(objects []string, a *appended) error {
	parts, err := contiguousParts(objects, a.dir)
	if err != nil || len(parts) == 0 {
		return err
	}
	lines := parts[len(parts)-1].last + 1
	offset, have, err := lineOffset(filepath.Join(u.dir, a.local), lines)
	if err != nil {
		return err
	}
	if have < lines {
		bucket := u.store.cfg.AuditBucket
		return fmt.Errorf("the copy in s3://%s/%s holds %d lines of %s, and this run directory only %d: resume from the copy (--from s3://%s/%s)",
			bucket, u.prefix, lines, a.local, have, bucket, u.prefix)
	}
	a.offset, a.lines = offset, lines
	return nil
}

// Nudge asks for an upload soon: the writer calls it after every line it
// syncs and every checkpoint. It never blocks.
func (u *Uploader) Nudge() {
	select {
	case u.nudge <- struct{}{}:
	default:
	}
}

// Status says how far behind the copy is.
func (u *Uploader) Status() Copy {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.copy
}

// Run uploads until ctx ends, then makes a last attempt of at most
// finalWait to copy what is left.
func (u *Uploader) Run(ctx context.Context, finalWait time.Duration) {
	backoff := time.Second
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	u.Nudge() // the lines written before the copy started
	for {
		select {
		case <-ctx.Done():
			final, cancel := context.WithTimeout(context.WithoutCancel(ctx), finalWait)
			u.Sync(final)
			cancel()
			return
		case <-u.nudge:
		case <-tick.C:
		}
		if err := u.Sync(ctx); err != nil && ctx.Err() == nil {
			select {
			case <-ctx.Done():
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 30*time.Second)
			continue
		}
		backoff = time.Second
	}
}

// Sync uploads what the bucket lacks: pub.pem, the complete lines after
// the last part, and the checkpoints not yet sent.
func (u *Uploader) Sync(ctx context.Context) error {
	err := u.sync(ctx)
	u.mu.Lock()
	defer u.mu.Unlock()
	u.copy.Err = err
	size := fileSize(filepath.Join(u.dir, audit.EventsFile))
	switch {
	case size > u.events.offset && u.copy.Since.IsZero():
		u.copy.Since = u.store.now()
	case size <= u.events.offset:
		u.copy.Since = time.Time{}
	}
	u.copy.Behind = countLinesFrom(filepath.Join(u.dir, audit.EventsFile), u.events.offset)
	return err
}

func (u *Uploader) sync(ctx context.Context) error {
	if err := u.sendFile(ctx, audit.PubFile, audit.PubFile); err != nil {
		return err
	}
	if err := u.sendLines(ctx, &u.events); err != nil {
		return err
	}
	if err := u.sendLines(ctx, &u.cps); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	notes, _ := filepath.Glob(filepath.Join(u.dir, audit.CheckpointsDir, "*.note"))
	sort.Strings(notes)
	for _, n := range notes {
		if err := u.sendFile(ctx, filepath.Join(audit.CheckpointsDir, filepath.Base(n)), checkpointsDir+filepath.Base(n)); err != nil {
			return err
		}
	}
	return nil
}

// sendLines uploads a file's complete lines after its last part as one
// part.
func (u *Uploader) sendLines(ctx context.Context, a *appended) error {
	f, err := os.Open(filepath.Join(u.dir, a.local))
	if err != nil {
		return err
	}
	defer f.Close()
	rest, err := io.ReadAll(io.NewSectionReader(f, a.offset, 1<<40))
	if err != nil {
		return err
	}
	end := bytes.LastIndexByte(rest, '\n') + 1 // a torn last line waits
	if end == 0 {
		return nil
	}
	lines := int64(bytes.Count(rest[:end], []byte{'\n'}))
	first := a.lines
	if err := u.store.put(ctx, u.prefix+partName(a.dir, first, first+lines-1), rest[:end]); err != nil {
		return err
	}
	u.mu.Lock()
	a.offset += int64(end)
	a.lines += lines
	u.copy.Lines = u.events.lines
	u.mu.Unlock()
	return nil
}

// sendFile uploads a file of the run directory once.
func (u *Uploader) sendFile(ctx context.Context, rel, name string) error {
	if u.sent[name] {
		return nil
	}
	data, err := os.ReadFile(filepath.Join(u.dir, rel))
	if err != nil {
		return err
	}
	if err := u.store.put(ctx, u.prefix+name, data); err != nil {
		return err
	}
	u.sent[name] = true
	return nil
}

// put writes one object under Object Lock retention in COMPLIANCE mode:
// nobody can delete or overwrite it before the retention ends.
func (s *Store) put(ctx context.Context, key string, data []byte) error {
	_, err := s.s3.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(s.cfg.AuditBucket), Key: aws.String(key), Body: bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))), ContentType: aws.String("application/octet-stream"),
		ObjectLockMode:            s3types.ObjectLockModeCompliance,
		ObjectLockRetainUntilDate: aws.Time(s.now().Add(s.cfg.Retention)),
		ChecksumAlgorithm:         s3types.ChecksumAlgorithmSha256,
	})
	if err != nil {
		return fmt.Errorf("audit bucket %s: PutObject %s: %w", s.cfg.AuditBucket, key, err)
	}
	return nil
}

// list names the objects under prefix, relative to it.
func (s *Store) list(ctx context.Context, prefix string) ([]string, error) {
	var names []string
	p := s3.NewListObjectsV2Paginator(s.s3, &s3.ListObjectsV2Input{Bucket: aws.String(s.cfg.AuditBucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("audit bucket %s: ListObjectsV2 %s: %w", s.cfg.AuditBucket, prefix, err)
		}
		for _, o := range page.Contents {
			names = append(names, strings.TrimPrefix(aws.ToString(o.Key), prefix))
		}
	}
	return names, nil
}

// part is one events part of a copy.
type part struct {
	name        string
	first, last int64
	// skip is how many of its first lines an earlier part holds already.
	skip int64
}

// contiguousParts chooses the parts that put end to end make the log,
// and fails on a gap. Parts may overlap: a put whose answer was lost may
// have stored its part all the same, and the retry then uploads the same
// first lines in a longer part. Overlapping lines are the same lines of
// the one log (verify checks their chain), so each is taken once.
func contiguousParts(objects []string, dir string) ([]part, error) {
	var parts []part
	for _, o := range objects {
		var p part
		if _, err := fmt.Sscanf(strings.TrimPrefix(o, dir), "%d-%d.jsonl", &p.first, &p.last); err != nil || !strings.HasPrefix(o, dir) || !strings.HasSuffix(o, ".jsonl") {
			continue
		}
		p.name = o
		parts = append(parts, p)
	}
	sort.Slice(parts, func(i, j int) bool {
		if parts[i].first != parts[j].first {
			return parts[i].first < parts[j].first
		}
		return parts[i].last > parts[j].last
	})
	var chosen []part
	next := int64(0)
	for _, p := range parts {
		switch {
		case p.last < p.first:
			return nil, fmt.Errorf("the copy's part %s is not named FIRST-LAST", p.name)
		case p.last < next:
			continue // its lines are in the parts chosen already
		case p.first > next:
			return nil, fmt.Errorf("the copy's parts are not contiguous: no part holds line %d (the next is %s)", next, p.name)
		}
		p.skip = next - p.first
		chosen = append(chosen, p)
		next = p.last + 1
	}
	return chosen, nil
}

// lineOffset is the byte offset after the first n lines of a file, and
// how many lines it has when fewer.
func lineOffset(path string, n int64) (offset, have int64, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, err
	}
	for have < n {
		i := bytes.IndexByte(data[offset:], '\n')
		if i < 0 {
			break
		}
		offset += int64(i) + 1
		have++
	}
	return offset, have, nil
}

func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

// countLinesFrom counts the complete lines after offset.
func countLinesFrom(path string, offset int64) int64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	rest, err := io.ReadAll(io.NewSectionReader(f, offset, 1<<40))
	if err != nil {
		return 0
	}
	return int64(bytes.Count(rest, []byte{'\n'}))
}

// errNotCopy is the answer of a download from a prefix that holds no run.
var errNotCopy = errors.New("holds no drpilot run (no pub.pem and no events parts)")
