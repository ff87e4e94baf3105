package runbooks

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
)

// MaxFileSize bounds a runbook file. The largest real runbooks are tens of
// kilobytes; the bound keeps a wrong file (a log, a binary) from costing
// seconds before it is refused.
const MaxFileSize = 8 << 20

// The raw document mirrors the file. Scalars and free-form tables (vars,
// with, input, outputs) are decoded as any, so that a value of the wrong
// type becomes a diagnostic that names it instead of stopping the decoder
// at the first one (or, for a map given an array of tables, being dropped
// without a word); the tables of the format are typed, so that
// MetaData.Undecoded reports every key the format lacks.
type rawDoc struct {
	Format   any          `toml:"format"`
	Runbook  *rawMeta     `toml:"runbook"`
	Vars     any          `toml:"vars"`
	Contacts []rawContact `toml:"contacts"`
	Steps    []rawStep    `toml:"steps"`
}

type rawMeta struct {
	ID          any         `toml:"id"`
	Title       any         `toml:"title"`
	Description any         `toml:"description"`
	Owner       any         `toml:"owner"`
	Account     any         `toml:"account"`
	Strategy    any         `toml:"strategy"`
	RTO         any         `toml:"rto"`
	RPO         any         `toml:"rpo"`
	Regions     *rawRegions `toml:"regions"`
	NewRegions  any         `toml:"new_regions"`
	Sensitive   any         `toml:"sensitive_vars"`
	Team        *rawTeam    `toml:"team"`
}

type rawTeam struct {
	Region      any `toml:"region"`
	LockTable   any `toml:"lock_table"`
	AuditBucket any `toml:"audit_bucket"`
	Retention   any `toml:"retention"`
}

type rawRegions struct {
	Primary  any `toml:"primary"`
	Recovery any `toml:"recovery"`
}

type rawContact struct {
	ID         any `toml:"id"`
	Name       any `toml:"name"`
	SNSTopic   any `toml:"sns_topic"`
	Email      any `toml:"email"`
	Webhook    any `toml:"webhook"`
	SSMContact any `toml:"ssm_contact"`
}

type rawStep struct {
	ID        any          `toml:"id"`
	Phase     any          `toml:"phase"`
	Title     any          `toml:"title"`
	Doc       any          `toml:"doc"`
	Action    any          `toml:"action"`
	Region    any          `toml:"region"`
	After     any          `toml:"after"`
	Confirm   any          `toml:"confirm"`
	Timeout   any          `toml:"timeout"`
	Expect    any          `toml:"expect"`
	Retries   any          `toml:"retries"`
	OnFailure any          `toml:"on_failure"`
	Undo      any          `toml:"undo"`
	Checklist any          `toml:"checklist"`
	With      any          `toml:"with"`
	Require   []rawRequire `toml:"require"`
	Outputs   any          `toml:"outputs"`
	Approvals any          `toml:"approvals"`
	Approvers any          `toml:"approvers"`
}

type rawRequire struct {
	Call      any `toml:"call"`
	Input     any `toml:"input"`
	Query     any `toml:"query"`
	Equals    any `toml:"equals"`
	NotEquals any `toml:"not_equals"`
	In        any `toml:"in"`
	Lt        any `toml:"lt"`
	Le        any `toml:"le"`
	Gt        any `toml:"gt"`
	Ge        any `toml:"ge"`
	Exists    any `toml:"exists"`
	Matches   any `toml:"matches"`
	Within    any `toml:"within"`
	Region    any `toml:"region"`
	Why       any `toml:"why"`
}

// schemaTables maps each table of the format (by bare key path) to the keys
// it allows, read from the raw types' tags so there is one list.
var schemaTables = map[string][]string{
	"":                tomlKeys(rawDoc{}),
	"runbook":         tomlKeys(rawMeta{}),
	"runbook.regions": tomlKeys(rawRegions{}),
	"runbook.team":    tomlKeys(rawTeam{}),
	"contacts":        tomlKeys(rawContact{}),
	"steps":           tomlKeys(rawStep{}),
	"steps.require":   tomlKeys(rawRequire{}),
}

func tomlKeys(v any) []string {
	t := reflect.TypeOf(v)
	keys := make([]string, t.NumField())
	for i := range keys {
		keys[i] = t.Field(i).Tag.Get("toml")
	}
	return keys
}

// Load reads and parses a runbook file. It returns nil and the diagnostics
// when the file cannot be read or is not a runbook at all; otherwise the
// runbook as written, with any problems of shape found on the way. Call
// Validate for the rules of the format.
func Load(path string) (*Runbook, Diagnostics) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fileError(path, fmt.Sprintf("cannot read the runbook: %v", unwrapPathError(err)), "check the path and its permissions")
	}
	defer f.Close()
	src, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fileError(path, fmt.Sprintf("cannot read the runbook: %v", unwrapPathError(err)), "check the path and its permissions")
	}
	return Parse(path, src)
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func fileError(file, msg, hint string) Diagnostics {
	return Diagnostics{{Severity: SeverityError, File: file, Message: msg, Hint: hint}}
}

// Parse parses runbook source; file names it in diagnostics.
func Parse(file string, src []byte) (*Runbook, Diagnostics) {
	if len(src) > MaxFileSize {
		return nil, fileError(file, fmt.Sprintf("file is larger than %d MiB: this is not a runbook", MaxFileSize>>20), "split the procedure into several runbooks or check the file name")
	}
	// A UTF-8 byte order mark, as some Windows editors write, is not part
	// of the document; columns on line 1 count from after it.
	src = bytes.TrimPrefix(src, []byte("\xef\xbb\xbf"))
	if ds := checkEncoding(file, src); ds != nil {
		return nil, ds
	}
	if ds := checkNesting(file, src); ds != nil {
		return nil, ds
	}
	text := string(src)
	rep := &reporter{file: file, pos: &positions{src: text}}
	raw, fast := decodeFast(src)
	if !fast {
		raw = &rawDoc{}
		md, err := toml.Decode(text, raw)
		if err != nil {
			return nil, Diagnostics{decodeError(file, err)}
		}
		checkUnknownKeys(rep, md)
	}
	sum := sha256.Sum256(src)
	rb := convert(rep, raw)
	rb.File = file
	rb.SHA256 = hex.EncodeToString(sum[:])
	rb.pos = rep.pos
	rb.blamed = map[string]bool{}
	for _, d := range rep.diags.Errors() {
		rb.blamed[d.Path] = true
	}
	rep.diags.sortByPosition()
	return rb, rep.diags
}

// checkEncoding refuses what is not UTF-8 text before the TOML decoder sees
// it, with a position, because "invalid UTF-8" deep inside a parse error is
// no help to someone who opened the wrong file.
func checkEncoding(file string, src []byte) Diagnostics {
	if utf8.Valid(src) && bytes.IndexByte(src, 0) < 0 {
		return nil // the common case, without decoding rune by rune
	}
	line, col := 1, 1
	for i := 0; i < len(src); {
		r, size := utf8.DecodeRune(src[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			return Diagnostics{{Severity: SeverityError, File: file, Line: line, Col: col,
				Message: "file is not UTF-8 text", Hint: "runbooks are UTF-8 TOML; check that this is the right file"}}
		case r == 0:
			return Diagnostics{{Severity: SeverityError, File: file, Line: line, Col: col,
				Message: "file contains a NUL byte: this is binary data, not a runbook", Hint: "check that this is the right file"}}
		case r == '\n':
			line, col = line+1, 1
		default:
			col++
		}
		i += size
	}
	return nil
}

var decodeLineRE = regexp.MustCompile(`^toml: line (\d+) \(last key "([^"]*)"\): (.*)$`)

// decodeError turns the decoder's error into a diagnostic with a position.
func decodeError(file string, err error) Diagnostic {
	d := Diagnostic{Severity: SeverityError, File: file}
	var pe toml.ParseError
	if errors.As(err, &pe) {
		d.Line, d.Col = pe.Position.Line, pe.Position.Col
		d.Message = "invalid TOML: " + pe.Message
		d.Hint = "fix the syntax; see docs/runbook-format.md"
		if pe.Usage != "" {
			d.Hint = strings.ReplaceAll(strings.TrimSpace(pe.Usage), "\n", " ")
		}
		return d
	}
	msg := err.Error()
	if m := decodeLineRE.FindStringSubmatch(msg); m != nil {
		d.Line, _ = strconv.Atoi(m[1])
		d.Col = 1
		d.Path = m[2]
		d.Message = shapeMessage(m[3])
		d.Hint = "check the key against docs/runbook-format.md: [[double brackets]] make an array of tables, [single] a table"
		return d
	}
	d.Message = strings.TrimPrefix(msg, "toml: ")
	return d
}

// shapeMessage rewords the decoder's type-mismatch messages in the terms of
// the format.
func shapeMessage(m string) string {
	m = strings.Replace(m, "type mismatch for runbooks.", "wrong shape for ", 1)
	m = strings.Replace(m, "incompatible types: TOML value has type ", "wrong shape: found ", 1)
	for raw, name := range map[string]string{
		"rawMeta": "[runbook]", "rawRegions": "[runbook.regions]", "rawTeam": "[runbook.team]", "rawStep": "[[steps]]",
		"rawContact": "[[contacts]]", "rawRequire": "[[steps.require]]",
		"[]map[string]interface {}": "an array of tables", "map[string]interface {}": "a table",
		"[]map[string]any": "an array of tables", "map[string]any": "a table",
		"destination has type slice": "the format wants an array of tables here ([[double brackets]])",
		"destination has type map":   "the format wants a table here ([single brackets])",
		"*runbooks.":                 "", "runbooks.": "",
	} {
		m = strings.ReplaceAll(m, raw, name)
	}
	return m
}

// checkUnknownKeys reports every key of a table of the format that the
// format does not have. Keys inside free-form values (vars, with, input) or
// inside values of the wrong type are not keys of the format, so only keys
// directly in a table of the format are checked. The decoder matches field
// names without regard to case; MetaData.Undecoded tells a key it dropped
// from one it decoded under another spelling.
func checkUnknownKeys(rep *reporter, md toml.MetaData) {
	keys := md.Keys()
	flagged := false
	for _, k := range keys {
		if parent, ok := schemaParent(k); ok && !contains(schemaTables[parent], k[len(k)-1]) {
			flagged = true
			break
		}
	}
	if !flagged {
		return // the common case: no allocation per key
	}
	undecoded := map[string]bool{}
	for _, u := range md.Undecoded() {
		undecoded[u.String()] = true
	}
	// The decoder's keys carry no array indices; the n-th occurrence of a
	// key is the n-th in the file, which the position index can place.
	seen := map[string]int{}
	for _, k := range keys {
		parent, ok := schemaParent(k)
		if !ok {
			continue
		}
		bare := k.String()
		n := seen[bare]
		seen[bare] = n + 1
		name := k[len(k)-1]
		if contains(schemaTables[parent], name) {
			continue
		}
		path, found := rep.index().nth(bare, n)
		if !found {
			path = bare
		}
		if !undecoded[bare] {
			rep.errorAt(path, fmt.Sprintf("did you mean %q?", strings.ToLower(name)), "unknown key %q: keys are lower case", name)
			continue
		}
		rep.errorAt(path, unknownKeyHint(parent, name, schemaTables[parent]), "unknown key %q in %s", name, tableName(parent))
	}
}

// schemaParent returns the table of the format that directly holds key k,
// if any, without allocating.
func schemaParent(k toml.Key) (string, bool) {
	switch len(k) {
	case 1:
		return "", true
	case 2:
		switch k[0] {
		case "runbook", "contacts", "steps":
			return k[0], true
		}
	case 3:
		switch {
		case k[0] == "runbook" && k[1] == "regions":
			return "runbook.regions", true
		case k[0] == "runbook" && k[1] == "team":
			return "runbook.team", true
		case k[0] == "steps" && k[1] == "require":
			return "steps.require", true
		}
	}
	return "", false
}

func unknownKeyHint(parent, name string, allowed []string) string {
	if s := suggest(name, allowed); s != "" {
		return fmt.Sprintf("did you mean %q?", s)
	}
	return fmt.Sprintf("%s takes: %s", tableName(parent), strings.Join(allowed, ", "))
}

func tableName(bare string) string {
	switch bare {
	case "":
		return "the top level"
	case "contacts", "steps", "steps.require":
		return "[[" + bare + "]]"
	}
	return "[" + bare + "]"
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
