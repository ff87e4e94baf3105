package sandbox

import (
	"fmt"
	"strings"
	"time"
)

// Aurora durations in simulated time.
const (
	rdsClusterCreate  = 10 * time.Minute
	rdsGlobalFailover = 2 * time.Minute // the writer moves to the target
)

// dbCluster is an Aurora DB cluster, a member of at most one global
// cluster.
type dbCluster struct {
	ID, Engine, Global string
	Created            time.Time
	status             timeline
}

// rdsGlobalState is global: a global database spans Regions.
type rdsGlobalState struct {
	clusters map[string]*globalCluster
}

type globalCluster struct {
	ID, Engine string
	members    []*globalMember
	failover   *globalFailover
}

type globalMember struct {
	ARN, Region, Cluster string
	Writer               bool
}

type globalFailover struct {
	From, To string // cluster ARNs
	DataLoss bool
	Started  time.Time
}

func (g *rdsGlobalState) dump(now time.Time) any {
	out := map[string]any{}
	for id, gc := range g.clusters {
		writer := ""
		for _, m := range gc.members {
			if m.Writer {
				writer = m.ARN
			}
		}
		out[id] = map[string]any{"writer": writer, "members": len(gc.members), "failing_over": gc.failover != nil}
	}
	return map[string]any{"global_clusters": out}
}

func (c *call) rdsGlobal() *rdsGlobalState {
	return stateOf(c.sb, "rds-global", "global", func() *rdsGlobalState { return &rdsGlobalState{clusters: map[string]*globalCluster{}} })
}

// advance completes a failover whose time has come: the writer moves.
func (gc *globalCluster) advance(now time.Time) {
	f := gc.failover
	if f == nil || now.Before(f.Started.Add(rdsGlobalFailover)) {
		return
	}
	for _, m := range gc.members {
		m.Writer = m.ARN == f.To
	}
	gc.failover = nil
}

func clusterARN(region, account, id string) string { return arn("rds", region, account, "cluster:"+id) }

func (c *call) clusters() map[string]*dbCluster {
	r := c.rds()
	if r.clusters == nil {
		r.clusters = map[string]*dbCluster{}
	}
	return r.clusters
}

func rdsCreateDBCluster(c *call) (any, error) {
	id, err := required(c.input, "DBClusterIdentifier", "InvalidParameterValue")
	if err != nil {
		return nil, err
	}
	engine, err := required(c.input, "Engine", "InvalidParameterValue")
	if err != nil {
		return nil, err
	}
	if _, exists := c.clusters()[id]; exists {
		return nil, errorf("DBClusterAlreadyExistsFault", "DB cluster %s already exists", id)
	}
	cl := &dbCluster{ID: id, Engine: engine, Created: c.now, Global: str(c.input, "GlobalClusterIdentifier")}
	if cl.Global != "" {
		gc, ok := c.rdsGlobal().clusters[cl.Global]
		if !ok {
			return nil, notFound("GlobalClusterNotFoundFault", "Global cluster %s not found", cl.Global)
		}
		gc.members = append(gc.members, &globalMember{ARN: clusterARN(c.region, c.account(), id), Region: c.region,
			Cluster: id, Writer: len(gc.members) == 0})
	}
	cl.status.set(c.now, "creating", rdsClusterCreate, "available")
	c.clusters()[id] = cl
	return map[string]any{"DBCluster": c.clusterValue(cl)}, nil
}

func (c *call) clusterValue(cl *dbCluster) map[string]any {
	v := map[string]any{"DBClusterIdentifier": cl.ID, "DBClusterArn": clusterARN(c.region, c.account(), cl.ID),
		"Engine": cl.Engine, "Status": cl.status.state(c.now), "ClusterCreateTime": cl.Created, "MultiAZ": true,
		"Endpoint":       fmt.Sprintf("%s.cluster-c0sandbox0.%s.rds.amazonaws.com", cl.ID, c.region),
		"ReaderEndpoint": fmt.Sprintf("%s.cluster-ro-c0sandbox0.%s.rds.amazonaws.com", cl.ID, c.region), "Port": 5432}
	if cl.Global != "" {
		v["GlobalClusterIdentifier"] = cl.Global
	}
	return v
}

func rdsDescribeDBClusters(c *call) (any, error) {
	cls := c.clusters()
	var items []any
	if id := str(c.input, "DBClusterIdentifier"); id != "" {
		if strings.HasPrefix(id, "arn:") {
			id = id[strings.LastIndex(id, ":")+1:]
		}
		cl, ok := cls[id]
		if !ok {
			return nil, notFound("DBClusterNotFoundFault", "DBCluster %s not found.", id)
		}
		items = []any{c.clusterValue(cl)}
	} else {
		for _, id := range sortedKeys(cls) {
			items = append(items, c.clusterValue(cls[id]))
		}
	}
	return map[string]any{"DBClusters": named("DBCluster", items)}, nil
}

func rdsCreateGlobalCluster(c *call) (any, error) {
	id, err := required(c.input, "GlobalClusterIdentifier", "InvalidParameterValue")
	if err != nil {
		return nil, err
	}
	g := c.rdsGlobal()
	if _, exists := g.clusters[id]; exists {
		return nil, errorf("GlobalClusterAlreadyExistsFault", "Global cluster %s already exists", id)
	}
	gc := &globalCluster{ID: id, Engine: str(c.input, "Engine")}
	if src := str(c.input, "SourceDBClusterIdentifier"); src != "" {
		region, name := c.region, src
		if strings.HasPrefix(src, "arn:") {
			region, name = arnRegion(src), src[strings.LastIndex(src, ":")+1:]
		}
		primary := rdsRegionOf(c.sb, region, c.now)
		cl, ok := primary.clusters[name]
		if !ok {
			return nil, notFound("DBClusterNotFoundFault", "DBCluster %s not found.", src)
		}
		cl.Global, gc.Engine = id, cl.Engine
		gc.members = []*globalMember{{ARN: clusterARN(region, c.account(), name), Region: region, Cluster: name, Writer: true}}
	}
	if gc.Engine == "" {
		return nil, errorf("InvalidParameterValue", "give Engine or SourceDBClusterIdentifier")
	}
	g.clusters[id] = gc
	return map[string]any{"GlobalCluster": c.globalValue(gc)}, nil
}

func (c *call) globalValue(gc *globalCluster) map[string]any {
	gc.advance(c.now)
	members := make([]any, len(gc.members))
	for i, m := range gc.members {
		sync := "connected"
		if c.sb.faults.downFor(m.Region, "rds") {
			sync = "pending-resync"
		}
		var readers []any
		if m.Writer {
			for _, o := range gc.members {
				if !o.Writer {
					readers = append(readers, o.ARN)
				}
			}
		}
		members[i] = map[string]any{"DBClusterArn": m.ARN, "IsWriter": m.Writer, "SynchronizationStatus": sync,
			"Readers": named("member", readers)}
	}
	v := map[string]any{"GlobalClusterIdentifier": gc.ID, "GlobalClusterArn": "arn:aws:rds::" + c.account() + ":global-cluster:" + gc.ID,
		// The global writer endpoint follows the writer across failovers.
		"Endpoint":                fmt.Sprintf("%s.global-%s.global.rds.amazonaws.com", gc.ID, strings.ToLower(resourceID("", gc.ID))[:10]),
		"GlobalClusterResourceId": resourceID("cluster-", gc.ID), "Engine": gc.Engine, "Status": "available",
		"GlobalClusterMembers": named("GlobalClusterMember", members)}
	if f := gc.failover; f != nil {
		v["Status"] = "failing-over"
		v["FailoverState"] = map[string]any{"Status": "failing-over", "FromDbClusterArn": f.From, "ToDbClusterArn": f.To, "IsDataLossAllowed": f.DataLoss}
	}
	return v
}

func rdsDescribeGlobalClusters(c *call) (any, error) {
	g := c.rdsGlobal()
	var items []any
	if id := str(c.input, "GlobalClusterIdentifier"); id != "" {
		gc, ok := g.clusters[id]
		if !ok {
			return nil, notFound("GlobalClusterNotFoundFault", "Global cluster %s not found", id)
		}
		items = []any{c.globalValue(gc)}
	} else {
		for _, id := range sortedKeys(g.clusters) {
			items = append(items, c.globalValue(g.clusters[id]))
		}
	}
	return map[string]any{"GlobalClusters": named("GlobalClusterMember", items)}, nil
}

// rdsFailoverGlobalCluster moves the writer to a secondary. A switchover
// (the default) needs the writer's Region: with it out, only a failover
// that allows data loss works — the choice a runbook must make.
func rdsFailoverGlobalCluster(c *call) (any, error) {
	id, err := required(c.input, "GlobalClusterIdentifier", "InvalidParameterValue")
	if err != nil {
		return nil, err
	}
	target, err := required(c.input, "TargetDbClusterIdentifier", "InvalidParameterValue")
	if err != nil {
		return nil, err
	}
	gc, ok := c.rdsGlobal().clusters[id]
	if !ok {
		return nil, notFound("GlobalClusterNotFoundFault", "Global cluster %s not found", id)
	}
	gc.advance(c.now)
	dataLoss, _ := boolean(c.input, "AllowDataLoss")
	switchover, _ := boolean(c.input, "Switchover")
	var from, to *globalMember
	for _, m := range gc.members {
		if m.Writer {
			from = m
		}
		if m.ARN == target || m.Cluster == target {
			to = m
		}
	}
	switch {
	case dataLoss && switchover:
		return nil, errorf("InvalidParameterCombination", "AllowDataLoss and Switchover cannot both be set")
	case gc.failover != nil:
		return nil, errorf("InvalidGlobalClusterStateFault", "Global cluster %s is already failing over", id)
	case to == nil:
		return nil, errorf("InvalidGlobalClusterStateFault", "%s is not a member of global cluster %s", target, id)
	case to.Writer:
		return nil, errorf("InvalidGlobalClusterStateFault", "%s is already the writer of global cluster %s", target, id)
	case !dataLoss && from != nil && c.sb.faults.downFor(from.Region, "rds"):
		return nil, errorf("InvalidGlobalClusterStateFault",
			"a switchover needs the writer's Region %s, which is unavailable: fail over with AllowDataLoss", from.Region)
	}
	f := &globalFailover{To: to.ARN, DataLoss: dataLoss, Started: c.now}
	if from != nil {
		f.From = from.ARN
	}
	gc.failover = f
	return map[string]any{"GlobalCluster": c.globalValue(gc)}, nil
}
