package sandbox

import (
	"encoding/json"
	"hash/crc32"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// jsonProtocol is awsJson 1.0 and 1.1 (DynamoDB, SSM, ECS, SSM Contacts,
// EventBridge): the operation in X-Amz-Target as "<prefix>.<Operation>",
// JSON in and out; errors as {"__type": code, "message": ...}.
type jsonProtocol struct{ version string }

func (p jsonProtocol) name() string { return "awsJson" + p.version }

func (p jsonProtocol) decode(r *http.Request, body []byte, svc *service) (string, map[string]any, error) {
	target := r.Header.Get("X-Amz-Target")
	prefix, op, ok := strings.Cut(target, ".")
	if !ok || prefix != svc.target {
		return "", nil, errorf("UnknownOperationException", "X-Amz-Target %q does not name an operation of %s", target, svc.target)
	}
	input, err := decodeJSONObject(body)
	return op, input, err
}

// decodeJSONObject reads a JSON object body; an empty body is an empty
// input.
func decodeJSONObject(body []byte) (map[string]any, error) {
	input := map[string]any{}
	if len(strings.TrimSpace(string(body))) == 0 {
		return input, nil
	}
	if err := json.Unmarshal(body, &input); err != nil {
		return nil, errorf("SerializationException", "the body is not a JSON object: %v", err)
	}
	return input, nil
}

func (p jsonProtocol) encode(w http.ResponseWriter, _ *service, _ string, result any, requestID string) {
	writeJSON(w, http.StatusOK, "application/x-amz-json-"+p.version, result, requestID)
}

func (p jsonProtocol) encodeError(w http.ResponseWriter, _ *service, e *awsError, requestID string) {
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	body := map[string]any{}
	for k, v := range e.Extra {
		body[k] = jsonValue(v)
	}
	body["__type"], body["message"] = e.Code, e.Message
	writeJSON(w, e.Status, "application/x-amz-json-"+p.version, body, requestID)
}

func writeJSON(w http.ResponseWriter, status int, contentType string, v any, requestID string) {
	body, err := marshalJSON(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"__type":"InternalFailure","message":"cannot encode the response"}`)
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("X-Amzn-RequestId", requestID)
	// DynamoDB's clients check the body against this checksum.
	w.Header().Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(body)), 10))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// jsonValue converts a generic value for encoding/json: timestamps as
// epoch seconds, as the JSON protocols send them, and XML-only list names
// dropped.
func jsonValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if e != nil {
				out[k] = jsonValue(e)
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonValue(e)
		}
		return out
	case entries:
		return map[string]string(x)
	case members:
		return jsonValue(x.items)
	case flattened:
		return jsonValue([]any(x))
	case time.Time:
		return float64(x.UnixMilli()) / 1000
	}
	return v
}
