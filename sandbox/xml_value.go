package sandbox

import (
	"encoding/xml"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// writeXMLValue writes a generic value as XML content; member names the
// element of list members unless the list says otherwise. Structures'
// members are written in sorted order, so that an answer is the same
// bytes every time (recordings and tests compare them).
func writeXMLValue(b *strings.Builder, v any, member string) {
	w := xmlValueWriter{b: b}
	w.value(v, member)
}

// answerBuffer is what an XML answer's builder starts with: most answers
// fit, and a list of 100 resources grows it a few times rather than a
// dozen.
const answerBuffer = 16 << 10

// xmlValueWriter writes one answer. A list call writes thousands of
// elements, so it reuses one slice for every structure's sorted keys and
// writes with WriteString rather than fmt.
type xmlValueWriter struct {
	b *strings.Builder
	// keys is a stack: each structure sorts its keys above its parent's.
	keys []string
}

func (w *xmlValueWriter) value(v any, member string) {
	switch x := v.(type) {
	case nil:
	case map[string]any:
		w.structure(x, member)
	case []any:
		w.list(member, x, member)
	case []string:
		items := make([]any, len(x))
		for i, s := range x {
			items[i] = s
		}
		w.list(member, items, member)
	case entries:
		base := w.pushKeys(x)
		for i := base; i < len(w.keys); i++ {
			w.b.WriteString("<entry><key>")
			w.text(w.keys[i])
			w.b.WriteString("</key><value>")
			w.text(x[w.keys[i]])
			w.b.WriteString("</value></entry>")
		}
		w.keys = w.keys[:base]
	case members:
		w.list(x.name, x.items, member)
	case time.Time:
		w.b.WriteString(isoTime(x))
	case string:
		w.text(x)
	case bool:
		w.b.WriteString(strconv.FormatBool(x))
	case int:
		w.b.WriteString(strconv.Itoa(x))
	case int64:
		w.b.WriteString(strconv.FormatInt(x, 10))
	default:
		fmt.Fprint(w.b, x)
	}
}

func (w *xmlValueWriter) structure(x map[string]any, member string) {
	base := w.pushKeys(x)
	end := len(w.keys)
	for i := base; i < end; i++ {
		k := w.keys[i]
		switch item := x[k].(type) {
		case nil:
		case flattened:
			for _, each := range item {
				w.element(k, each, member)
			}
		default:
			w.element(k, item, member)
		}
	}
	w.keys = w.keys[:base]
}

func (w *xmlValueWriter) list(name string, items []any, member string) {
	for _, item := range items {
		w.element(name, item, member)
	}
}

// element writes <name>v</name>.
func (w *xmlValueWriter) element(name string, v any, member string) {
	w.b.WriteByte('<')
	w.b.WriteString(name)
	w.b.WriteByte('>')
	w.value(v, member)
	w.b.WriteString("</")
	w.b.WriteString(name)
	w.b.WriteByte('>')
}

// pushKeys puts a map's keys, sorted, on the stack and returns where they
// start.
func (w *xmlValueWriter) pushKeys(m any) int {
	base := len(w.keys)
	switch x := m.(type) {
	case map[string]any:
		for k := range x {
			w.keys = append(w.keys, k)
		}
	case entries:
		for k := range x {
			w.keys = append(w.keys, k)
		}
	}
	slices.Sort(w.keys[base:])
	return base
}

// text writes character data escaped as encoding/xml escapes it, without
// its copy when nothing needs escaping (nearly every id and name).
func (w *xmlValueWriter) text(s string) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '&' || c == '<' || c == '>' || c == '"' || c == '\'' {
			_ = xml.EscapeText(w.b, []byte(s))
			return
		}
	}
	w.b.WriteString(s)
}
