package sandbox

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// The simulated internet (docs/sandbox.md): /_sandbox/web/<host>/<path>
// answers what a user on the internet gets for https://<host>/<path>, so
// that drpilot's sandbox mode can send a runbook's http.probe requests
// and webhook deliveries here instead of to the real internet, and see
// the failover the runbook made.
//
//   - A host the sandbox's Route 53 resolves to a Region is served there:
//     503 while the Region is out (its load balancer is dead), else the
//     scenario's site for it, else the Region's default application.
//   - A host with no zone or no record in the sandbox is outside AWS: a
//     site declared for it answers; else a POST is a webhook delivery
//     (200, recorded, listed at /_sandbox/webhooks), and a GET is a 502.
//   - Other resolution failures (no Region in the target, a loop): 502.
//   - An OpenSearch domain's endpoint host is that domain's REST API
//     (opensearch_endpoint.go), before any of the above.

// Bounds on what the webhook sink keeps.
const (
	maxWebRequestBody = 8 << 20  // a larger POST is refused with 413
	maxDeliveryBody   = 64 << 10 // bytes of a delivery's body kept as text
	maxDeliveries     = 1000     // the newest deliveries kept
)

// Delivery is one request the webhook sink received.
type Delivery struct {
	Seq         int       `json:"seq"`
	Time        time.Time `json:"time"`     // real time
	SimTime     time.Time `json:"sim_time"` // simulated time
	Method      string    `json:"method"`
	Host        string    `json:"host"`
	Path        string    `json:"path"` // with the query, if any
	ContentType string    `json:"content_type"`
	Status      int       `json:"status"` // what the sink (or a site) answered
	Size        int       `json:"size"`   // the body's size in bytes
	Body        string    `json:"body"`   // as text, the first 64 KiB
	Truncated   bool      `json:"truncated,omitempty"`
}

// webAnswer is a response of the simulated internet and what the journal
// records of it.
type webAnswer struct {
	status      int
	contentType string
	body        []byte
	region      string // the Region that served it, if any
	code, fault string // for the journal
	// action and resource are what an IAM policy denied (a domain
	// endpoint's request), for the journal.
	action, resource string
}

func (s *Sandbox) serveWeb(w http.ResponseWriter, r *http.Request) {
	host, path := webTarget(r.URL.Path)
	if !hostRE.MatchString(host) || len(host) > 253 {
		adminJSON(w, http.StatusBadRequest, map[string]string{"error": "the simulated internet is at /_sandbox/web/<host>/<path>: GET /_sandbox/web/shop.example.com/healthz is https://shop.example.com/healthz"})
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, HEAD, POST")
		adminJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "the simulated internet answers GET, HEAD and POST"})
		return
	}
	var body []byte
	if r.Method == http.MethodPost {
		var err error
		body, err = io.ReadAll(io.LimitReader(r.Body, maxWebRequestBody+1))
		if err != nil || len(body) > maxWebRequestBody {
			adminJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": "the body could not be read, or is larger than 8 MiB"})
			return
		}
	}
	now := s.clock.Now()
	s.observed(now)
	entry := Entry{Time: time.Now(), SimTime: now, Service: "web", Operation: r.Method, URL: "https://" + host + path,
		Mutating: r.Method == http.MethodPost, RequestID: s.newRequestID()}
	if r.URL.RawQuery != "" {
		entry.URL += "?" + r.URL.RawQuery
	}
	s.mu.Lock()
	ans := s.webAnswer(r, host, path, body, now)
	s.mu.Unlock()
	if rec := s.rec.Load(); rec != nil && r.Method == http.MethodPost {
		rec.sync() // a delivery, if it was one, is on disk before its answer
	}
	entry.Region, entry.Status, entry.ErrorCode, entry.Fault = ans.region, ans.status, ans.code, ans.fault
	entry.Action, entry.Resource = ans.action, ans.resource
	s.journal.add(entry)
	if ans.region != "" {
		w.Header().Set("X-Sandbox-Region", ans.region)
	}
	w.Header().Set("Content-Type", ans.contentType)
	w.WriteHeader(ans.status)
	_, _ = w.Write(ans.body)
}

// webTarget reads host and path from /_sandbox/web/<host>[:port]/<path>.
func webTarget(urlPath string) (host, path string) {
	rest := strings.TrimPrefix(urlPath, "/_sandbox/web/")
	host, path, _ = strings.Cut(rest, "/")
	if i := strings.LastIndexByte(host, ':'); i >= 0 {
		host = host[:i] // the port does not matter to the simulation
	}
	return strings.TrimSuffix(strings.ToLower(host), "."), "/" + path
}

// webAnswer decides the answer. Callers hold s.mu.
func (s *Sandbox) webAnswer(r *http.Request, host, path string, body []byte, now time.Time) webAnswer {
	if d, region, ok := s.searchEndpoint(host, now); ok {
		return s.serveDomain(r, d, region, path, body, now)
	}
	res, fail := s.resolveHost(host)
	st := s.site(host, path)
	outside := fail != nil && (fail.Code == "NoHostedZone" || fail.Code == "NoRecord")
	// A record that leads out of AWS to a declared site (a CDN's
	// maintenance page): that site answers, outside any Region.
	var offAWS *Site
	if fail != nil && fail.Code == "NoRegion" {
		offAWS = s.site(strings.TrimSuffix(res.Target, "."), path)
	}
	switch {
	case outside && r.Method == http.MethodPost:
		ans := webAnswer{status: http.StatusOK, contentType: "text/plain; charset=utf-8", body: []byte("ok")}
		if st != nil {
			ans = s.siteAnswer(st, "", now)
		}
		s.deliver(r, host, path, body, ans.status, now)
		return ans
	case outside && st != nil:
		return s.siteAnswer(st, "", now)
	case offAWS != nil:
		return s.siteAnswer(offAWS, "", now)
	case fail != nil:
		return jsonAnswer(http.StatusBadGateway, "", fail.Code, "", map[string]any{"error": fail.Msg, "code": fail.Code,
			"host": host, "resolution": res.Trace})
	case !s.appUp(res.Region):
		return jsonAnswer(http.StatusServiceUnavailable, res.Region, "RegionOutage", "outage", map[string]any{
			"error":      "the load balancer at " + res.Target + " does not answer: " + res.Region + " is out",
			"region":     res.Region,
			"resolution": res.Trace})
	case st != nil:
		return s.siteAnswer(st, res.Region, now)
	}
	return jsonAnswer(http.StatusOK, res.Region, "", "", map[string]any{"region": res.Region, "status": "ok",
		"host": host, "path": path, "time": now, "resolution": res.Trace})
}

// siteAnswer evaluates a site's body in a Region ("" outside AWS).
func (s *Sandbox) siteAnswer(st *Site, region string, now time.Time) webAnswer {
	ct := st.ContentType
	if ct == "" {
		ct = "text/plain; charset=utf-8"
	}
	code := ""
	if st.Status >= 400 {
		code = "SiteStatus"
	}
	return webAnswer{status: st.Status, contentType: ct, region: region, code: code,
		body: []byte(st.body.eval(s.siteFunc(region, now)))}
}

func jsonAnswer(status int, region, code, fault string, v any) webAnswer {
	b, _ := json.MarshalIndent(v, "", "  ")
	return webAnswer{status: status, contentType: "application/json", body: append(b, '\n'), region: region, code: code, fault: fault}
}

// deliver records a webhook delivery. Callers hold s.mu.
func (s *Sandbox) deliver(r *http.Request, host, path string, body []byte, status int, now time.Time) {
	d := Delivery{Time: time.Now(), SimTime: now, Method: r.Method, Host: host, Path: path,
		ContentType: r.Header.Get("Content-Type"), Status: status, Size: len(body)}
	if r.URL.RawQuery != "" {
		d.Path += "?" + r.URL.RawQuery
	}
	kept := body
	if len(kept) > maxDeliveryBody {
		kept, d.Truncated = kept[:maxDeliveryBody], true
	}
	d.Body = string(kept)
	if !utf8.ValidString(d.Body) {
		d.Body = strings.ToValidUTF8(d.Body, "\uFFFD")
	}
	d = s.keepDelivery(d)
	s.recordChange(&Record{Kind: KindDelivery, SimTime: now, Delivery: &d})
}

// keepDelivery adds a delivery to those /_sandbox/webhooks lists, numbered
// after the last, and returns it numbered. Callers hold s.mu.
func (s *Sandbox) keepDelivery(d Delivery) Delivery {
	w := s.web()
	w.total++
	d.Seq = w.total
	if len(w.deliveries) >= maxDeliveries {
		w.deliveries = append(w.deliveries[:0], w.deliveries[1:]...)
	}
	w.deliveries = append(w.deliveries, d)
	return d
}

// Deliveries returns the webhook deliveries kept, oldest first, and how
// many there were in all.
func (s *Sandbox) Deliveries() ([]Delivery, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := peekState[webState](s, "web", "global")
	if w == nil {
		return []Delivery{}, 0
	}
	return append([]Delivery{}, w.deliveries...), w.total
}

// serveWebhooks answers GET /_sandbox/webhooks[?host=H].
func (s *Sandbox) serveWebhooks(w http.ResponseWriter, r *http.Request) {
	all, total := s.Deliveries()
	if host := strings.ToLower(r.URL.Query().Get("host")); host != "" {
		kept := all[:0]
		for _, d := range all {
			if d.Host == host {
				kept = append(kept, d)
			}
		}
		all = kept
	}
	adminJSON(w, http.StatusOK, map[string]any{"total": total, "deliveries": all})
}

// WebURL maps a URL of the internet to the address under which a sandbox
// served at endpoint answers for it: https://shop.example.com/healthz
// becomes <endpoint>/_sandbox/web/shop.example.com/healthz. drpilot's
// sandbox mode sends http.probe requests and webhooks there. A URL that is
// not http(s) is returned unchanged, to fail where it is used.
func WebURL(endpoint, rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return rawURL
	}
	out := strings.TrimSuffix(endpoint, "/") + "/_sandbox/web/" + u.Hostname() + u.EscapedPath()
	if u.RawQuery != "" {
		out += "?" + u.RawQuery
	}
	return out
}
