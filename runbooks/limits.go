package runbooks

import "fmt"

// The TOML decoder's cost grows with the square of nesting depth (a key
// 100,000 tables deep takes minutes), so nesting is bounded before it runs.
// Real runbooks nest a handful of levels; the limits leave room for
// inline AWS inputs several structures deep.
const (
	maxNesting = 16 // arrays and inline tables open at once
	maxDots    = 16 // dots in the keys of one line: a.b.c = 1 has two
)

// checkNesting refuses input nested deeper than the limits. It is a lexical
// pass: it skips strings and comments and counts brackets, braces and dots.
func checkNesting(file string, src []byte) Diagnostics {
	depth, dots, line, lineStart := 0, 0, 1, 0
	tooDeep := func(i int, what string, limit int) Diagnostics {
		return Diagnostics{{Severity: SeverityError, File: file, Line: line, Col: i - lineStart + 1,
			Message: fmt.Sprintf("%s nested more than %d deep", what, limit),
			Hint:    "runbooks nest a few levels; check that this is the right file"}}
	}
	for i := 0; i < len(src); i++ {
		switch c := src[i]; c {
		case '\n':
			line, lineStart, dots = line+1, i+1, 0
		case '#':
			for i+1 < len(src) && src[i+1] != '\n' {
				i++
			}
		case '"', '\'':
			i = skipQuoted(src, i, &line, &lineStart)
		case '[', '{':
			if depth++; depth > maxNesting {
				return tooDeep(i, "arrays and tables", maxNesting)
			}
		case ']', '}':
			depth = max(depth-1, 0)
		case '.':
			if dots++; dots > maxDots {
				return tooDeep(i, "dotted keys", maxDots)
			}
		}
	}
	return nil
}

// skipQuoted returns the index of the last byte of the string starting at
// i, counting the lines it spans.
func skipQuoted(src []byte, i int, line, lineStart *int) int {
	q := src[i]
	triple := i+2 < len(src) && src[i+1] == q && src[i+2] == q
	if triple {
		i += 2
	}
	for i++; i < len(src); i++ {
		switch src[i] {
		case '\\':
			if q == '"' {
				i++
			}
		case '\n':
			if !triple {
				return i - 1 // an unterminated string: the decoder reports it
			}
			*line, *lineStart = *line+1, i+1
		case q:
			if !triple {
				return i
			}
			if i+2 < len(src) && src[i+1] == q && src[i+2] == q {
				// Up to two quotes may touch the closing delimiter.
				for i+3 < len(src) && src[i+3] == q {
					i++
				}
				return i + 2
			}
		}
	}
	return i
}
