package sandbox

import (
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"
)

// cborProtocol is Smithy RPC v2 CBOR (CloudWatch and ARC Region switch in
// the Go SDK): POST /service/<ServiceName>/operation/<Operation> with a
// CBOR map in and out; errors as {"__type": code, "message": ...}, with
// the query-compatible code in x-amzn-query-error for services that came
// from awsquery.
type cborProtocol struct {
	// queryCompatible names the services whose clients read error codes
	// from x-amzn-query-error (CloudWatch).
	queryCompatible bool
}

func (cborProtocol) name() string { return "rpcv2Cbor" }

// maxCBORDepth bounds the nesting of a request body.
const maxCBORDepth = 32

func (cborProtocol) decode(r *http.Request, body []byte, _ *service) (string, map[string]any, error) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/service/")
	_, op, found := strings.Cut(rest, "/operation/")
	if !ok || !found || op == "" || strings.Contains(op, "/") {
		return "", nil, errorf("UnknownOperationException", "rpcv2cbor requests are POST /service/<Service>/operation/<Operation>, not %s", r.URL.Path)
	}
	if len(body) == 0 {
		return op, map[string]any{}, nil
	}
	v, err := cbor.Decode(body)
	if err != nil {
		return op, nil, errorf("SerializationException", "the body is not CBOR: %v", err)
	}
	m, ok := fromCBOR(v, 0).(map[string]any)
	if !ok {
		return op, nil, errorf("SerializationException", "the body is not a CBOR map")
	}
	return op, m, nil
}

// fromCBOR converts a decoded CBOR value to a generic input value:
// numbers as float64 (as JSON decoding gives them), timestamps (tag 1) as
// epoch seconds.
func fromCBOR(v cbor.Value, depth int) any {
	if depth > maxCBORDepth {
		return nil
	}
	switch x := v.(type) {
	case cbor.Map:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = fromCBOR(e, depth+1)
		}
		return m
	case cbor.List:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = fromCBOR(e, depth+1)
		}
		return l
	case cbor.String:
		return string(x)
	case cbor.Uint:
		return float64(x)
	case cbor.NegInt:
		return -float64(x) - 1
	case cbor.Float32:
		return float64(x)
	case cbor.Float64:
		return float64(x)
	case cbor.Bool:
		return bool(x)
	case *cbor.Tag:
		if x.ID == 1 {
			return fromCBOR(x.Value, depth+1)
		}
	case cbor.Slice:
		return string(x)
	}
	return nil
}

// toCBOR converts a generic result to CBOR, timestamps as tag 1.
func toCBOR(v any) cbor.Value {
	switch x := v.(type) {
	case map[string]any:
		m := cbor.Map{}
		for k, e := range x {
			if e != nil {
				m[k] = toCBOR(e)
			}
		}
		return m
	case []any:
		l := make(cbor.List, len(x))
		for i, e := range x {
			l[i] = toCBOR(e)
		}
		return l
	case entries:
		m := cbor.Map{}
		for k, e := range x {
			m[k] = cbor.String(e)
		}
		return m
	case members:
		return toCBOR(x.items)
	case flattened:
		return toCBOR([]any(x))
	case []string:
		l := make(cbor.List, len(x))
		for i, e := range x {
			l[i] = cbor.String(e)
		}
		return l
	case string:
		return cbor.String(x)
	case bool:
		return cbor.Bool(x)
	case int:
		return cborInt(int64(x))
	case int64:
		return cborInt(x)
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return cborInt(int64(x))
		}
		return cbor.Float64(x)
	case time.Time:
		return &cbor.Tag{ID: 1, Value: cbor.Float64(float64(x.UnixMilli()) / 1000)}
	}
	return cbor.String(fmt.Sprint(v))
}

func cborInt(n int64) cbor.Value {
	if n < 0 {
		return cbor.NegInt(uint64(-(n + 1)))
	}
	return cbor.Uint(uint64(n))
}

func (cborProtocol) encode(w http.ResponseWriter, _ *service, _ string, result any, requestID string) {
	if result == nil {
		result = map[string]any{}
	}
	writeCBOR(w, http.StatusOK, toCBOR(result), requestID)
}

func (p cborProtocol) encodeError(w http.ResponseWriter, _ *service, e *awsError, requestID string) {
	if p.queryCompatible {
		kind := "Sender"
		if e.Status >= 500 {
			kind = "Receiver"
		}
		w.Header().Set("X-Amzn-Query-Error", e.Code+";"+kind)
	}
	writeCBOR(w, e.Status, cbor.Map{"__type": cbor.String(e.Code), "message": cbor.String(e.Message)}, requestID)
}

func writeCBOR(w http.ResponseWriter, status int, v cbor.Value, requestID string) {
	w.Header().Set("Content-Type", "application/cbor")
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	w.Header().Set("X-Amzn-RequestId", requestID)
	w.WriteHeader(status)
	_, _ = w.Write(cbor.Encode(v))
}
