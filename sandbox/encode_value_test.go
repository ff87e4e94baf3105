package sandbox

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// The answer encoders write lists of hundreds of resources, so they are
// written for speed; these tests hold them to the plain versions they
// replaced, on random generic values.

func TestMarshalJSONIsJSONMarshalOfJSONValue(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 3000 {
		v := randomValue(r, 4)
		want, err := json.Marshal(jsonValue(v))
		if err != nil {
			t.Fatal(err)
		}
		got, err := marshalJSON(v)
		if err != nil {
			t.Fatalf("value %d: %v", i, err)
		}
		if string(got) != string(want) {
			t.Fatalf("value %d (%#v):\n got %s\nwant %s", i, v, got, want)
		}
	}
}

func TestWriteXMLValueIsTheReferenceEncoding(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 3000 {
		v := randomValue(r, 4)
		var got, want strings.Builder
		writeXMLValue(&got, v, "member")
		referenceXMLValue(&want, v, "member")
		if got.String() != want.String() {
			t.Fatalf("value %d (%#v):\n got %s\nwant %s", i, v, got.String(), want.String())
		}
	}
}

// texts has what needs escaping in either encoding, and what does not.
var texts = []string{"", "db-001", "a<b", "x&y", `q"uote`, "it's", "tab\there", "line\nbreak",
	"é", "\u2028", "back\\slash", "\x01", "arn:aws:rds:us-west-2:123456789012:db:app", "\xff"}

func randomValue(r *rand.Rand, depth int) any {
	n := r.IntN(12)
	if depth == 0 {
		n = 6 + r.IntN(6)
	}
	switch n {
	case 0, 1:
		m := map[string]any{}
		for range r.IntN(5) {
			m[texts[r.IntN(3)+1]+fmt.Sprint(r.IntN(9))] = randomValue(r, depth-1)
		}
		if r.IntN(4) == 0 {
			m["Absent"] = nil
		}
		return m
	case 2:
		items := make([]any, r.IntN(4))
		for i := range items {
			items[i] = randomValue(r, depth-1)
		}
		return items
	case 3:
		items := make([]any, r.IntN(3))
		for i := range items {
			items[i] = randomValue(r, depth-1)
		}
		return members{name: "Item", items: items}
	case 4:
		return map[string]any{"Rule": flattened{randomValue(r, depth-1), randomValue(r, depth-1)}}
	case 5:
		// Keys plain: the reference wrote them unescaped, a bug the new
		// writer fixes.
		return entries{"k" + fmt.Sprint(r.IntN(9)): texts[r.IntN(len(texts))], "b": "2"}
	case 6:
		return texts[r.IntN(len(texts))]
	case 7:
		return r.IntN(2) == 0
	case 8:
		return r.IntN(100000) - 500
	case 9:
		return int64(r.Uint32())
	case 10:
		return time.Date(2026, 3, 1, 12, 0, 0, r.IntN(1e9), time.UTC)
	default:
		return []float64{0, 0.5, 1e-9, 3.25, 1e22, -17}[r.IntN(6)]
	}
}

// referenceXMLValue is writeXMLValue as it was before it was made fast.
func referenceXMLValue(b *strings.Builder, v any, member string) {
	switch x := v.(type) {
	case nil:
	case map[string]any:
		for _, k := range sortedKeys(x) {
			if x[k] == nil {
				continue
			}
			if flat, ok := x[k].(flattened); ok {
				for _, item := range flat {
					fmt.Fprintf(b, "<%s>", k)
					referenceXMLValue(b, item, member)
					fmt.Fprintf(b, "</%s>", k)
				}
				continue
			}
			fmt.Fprintf(b, "<%s>", k)
			referenceXMLValue(b, x[k], member)
			fmt.Fprintf(b, "</%s>", k)
		}
	case []any:
		referenceXMLValue(b, members{name: member, items: x}, member)
	case []string:
		items := make([]any, len(x))
		for i, s := range x {
			items[i] = s
		}
		referenceXMLValue(b, members{name: member, items: items}, member)
	case entries:
		for _, k := range sortedKeys(x) {
			fmt.Fprintf(b, "<entry><key>%s</key><value>", k)
			_ = xml.EscapeText(b, []byte(x[k]))
			b.WriteString("</value></entry>")
		}
	case members:
		for _, item := range x.items {
			fmt.Fprintf(b, "<%s>", x.name)
			referenceXMLValue(b, item, member)
			fmt.Fprintf(b, "</%s>", x.name)
		}
	case time.Time:
		b.WriteString(isoTime(x))
	case string:
		_ = xml.EscapeText(b, []byte(x))
	default:
		fmt.Fprint(b, x)
	}
}
