package sandbox

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// serveAdmin answers the sandbox's own endpoints:
//
//	GET  /_sandbox/journal  every request (the newest journalCapacity)
//	GET  /_sandbox/state    the simulated resources
//	POST /_sandbox/faults   add or clear a fault (a Fault as JSON)
//	POST /_sandbox/clock    {"advance": "10m"} moves simulated time on
//	/_sandbox/app/<region>/ the simulated application of a Region
//	/_sandbox/web/<host>/   the simulated internet (web.go)
//	GET  /_sandbox/webhooks the webhook deliveries it received
//	GET  /_sandbox/denials  the requests an IAM policy denied (policy.go)
//	GET  /_sandbox/operations the operations it simulates, by service
func (s *Sandbox) serveAdmin(w http.ResponseWriter, r *http.Request) {
	switch path := r.URL.Path; {
	case strings.HasPrefix(path, "/_sandbox/app/"):
		s.serveApp(w, r)
	case strings.HasPrefix(path, "/_sandbox/web/"):
		s.serveWeb(w, r)
	case path == "/_sandbox/webhooks" && r.Method == http.MethodGet:
		s.serveWebhooks(w, r)
	case path == "/_sandbox/journal" && r.Method == http.MethodGet:
		entries, total := s.journal.Entries()
		adminJSON(w, http.StatusOK, map[string]any{"total": total, "entries": entries})
	case path == "/_sandbox/denials" && r.Method == http.MethodGet:
		denials, total := s.Denials()
		adminJSON(w, http.StatusOK, map[string]any{"total": total, "denials": denials})
	case path == "/_sandbox/operations" && r.Method == http.MethodGet:
		adminJSON(w, http.StatusOK, map[string]any{"operations": s.Operations()})
	case path == "/_sandbox/state" && r.Method == http.MethodGet:
		adminJSON(w, http.StatusOK, s.dumpState())
	case path == "/_sandbox/faults" && r.Method == http.MethodPost:
		var f Fault
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&f); err != nil {
			adminJSON(w, http.StatusBadRequest, map[string]string{"error": "the body is not a fault: " + err.Error()})
			return
		}
		if err := s.applyFault(f, s.clock.Now(), true); err != nil {
			adminJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		adminJSON(w, http.StatusOK, map[string]string{"ok": "fault applied"})
	case path == "/_sandbox/clock" && r.Method == http.MethodPost:
		var req struct {
			Advance string `json:"advance"`
		}
		d, err := time.Duration(0), json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&req)
		if err == nil {
			d, err = time.ParseDuration(req.Advance)
		}
		if err != nil {
			adminJSON(w, http.StatusBadRequest, map[string]string{"error": `send {"advance": "10m"}: ` + err.Error()})
			return
		}
		now, err := s.advance(d)
		if err != nil {
			adminJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		adminJSON(w, http.StatusOK, map[string]any{"now": now})
	default:
		adminJSON(w, http.StatusNotFound, map[string]string{"error": "no such sandbox endpoint: " + r.Method + " " + path})
	}
}

// dumpState returns every service's state, keyed "service/region".
func (s *Sandbox) dumpState() map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	s.observed(now)
	out := map[string]any{"now": now, "account": s.account}
	for k, v := range s.state {
		if d, ok := v.(interface{ dump(now time.Time) any }); ok {
			out[k] = d.dump(now)
		}
	}
	return out
}

func adminJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
