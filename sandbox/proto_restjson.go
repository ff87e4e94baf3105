package sandbox

import (
	"net/http"
)

// restJSONProtocol is REST-JSON (restJson1: Backup, Lambda, SSM Incidents,
// SES v2): the operation from the method and path, labels and query
// parameters and a JSON body in; JSON out with the operation's status;
// errors with X-Amzn-ErrorType and {"__type", "message"}.
type restJSONProtocol struct{}

func (restJSONProtocol) name() string { return "restJson1" }

func (restJSONProtocol) decode(r *http.Request, body []byte, svc *service) (string, map[string]any, error) {
	op, input, ok := restOperation(svc, r)
	if !ok {
		return "", nil, notSimulated("the %s operation at %s %s", svc.name, r.Method, clip(r.URL.RequestURI()))
	}
	doc, err := decodeJSONObject(body)
	if err != nil {
		return op.name, nil, err
	}
	for k, v := range doc {
		input[k] = v
	}
	return op.name, input, nil
}

func (restJSONProtocol) encode(w http.ResponseWriter, svc *service, op string, result any, requestID string) {
	status := http.StatusOK
	for _, o := range svc.ops {
		if o.name == op && o.status != 0 {
			status = o.status
		}
	}
	if result == nil {
		result = map[string]any{}
	}
	writeJSON(w, status, "application/json", result, requestID)
}

func (restJSONProtocol) encodeError(w http.ResponseWriter, _ *service, e *awsError, requestID string) {
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	writeJSON(w, e.Status, "application/json", map[string]any{"__type": e.Code, "message": e.Message}, requestID)
}
