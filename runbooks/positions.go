package runbooks

import (
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The TOML decoder keeps key positions to itself, so the loader finds them
// with this small scanner. It runs only on files the decoder has already
// accepted, so it can assume valid TOML; when it meets something it does not
// understand it stops recording and the diagnostics fall back to the
// position of the nearest enclosing table. It never fails a load.

// posIndex maps key paths to the position of the key and of its value.
type posIndex struct {
	keys   map[string]Pos
	values map[string]Pos
	// byBare lists, for each key path written without array indices (as
	// toml.Key.String() writes it), the indexed paths of its occurrences in
	// file order, e.g. "steps.id" → steps[0].id, steps[1].id, ...
	byBare map[string][]string
}

// key returns the position of the key at path, or of the nearest enclosing
// key that the file spells out.
func (x *posIndex) key(path string) Pos {
	if x == nil {
		return Pos{}
	}
	for p := path; ; p = parentPath(p) {
		if pos, ok := x.keys[p]; ok {
			return pos
		}
		if p == "" {
			return Pos{}
		}
	}
}

// value returns the position of the value at path, falling back to its key.
func (x *posIndex) value(path string) Pos {
	if x == nil {
		return Pos{}
	}
	if pos, ok := x.values[path]; ok {
		return pos
	}
	return x.key(path)
}

// nth returns the indexed path of the n-th occurrence (from 0) of a key
// written as bare, so that keys the decoder reports without array indices
// can be placed.
func (x *posIndex) nth(bare string, n int) (string, bool) {
	paths := x.byBare[bare]
	if x == nil || n >= len(paths) {
		return "", false
	}
	return paths[n], true
}

// positions builds the index of a source on first use: a runbook without
// problems never needs a position, and the scan costs as much as a third
// of the decoding.
type positions struct {
	src string
	idx *posIndex
}

func (p *positions) index() *posIndex {
	if p == nil {
		return nil
	}
	if p.idx == nil {
		p.idx = indexPositions(p.src)
	}
	return p.idx
}

// parentPath strips the last component ("a.b[2].c" → "a.b[2]", "a.b[2]" →
// "a.b", "a" → "").
func parentPath(p string) string {
	if strings.HasSuffix(p, "]") {
		if i := strings.LastIndexByte(p, '['); i >= 0 {
			return p[:i]
		}
	}
	if i := lastDot(p); i >= 0 {
		return p[:i]
	}
	return ""
}

// lastDot finds the last '.' outside a quoted key component.
func lastDot(p string) int {
	inQuote := false
	last := -1
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '"':
			inQuote = !inQuote
		case '\\':
			if inQuote {
				i++
			}
		case '.':
			if !inQuote {
				last = i
			}
		}
	}
	return last
}

// joinKey appends a key to a path, quoting it when it is not a bare key.
func joinKey(prefix, key string) string {
	k := key
	if !isBareKey(key) {
		k = strconv.Quote(key)
	}
	if prefix == "" {
		return k
	}
	return prefix + "." + k
}

// indexPath appends an array index to a path.
func indexPath(prefix string, i int) string {
	return prefix + "[" + strconv.Itoa(i) + "]"
}

func isBareKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// maxScanDepth bounds the nesting of arrays and inline tables the scanner
// follows; deeper values keep the position of their outermost key.
const maxScanDepth = 64

type posScanner struct {
	src        string
	i          int
	lineStarts []int
	idx        *posIndex
	tables     map[string]int // array-of-tables element counts by indexed path
	depth      int
}

// indexPositions scans src for the position of every key and value.
func indexPositions(src string) *posIndex {
	s := &posScanner{
		src: src,
		idx: &posIndex{keys: map[string]Pos{}, values: map[string]Pos{},
			byBare: map[string][]string{}},
		tables: map[string]int{},
	}
	s.lineStarts = append(s.lineStarts, 0)
	for i := 0; i < len(src); i++ {
		if src[i] == '\n' {
			s.lineStarts = append(s.lineStarts, i+1)
		}
	}
	s.document()
	return s.idx
}

// posAt converts a byte offset to a line and a column counted in characters.
func (s *posScanner) posAt(off int) Pos {
	line := sort.Search(len(s.lineStarts), func(i int) bool { return s.lineStarts[i] > off }) - 1
	if line < 0 {
		line = 0
	}
	start := s.lineStarts[line]
	col := utf8.RuneCountInString(s.src[start:min(off, len(s.src))]) + 1
	return Pos{Line: line + 1, Col: col}
}

func (s *posScanner) stop() { s.i = len(s.src) }

func (s *posScanner) peek() byte {
	if s.i < len(s.src) {
		return s.src[s.i]
	}
	return 0
}

// skipSpace skips blanks and, when lines is set, newlines and comments too.
func (s *posScanner) skipSpace(lines bool) {
	for s.i < len(s.src) {
		switch c := s.src[s.i]; {
		case c == ' ' || c == '\t':
			s.i++
		case lines && (c == '\n' || c == '\r'):
			s.i++
		case lines && c == '#':
			s.skipComment()
		default:
			return
		}
	}
}

func (s *posScanner) skipComment() {
	for s.i < len(s.src) && s.src[s.i] != '\n' {
		s.i++
	}
}

func (s *posScanner) record(path, bare string, pos Pos) {
	if _, ok := s.idx.keys[path]; !ok {
		s.idx.keys[path] = pos
	}
	s.idx.byBare[bare] = append(s.idx.byBare[bare], path)
}

func (s *posScanner) document() {
	table, tableBare := "", ""
	for {
		s.skipSpace(true)
		if s.i >= len(s.src) {
			return
		}
		if s.peek() == '[' {
			table, tableBare = s.header()
			continue
		}
		s.keyValue(table, tableBare)
		s.skipSpace(false)
		if s.peek() == '#' {
			s.skipComment()
		}
		if c := s.peek(); c != '\n' && c != '\r' && c != 0 {
			s.stop() // not what valid TOML looks like here: stop recording
		}
	}
}

// header reads [a.b] or [[a.b]] and returns the indexed and bare paths of
// the table it opens.
func (s *posScanner) header() (string, string) {
	start := s.i
	s.i++
	arrayTable := s.peek() == '['
	if arrayTable {
		s.i++
	}
	s.skipSpace(false)
	comps, _ := s.key()
	s.skipSpace(false)
	if arrayTable {
		s.i += 2 // "]]"
	} else {
		s.i++ // "]"
	}
	if len(comps) == 0 || s.i > len(s.src) {
		s.stop()
		return "", ""
	}
	pos := s.posAt(start)
	path, bare := "", ""
	for j, c := range comps {
		path, bare = joinKey(path, c.name), joinKey(bare, c.name)
		if j == len(comps)-1 && arrayTable {
			n := s.tables[path]
			s.tables[path] = n + 1
			if n == 0 {
				s.idx.keys[path] = pos
			}
			path = indexPath(path, n)
		} else if n := s.tables[path]; n > 0 {
			path = indexPath(path, n-1)
		}
	}
	s.record(path, bare, pos)
	return path, bare
}

type keyComp struct {
	name string
	off  int
}

// key reads a dotted key.
func (s *posScanner) key() ([]keyComp, bool) {
	var comps []keyComp
	for {
		s.skipSpace(false)
		off := s.i
		name, ok := s.keyPart()
		if !ok {
			s.stop()
			return nil, false
		}
		comps = append(comps, keyComp{name: name, off: off})
		s.skipSpace(false)
		if s.peek() != '.' {
			return comps, true
		}
		s.i++
	}
}

func (s *posScanner) keyPart() (string, bool) {
	switch s.peek() {
	case '"':
		start := s.i
		s.skipString()
		raw := s.src[start:s.i]
		if name, err := strconv.Unquote(raw); err == nil {
			return name, true
		}
		return strings.Trim(raw, `"`), true
	case '\'':
		start := s.i
		s.skipString()
		return strings.Trim(s.src[start:s.i], "'"), true
	}
	start := s.i
	for s.i < len(s.src) && isBareKey(s.src[s.i:s.i+1]) {
		s.i++
	}
	return s.src[start:s.i], s.i > start
}

// keyValue reads key = value inside the table at prefix.
func (s *posScanner) keyValue(prefix, prefixBare string) {
	comps, ok := s.key()
	if !ok {
		return
	}
	path, bare := prefix, prefixBare
	for _, c := range comps {
		path, bare = joinKey(path, c.name), joinKey(bare, c.name)
		s.record(path, bare, s.posAt(c.off))
	}
	s.skipSpace(false)
	if s.peek() != '=' {
		s.stop()
		return
	}
	s.i++
	s.skipSpace(false)
	s.value(path, bare)
}

// value reads one value and records where it starts.
func (s *posScanner) value(path, bare string) {
	if s.i >= len(s.src) {
		return
	}
	s.idx.values[path] = s.posAt(s.i)
	s.depth++
	defer func() { s.depth-- }()
	if s.depth > maxScanDepth {
		s.stop()
		return
	}
	switch s.peek() {
	case '"', '\'':
		s.skipString()
	case '[':
		s.array(path, bare)
	case '{':
		s.inlineTable(path, bare)
	default:
		for s.i < len(s.src) && !strings.ContainsRune(",]}#\r\n", rune(s.src[s.i])) {
			s.i++
		}
	}
}

func (s *posScanner) array(path, bare string) {
	s.i++
	for n := 0; ; {
		s.skipSpace(true)
		switch s.peek() {
		case 0:
			return
		case ']':
			s.i++
			return
		case ',':
			s.i++
			continue
		}
		before := s.i
		elem := indexPath(path, n)
		s.idx.keys[elem] = s.posAt(s.i)
		s.value(elem, bare)
		if s.i == before {
			s.stop()
			return
		}
		n++
	}
}

func (s *posScanner) inlineTable(path, bare string) {
	s.i++
	for {
		s.skipSpace(true)
		switch s.peek() {
		case 0:
			return
		case '}':
			s.i++
			return
		case ',':
			s.i++
			continue
		}
		before := s.i
		s.keyValue(path, bare)
		if s.i == before {
			s.stop()
			return
		}
	}
}

// skipString skips any of TOML's four kinds of string.
func (s *posScanner) skipString() {
	q := s.src[s.i]
	escapes := q == '"'
	if strings.HasPrefix(s.src[s.i:], strings.Repeat(string(q), 3)) {
		s.i += 3
		for s.i < len(s.src) {
			if escapes && s.src[s.i] == '\\' {
				s.i += 2
				continue
			}
			if strings.HasPrefix(s.src[s.i:], strings.Repeat(string(q), 3)) {
				s.i += 3
				// Up to two quotes may touch the closing delimiter.
				for n := 0; n < 2 && s.peek() == q; n++ {
					s.i++
				}
				return
			}
			s.i++
		}
		return
	}
	s.i++
	for s.i < len(s.src) {
		c := s.src[s.i]
		if escapes && c == '\\' {
			s.i += 2
			continue
		}
		s.i++
		if c == q || c == '\n' {
			return
		}
	}
}
