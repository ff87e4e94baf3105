package sandbox

import (
	"fmt"
	"strings"
	"time"
)

// DynamoDB durations in simulated time.
const (
	dynamoCreate  = 20 * time.Second
	dynamoRestore = 20 * time.Minute
	// dynamoPITRWindow is how far back point-in-time recovery reaches.
	dynamoPITRWindow = 35 * 24 * time.Hour
)

type dynamoRegion struct {
	tables map[string]*table
}

type table struct {
	Name      string
	Created   time.Time
	KeySchema []any
	Attrs     []any
	Billing   string
	PITR      bool
	PITRSince time.Time
	Restore   map[string]any // RestoreSummary, for restored tables
	status    timeline
	ttlAttr   string
	ttl       timeline                  // DISABLED, ENABLING → ENABLED, DISABLING → DISABLED
	items     map[string]map[string]any // by itemKey
}

func (r *dynamoRegion) dump(now time.Time) any {
	out := map[string]any{}
	for name, t := range r.tables {
		out[name] = map[string]any{"status": t.status.state(now), "pitr": t.PITR}
	}
	return map[string]any{"tables": out}
}

func (c *call) dynamo(region string) *dynamoRegion {
	return stateOf(c.sb, "dynamodb", region, func() *dynamoRegion { return &dynamoRegion{tables: map[string]*table{}} })
}

func registerDynamoDB(s *Sandbox) {
	s.addService(&service{name: "dynamodb", protocol: jsonProtocol{version: "1.0"}, target: "DynamoDB_20120810",
		throttleCode: "ThrottlingException"},
		&operation{name: "CreateTable", mutating: true, handler: dynamoCreateTable},
		&operation{name: "DescribeTable", handler: dynamoDescribeTable},
		&operation{name: "ListTables", handler: dynamoListTables},
		&operation{name: "CreateGlobalTable", mutating: true, handler: dynamoCreateGlobalTable},
		&operation{name: "DescribeGlobalTable", handler: dynamoDescribeGlobalTable},
		&operation{name: "ListGlobalTables", handler: dynamoListGlobalTables},
		&operation{name: "UpdateContinuousBackups", mutating: true, handler: dynamoUpdateContinuousBackups},
		&operation{name: "DescribeContinuousBackups", handler: dynamoDescribeContinuousBackups},
		&operation{name: "RestoreTableToPointInTime", mutating: true, handler: dynamoRestoreToPointInTime},
		&operation{name: "UpdateTimeToLive", mutating: true, handler: dynamoUpdateTimeToLive},
		&operation{name: "DescribeTimeToLive", handler: dynamoDescribeTimeToLive},
		&operation{name: "PutItem", mutating: true, handler: dynamoPutItem},
		&operation{name: "GetItem", handler: dynamoGetItem},
		&operation{name: "UpdateItem", mutating: true, handler: dynamoUpdateItem},
		&operation{name: "DeleteItem", mutating: true, handler: dynamoDeleteItem},
		&operation{name: "Query", handler: dynamoQuery},
		&operation{name: "Scan", handler: dynamoScan},
	)
}

func (c *call) tableValue(region string, t *table) map[string]any {
	status := t.status.state(c.now)
	if st := c.sb.faults.stuckState("dynamodb", region, t.Name); st != "" {
		status = st
	}
	v := map[string]any{
		"TableName":            t.Name,
		"TableStatus":          status,
		"TableArn":             arn("dynamodb", region, c.account(), "table/"+t.Name),
		"TableId":              resourceID("", region+t.Name),
		"KeySchema":            t.KeySchema,
		"AttributeDefinitions": t.Attrs,
		"CreationDateTime":     t.Created,
		"ItemCount":            t.liveCount(c.now),
		"TableSizeBytes":       0,
		"BillingModeSummary":   map[string]any{"BillingMode": t.Billing},
	}
	if t.Restore != nil {
		summary := map[string]any{}
		for k, e := range t.Restore {
			summary[k] = e
		}
		summary["RestoreInProgress"] = status == "CREATING"
		v["RestoreSummary"] = summary
	}
	return v
}

func dynamoCreateTable(c *call) (any, error) {
	name, err := required(c.input, "TableName", "ValidationException")
	if err != nil {
		return nil, err
	}
	keys, attrs := list(c.input, "KeySchema"), list(c.input, "AttributeDefinitions")
	if len(keys) == 0 || len(attrs) == 0 {
		return nil, errorf("ValidationException", "KeySchema and AttributeDefinitions are required")
	}
	r := c.dynamo(c.region)
	if _, exists := r.tables[name]; exists {
		return nil, errorf("ResourceInUseException", "Table already exists: %s", name)
	}
	billing := str(c.input, "BillingMode")
	if billing == "" {
		billing = "PROVISIONED"
	}
	t := &table{Name: name, Created: c.now, KeySchema: keys, Attrs: attrs, Billing: billing}
	t.status.set(c.now, "CREATING", dynamoCreate, "ACTIVE")
	r.tables[name] = t
	return map[string]any{"TableDescription": c.tableValue(c.region, t)}, nil
}

func (c *call) findTable(code string) (*table, *awsError) {
	name, err := required(c.input, "TableName", "ValidationException")
	if err != nil {
		return nil, err
	}
	t, ok := c.dynamo(c.region).tables[name]
	if !ok {
		if code == "ResourceNotFoundException" {
			return nil, errorf(code, "Requested resource not found: Table: %s not found", name)
		}
		return nil, errorf(code, "Table not found: %s", name)
	}
	return t, nil
}

func dynamoDescribeTable(c *call) (any, error) {
	t, err := c.findTable("ResourceNotFoundException")
	if err != nil {
		return nil, err
	}
	return map[string]any{"Table": c.tableValue(c.region, t)}, nil
}

func (c *call) continuousBackups(t *table) map[string]any {
	pitr := map[string]any{"PointInTimeRecoveryStatus": "DISABLED"}
	if t.PITR {
		pitr = map[string]any{
			"PointInTimeRecoveryStatus":  "ENABLED",
			"EarliestRestorableDateTime": maxTime(t.PITRSince, c.now.Add(-dynamoPITRWindow)),
			"LatestRestorableDateTime":   c.now.Add(-5 * time.Minute),
		}
	}
	return map[string]any{"ContinuousBackupsDescription": map[string]any{
		"ContinuousBackupsStatus": "ENABLED", "PointInTimeRecoveryDescription": pitr,
	}}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func dynamoUpdateContinuousBackups(c *call) (any, error) {
	t, err := c.findTable("TableNotFoundException")
	if err != nil {
		return nil, err
	}
	enabled, ok := boolean(obj(c.input, "PointInTimeRecoverySpecification"), "PointInTimeRecoveryEnabled")
	if !ok {
		return nil, errorf("ValidationException", "PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled is required")
	}
	if enabled && !t.PITR {
		t.PITRSince = c.now
	}
	t.PITR = enabled
	return c.continuousBackups(t), nil
}

func dynamoDescribeContinuousBackups(c *call) (any, error) {
	t, err := c.findTable("TableNotFoundException")
	if err != nil {
		return nil, err
	}
	return c.continuousBackups(t), nil
}

// dynamoRestoreToPointInTime restores into the call's Region from a table
// named by SourceTableName (same Region) or SourceTableArn (any Region:
// cross-Region restore, which needs the source Region's backups).
func dynamoRestoreToPointInTime(c *call) (any, error) {
	target, err := required(c.input, "TargetTableName", "ValidationException")
	if err != nil {
		return nil, err
	}
	srcRegion, srcName := c.region, str(c.input, "SourceTableName")
	if a := str(c.input, "SourceTableArn"); a != "" {
		srcRegion, srcName = arnRegion(a), a[strings.LastIndex(a, "/")+1:]
	}
	if srcName == "" {
		return nil, errorf("ValidationException", "SourceTableName or SourceTableArn is required")
	}
	if srcRegion != c.region && c.sb.faults.downFor(srcRegion, "dynamodb") {
		return nil, &awsError{Code: "InternalServerError", Message: fmt.Sprintf("cannot read the backups of %s: %s is unavailable", srcName, srcRegion), Status: 500}
	}
	src, ok := c.dynamo(srcRegion).tables[srcName]
	if !ok {
		return nil, errorf("TableNotFoundException", "Table not found: %s", srcName)
	}
	if !src.PITR {
		return nil, errorf("PointInTimeRecoveryUnavailableException", "Point in time recovery is not enabled for table '%s'", srcName)
	}
	r := c.dynamo(c.region)
	if _, exists := r.tables[target]; exists {
		return nil, errorf("TableAlreadyExistsException", "Table already exists: %s", target)
	}
	at := c.now.Add(-5 * time.Minute)
	if use, _ := boolean(c.input, "UseLatestRestorableTime"); !use {
		if ts, ok := c.input["RestoreDateTime"].(float64); ok {
			at = time.UnixMilli(int64(ts * 1000)).UTC()
		}
		if at.Before(src.PITRSince) || at.After(c.now) {
			return nil, errorf("InvalidRestoreTimeException", "RestoreDateTime is outside the restorable window")
		}
	}
	t := &table{Name: target, Created: c.now, KeySchema: src.KeySchema, Attrs: src.Attrs, Billing: src.Billing,
		Restore: map[string]any{"SourceTableArn": arn("dynamodb", srcRegion, c.account(), "table/"+srcName), "RestoreDateTime": at}}
	t.status.set(c.now, "CREATING", dynamoRestore, "ACTIVE")
	r.tables[target] = t
	return map[string]any{"TableDescription": c.tableValue(c.region, t)}, nil
}
