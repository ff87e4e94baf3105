package sandbox

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// restXMLProtocol is REST-XML (Route 53): the operation from the method
// and path, labels and query parameters and an XML body in; an
// <OpResponse> document out; errors as <ErrorResponse>.
type restXMLProtocol struct{}

func (restXMLProtocol) name() string { return "restXml" }

func (restXMLProtocol) decode(r *http.Request, body []byte, svc *service) (string, map[string]any, error) {
	op, input, ok := restOperation(svc, r)
	if !ok {
		return "", nil, notSimulated("the %s operation at %s %s", svc.name, r.Method, clip(r.URL.RequestURI()))
	}
	if len(bytes.TrimSpace(body)) > 0 {
		doc, err := decodeXMLDocument(body)
		if err != nil {
			return op.name, nil, errorf("MalformedXML", "the body is not well-formed XML: %v", err)
		}
		for k, v := range doc {
			input[k] = v
		}
	}
	return op.name, input, nil
}

// maxXMLDepth bounds the nesting of a request document.
const maxXMLDepth = 32

// decodeXMLDocument reads an XML document into a generic value: the root
// element's children, each a string (text) or a map (children); a name
// repeated among siblings becomes a list.
func decodeXMLDocument(body []byte) (map[string]any, error) {
	dec := xml.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		if start, ok := tok.(xml.StartElement); ok {
			v, err := decodeXMLElement(dec, start, 1)
			if err != nil {
				return nil, err
			}
			m, _ := v.(map[string]any)
			if m == nil {
				m = map[string]any{}
			}
			return m, nil
		}
	}
}

func decodeXMLElement(dec *xml.Decoder, start xml.StartElement, depth int) (any, error) {
	if depth > maxXMLDepth {
		return nil, fmt.Errorf("nested more than %d deep", maxXMLDepth)
	}
	var text strings.Builder
	var kids map[string]any
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil, fmt.Errorf("<%s> is not closed", start.Name.Local)
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			v, err := decodeXMLElement(dec, t, depth+1)
			if err != nil {
				return nil, err
			}
			if kids == nil {
				kids = map[string]any{}
			}
			addChild(kids, t.Name.Local, v)
		case xml.CharData:
			text.Write(t)
		case xml.EndElement:
			if kids != nil {
				return kids, nil
			}
			return strings.TrimSpace(text.String()), nil
		}
	}
}

// addChild adds a child value; a repeated name becomes a list.
func addChild(kids map[string]any, name string, v any) {
	prev, seen := kids[name]
	if !seen {
		kids[name] = v
		return
	}
	if l, isList := prev.([]any); isList {
		kids[name] = append(l, v)
		return
	}
	kids[name] = []any{prev, v}
}

func (restXMLProtocol) encode(w http.ResponseWriter, svc *service, op string, result any, requestID string) {
	var b strings.Builder
	b.WriteString(xml.Header)
	fmt.Fprintf(&b, `<%sResponse xmlns="%s">`, op, svc.xmlns)
	writeXMLValue(&b, result, "member")
	fmt.Fprintf(&b, "</%sResponse>", op)
	status := http.StatusOK
	for _, o := range svc.ops {
		if o.name == op && o.status != 0 {
			status = o.status
		}
	}
	writeXML(w, status, b.String(), requestID)
}

func (restXMLProtocol) encodeError(w http.ResponseWriter, svc *service, e *awsError, requestID string) {
	if e.Code == "InvalidChangeBatch" {
		// Route 53 answers a bad change batch with a document of its own.
		var b strings.Builder
		b.WriteString(xml.Header)
		fmt.Fprintf(&b, `<InvalidChangeBatch xmlns="%s"><Messages><Message>`, svc.xmlns)
		_ = xml.EscapeText(&b, []byte(e.Message))
		fmt.Fprintf(&b, "</Message></Messages><RequestId>%s</RequestId></InvalidChangeBatch>", requestID)
		writeXML(w, e.Status, b.String(), requestID)
		return
	}
	writeXMLError(w, e, requestID, true)
}
