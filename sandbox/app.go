package sandbox

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
)

// The simulated application: one per Region, at /_sandbox/app/<region>/,
// so that http.probe and Route 53 health checks have something real to
// probe and a Region outage is visible to users. It answers 200 with a
// small JSON document while its Region is up, and 503 while it is out.
func (s *Sandbox) serveApp(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, "/_sandbox/app/")
	region, path, _ := strings.Cut(rest, "/")
	if !regionRE.MatchString(region) {
		adminJSON(w, http.StatusNotFound, map[string]string{"error": "the application is at /_sandbox/app/<region>/..., e.g. /_sandbox/app/us-east-1/health"})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if !s.appUp(region) {
		w.WriteHeader(http.StatusServiceUnavailable)
		_ = json.NewEncoder(w).Encode(map[string]string{"region": region, "status": "unavailable"})
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"region": region, "status": "ok", "path": "/" + path, "time": s.clock.Now()})
}

// appUp reports whether a Region's application serves.
func (s *Sandbox) appUp(region string) bool { return !s.faults.down(region) }

// regionRE matches an AWS Region name, inside longer text too (an ELB DNS
// name, a URL), so that a health check can be tied to its Region.
var regionRE = regexp.MustCompile(`\b` + regionPattern + `\b`)

// regionPattern is the shape of an AWS Region name.
const regionPattern = `[a-z]{2}(-gov|-iso[a-z]?)?-(east|west|north|south|central|northeast|northwest|southeast|southwest)-\d`

// regionIn returns the first Region name in text, or "".
func regionIn(text string) string { return regionRE.FindString(text) }
