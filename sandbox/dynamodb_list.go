package sandbox

import (
	"slices"
	"time"
)

// ListTables, and the global tables of version 2017.11.29: a global
// table joins same-named tables in several Regions (CreateGlobalTable),
// which DescribeGlobalTable and ListGlobalTables answer.

type dynamoGlobals struct {
	byName map[string]*dynamoGlobal
}

type dynamoGlobal struct {
	Name    string
	Regions []string
	Created time.Time
}

func (g *dynamoGlobals) dump(time.Time) any {
	out := map[string]any{}
	for name, gt := range g.byName {
		out[name] = gt.Regions
	}
	return out
}

func (c *call) dynamoGlobals() *dynamoGlobals {
	return stateOf(c.sb, "dynamodb-global", "global", func() *dynamoGlobals { return &dynamoGlobals{byName: map[string]*dynamoGlobal{}} })
}

// dynamoListTables lists the Region's table names in order, Limit (1 to
// 100) at a time after ExclusiveStartTableName.
func dynamoListTables(c *call) (any, error) {
	limit, set, err := integer(c.input, "Limit")
	if err != nil {
		return nil, err
	}
	if !set {
		limit = 100
	}
	if limit < 1 || limit > 100 {
		return nil, errorf("ValidationException", "Limit must be from 1 to 100")
	}
	after := str(c.input, "ExclusiveStartTableName")
	names := []any{}
	last := ""
	all := sortedKeys(c.dynamo(c.region).tables)
	for i, name := range all {
		if name <= after {
			continue
		}
		names = append(names, name)
		if int64(len(names)) == limit {
			if i < len(all)-1 {
				last = name
			}
			break
		}
	}
	out := map[string]any{"TableNames": names}
	if last != "" {
		out["LastEvaluatedTableName"] = last
	}
	return out, nil
}

func (c *call) globalTableValue(g *dynamoGlobal) map[string]any {
	group := make([]any, len(g.Regions))
	for i, r := range g.Regions {
		group[i] = map[string]any{"RegionName": r, "ReplicaStatus": "ACTIVE"}
	}
	return map[string]any{"GlobalTableName": g.Name, "GlobalTableStatus": "ACTIVE", "CreationDateTime": g.Created,
		"GlobalTableArn": arn("dynamodb", "", c.account(), "global-table/"+g.Name), "ReplicationGroup": group}
}

// dynamoCreateGlobalTable joins the tables named GlobalTableName in the
// Regions ReplicationGroup lists; each must exist and be empty, as
// DynamoDB requires.
func dynamoCreateGlobalTable(c *call) (any, error) {
	name, err := required(c.input, "GlobalTableName", "ValidationException")
	if err != nil {
		return nil, err
	}
	gs := c.dynamoGlobals()
	if _, exists := gs.byName[name]; exists {
		return nil, errorf("GlobalTableAlreadyExistsException", "Global table already exists: %s", name)
	}
	g := &dynamoGlobal{Name: name, Created: c.now}
	for _, m := range list(c.input, "ReplicationGroup") {
		replica, _ := m.(map[string]any)
		region := str(replica, "RegionName")
		if region == "" || slices.Contains(g.Regions, region) {
			return nil, errorf("ValidationException", "ReplicationGroup lists each Region once, by RegionName")
		}
		t, ok := c.dynamo(region).tables[name]
		if !ok {
			return nil, errorf("TableNotFoundException", "Table not found: %s in %s: create it in every Region of the group first", name, region)
		}
		if t.liveCount(c.now) > 0 {
			return nil, errorf("ValidationException", "Table %s in %s is not empty: a global table of version 2017.11.29 starts from empty tables", name, region)
		}
		g.Regions = append(g.Regions, region)
	}
	if len(g.Regions) == 0 {
		return nil, errorf("ValidationException", "ReplicationGroup must list at least one Region")
	}
	slices.Sort(g.Regions)
	gs.byName[name] = g
	return map[string]any{"GlobalTableDescription": c.globalTableValue(g)}, nil
}

func dynamoDescribeGlobalTable(c *call) (any, error) {
	name, err := required(c.input, "GlobalTableName", "ValidationException")
	if err != nil {
		return nil, err
	}
	g, ok := c.dynamoGlobals().byName[name]
	if !ok {
		return nil, errorf("GlobalTableNotFoundException", "Global table not found: %s", name)
	}
	return map[string]any{"GlobalTableDescription": c.globalTableValue(g)}, nil
}

func dynamoListGlobalTables(c *call) (any, error) {
	region := str(c.input, "RegionName")
	items := []any{}
	gs := c.dynamoGlobals()
	for _, name := range sortedKeys(gs.byName) {
		g := gs.byName[name]
		if region != "" && !slices.Contains(g.Regions, region) {
			continue
		}
		group := make([]any, len(g.Regions))
		for i, r := range g.Regions {
			group[i] = map[string]any{"RegionName": r}
		}
		items = append(items, map[string]any{"GlobalTableName": name, "ReplicationGroup": group})
	}
	return map[string]any{"GlobalTables": items}, nil
}
