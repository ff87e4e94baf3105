package sandbox

import (
	"fmt"
	"strings"
	"time"
)

// ElastiCache durations in simulated time.
const (
	cacheGroupCreate    = 10 * time.Minute
	cacheGlobalCreate   = 2 * time.Minute
	cacheGlobalFailover = time.Minute // modifying, then the roles are swapped
)

// elastiCacheState is global: a global datastore spans Regions, and its
// members are replication groups of several Regions, so one store keeps
// both (groups keyed by Region and id).
type elastiCacheState struct {
	groups  map[string]*cacheGroup // "region/id"
	globals map[string]*cacheGlobal
}

type cacheGroup struct {
	ID, Region, Description, Global string
	Created                         time.Time
	status                          timeline
}

type cacheGlobal struct {
	ID, Description string
	members         []*cacheMember
	status          timeline
	// failover is the member becoming primary while the datastore is
	// modifying; the roles swap when it is over.
	failover *cacheMember
	until    time.Time
}

type cacheMember struct {
	Group, Region string
	Primary       bool
}

func (e *elastiCacheState) dump(now time.Time) any {
	globals := map[string]any{}
	for id, g := range e.globals {
		g.advance(now)
		primary := ""
		for _, m := range g.members {
			if m.Primary {
				primary = m.Region + "/" + m.Group
			}
		}
		globals[id] = map[string]any{"status": g.status.state(now), "primary": primary, "members": len(g.members)}
	}
	groups := map[string]any{}
	for key, rg := range e.groups {
		groups[key] = map[string]any{"status": rg.status.state(now), "global": rg.Global}
	}
	return map[string]any{"global_datastores": globals, "replication_groups": groups}
}

func (c *call) elastiCache() *elastiCacheState {
	return stateOf(c.sb, "elasticache", "global", func() *elastiCacheState {
		return &elastiCacheState{groups: map[string]*cacheGroup{}, globals: map[string]*cacheGlobal{}}
	})
}

func registerElastiCache(s *Sandbox) {
	s.addService(&service{name: "elasticache", protocol: queryProtocol{}, xmlns: "http://elasticache.amazonaws.com/doc/2015-02-02/",
		version: "2015-02-02", throttleCode: "Throttling"},
		&operation{name: "CreateReplicationGroup", mutating: true, handler: cacheCreateReplicationGroup},
		&operation{name: "DescribeReplicationGroups", handler: cacheDescribeReplicationGroups},
		&operation{name: "CreateGlobalReplicationGroup", mutating: true, handler: cacheCreateGlobal},
		&operation{name: "DescribeGlobalReplicationGroups", handler: cacheDescribeGlobals},
		&operation{name: "FailoverGlobalReplicationGroup", mutating: true, handler: cacheFailoverGlobal},
	)
}

// advance swaps the roles once a failover's minute is over.
func (g *cacheGlobal) advance(now time.Time) {
	if g.failover == nil || now.Before(g.until) {
		return
	}
	for _, m := range g.members {
		m.Primary = m == g.failover
	}
	g.failover = nil
}

// globalPrefix is the prefix ElastiCache puts before a global datastore's
// suffix, one per Region in AWS (ldgnf- in us-east-1); the sandbox makes
// a stable one from the Region.
func globalPrefix(region string) string {
	return strings.ToLower(resourceID("", region))[:5] + "-"
}

func cacheCreateReplicationGroup(c *call) (any, error) {
	id, err := required(c.input, "ReplicationGroupId", "InvalidParameterValue")
	if err != nil {
		return nil, err
	}
	e := c.elastiCache()
	key := c.region + "/" + id
	if _, exists := e.groups[key]; exists {
		return nil, errorf("ReplicationGroupAlreadyExists", "Replication group %s already exists.", id)
	}
	rg := &cacheGroup{ID: id, Region: c.region, Description: str(c.input, "ReplicationGroupDescription"), Created: c.now}
	if gid := str(c.input, "GlobalReplicationGroupId"); gid != "" {
		g, ok := e.globals[gid]
		if !ok {
			return nil, notFound("GlobalReplicationGroupNotFoundFault", "Global replication group %s not found.", gid)
		}
		for _, m := range g.members {
			if m.Region == c.region {
				return nil, errorf("InvalidParameterValue", "Global replication group %s already has a member in %s.", gid, c.region)
			}
		}
		rg.Global = gid
		g.members = append(g.members, &cacheMember{Group: id, Region: c.region})
	}
	rg.status.set(c.now, "creating", cacheGroupCreate, "available")
	e.groups[key] = rg
	return map[string]any{"ReplicationGroup": c.cacheGroupValue(rg)}, nil
}

func (c *call) cacheGroupValue(rg *cacheGroup) map[string]any {
	v := map[string]any{"ReplicationGroupId": rg.ID, "Description": rg.Description, "Status": rg.status.state(c.now),
		"ARN":            arn("elasticache", rg.Region, c.account(), "replicationgroup:"+rg.ID),
		"MemberClusters": named("ClusterId", []any{rg.ID + "-001"}), "AutomaticFailover": "enabled",
		"NodeGroups": named("NodeGroup", []any{map[string]any{"NodeGroupId": "0001", "Status": rg.status.state(c.now),
			"PrimaryEndpoint": map[string]any{"Address": fmt.Sprintf("master.%s.c0sbx0.%s.cache.amazonaws.com", rg.ID, rg.Region), "Port": 6379}}})}
	if g, ok := c.elastiCache().globals[rg.Global]; ok {
		g.advance(c.now)
		role := "secondary"
		for _, m := range g.members {
			if m.Region == rg.Region && m.Group == rg.ID && m.Primary {
				role = "primary"
			}
		}
		v["GlobalReplicationGroupInfo"] = map[string]any{"GlobalReplicationGroupId": g.ID, "GlobalReplicationGroupMemberRole": role}
	}
	return v
}

func cacheDescribeReplicationGroups(c *call) (any, error) {
	e := c.elastiCache()
	var items []any
	if id := str(c.input, "ReplicationGroupId"); id != "" {
		rg, ok := e.groups[c.region+"/"+id]
		if !ok {
			return nil, notFound("ReplicationGroupNotFoundFault", "Replication group %s not found.", id)
		}
		items = []any{c.cacheGroupValue(rg)}
	} else {
		for _, key := range sortedKeys(e.groups) {
			if rg := e.groups[key]; rg.Region == c.region {
				items = append(items, c.cacheGroupValue(rg))
			}
		}
	}
	return map[string]any{"ReplicationGroups": named("ReplicationGroup", items)}, nil
}

func cacheCreateGlobal(c *call) (any, error) {
	suffix, err := required(c.input, "GlobalReplicationGroupIdSuffix", "InvalidParameterValue")
	if err != nil {
		return nil, err
	}
	primary, err := required(c.input, "PrimaryReplicationGroupId", "InvalidParameterValue")
	if err != nil {
		return nil, err
	}
	e := c.elastiCache()
	rg, ok := e.groups[c.region+"/"+primary]
	if !ok {
		return nil, notFound("ReplicationGroupNotFoundFault", "Replication group %s not found.", primary)
	}
	if rg.Global != "" {
		return nil, errorf("InvalidReplicationGroupState", "Replication group %s is already a member of %s.", primary, rg.Global)
	}
	id := c.idOr(globalPrefix(c.region) + suffix)
	if _, exists := e.globals[id]; exists {
		return nil, errorf("GlobalReplicationGroupAlreadyExistsFault", "Global replication group %s already exists.", id)
	}
	g := &cacheGlobal{ID: id, Description: str(c.input, "GlobalReplicationGroupDescription"),
		members: []*cacheMember{{Group: primary, Region: c.region, Primary: true}}}
	g.status.set(c.now, "creating", cacheGlobalCreate, "available")
	rg.Global = id
	e.globals[id] = g
	return map[string]any{"GlobalReplicationGroup": c.cacheGlobalValue(g, true)}, nil
}

// cacheGlobalValue is a global datastore as Describe shows it; its members
// only when asked for (ShowMemberInfo), as in AWS.
func (c *call) cacheGlobalValue(g *cacheGlobal, members bool) map[string]any {
	g.advance(c.now)
	status := g.status.state(c.now)
	if g.failover != nil {
		status = "modifying"
	}
	v := map[string]any{"GlobalReplicationGroupId": g.ID, "GlobalReplicationGroupDescription": g.Description,
		"Status": status, "Engine": "redis", "EngineVersion": "7.1", "CacheNodeType": "cache.r7g.large", "ClusterEnabled": false,
		"ARN": fmt.Sprintf("arn:aws:elasticache::%s:globalreplicationgroup:%s", c.account(), g.ID)}
	if !members {
		return v
	}
	items := make([]any, len(g.members))
	for i, m := range g.members {
		role, state := "SECONDARY", "associated"
		if m.Primary {
			role = "PRIMARY"
		}
		// A member whose Region is out is still listed, but no longer in
		// touch with the others.
		if c.sb.faults.downFor(m.Region, "elasticache") {
			state = "unavailable"
		}
		items[i] = map[string]any{"ReplicationGroupId": m.Group, "ReplicationGroupRegion": m.Region, "Role": role,
			"AutomaticFailover": "enabled", "Status": state}
	}
	v["Members"] = named("GlobalReplicationGroupMember", items)
	return v
}

func cacheDescribeGlobals(c *call) (any, error) {
	e := c.elastiCache()
	show, _ := boolean(c.input, "ShowMemberInfo")
	var items []any
	if id := str(c.input, "GlobalReplicationGroupId"); id != "" {
		g, ok := e.globals[id]
		if !ok {
			return nil, notFound("GlobalReplicationGroupNotFoundFault", "Global replication group %s not found.", id)
		}
		items = []any{c.cacheGlobalValue(g, show)}
	} else {
		for _, id := range sortedKeys(e.globals) {
			items = append(items, c.cacheGlobalValue(e.globals[id], show))
		}
	}
	return map[string]any{"GlobalReplicationGroups": named("GlobalReplicationGroup", items)}, nil
}

// cacheFailoverGlobal promotes a secondary member to primary. AWS does it
// with the primary's Region out (that is what it is for), so the sandbox
// does not ask the old primary's Region.
func cacheFailoverGlobal(c *call) (any, error) {
	var in [3]string
	for i, k := range []string{"GlobalReplicationGroupId", "PrimaryRegion", "PrimaryReplicationGroupId"} {
		v, err := required(c.input, k, "InvalidParameterValue")
		if err != nil {
			return nil, err
		}
		in[i] = v
	}
	id, region, group := in[0], in[1], in[2]
	g, ok := c.elastiCache().globals[id]
	if !ok {
		return nil, notFound("GlobalReplicationGroupNotFoundFault", "Global replication group %s not found.", id)
	}
	g.advance(c.now)
	if st := g.status.state(c.now); g.failover != nil || st != "available" {
		if g.failover != nil {
			st = "modifying"
		}
		return nil, errorf("InvalidGlobalReplicationGroupState", "Global replication group %s is %s, not available.", id, st)
	}
	var to *cacheMember
	for _, m := range g.members {
		if m.Region == region && m.Group == group {
			to = m
		}
	}
	switch {
	case to == nil:
		return nil, errorf("InvalidParameterValue", "Replication group %s in %s is not a member of global replication group %s.", group, region, id)
	case to.Primary:
		return nil, errorf("InvalidParameterValue", "Replication group %s in %s is already the primary of %s.", group, region, id)
	}
	g.failover, g.until = to, c.now.Add(cacheGlobalFailover)
	return map[string]any{"GlobalReplicationGroup": c.cacheGlobalValue(g, false)}, nil
}
