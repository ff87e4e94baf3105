package sandbox

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// OpenSearch Service durations in simulated time: a new domain takes a
// quarter of an hour, a configuration change (a blue/green deployment)
// ten minutes, during which DescribeDomain says Processing.
const (
	domainCreate = 15 * time.Minute
	domainUpdate = 10 * time.Minute
)

type openSearchRegion struct {
	domains map[string]*searchDomain
}

type searchDomain struct {
	Name, EngineVersion string
	Created             time.Time
	// status is DomainProcessingStatus: Creating, Modifying, then Active.
	status timeline
	// indices are the cluster's indices, snapshots those a scenario
	// declared (opensearch_endpoint.go).
	indices   map[string]*searchIndex
	snapshots []*searchSnapshot
}

func (o *openSearchRegion) dump(now time.Time) any {
	out := map[string]any{}
	for name, d := range o.domains {
		indices := map[string]any{}
		for n, ix := range d.indices {
			indices[n] = ix.health.state(now)
		}
		out[name] = map[string]any{"status": d.status.state(now), "engine": d.EngineVersion, "indices": indices}
	}
	return map[string]any{"domains": out}
}

func (c *call) openSearch() *openSearchRegion {
	return stateOf(c.sb, "es", c.region, func() *openSearchRegion { return &openSearchRegion{domains: map[string]*searchDomain{}} })
}

func registerOpenSearch(s *Sandbox) {
	const domain = "/2021-01-01/opensearch/domain"
	s.addService(&service{name: "es", protocol: restJSONProtocol{}, throttleCode: "ThrottlingException", throttleStatus: http.StatusTooManyRequests},
		&operation{name: "CreateDomain", mutating: true, method: "POST", path: domain, handler: osCreateDomain},
		&operation{name: "DescribeDomain", method: "GET", path: domain + "/{DomainName}", handler: osDescribeDomain},
		&operation{name: "DescribeDomains", method: "POST", path: "/2021-01-01/opensearch/domain-info", handler: osDescribeDomains},
		&operation{name: "ListDomainNames", method: "GET", path: "/2021-01-01/domain", handler: osListDomainNames},
		&operation{name: "UpdateDomainConfig", mutating: true, method: "POST", path: domain + "/{DomainName}/config", handler: osUpdateDomainConfig},
	)
}

// OpenSearch Service answers a missing domain, and one that exists, with
// 409, not 404.
func osConflict(code, format string, args ...any) *awsError {
	return &awsError{Code: code, Message: fmt.Sprintf(format, args...), Status: http.StatusConflict}
}

func (c *call) searchDomain(name string) (*searchDomain, *awsError) {
	d, ok := c.openSearch().domains[name]
	if !ok {
		return nil, osConflict("ResourceNotFoundException", "Domain not found: %s", name)
	}
	return d, nil
}

func osCreateDomain(c *call) (any, error) {
	name, err := required(c.input, "DomainName", "ValidationException")
	if err != nil {
		return nil, err
	}
	if _, exists := c.openSearch().domains[name]; exists {
		return nil, osConflict("ResourceAlreadyExistsException", "domain %s already exists", name)
	}
	version := str(c.input, "EngineVersion")
	if version == "" {
		version = "OpenSearch_2.19"
	}
	d := &searchDomain{Name: name, EngineVersion: version, Created: c.now, indices: map[string]*searchIndex{}}
	d.status.set(c.now, "Creating", domainCreate, "Active")
	c.openSearch().domains[name] = d
	return map[string]any{"DomainStatus": c.domainValue(d)}, nil
}

// osUpdateDomainConfig takes any change and, as a blue/green deployment
// does, leaves the domain Modifying for a while; the sandbox keeps none of
// the settings but EngineVersion.
func osUpdateDomainConfig(c *call) (any, error) {
	d, err := c.searchDomain(str(c.input, "DomainName"))
	if err != nil {
		return nil, err
	}
	if st := d.status.state(c.now); st != "Active" {
		return nil, errorf("ValidationException", "domain %s is %s: wait until it is Active", d.Name, st)
	}
	d.status.set(c.now, "Modifying", domainUpdate, "Active")
	return map[string]any{"DomainConfig": map[string]any{
		"EngineVersion": map[string]any{"Options": d.EngineVersion, "Status": map[string]any{
			"CreationDate": d.Created, "UpdateDate": c.now, "UpdateVersion": 2, "State": "Processing"}},
	}}, nil
}

func (c *call) domainValue(d *searchDomain) map[string]any {
	status := d.status.state(c.now)
	if st := c.sb.faults.stuckState("es", c.region, d.Name); st != "" {
		status = st
	}
	v := map[string]any{"DomainName": d.Name, "DomainId": c.account() + "/" + d.Name,
		"ARN": arn("es", c.region, c.account(), "domain/"+d.Name), "EngineVersion": d.EngineVersion,
		"Created": true, "Deleted": status == "Deleting", "Processing": status != "Active", "UpgradeProcessing": status == "UpgradingEngineVersion",
		"DomainProcessingStatus": status,
		"ClusterConfig":          map[string]any{"InstanceType": "r6g.large.search", "InstanceCount": 3, "ZoneAwarenessEnabled": true}}
	// The endpoint exists once the domain is first up.
	if !c.now.Before(d.Created.Add(domainCreate)) {
		v["Endpoint"] = domainEndpoint(c.region, d.Name)
	}
	return v
}

// domainEndpoint is the host name of a domain's REST API, which the
// simulated internet serves (opensearch_endpoint.go).
func domainEndpoint(region, name string) string {
	id := strings.ToLower(resourceID("", region+name))[:26]
	return fmt.Sprintf("search-%s-%s.%s.es.amazonaws.com", name, id, region)
}

func osDescribeDomain(c *call) (any, error) {
	d, err := c.searchDomain(str(c.input, "DomainName"))
	if err != nil {
		return nil, err
	}
	return map[string]any{"DomainStatus": c.domainValue(d)}, nil
}

// osDescribeDomains lists the named domains that exist, as AWS does: a
// missing name is left out, not an error.
func osDescribeDomains(c *call) (any, error) {
	names := list(c.input, "DomainNames")
	if len(names) == 0 || len(names) > 5 {
		return nil, errorf("ValidationException", "DomainNames must name 1 to 5 domains")
	}
	items := []any{}
	for _, n := range names {
		if d, ok := c.openSearch().domains[fmt.Sprint(n)]; ok {
			items = append(items, c.domainValue(d))
		}
	}
	return map[string]any{"DomainStatusList": items}, nil
}

func osListDomainNames(c *call) (any, error) {
	engine := str(c.input, "engineType")
	items := []any{}
	domains := c.openSearch().domains
	for _, name := range sortedKeys(domains) {
		kind, _, _ := strings.Cut(domains[name].EngineVersion, "_") // OpenSearch_2.19, Elasticsearch_7.10
		if engine == "" || engine == kind {
			items = append(items, map[string]any{"DomainName": name, "EngineType": kind})
		}
	}
	return map[string]any{"DomainNames": items}, nil
}
