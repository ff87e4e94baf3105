package audit

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"
)

// Verdict is the one-word result of verifying a run's log.
type Verdict string

// Verdicts, from worst to best. Only VALID means the log is whole, sealed
// and signed by the key the reviewer trusts.
const (
	Invalid      Verdict = "INVALID"
	Incomplete   Verdict = "INCOMPLETE"
	UntrustedKey Verdict = "UNTRUSTED KEY"
	Valid        Verdict = "VALID"
)

// Report is what Verify found.
type Report struct {
	Verdict Verdict `json:"verdict"`
	// Seq is where an INVALID log broke, or the last sequence number that
	// verifies in an INCOMPLETE one; -1 when no line verifies.
	Seq    int64  `json:"seq"`
	Reason string `json:"reason"`
	Run    string `json:"run,omitempty"`
	Lines  int64  `json:"lines"`
	// Signed is how many lines the newest good checkpoint covers.
	Signed      int64 `json:"signed"`
	Checkpoints int   `json:"checkpoints"`
	Sealed      bool  `json:"sealed"`
	// Paused is set when the log's last line is run.paused: the run
	// stopped with something left to do, and can be resumed or aborted.
	Paused   bool     `json:"paused,omitempty"`
	Key      string   `json:"key,omitempty"` // fingerprint of the run's key
	Warnings []string `json:"warnings,omitempty"`
	// Adopted are the lines a crash left unsigned that a resume or an
	// abort then adopted: signed now, but protected by the chain alone
	// for a while.
	Adopted []Adoption `json:"adopted_unsigned,omitempty"`
	// Approvals are the signed approvals the log's decisions carry, each
	// verified (signature, key, run, step, verdict, approver).
	Approvals []ApprovalSeen `json:"approvals,omitempty"`
}

// ErrNotALog is returned when a directory holds no audit log at all.
var ErrNotALog = errors.New("not a drpilot run directory")

// Verify checks the run directory dir: every line of events.jsonl (its
// form, sequence, run, and the hash chain over the exact bytes; the signed
// approvals decisions carry), every checkpoint (its signature by the run's key, its Merkle root and chain
// head against the log), and the seal. trusted is the public key the
// reviewer trusts; nil means none, and a good log is then UNTRUSTED KEY.
// The error is set only when the directory cannot be read.
func Verify(dir string, trusted ed25519.PublicKey) (*Report, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, err
	}
	rep, err := VerifyFS(os.DirFS(dir), trusted)
	if errors.Is(err, ErrNotALog) {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	return rep, err
}

// VerifyFS is Verify on a run directory given as a file system.
func VerifyFS(fsys fs.FS, trusted ed25519.PublicKey) (*Report, error) {
	data, err := fs.ReadFile(fsys, EventsFile)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no %s: %w", EventsFile, ErrNotALog)
		}
		return nil, err
	}
	v := &verifier{fsys: fsys, rep: &Report{Seq: -1}}
	v.readLines(data)
	if v.rep.Verdict == "" && len(v.whole) > 0 {
		v.key()
	}
	if v.rep.Verdict == "" && len(v.whole) > 0 {
		v.checkpoints()
	}
	if v.rep.Verdict == "" {
		v.adoptions(v.signedAt)
	}
	if v.rep.Verdict == "" {
		v.seal(trusted)
	}
	return v.rep, nil
}

type verifier struct {
	fsys  fs.FS
	rep   *Report
	whole [][]byte // the whole lines, without LF
	torn  bool     // the file ends in a partial line
	tree  merkle
	ended int64 // seq of run.end, or -1
	pub   ed25519.PublicKey
	// signedAt are the line counts the verified checkpoints cover, in
	// order; decisions and adopters are what the adoption check needs.
	signedAt  []int64
	decisions []int64
	adopters  []adopter
}

// invalid records the verdict for a break at seq.
func (v *verifier) invalid(seq int64, format string, args ...any) {
	v.rep.Verdict, v.rep.Seq, v.rep.Reason = Invalid, seq, fmt.Sprintf(format, args...)
}

// readLines checks each whole line in order: form, sequence, run and chain.
func (v *verifier) readLines(data []byte) {
	v.ended = -1
	if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		v.invalid(0, "the log starts with a byte order mark: it was rewritten by another tool")
		return
	}
	chunks := bytes.Split(data, []byte("\n"))
	last := chunks[len(chunks)-1]
	chunks = chunks[:len(chunks)-1]
	v.torn = len(last) > 0
	prev, prevTS := zeroHash, time.Time{}
	parsed := parseLines(chunks)
	for i, line := range chunks {
		seq := int64(i)
		e, ts, reason := parsed[i].event, parsed[i].ts, parsed[i].reason
		switch {
		case reason != "":
			v.invalid(seq, "line %d: %s", i+1, reason)
		case e.Seq != seq:
			v.invalid(seq, "line %d has seq %d: lines were removed, added or reordered", i+1, e.Seq)
		case v.rep.Run != "" && e.Run != v.rep.Run:
			v.invalid(seq, "seq %d belongs to run %q, not %q: lines from another run", seq, e.Run, v.rep.Run)
		case e.Prev != prev:
			v.invalid(seq, "seq %d: prev does not match the SHA-256 of the line before: the chain is broken", seq)
		case seq == 0 && e.Type != TypeRunStart:
			v.invalid(seq, "the log does not begin with run.start")
		case v.ended >= 0:
			v.invalid(seq, "seq %d comes after run.end (seq %d): nothing may follow the seal", seq, v.ended)
		}
		if v.rep.Verdict != "" {
			return
		}
		if seq == 0 {
			v.rep.Run = e.Run
		}
		if ts.Before(prevTS) {
			v.rep.Warnings = append(v.rep.Warnings, fmt.Sprintf("seq %d: timestamp %s is earlier than the one before (%s): the clock stepped back", seq, e.TS, prevTS.Format(time.RFC3339Nano)))
		} else {
			prevTS = ts
		}
		if e.Type == TypeRunEnd {
			v.ended = seq
		}
		v.noteLine(seq, e)
		if e.Type == TypeDecision {
			if why := v.approval(seq, e); why != "" {
				v.invalid(seq, "seq %d: %s", seq, why)
				return
			}
		}
		v.rep.Paused = e.Type == TypeRunPaused
		if err := v.tree.add(line); err != nil {
			v.invalid(seq, "%v", err)
			return
		}
		v.whole = append(v.whole, line)
		prev = parsed[i].hash
		v.rep.Lines, v.rep.Seq = seq+1, seq
	}
}

// parsedLine is what parseLine found in a line, and the line's hash.
type parsedLine struct {
	event  *Event
	ts     time.Time
	reason string
	hash   string
}

// parseLines parses and hashes every line, each on its own, spread over
// the CPUs: the lines are independent until the chain links them, which
// readLines then checks in order.
func parseLines(lines [][]byte) []parsedLine {
	out := make([]parsedLine, len(lines))
	workers := min(runtime.GOMAXPROCS(0), max(1, len(lines)/1024))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func(from, to int) {
			defer wg.Done()
			for i := from; i < to; i++ {
				p := &out[i]
				p.event, p.ts, p.reason = parseLine(lines[i])
				p.hash = lineHash(lines[i])
			}
		}(len(lines)*w/workers, len(lines)*(w+1)/workers)
	}
	wg.Wait()
	return out
}

// parseLine decodes one line strictly, once: a JSON object with exactly
// the event's fields. It returns the event, its timestamp, and why the
// line is not an event, or "".
func parseLine(line []byte) (*Event, time.Time, string) {
	switch {
	case len(line) == 0:
		return nil, time.Time{}, "blank line"
	case line[len(line)-1] == '\r':
		return nil, time.Time{}, "line ends with CR: the log was converted to CRLF line endings"
	}
	var e Event
	if err := json.Unmarshal(line, &e); err != nil {
		return nil, time.Time{}, "not an event: " + err.Error()
	}
	// The line is valid JSON now; its members must be the event's, each
	// once (a repeated member would hide its first value).
	if !eventMembers(line) {
		return nil, time.Time{}, "an event has exactly the fields v, run, seq, ts, type, step, actor, data, prev"
	}
	switch {
	case e.V != Version:
		return nil, time.Time{}, fmt.Sprintf("format version %d; this drpilot reads %d", e.V, Version)
	case e.Run == "" || e.Type == "":
		return nil, time.Time{}, "run or type is empty"
	case !isHexHash(e.Prev):
		return nil, time.Time{}, "prev is not a hex SHA-256"
	case len(e.Data) == 0 || e.Data[0] != '{':
		return nil, time.Time{}, "data is not a JSON object"
	}
	ts, err := time.Parse(time.RFC3339Nano, e.TS)
	if err != nil {
		return nil, time.Time{}, fmt.Sprintf("malformed timestamp %q", e.TS)
	}
	return &e, ts, ""
}

// eventFields are the members of an event, as JSON names them.
var eventFields = [...]string{"v", "run", "seq", "ts", "type", "step", "actor", "data", "prev"}

// eventMembers reports whether a valid JSON object's top-level members are
// exactly eventFields, each once, in any order. It scans the bytes rather
// than decoding them a second time.
func eventMembers(obj []byte) bool {
	var seen [len(eventFields)]bool
	count := 0
	depth, inString, atKey := 0, false, false
	keyStart := 0
	for i := 0; i < len(obj); i++ {
		c := obj[i]
		if inString {
			switch c {
			case '\\':
				i++
			case '"':
				inString = false
				if atKey {
					k := fieldIndex(obj[keyStart:i])
					if k < 0 || seen[k] {
						return false
					}
					seen[k], atKey = true, false
					count++
				}
			}
			continue
		}
		switch c {
		case '"':
			inString, keyStart = true, i+1
			atKey = depth == 1 && expectsKey(obj[:i])
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		}
	}
	return count == len(eventFields)
}

// fieldIndex is the index of name in eventFields, or -1.
func fieldIndex(name []byte) int {
	for k, f := range eventFields {
		if string(name) == f {
			return k
		}
	}
	return -1
}

// expectsKey says whether a string that starts after before is a member's
// name: the last byte before it, other than white space, is { or ,.
func expectsKey(before []byte) bool {
	for i := len(before) - 1; i >= 0; i-- {
		switch before[i] {
		case ' ', '\t', '\n', '\r':
			continue
		case '{', ',':
			return true
		}
		return false
	}
	return false
}

// key reads the run's public key and checks that run.start names it.
func (v *verifier) key() {
	data, err := fs.ReadFile(v.fsys, PubFile)
	if err != nil {
		v.invalid(0, "cannot read %s: %v", PubFile, err)
		return
	}
	pub, err := ParsePublicKey(data)
	if err != nil {
		v.invalid(0, "%s: %v", PubFile, err)
		return
	}
	v.pub, v.rep.Key = pub, Fingerprint(pub)
	var start struct {
		Data struct {
			PublicKey string `json:"public_key"`
		} `json:"data"`
	}
	if err := json.Unmarshal(v.whole[0], &start); err != nil || start.Data.PublicKey == "" {
		v.invalid(0, "run.start does not name the signing key (data.public_key)")
		return
	}
	named, err := ParsePublicKey([]byte(start.Data.PublicKey))
	if err != nil || !named.Equal(pub) {
		v.invalid(0, "run.start names another signing key than %s", PubFile)
	}
}

var checkpointRE = regexp.MustCompile(`^(\d{6,})\.note$`)

// checkpoints verifies the checkpoints in the layout the log has:
// checkpoints.jsonl, or a file per checkpoint (an older drpilot's).
func (v *verifier) checkpoints() {
	ns, err := v.checkpointFiles()
	if err != nil {
		v.invalid(0, "cannot read %s: %v", CheckpointsDir, err)
		return
	}
	verifier, err := noteVerifier(v.pub)
	if err != nil {
		v.invalid(0, "%s: %v", PubFile, err)
		return
	}
	data, err := fs.ReadFile(v.fsys, CheckpointsFile)
	switch {
	case err == nil && len(ns) > 0:
		v.invalid(0, "the log has both %s and checkpoint files (%s/*.note): a log keeps one layout, so one of them was added", CheckpointsFile, CheckpointsDir)
	case err == nil:
		v.checkpointLines(data, verifier)
	case errors.Is(err, fs.ErrNotExist):
		for _, n := range ns {
			if !v.checkpoint(n, verifier) {
				return
			}
			v.signed(n)
		}
	default:
		v.invalid(0, "cannot read %s: %v", CheckpointsFile, err)
	}
}

// signed counts a checkpoint that verified, covering n lines.
func (v *verifier) signed(n int64) {
	v.rep.Checkpoints++
	v.rep.Signed = n
	v.signedAt = append(v.signedAt, n)
}

// checkpointFiles lists the line counts of the older layout's checkpoint
// files, in order.
func (v *verifier) checkpointFiles() ([]int64, error) {
	entries, err := fs.ReadDir(v.fsys, CheckpointsDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	var ns []int64
	for _, e := range entries {
		m := checkpointRE.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		n, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("checkpoint %s: malformed name", e.Name())
		}
		ns = append(ns, n)
	}
	sort.Slice(ns, func(i, j int) bool { return ns[i] < ns[j] })
	return ns, nil
}

// checkpoint verifies a checkpoint file of the older layout: its
// signature, and that it is a prefix of the log.
func (v *verifier) checkpoint(n int64, verifier note.Verifier) bool {
	name := checkpointName(n)
	at := v.lineAt(n)
	msg, err := fs.ReadFile(v.fsys, name)
	if err != nil {
		v.invalid(at, "cannot read %s: %v", name, err)
		return false
	}
	signed, err := note.Open(msg, note.VerifierList(verifier))
	if err != nil {
		v.invalid(at, "%s: signature does not verify with the run's key: %v", name, err)
		return false
	}
	c, err := parseCheckpoint(signed.Text)
	if err != nil {
		v.invalid(at, "%s: %v", name, err)
		return false
	}
	if c.n != n {
		v.invalid(at, "%s covers %d lines, not the %d its name says", name, c.n, n)
		return false
	}
	return v.prefixOfLog(name, c)
}

// lineAt is where a checkpoint of n lines breaks the log: its last line,
// or the log's when it has fewer.
func (v *verifier) lineAt(n int64) int64 {
	return max(0, min(n, int64(len(v.whole)))-1)
}

// prefixOfLog checks that a checkpoint is of this run and that its chain
// head and Merkle root are those of the log's first c.n lines.
func (v *verifier) prefixOfLog(name string, c checkpoint) bool {
	at := v.lineAt(c.n)
	switch {
	case c.run != v.rep.Run:
		v.invalid(at, "%s is a checkpoint of run %q", name, c.run)
	case c.n > int64(len(v.whole)):
		v.invalid(at, "%s covers %d lines but the log has %d whole lines: lines were removed", name, c.n, len(v.whole))
	case c.head != lineHash(v.whole[c.n-1]):
		v.invalid(c.n-1, "%s: chain head does not match seq %d", name, c.n-1)
	}
	if v.rep.Verdict != "" {
		return false
	}
	root, err := v.tree.root(c.n)
	if err != nil || root != c.root {
		v.invalid(c.n-1, "%s: the Merkle root of the first %d lines does not match the signed one: the log was changed", name, c.n)
		return false
	}
	return true
}

// seal decides between INCOMPLETE, UNTRUSTED KEY and VALID once every
// line and checkpoint has verified.
func (v *verifier) seal(trusted ed25519.PublicKey) {
	n := int64(len(v.whole))
	v.rep.Sealed = v.ended == n-1 && n > 0 && v.rep.Signed == n
	switch {
	case v.ended >= 0 && v.torn:
		// Nothing may follow the seal, not even part of a line: a crash
		// cannot tear a line after run.end, because nothing is written
		// after it.
		v.rep.Sealed = false
		v.invalid(v.ended, "bytes follow the sealed run.end (seq %d) without ending a line: nothing may follow the seal", v.ended)
	case !v.rep.Sealed:
		v.rep.Verdict = Incomplete
		v.rep.Reason = v.incompleteReason()
	case trusted == nil:
		v.rep.Verdict = UntrustedKey
		v.rep.Reason = fmt.Sprintf("signatures verify with the run's own key %s, but no trusted key was given (--pub)", v.rep.Key)
	case !trusted.Equal(v.pub):
		v.rep.Verdict = UntrustedKey
		v.rep.Reason = fmt.Sprintf("signatures verify, but by key %s, not the trusted key %s", v.rep.Key, Fingerprint(trusted))
	default:
		v.rep.Verdict = Valid
		v.rep.Reason = fmt.Sprintf("%d events, sealed and signed by the trusted key %s", n, v.rep.Key)
		if len(v.rep.Adopted) > 0 {
			v.rep.Reason += fmt.Sprintf("; %d line(s) were adopted unsigned after a crash (see the warnings)", v.adoptedLines())
		}
	}
}

func (v *verifier) incompleteReason() string {
	n := int64(len(v.whole))
	var why string
	switch {
	case n == 0:
		return "the log is empty"
	case v.rep.Paused:
		why = "the run is paused, not ended (run.paused): carry it on with 'drpilot resume', or end it with 'drpilot abort'"
	case v.ended < 0:
		why = "no run.end: the run was interrupted or the log truncated"
	default:
		why = "run.end has no final checkpoint: the seal is missing"
	}
	if v.torn {
		why += "; the last line is torn (a crash while writing?)"
	}
	return fmt.Sprintf("%s; %d lines verify by the chain, the first %d are signed", why, n, v.rep.Signed)
}
