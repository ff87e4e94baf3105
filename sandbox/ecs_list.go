package sandbox

// ListClusters, DescribeClusters and ListServices: what a person runs to
// find the clusters and services of a Region.

// ecsPage answers one page of ARNs under key, with ECS's maxResults (1 to
// 100) and nextToken.
func ecsPage(c *call, key string, items []any) (any, error) {
	return listPage(key, "nextToken", c.input, "maxResults", "nextToken", items, pageLimits{def: 100, min: 1, max: 100, code: "InvalidParameterException"})
}

func ecsListClusters(c *call) (any, error) {
	r := c.ecs()
	items := []any{}
	for _, name := range sortedKeys(r.clusters) {
		items = append(items, arn("ecs", c.region, c.account(), "cluster/"+name))
	}
	return ecsPage(c, "clusterArns", items)
}

// ecsDescribeClusters describes the clusters named (the default cluster
// when none is); a cluster that does not exist is a failure, not an error.
func ecsDescribeClusters(c *call) (any, error) {
	refs := list(c.input, "clusters")
	if len(refs) > 100 {
		return nil, errorf("InvalidParameterException", "clusters must name at most 100 clusters.")
	}
	if len(refs) == 0 {
		refs = []any{"default"}
	}
	r := c.ecs()
	clusters, failures := []any{}, []any{}
	for _, ref := range refs {
		name, _ := ref.(string)
		if cl, ok := r.clusters[ecsName(name)]; ok {
			clusters = append(clusters, c.ecsClusterValue(cl))
			continue
		}
		failures = append(failures, map[string]any{"reason": "MISSING", "arn": arn("ecs", c.region, c.account(), "cluster/"+ecsName(name))})
	}
	return map[string]any{"clusters": clusters, "failures": failures}, nil
}

// ecsListServices lists a cluster's services in creation order, of one
// launch type when launchType is given.
func ecsListServices(c *call) (any, error) {
	cl, err := c.ecsCluster()
	if err != nil {
		return nil, err
	}
	launch := str(c.input, "launchType")
	items := []any{}
	for _, name := range cl.order {
		s, ok := cl.services[name]
		if !ok || launch != "" && s.LaunchType != launch {
			continue
		}
		items = append(items, arn("ecs", c.region, c.account(), "service/"+cl.Name+"/"+name))
	}
	return ecsPage(c, "serviceArns", items)
}
