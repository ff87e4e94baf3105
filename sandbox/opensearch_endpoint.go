package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"
)

// An OpenSearch domain's own REST API (docs/sandbox.md, "OpenSearch
// domain endpoints"): the simulated internet serves each domain's
// endpoint host, search-<name>-<id>.<region>.es.amazonaws.com, once
// DescribeDomain reports it. It answers only requests signed with SigV4
// for the service es in the domain's Region, as a domain with an
// IAM-based access policy does, and a key with a policy needs
// es:ESHttp<Method> on the domain's paths. It serves the snapshot and
// restore API and the health of the indices a restore makes.

// Snapshot repositories and restore timing, in simulated time. A restore
// recovers the primaries (red) then the replicas (yellow) before it is
// green.
const (
	automatedRepository = "cs-automated"
	automatedEvery      = time.Hour
	automatedKept       = 14 * 24 * time.Hour // AWS keeps 14 days of them
	snapshotTakes       = 2 * time.Minute
	restorePrimaries    = 2 * time.Minute
	restoreReplicas     = 3 * time.Minute
)

// searchIndex is one index of a domain.
type searchIndex struct {
	name, uuid string
	created    time.Time
	// health is red, yellow, then green, over time.
	health timeline
}

// searchSnapshot is a snapshot in a repository the domain has registered.
type searchSnapshot struct {
	repository, name, uuid, state string
	start                         time.Time
	indices                       []string
}

// SearchSnapshot is a snapshot a scenario declares in a domain's
// repository (typically a manual S3 repository the recovery domain
// registered, to which the primary Region's domain writes).
type SearchSnapshot struct {
	Region     string   `toml:"region"`
	Domain     string   `toml:"domain"`
	Repository string   `toml:"repository"`
	Name       string   `toml:"name"`
	Ago        string   `toml:"ago"` // when it was started, before the scenario's start; default "1h"
	Indices    []string `toml:"indices"`
	State      string   `toml:"state"` // SUCCESS (default), PARTIAL, FAILED or IN_PROGRESS
}

// addSnapshots adds a scenario's declared snapshots, at applied.
func (s *Sandbox) addSnapshots(sc *Scenario, at time.Time) error {
	for i, sn := range sc.SearchSnapshots {
		fail := func(format string, args ...any) error {
			return &ScenarioError{File: sc.file, Msg: fmt.Sprintf("search_snapshots[%d]: %s", i, fmt.Sprintf(format, args...))}
		}
		ago := time.Hour
		if sn.Ago != "" {
			d, err := time.ParseDuration(sn.Ago)
			if err != nil || d < 0 {
				return fail("ago %q is not a duration such as \"90m\"", sn.Ago)
			}
			ago = d
		}
		if sn.State == "" {
			sn.State = "SUCCESS"
		}
		switch {
		case !slices.Contains([]string{"SUCCESS", "PARTIAL", "FAILED", "IN_PROGRESS"}, sn.State):
			return fail("state %q is not SUCCESS, PARTIAL, FAILED or IN_PROGRESS", sn.State)
		case sn.Repository == "" || sn.Repository == automatedRepository || sn.Name == "" || len(sn.Indices) == 0:
			return fail("repository (not %s, whose snapshots are hourly), name and indices are required", automatedRepository)
		}
		s.mu.Lock()
		o := peekState[openSearchRegion](s, "es", sn.Region)
		d := (*searchDomain)(nil)
		if o != nil {
			d = o.domains[sn.Domain]
		}
		if d != nil {
			d.snapshots = append(d.snapshots, &searchSnapshot{repository: sn.Repository, name: sn.Name, state: sn.State,
				uuid: strings.ToLower(resourceID("", sn.Repository+"/"+sn.Name))[:22], start: at.Add(-ago), indices: sn.Indices})
		}
		s.mu.Unlock()
		if d == nil {
			return fail("no OpenSearch domain %q in %s: create it first ([[create]] CreateDomain)", sn.Domain, sn.Region)
		}
	}
	return nil
}

// endpointRE reads a domain endpoint host: name, id and Region.
var endpointRE = regexp.MustCompile(`^search-([a-z][a-z0-9-]{2,27})-([a-z0-9]{26})\.([a-z0-9-]+)\.es\.amazonaws\.com$`)

// searchEndpoint finds the domain whose endpoint host is host, once it
// has one. Callers hold s.mu.
func (s *Sandbox) searchEndpoint(host string, now time.Time) (*searchDomain, string, bool) {
	m := endpointRE.FindStringSubmatch(host)
	if m == nil {
		return nil, "", false
	}
	o := peekState[openSearchRegion](s, "es", m[3])
	if o == nil || o.domains[m[1]] == nil || domainEndpoint(m[3], m[1]) != host {
		return nil, m[3], true
	}
	d := o.domains[m[1]]
	if now.Before(d.Created.Add(domainCreate)) {
		return nil, m[3], true // no endpoint yet
	}
	return d, m[3], true
}

// serveDomain answers a request to a domain endpoint. Callers hold s.mu.
func (s *Sandbox) serveDomain(r *http.Request, d *searchDomain, region, p string, body []byte, now time.Time) webAnswer {
	if d == nil {
		return jsonAnswer(http.StatusBadGateway, "", "NoSuchHost", "", map[string]any{"error": "no such host: no OpenSearch domain has this endpoint (yet)"})
	}
	if e := s.domainAuthorize(r, d, region, p); e != nil {
		return *e
	}
	if s.faults.downFor(region, "es") {
		return jsonAnswer(http.StatusServiceUnavailable, region, "RegionOutage", "outage", map[string]any{"message": "es is out in " + region})
	}
	parts := strings.Split(strings.Trim(p, "/"), "/")
	switch {
	case r.Method == http.MethodGet && len(parts) == 3 && parts[0] == "_snapshot":
		return s.getSnapshots(d, region, parts[1], parts[2], now)
	case r.Method == http.MethodPost && len(parts) == 4 && parts[0] == "_snapshot" && parts[3] == "_restore":
		ans := s.restoreSnapshot(d, region, parts[1], parts[2], body, now)
		if ans.status == http.StatusOK {
			s.recordChange(&Record{Kind: KindEndpoint, SimTime: now, Region: region, Service: "es", Name: d.Name,
				Operation: r.Method, Path: p, Input: json.RawMessage(body)})
		}
		return ans
	case r.Method == http.MethodGet && (len(parts) == 2 || len(parts) == 3) && parts[0] == "_cat" && parts[1] == "indices":
		return s.catIndices(d, region, parts[2:], now)
	case r.Method == http.MethodGet && (len(parts) == 2 || len(parts) == 3) && parts[0] == "_cluster" && parts[1] == "health":
		return s.clusterHealth(d, region, parts[2:], now)
	}
	return searchError(http.StatusBadRequest, region, "illegal_argument_exception",
		fmt.Sprintf("no handler found for uri [%s] and method [%s] (the sandbox serves _snapshot, _restore, _cat/indices and _cluster/health)", p, r.Method))
}

// domainAuthorize refuses what AWS refuses before the cluster sees the
// request: one not signed for es in the domain's Region, and one the
// key's policy does not allow (es:ESHttpGet, es:ESHttpPost, ... on
// domain/NAME/PATH).
func (s *Sandbox) domainAuthorize(r *http.Request, d *searchDomain, region, p string) *webAnswer {
	scoped, svc, signed := scope(r)
	switch {
	case !signed:
		a := jsonAnswer(http.StatusForbidden, region, "AccessDenied", "", map[string]any{
			"Message": "User: anonymous is not authorized to perform: es:ESHttp" + methodName(r.Method) + " because no resource-based policy allows it"})
		return &a
	case svc != "es" || scoped != region:
		a := jsonAnswer(http.StatusForbidden, region, "AccessDenied", "", map[string]any{
			"message": fmt.Sprintf("Credential should be scoped to correct service: 'es' in Region '%s', not '%s' in '%s'.", region, svc, scoped)})
		return &a
	}
	pol := s.policyFor(accessKey(r))
	if pol == nil {
		return nil
	}
	action := "es:ESHttp" + methodName(r.Method)
	resource := arn("es", region, s.account, "domain/"+d.Name+p)
	keys := map[string]string{"aws:requestedregion": region, "aws:principalaccount": s.account,
		"aws:principalarn": "arn:aws:iam::" + s.account + ":user/drpilot-sandbox", "aws:securetransport": "true"}
	if dec := pol.evaluate(action, resource, keys); dec != allowed {
		s.denials.add(Denial{Time: time.Now(), AccessKey: accessKey(r), Region: region, Service: "es",
			Operation: action, Action: action, Resource: resource, Explicit: dec == explicitDeny})
		a := jsonAnswer(http.StatusForbidden, region, "AccessDenied", "", map[string]any{
			"Message": "User: arn:aws:iam::" + s.account + ":user/drpilot-sandbox is not authorized to perform: " + action + " on resource: " + resource})
		a.action, a.resource = action, resource
		return &a
	}
	s.grant(accessKey(r), action)
	return nil
}

// methodName is the HTTP method as IAM's es:ESHttp* actions spell it.
func methodName(m string) string {
	return m[:1] + strings.ToLower(m[1:])
}

// searchError is an OpenSearch error body.
func searchError(status int, region, kind, reason string) webAnswer {
	cause := map[string]any{"type": kind, "reason": reason}
	return jsonAnswer(status, region, kind, "", map[string]any{"error": map[string]any{
		"root_cause": []any{cause}, "type": kind, "reason": reason}, "status": status})
}

// allSnapshots lists a repository's snapshots, oldest first: the hourly
// automated ones of cs-automated, holding the indices the domain had
// then, or a scenario's.
func (d *searchDomain) allSnapshots(repository string, now time.Time) ([]*searchSnapshot, bool) {
	if repository != automatedRepository {
		var out []*searchSnapshot
		for _, sn := range d.snapshots {
			if sn.repository == repository && !sn.start.After(now) {
				out = append(out, sn)
			}
		}
		slices.SortStableFunc(out, func(a, b *searchSnapshot) int { return a.start.Compare(b.start) })
		return out, slices.ContainsFunc(d.snapshots, func(sn *searchSnapshot) bool { return sn.repository == repository })
	}
	first := d.Created.Add(domainCreate).Truncate(automatedEvery).Add(automatedEvery)
	if oldest := now.Add(-automatedKept).Truncate(automatedEvery); first.Before(oldest) {
		first = oldest
	}
	var out []*searchSnapshot
	for t := first; !t.Add(snapshotTakes).After(now); t = t.Add(automatedEvery) {
		name := t.UTC().Format("2006-01-02t15-04-05") + "." + strings.ToLower(resourceID("", d.Name+t.String()))[:8]
		var indices []string
		for _, n := range sortedKeys(d.indices) {
			if !d.indices[n].created.After(t) {
				indices = append(indices, n)
			}
		}
		out = append(out, &searchSnapshot{repository: repository, name: name, uuid: name[20:], state: "SUCCESS", start: t, indices: indices})
	}
	return out, true
}

// snapshotValue is a snapshot as GET _snapshot shows it.
func (sn *searchSnapshot) snapshotValue(now time.Time) map[string]any {
	v := map[string]any{"snapshot": sn.name, "uuid": sn.uuid, "version": "2.19.0", "indices": sn.indices,
		"include_global_state": true, "state": sn.state, "start_time": sn.start.UTC().Format(time.RFC3339Nano),
		"start_time_in_millis": sn.start.UnixMilli(), "failures": []any{},
		"shards": map[string]any{"total": 5 * len(sn.indices), "failed": 0, "successful": 5 * len(sn.indices)}}
	if sn.state != "IN_PROGRESS" {
		end := sn.start.Add(snapshotTakes)
		v["end_time"], v["end_time_in_millis"], v["duration_in_millis"] = end.UTC().Format(time.RFC3339Nano), end.UnixMilli(), snapshotTakes.Milliseconds()
	}
	return v
}

// getSnapshots answers GET _snapshot/<repository>/<_all|name>.
func (s *Sandbox) getSnapshots(d *searchDomain, region, repository, which string, now time.Time) webAnswer {
	all, ok := d.allSnapshots(repository, now)
	if !ok {
		return searchError(http.StatusNotFound, region, "repository_missing_exception", "["+repository+"] missing")
	}
	items := []any{}
	for _, sn := range all {
		if which == "_all" || which == sn.name {
			items = append(items, sn.snapshotValue(now))
		}
	}
	if which != "_all" && len(items) == 0 {
		return searchError(http.StatusNotFound, region, "snapshot_missing_exception", "["+repository+":"+which+"] is missing")
	}
	return jsonAnswer(http.StatusOK, region, "", "", map[string]any{"snapshots": items})
}

// matchIndices returns the names matching a comma-separated list of
// patterns ("orders,customer-*"); "" and "_all" match all.
func matchIndices(patterns string, names []string) []string {
	var out []string
	for _, n := range names {
		for _, p := range strings.Split(patterns, ",") {
			if ok, _ := path.Match(strings.TrimSpace(p), n); ok || p == "" || p == "_all" {
				out = append(out, n)
				break
			}
		}
	}
	return out
}

// listOrString reads a member that OpenSearch takes as a comma-separated
// string or a list of strings.
func listOrString(v any) string {
	if l, ok := v.([]any); ok {
		parts := make([]string, 0, len(l))
		for _, e := range l {
			parts = append(parts, fmt.Sprint(e))
		}
		return strings.Join(parts, ",")
	}
	s, _ := v.(string)
	return s
}

// restoreSnapshot answers POST _snapshot/<repository>/<snapshot>/_restore:
// the snapshot's indices that match `indices`, renamed, are made red and
// recover to green; none may exist already. Callers hold s.mu.
func (s *Sandbox) restoreSnapshot(d *searchDomain, region, repository, name string, body []byte, now time.Time) webAnswer {
	in := map[string]any{}
	if len(body) > 0 {
		if err := json.Unmarshal(body, &in); err != nil {
			return searchError(http.StatusBadRequest, region, "parse_exception", "the body is not a JSON object: "+err.Error())
		}
	}
	all, ok := d.allSnapshots(repository, now)
	if !ok {
		return searchError(http.StatusNotFound, region, "repository_missing_exception", "["+repository+"] missing")
	}
	i := slices.IndexFunc(all, func(sn *searchSnapshot) bool { return sn.name == name })
	if i < 0 {
		return searchError(http.StatusNotFound, region, "snapshot_missing_exception", "["+repository+":"+name+"] is missing")
	}
	sn := all[i]
	if sn.state != "SUCCESS" && sn.state != "PARTIAL" {
		return searchError(http.StatusBadRequest, region, "snapshot_restore_exception",
			fmt.Sprintf("[%s:%s/%s] unsupported snapshot state [%s]", repository, name, sn.uuid, sn.state))
	}
	targets, err := restoredNames(matchIndices(listOrString(in["indices"]), sn.indices), in)
	if err != nil {
		return searchError(http.StatusBadRequest, region, "illegal_argument_exception", err.Error())
	}
	for _, t := range targets {
		if d.indices[t] != nil {
			return searchError(http.StatusBadRequest, region, "snapshot_restore_exception",
				fmt.Sprintf("[%s:%s/%s] cannot restore index [%s] because an open index with same name already exists in the cluster. "+
					"Either close or delete the existing index or restore the index under a different name by providing a rename pattern and replacement name",
					repository, name, sn.uuid, t))
		}
	}
	for _, t := range targets {
		ix := &searchIndex{name: t, uuid: strings.ToLower(resourceID("", d.Name+t+now.String()))[:22], created: now}
		ix.health.set(now, "red", restorePrimaries, "yellow", restoreReplicas, "green")
		d.indices[t] = ix
	}
	return jsonAnswer(http.StatusOK, region, "", "", map[string]any{"accepted": true})
}

// restoredNames applies rename_pattern and rename_replacement (a regular
// expression and its replacement, $1 for a group) to the indices.
func restoredNames(indices []string, in map[string]any) ([]string, error) {
	if len(indices) == 0 {
		return nil, fmt.Errorf("no index of the snapshot matches [%s]", listOrString(in["indices"]))
	}
	pattern, _ := in["rename_pattern"].(string)
	if pattern == "" {
		return indices, nil
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, fmt.Errorf("rename_pattern: %v", err)
	}
	replacement, _ := in["rename_replacement"].(string)
	out := make([]string, len(indices))
	for i, n := range indices {
		out[i] = re.ReplaceAllString(n, replacement)
	}
	return out, nil
}

// indexHealth is an index's health now: a stuck fault with id
// <domain>/<index> holds it (state = "red").
func (s *Sandbox) indexHealth(d *searchDomain, region string, ix *searchIndex, now time.Time) string {
	if st := s.faults.stuckState("es", region, d.Name+"/"+ix.name); st != "" {
		return st
	}
	return ix.health.state(now)
}

// catIndices answers GET _cat/indices[/<patterns>]?format=json.
func (s *Sandbox) catIndices(d *searchDomain, region string, patterns []string, now time.Time) webAnswer {
	names := sortedKeys(d.indices)
	if len(patterns) == 1 {
		names = matchIndices(patterns[0], names)
	}
	rows := []any{}
	for _, n := range names {
		ix := d.indices[n]
		rows = append(rows, map[string]any{"health": s.indexHealth(d, region, ix, now), "status": "open", "index": n,
			"uuid": ix.uuid, "pri": "5", "rep": "1", "docs.count": "0"})
	}
	return jsonAnswer(http.StatusOK, region, "", "", rows)
}

// clusterHealth answers GET _cluster/health[/<indices>]: the worst
// health of the indices named, all of them when none is.
func (s *Sandbox) clusterHealth(d *searchDomain, region string, which []string, now time.Time) webAnswer {
	names := sortedKeys(d.indices)
	if len(which) == 1 {
		wanted := which[0]
		names = matchIndices(wanted, names)
		for _, p := range strings.Split(wanted, ",") {
			if !strings.Contains(p, "*") && d.indices[p] == nil {
				return searchError(http.StatusNotFound, region, "index_not_found_exception", "no such index ["+p+"]")
			}
		}
	}
	rank := map[string]int{"green": 0, "yellow": 1, "red": 2}
	status, unassigned, initializing := "green", 0, 0
	for _, n := range names {
		h := s.indexHealth(d, region, d.indices[n], now)
		switch h {
		case "red":
			unassigned += 10
		case "yellow":
			unassigned += 5
		}
		if d.indices[n].health.state(now) == "red" && h == "red" {
			initializing += 5
		}
		if rank[h] > rank[status] {
			status = h
		}
	}
	return jsonAnswer(http.StatusOK, region, "", "", map[string]any{"cluster_name": s.account + ":" + d.Name, "status": status,
		"timed_out": false, "number_of_nodes": 3, "number_of_data_nodes": 3, "active_primary_shards": 5 * len(names),
		"initializing_shards": initializing, "unassigned_shards": unassigned - initializing, "number_of_pending_tasks": 0})
}

// replayEndpoint applies a recorded request to a domain endpoint.
// Callers hold s.mu.
func (s *Sandbox) replayEndpoint(rec *Record) error {
	o := peekState[openSearchRegion](s, "es", rec.Region)
	if o == nil || o.domains[rec.Name] == nil {
		return fmt.Errorf("%s %s: no OpenSearch domain %s in %s", rec.Operation, rec.Path, rec.Name, rec.Region)
	}
	parts := strings.Split(strings.Trim(rec.Path, "/"), "/")
	if rec.Operation != http.MethodPost || len(parts) != 4 || parts[0] != "_snapshot" || parts[3] != "_restore" {
		return fmt.Errorf("%s %s: the sandbox records no such request to a domain endpoint", rec.Operation, rec.Path)
	}
	if ans := s.restoreSnapshot(o.domains[rec.Name], rec.Region, parts[1], parts[2], rec.Input, rec.SimTime); ans.status != http.StatusOK {
		return fmt.Errorf("%s %s on domain %s: %s", rec.Operation, rec.Path, rec.Name, strings.TrimSpace(string(ans.body)))
	}
	return nil
}
