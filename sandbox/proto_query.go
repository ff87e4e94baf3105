package sandbox

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// protocol is one AWS wire protocol: how a request names its operation
// and input, and how results and errors go back.
type protocol interface {
	name() string
	decode(r *http.Request, body []byte, svc *service) (op string, input map[string]any, err error)
	encode(w http.ResponseWriter, svc *service, op string, result any, requestID string)
	encodeError(w http.ResponseWriter, svc *service, e *awsError, requestID string)
}

// queryProtocol is awsquery (RDS, SNS, STS, Auto Scaling, ELBv2,
// CloudWatch's query form): a form-encoded Action and flattened members in,
// <OpResponse><OpResult>...</OpResult></OpResponse> XML out.
type queryProtocol struct{}

func (queryProtocol) name() string { return "query" }

func (queryProtocol) decode(r *http.Request, body []byte, _ *service) (string, map[string]any, error) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return "", nil, errorf("MalformedQueryString", "the body is not form-encoded: %v", err)
	}
	for k, v := range r.URL.Query() { // GET requests carry the form in the URL
		if _, ok := form[k]; !ok {
			form[k] = v
		}
	}
	op := form.Get("Action")
	input, err := unflatten(form)
	if err != nil {
		return op, nil, err
	}
	delete(input, "Action")
	delete(input, "Version")
	return op, input, nil
}

// unflatten turns query keys such as "Tags.member.2.Key" into nested
// values: non-numeric segments are structure members, numeric ones
// (1-based) list indices.
func unflatten(form url.Values) (map[string]any, error) {
	root := map[string]any{}
	for key, vals := range form {
		if len(vals) == 0 {
			continue
		}
		if err := setPath(root, strings.Split(key, "."), vals[0]); err != nil {
			return nil, errorf("MalformedQueryString", "%s: %v", key, err)
		}
	}
	return root, nil
}

func setPath(cur map[string]any, path []string, value string) error {
	for i, seg := range path {
		if seg == "" {
			return fmt.Errorf("empty member name")
		}
		last := i == len(path)-1
		if i+1 < len(path) && isIndex(path[i+1]) {
			idx, _ := strconv.Atoi(path[i+1])
			if idx < 1 || idx > 1000 {
				return fmt.Errorf("list index %d out of range", idx)
			}
			l, _ := cur[seg].([]any)
			for len(l) < idx {
				l = append(l, nil)
			}
			cur[seg] = l
			if i+2 == len(path) {
				l[idx-1] = value
				return nil
			}
			next, ok := l[idx-1].(map[string]any)
			if !ok {
				next = map[string]any{}
				l[idx-1] = next
			}
			return setPath(next, path[i+2:], value)
		}
		if last {
			cur[seg] = value
			return nil
		}
		next, ok := cur[seg].(map[string]any)
		if !ok {
			next = map[string]any{}
			cur[seg] = next
		}
		cur = next
	}
	return nil
}

func isIndex(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil && s != ""
}

func (queryProtocol) encode(w http.ResponseWriter, svc *service, op string, result any, requestID string) {
	var b strings.Builder
	b.Grow(answerBuffer)
	b.WriteString(xml.Header)
	fmt.Fprintf(&b, `<%sResponse xmlns="%s">`, op, svc.xmlns)
	fmt.Fprintf(&b, "<%sResult>", op)
	writeXMLValue(&b, result, "member")
	fmt.Fprintf(&b, "</%sResult>", op)
	fmt.Fprintf(&b, "<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>", requestID, op)
	writeXML(w, http.StatusOK, b.String(), requestID)
}

func (queryProtocol) encodeError(w http.ResponseWriter, _ *service, e *awsError, requestID string) {
	writeXMLError(w, e, requestID, true)
}

// writeXMLError writes <ErrorResponse><Error>...</Error></ErrorResponse>;
// wrapped is false for the protocols that leave out ErrorResponse.
func writeXMLError(w http.ResponseWriter, e *awsError, requestID string, wrapped bool) {
	kind := "Sender"
	if e.Status >= 500 {
		kind = "Receiver"
	}
	var b strings.Builder
	b.WriteString(xml.Header)
	if wrapped {
		b.WriteString("<ErrorResponse>")
	}
	fmt.Fprintf(&b, "<Error><Type>%s</Type><Code>%s</Code><Message>", kind, e.Code)
	xml.EscapeText(&b, []byte(e.Message))
	b.WriteString("</Message></Error>")
	fmt.Fprintf(&b, "<RequestId>%s</RequestId>", requestID)
	if wrapped {
		b.WriteString("</ErrorResponse>")
	}
	writeXML(w, e.Status, b.String(), requestID)
}

func writeXML(w http.ResponseWriter, status int, body, requestID string) {
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amzn-RequestId", requestID)
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}
