package sandbox

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Site is what a host of the simulated internet serves, declared in a
// scenario's [[sites]]: the page a runbook's http.probe reads, or a
// webhook receiver that fails.
type Site struct {
	Host string `toml:"host"`
	// Path is the path it serves, e.g. "/healthz"; "" serves every path
	// the host has no other site for.
	Path string `toml:"path"`
	// Status is the HTTP status, 200 by default.
	Status int `toml:"status"`
	// Body is a template (web_template.go), evaluated per request in the
	// Region that serves it.
	Body string `toml:"body"`
	// ContentType defaults to text/plain; charset=utf-8.
	ContentType string `toml:"content_type"`

	body tmpl
}

var hostRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$`)

// compile checks a site and parses its body; the error's offset, if it
// is a *TemplateError, is within Body.
func (st *Site) compile() (field string, err error) {
	st.Host = strings.TrimSuffix(strings.ToLower(st.Host), ".")
	switch {
	case st.Host == "":
		return "host", fmt.Errorf("host is required, e.g. host = \"shop.example.com\"")
	case len(st.Host) > 253 || !hostRE.MatchString(st.Host):
		return "host", fmt.Errorf("host %q is not a host name such as shop.example.com (no scheme, port or path)", st.Host)
	case st.Path != "" && !strings.HasPrefix(st.Path, "/"):
		return "path", fmt.Errorf("path %q must start with /", st.Path)
	case st.Status == 0:
		st.Status = 200
	case st.Status < 200 || st.Status > 599:
		return "status", fmt.Errorf("status %d is not an HTTP status from 200 to 599", st.Status)
	}
	if strings.ContainsAny(st.ContentType, "\r\n") {
		return "content_type", fmt.Errorf("content_type holds a line break")
	}
	st.body, err = parseTemplate(st.Body)
	if err != nil {
		return "body", err
	}
	return "", nil
}

// webState is the simulated internet's state: the scenario's sites and
// the webhook deliveries. It lives in the one store, under "web/global".
type webState struct {
	sites      []*Site
	deliveries []Delivery // the newest maxDeliveries, oldest first
	total      int
}

func (w *webState) dump(time.Time) any {
	hosts := make([]string, 0, len(w.sites))
	for _, st := range w.sites {
		hosts = append(hosts, st.Host+st.Path)
	}
	return map[string]any{"sites": hosts, "webhook_deliveries": w.total}
}

func (s *Sandbox) web() *webState {
	return stateOf(s, "web", "global", func() *webState { return &webState{} })
}

// setSites installs a scenario's (compiled) sites. Callers hold s.mu.
func (s *Sandbox) setSites(sites []Site) {
	w := s.web()
	for i := range sites {
		w.sites = append(w.sites, &sites[i])
	}
}

// site returns the site for host and path: the first with that exact
// path, else the first that serves any path; nil if none.
func (s *Sandbox) site(host, path string) *Site {
	w := peekState[webState](s, "web", "global")
	if w == nil {
		return nil
	}
	var fallback *Site
	for _, st := range w.sites {
		switch {
		case st.Host != host:
		case st.Path == path:
			return st
		case st.Path == "" && fallback == nil:
			fallback = st
		}
	}
	return fallback
}

// siteFunc answers a body's functions in a Region at a moment. Callers
// hold s.mu.
func (s *Sandbox) siteFunc(region string, now time.Time) func(fn, arg string) string {
	return func(fn, arg string) string {
		switch fn {
		case "region":
			return region
		case "param":
			if r := peekState[ssmRegion](s, "ssm", region); r != nil {
				if p, ok := r.params[arg]; ok {
					return p.latest().Value
				}
			}
			return ""
		case "db-role":
			return s.dbRole(arg, now)
		}
		return ""
	}
}

// Database endpoints as the sandbox names them (rds.go, rds_global.go).
var (
	instanceEndpointRE = regexp.MustCompile(`^([a-z0-9-]+)\.c0sandbox0\.([a-z0-9-]+)\.rds\.amazonaws\.com$`)
	clusterEndpointRE  = regexp.MustCompile(`^([a-z0-9-]+)\.cluster-(ro-)?c0sandbox0\.([a-z0-9-]+)\.rds\.amazonaws\.com$`)
	globalEndpointRE   = regexp.MustCompile(`^([a-z0-9-]+)\.global-[a-z0-9]+\.global\.rds\.amazonaws\.com$`)
)

// dbRole is what an application connecting to endpoint would find now:
// writer, reader, down (its Region is out, or it is not available) or
// unknown (no such endpoint in the sandbox). Callers hold s.mu.
func (s *Sandbox) dbRole(endpoint string, now time.Time) string {
	host := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(endpoint)), ".")
	if i := strings.LastIndexByte(host, ':'); i >= 0 {
		host = host[:i] // host:port
	}
	if m := instanceEndpointRE.FindStringSubmatch(host); m != nil {
		return s.instanceRole(m[2], m[1], now)
	}
	if m := clusterEndpointRE.FindStringSubmatch(host); m != nil {
		return s.clusterRole(m[3], m[1], m[2] != "", now)
	}
	if m := globalEndpointRE.FindStringSubmatch(host); m != nil {
		return s.globalRole(m[1], now)
	}
	return "unknown"
}

// instanceRole: a standalone instance is the writer, a read replica a
// reader, while available (or backing up, when it serves as well).
func (s *Sandbox) instanceRole(region, id string, now time.Time) string {
	r := peekState[rdsRegion](s, "rds", region)
	if r == nil || r.instances[id] == nil {
		return "unknown"
	}
	db := r.instances[id]
	c := &call{sb: s, region: region, now: now}
	if st := c.dbStatus(db); s.faults.down(region) || st != "available" && st != "backing-up" {
		return "down"
	}
	if db.Source != "" {
		return "reader"
	}
	return "writer"
}

// clusterRole: a cluster's writer endpoint writes unless it is a global
// database's secondary; its reader endpoint reads.
func (s *Sandbox) clusterRole(region, id string, readerEndpoint bool, now time.Time) string {
	r := peekState[rdsRegion](s, "rds", region)
	if r == nil || r.clusters[id] == nil {
		return "unknown"
	}
	cl := r.clusters[id]
	if s.faults.down(region) || cl.status.state(now) != "available" {
		return "down"
	}
	if readerEndpoint {
		return "reader"
	}
	if g := peekState[rdsGlobalState](s, "rds-global", "global"); g != nil && cl.Global != "" {
		if gc := g.clusters[cl.Global]; gc != nil {
			gc.advance(now)
			for _, m := range gc.members {
				if m.Region == region && m.Cluster == id && !m.Writer {
					return "reader"
				}
			}
		}
	}
	return "writer"
}

// globalRole: a global database's writer endpoint follows its writer; it
// is down while a failover moves it, or while the writer is down.
func (s *Sandbox) globalRole(id string, now time.Time) string {
	g := peekState[rdsGlobalState](s, "rds-global", "global")
	if g == nil || g.clusters[id] == nil {
		return "unknown"
	}
	gc := g.clusters[id]
	gc.advance(now)
	if gc.failover != nil {
		return "down"
	}
	for _, m := range gc.members {
		if m.Writer {
			return s.clusterRole(m.Region, m.Cluster, false, now)
		}
	}
	return "down"
}
