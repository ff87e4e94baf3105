package sandbox

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
)

// Route 53 durations in simulated time.
const route53Propagation = 60 * time.Second // a change is PENDING, then INSYNC

// route53Checkers are the Regions Route 53's health checkers report from.
var route53Checkers = []string{"us-east-1", "us-west-1", "us-west-2", "eu-west-1", "ap-southeast-1", "ap-southeast-2", "ap-northeast-1", "sa-east-1"}

// route53State is global: Route 53 is one service for every Region, so its
// state is kept under the Region "global" whatever the call was signed
// for.
type route53State struct {
	zones   map[string]*hostedZone
	order   []string
	changes map[string]*r53Change
	checks  map[string]*healthCheck
	refs    map[string]string // CallerReference → zone or health check id
	seq     int
}

type hostedZone struct {
	ID, Name, CallerRef, Comment string
	records                      map[string]map[string]any // name|type|set id → record set
}

type r53Change struct {
	ID, Comment string
	Submitted   time.Time
	status      timeline
}

type healthCheck struct {
	ID, CallerRef string
	Config        map[string]any
	Version       int64
}

func (r *route53State) dump(now time.Time) any {
	zones := map[string]any{}
	for id, z := range r.zones {
		zones[id] = map[string]any{"name": z.Name, "records": len(z.records)}
	}
	checks := map[string]any{}
	for id, h := range r.checks {
		checks[id] = h.Config
	}
	return map[string]any{"hosted_zones": zones, "health_checks": checks}
}

func (c *call) route53() *route53State {
	return stateOf(c.sb, "route53", "global", func() *route53State {
		return &route53State{zones: map[string]*hostedZone{}, changes: map[string]*r53Change{},
			checks: map[string]*healthCheck{}, refs: map[string]string{}}
	})
}

func registerRoute53(s *Sandbox) {
	const v = "/2013-04-01"
	s.addService(&service{name: "route53", protocol: restXMLProtocol{}, xmlns: "https://route53.amazonaws.com/doc/2013-04-01/",
		throttleCode: "Throttling", home: "us-east-1"},
		&operation{name: "CreateHostedZone", mutating: true, method: "POST", path: v + "/hostedzone", status: http.StatusCreated, handler: r53CreateHostedZone},
		&operation{name: "ListHostedZones", method: "GET", path: v + "/hostedzone", handler: r53ListHostedZones},
		&operation{name: "ChangeResourceRecordSets", mutating: true, method: "POST", path: v + "/hostedzone/{HostedZoneId}/rrset", handler: r53ChangeRecordSets},
		&operation{name: "ListResourceRecordSets", method: "GET", path: v + "/hostedzone/{HostedZoneId}/rrset", handler: r53ListRecordSets},
		&operation{name: "GetChange", method: "GET", path: v + "/change/{Id}", handler: r53GetChange},
		&operation{name: "CreateHealthCheck", mutating: true, method: "POST", path: v + "/healthcheck", status: http.StatusCreated, handler: r53CreateHealthCheck},
		&operation{name: "ListHostedZonesByName", method: "GET", path: v + "/hostedzonesbyname", handler: r53ListHostedZonesByName},
		&operation{name: "ListHealthChecks", method: "GET", path: v + "/healthcheck", handler: r53ListHealthChecks},
		&operation{name: "GetHealthCheck", method: "GET", path: v + "/healthcheck/{HealthCheckId}", handler: r53GetHealthCheck},
		&operation{name: "UpdateHealthCheck", mutating: true, method: "POST", path: v + "/healthcheck/{HealthCheckId}", handler: r53UpdateHealthCheck},
		&operation{name: "GetHealthCheckStatus", method: "GET", path: v + "/healthcheck/{HealthCheckId}/status", handler: r53GetHealthCheckStatus},
	)
}

// newID makes a Route 53 style id: prefix and upper-case alphanumerics.
func (r *route53State) newID(prefix string, n int) string {
	r.seq++
	id := strings.ToUpper(resourceID("", fmt.Sprintf("%s-%d", prefix, r.seq)))
	return prefix + id[:n]
}

func (c *call) newChange(comment string) map[string]any {
	r := c.route53()
	ch := &r53Change{ID: r.newID("C", 20), Comment: comment, Submitted: c.now}
	ch.status.set(c.now, "PENDING", route53Propagation, "INSYNC")
	r.changes[ch.ID] = ch
	return c.changeInfo(ch)
}

func (c *call) changeInfo(ch *r53Change) map[string]any {
	v := map[string]any{"Id": "/change/" + ch.ID, "Status": ch.status.state(c.now), "SubmittedAt": ch.Submitted}
	if ch.Comment != "" {
		v["Comment"] = ch.Comment
	}
	return v
}

func fqdn(name string) string {
	name = strings.ToLower(name)
	if !strings.HasSuffix(name, ".") {
		name += "."
	}
	return name
}

func zoneValue(z *hostedZone) map[string]any {
	cfg := map[string]any{"PrivateZone": false}
	if z.Comment != "" {
		cfg["Comment"] = z.Comment
	}
	return map[string]any{"Id": "/hostedzone/" + z.ID, "Name": z.Name, "CallerReference": z.CallerRef,
		"Config": cfg, "ResourceRecordSetCount": len(z.records)}
}

func r53CreateHostedZone(c *call) (any, error) {
	name, err := required(c.input, "Name", "InvalidInput")
	if err != nil {
		return nil, err
	}
	ref, err := required(c.input, "CallerReference", "InvalidInput")
	if err != nil {
		return nil, err
	}
	r := c.route53()
	if _, used := r.refs[ref]; used {
		return nil, errorf("HostedZoneAlreadyExists", "A hosted zone has already been created with the specified caller reference.")
	}
	z := &hostedZone{ID: c.idOr(r.newID("Z", 20)), Name: fqdn(name), CallerRef: ref,
		Comment: str(obj(c.input, "HostedZoneConfig"), "Comment"), records: map[string]map[string]any{}}
	ns := []any{"ns-1.awsdns-00.com.", "ns-2.awsdns-00.net.", "ns-3.awsdns-00.org.", "ns-4.awsdns-00.co.uk."}
	z.records[z.Name+"|NS|"] = map[string]any{"Name": z.Name, "Type": "NS", "TTL": 172800, "ResourceRecords": rrValues(ns)}
	z.records[z.Name+"|SOA|"] = map[string]any{"Name": z.Name, "Type": "SOA", "TTL": 900,
		"ResourceRecords": rrValues([]any{"ns-1.awsdns-00.com. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400"})}
	r.zones[z.ID], r.refs[ref] = z, z.ID
	r.order = append(r.order, z.ID)
	return map[string]any{"HostedZone": zoneValue(z), "ChangeInfo": c.newChange(""),
		"DelegationSet": map[string]any{"NameServers": named("NameServer", ns)}}, nil
}

func rrValues(values []any) members {
	items := make([]any, len(values))
	for i, v := range values {
		items[i] = map[string]any{"Value": v}
	}
	return named("ResourceRecord", items)
}

// r53ZonePages bounds a page of hosted zones: Route 53 answers a maxitems
// above 100 with 100 zones.
var r53ZonePages = pageLimits{def: 100, min: 1, max: 100, capped: true}

func r53ListHostedZones(c *call) (any, error) {
	r := c.route53()
	items := make([]any, 0, len(r.order))
	for _, id := range r.order {
		items = append(items, zoneValue(r.zones[id]))
	}
	page, next, err := paginate(c.input, "maxitems", "marker", items, r53ZonePages)
	if err != nil {
		return nil, err
	}
	size, _ := pageSize(c.input, "maxitems", r53ZonePages)
	out := map[string]any{"HostedZones": named("HostedZone", page), "IsTruncated": next != "",
		"MaxItems": fmt.Sprint(size), "Marker": str(c.input, "marker")}
	if next != "" {
		out["NextMarker"] = next
	}
	return out, nil
}

func (c *call) zone() (*hostedZone, *awsError) {
	id := strings.TrimPrefix(str(c.input, "HostedZoneId"), "/hostedzone/")
	z, ok := c.route53().zones[id]
	if !ok {
		return nil, notFound("NoSuchHostedZone", "No hosted zone found with ID: %s", id)
	}
	return z, nil
}

func r53ChangeRecordSets(c *call) (any, error) {
	z, err := c.zone()
	if err != nil {
		return nil, err
	}
	batch := obj(c.input, "ChangeBatch")
	changes := list(batch, "Changes")
	if len(changes) == 0 {
		return nil, errorf("InvalidInput", "ChangeBatch.Changes must hold at least one Change")
	}
	// Validate the whole batch before applying any of it: Route 53 applies
	// a batch atomically.
	next := map[string]map[string]any{}
	for k, v := range z.records {
		next[k] = v
	}
	for _, raw := range changes {
		ch, _ := raw.(map[string]any)
		if e := applyChange(next, z, ch); e != nil {
			return nil, e
		}
	}
	z.records = next
	return map[string]any{"ChangeInfo": c.newChange(str(batch, "Comment"))}, nil
}

func applyChange(records map[string]map[string]any, z *hostedZone, ch map[string]any) *awsError {
	rrs := obj(ch, "ResourceRecordSet")
	name, typ := fqdn(str(rrs, "Name")), str(rrs, "Type")
	if str(rrs, "Name") == "" || typ == "" {
		return errorf("InvalidInput", "a ResourceRecordSet needs a Name and a Type")
	}
	if name != z.Name && !strings.HasSuffix(name, "."+z.Name) {
		return &awsError{Code: "InvalidChangeBatch", Status: 400,
			Message: fmt.Sprintf("RRSet with DNS name %s is not permitted in zone %s", name, z.Name)}
	}
	key := name + "|" + typ + "|" + str(rrs, "SetIdentifier")
	_, exists := records[key]
	switch action := str(ch, "Action"); action {
	case "CREATE":
		if exists {
			return &awsError{Code: "InvalidChangeBatch", Status: 400,
				Message: fmt.Sprintf("Tried to create resource record set %s type %s, but it already exists", name, typ)}
		}
		fallthrough
	case "UPSERT":
		records[key] = recordValue(name, rrs)
	case "DELETE":
		if !exists {
			return &awsError{Code: "InvalidChangeBatch", Status: 400,
				Message: fmt.Sprintf("Tried to delete resource record set %s type %s, but it was not found", name, typ)}
		}
		delete(records, key)
	default:
		return errorf("InvalidInput", "Action must be CREATE, DELETE or UPSERT, not %q", action)
	}
	return nil
}

// recordValue keeps a record set as the API returns it.
func recordValue(name string, rrs map[string]any) map[string]any {
	v := map[string]any{"Name": name, "Type": str(rrs, "Type")}
	for _, k := range []string{"SetIdentifier", "Failover", "Weight", "TTL", "HealthCheckId", "Region"} {
		if s := str(rrs, k); s != "" {
			v[k] = s
		}
	}
	if values := list(rrs, "ResourceRecords"); len(values) > 0 {
		vals := make([]any, 0, len(values))
		for _, rr := range values {
			if m, ok := rr.(map[string]any); ok {
				vals = append(vals, str(m, "Value"))
			}
		}
		v["ResourceRecords"] = rrValues(vals)
	}
	if alias := obj(rrs, "AliasTarget"); alias != nil {
		v["AliasTarget"] = map[string]any{"HostedZoneId": str(alias, "HostedZoneId"), "DNSName": fqdn(str(alias, "DNSName")),
			"EvaluateTargetHealth": str(alias, "EvaluateTargetHealth") == "true"}
	}
	return v
}

func r53ListRecordSets(c *call) (any, error) {
	z, err := c.zone()
	if err != nil {
		return nil, err
	}
	keys := sortedKeys(z.records)
	sort.SliceStable(keys, func(i, j int) bool { return keys[i] < keys[j] })
	start := fqdn(str(c.input, "name"))
	items := make([]any, 0, len(keys))
	for _, k := range keys {
		if str(c.input, "name") != "" && k < start {
			continue
		}
		items = append(items, z.records[k])
	}
	max, set, aerr := integer(c.input, "maxitems")
	if aerr != nil {
		return nil, aerr
	}
	if !set || max > 300 || max < 1 {
		max = 300
	}
	out := map[string]any{"IsTruncated": int64(len(items)) > max, "MaxItems": fmt.Sprint(max)}
	if int64(len(items)) > max {
		nextRec := items[max].(map[string]any)
		out["NextRecordName"], out["NextRecordType"] = nextRec["Name"], nextRec["Type"]
		items = items[:max]
	}
	out["ResourceRecordSets"] = named("ResourceRecordSet", items)
	return out, nil
}

func r53GetChange(c *call) (any, error) {
	id := strings.TrimPrefix(str(c.input, "Id"), "/change/")
	ch, ok := c.route53().changes[id]
	if !ok {
		return nil, notFound("NoSuchChange", "A change with the specified change ID does not exist: %s", id)
	}
	return map[string]any{"ChangeInfo": c.changeInfo(ch)}, nil
}
