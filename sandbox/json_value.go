package sandbox

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"time"
)

// marshalJSON writes a generic value (see values.go) as the JSON
// protocols answer it: the same bytes as json.Marshal(jsonValue(v)),
// without copying every structure first and without reflection, which
// made a list of 100 resources cost more to encode than to build.
// Values it does not know go through json.Marshal.
func marshalJSON(v any) ([]byte, error) {
	w := jsonValueWriter{b: bytes.NewBuffer(make([]byte, 0, 1024))}
	if err := w.value(v); err != nil {
		return nil, err
	}
	return w.b.Bytes(), nil
}

// jsonValueWriter writes one answer; keys is a stack of sorted keys, one
// run per structure being written, as in xmlValueWriter.
type jsonValueWriter struct {
	b    *bytes.Buffer
	keys []string
}

func (w *jsonValueWriter) value(v any) error {
	switch x := v.(type) {
	case nil:
		w.b.WriteString("null")
	case map[string]any:
		return w.object(x)
	case []any:
		return w.array(x)
	case members:
		return w.array(x.items)
	case flattened:
		return w.array(x)
	case entries:
		return w.strings(x)
	case map[string]string:
		return w.strings(x)
	case time.Time:
		return w.float(float64(x.UnixMilli()) / 1000)
	case float64:
		return w.float(x)
	case string:
		return w.text(x)
	case bool:
		w.b.WriteString(strconv.FormatBool(x))
	case int:
		w.b.WriteString(strconv.Itoa(x))
	case int64:
		w.b.WriteString(strconv.FormatInt(x, 10))
	default:
		return w.fallback(x)
	}
	return nil
}

// object writes a structure; members whose value is nil are left out, as
// jsonValue leaves them out.
func (w *jsonValueWriter) object(x map[string]any) error {
	base := len(w.keys)
	for k, v := range x {
		if v != nil {
			w.keys = append(w.keys, k)
		}
	}
	slices.Sort(w.keys[base:])
	end := len(w.keys)
	w.b.WriteByte('{')
	for i := base; i < end; i++ {
		if i > base {
			w.b.WriteByte(',')
		}
		if err := w.text(w.keys[i]); err != nil {
			return err
		}
		w.b.WriteByte(':')
		if err := w.value(x[w.keys[i]]); err != nil {
			return err
		}
	}
	w.b.WriteByte('}')
	w.keys = w.keys[:base]
	return nil
}

func (w *jsonValueWriter) array(items []any) error {
	w.b.WriteByte('[')
	for i, item := range items {
		if i > 0 {
			w.b.WriteByte(',')
		}
		if err := w.value(item); err != nil {
			return err
		}
	}
	w.b.WriteByte(']')
	return nil
}

func (w *jsonValueWriter) strings(x map[string]string) error {
	if x == nil {
		w.b.WriteString("null")
		return nil
	}
	obj := make(map[string]any, len(x))
	for k, v := range x {
		obj[k] = v
	}
	return w.object(obj)
}

// float writes a number as encoding/json does: plain decimals in the range
// it writes them so, json.Marshal itself outside it.
func (w *jsonValueWriter) float(f float64) error {
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) || math.IsNaN(f) || math.IsInf(f, 0) {
		return w.fallback(f)
	}
	w.b.Write(strconv.AppendFloat(w.b.AvailableBuffer(), f, 'f', -1, 64))
	return nil
}

// text writes a string, escaped by json.Marshal whenever it has anything
// encoding/json would escape (quotes, backslashes, controls, <, >, &, and
// all that is not ASCII).
func (w *jsonValueWriter) text(s string) error {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return w.fallback(s)
		}
	}
	w.b.WriteByte('"')
	w.b.WriteString(s)
	w.b.WriteByte('"')
	return nil
}

func (w *jsonValueWriter) fallback(v any) error {
	out, err := json.Marshal(jsonValue(v))
	if err != nil {
		return err
	}
	w.b.Write(out)
	return nil
}
