package sandbox

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"
)

// ec2QueryProtocol is ec2query (EC2): the form of awsquery in (lists as
// Name.N, with no member segment), XML out without a Result wrapper, list
// members called <item>, and errors under <Response><Errors>.
type ec2QueryProtocol struct{}

func (ec2QueryProtocol) name() string { return "ec2query" }

func (ec2QueryProtocol) decode(r *http.Request, body []byte, svc *service) (string, map[string]any, error) {
	return queryProtocol{}.decode(r, body, svc)
}

func (ec2QueryProtocol) encode(w http.ResponseWriter, svc *service, op string, result any, requestID string) {
	var b strings.Builder
	b.Grow(answerBuffer)
	b.WriteString(xml.Header)
	fmt.Fprintf(&b, `<%sResponse xmlns="%s"><requestId>%s</requestId>`, op, svc.xmlns, requestID)
	writeXMLValue(&b, result, "item")
	fmt.Fprintf(&b, "</%sResponse>", op)
	writeXML(w, http.StatusOK, b.String(), requestID)
}

func (ec2QueryProtocol) encodeError(w http.ResponseWriter, _ *service, e *awsError, requestID string) {
	var b strings.Builder
	b.WriteString(xml.Header)
	fmt.Fprintf(&b, "<Response><Errors><Error><Code>%s</Code><Message>", e.Code)
	_ = xml.EscapeText(&b, []byte(e.Message))
	fmt.Fprintf(&b, "</Message></Error></Errors><RequestID>%s</RequestID></Response>", requestID)
	writeXML(w, e.Status, b.String(), requestID)
}
