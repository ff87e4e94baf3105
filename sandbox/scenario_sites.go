package sandbox

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// A scenario's [[sites]] (web.go), checked when the scenario is parsed
// so that a mistake in a body template is reported where it is written.

var sitesHeaderRE = regexp.MustCompile(`(?m)^[ \t]*\[\[[ \t]*sites[ \t]*\]\]`)

// compileSites checks every site and parses its body. src, when given,
// is the scenario's source, for positions.
func (sc *Scenario) compileSites(src []byte) error {
	var starts []int
	for _, loc := range sitesHeaderRE.FindAllIndex(src, -1) {
		starts = append(starts, loc[0])
	}
	seen := map[string]int{}
	for i := range sc.Sites {
		st := &sc.Sites[i]
		field, err := st.compile()
		if err == nil {
			key := st.Host + st.Path
			if j, dup := seen[key]; dup {
				what := "every path of " + st.Host
				if st.Path != "" {
					what = st.Host + st.Path
				}
				field, err = "host", fmt.Errorf("sites[%d] already serves %s", j, what)
			}
			seen[key] = i
		}
		if err != nil {
			e := &ScenarioError{File: sc.file, Msg: fmt.Sprintf("sites[%d]: %s: %v", i, field, err)}
			if i < len(starts) {
				e.Line, e.Col = sitePosition(src, starts[i], field, st.Body, err)
			}
			return e
		}
	}
	return nil
}

// sitePosition places an error in a [[sites]] entry that starts at
// offset start: at the failing expression of a body template when it can
// be found in the source (escapes in the string may hide it), else at the
// field's key, else at the entry's header.
func sitePosition(src []byte, start int, field, body string, err error) (line, col int) {
	keyOff := keyOffset(src, start, field)
	var te *TemplateError
	if keyOff >= 0 && errors.As(err, &te) && te.Offset < len(body) {
		needle := body[te.Offset:]
		if i := strings.IndexAny(needle, "\n\\\"'"); i >= 0 {
			needle = needle[:i]
		}
		if len(needle) > 0 {
			if i := strings.Index(string(src[keyOff:]), needle); i >= 0 {
				return lineCol(src, keyOff+i)
			}
		}
	}
	if keyOff >= 0 {
		return lineCol(src, keyOff)
	}
	return lineCol(src, start)
}

// keyPosition is the line and column of key in the first [[sites]] entry
// that has it, else of the first entry's header.
func keyPosition(src []byte, key string) (line, col int) {
	headers := sitesHeaderRE.FindAllIndex(src, -1)
	for _, loc := range headers {
		if off := keyOffset(src, loc[0], key); off >= 0 {
			return lineCol(src, off)
		}
	}
	if len(headers) > 0 {
		return lineCol(src, headers[0][0])
	}
	return 0, 0
}

// keyOffset finds "key =" in the table that starts at offset start (up
// to the next table header), or -1.
func keyOffset(src []byte, start int, key string) int {
	if key == "" || start >= len(src) {
		return -1
	}
	section := src[start:]
	if nl := strings.IndexByte(string(section), '\n'); nl >= 0 {
		if next := regexp.MustCompile(`(?m)^[ \t]*\[`).FindIndex(section[nl:]); next != nil {
			section = section[:nl+next[0]]
		}
	}
	re := regexp.MustCompile(`(?m)^[ \t]*("?)` + regexp.QuoteMeta(key) + `("?)[ \t]*=`)
	loc := re.FindIndex(section)
	if loc == nil {
		return -1
	}
	off := loc[0]
	for off < len(section) && (section[off] == ' ' || section[off] == '\t') {
		off++
	}
	return start + off
}

// lineCol turns a byte offset into a 1-based line and column.
func lineCol(src []byte, off int) (line, col int) {
	before := string(src[:off])
	return 1 + strings.Count(before, "\n"), off - strings.LastIndexByte(before, '\n')
}
