package steps

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drpilot/drpilot/sandbox"
)

// dynamoScenario has, in the primary Region us-east-1, the table
// shop-carts with point-in-time recovery on for 200 days and the table
// sessions without it; and in the recovery Region us-west-2 the table
// shop-carts-standby.
const dynamoScenario = `
account = "123456789012"

[[create]]
service   = "dynamodb"
region    = "us-east-1"
operation = "CreateTable"
ago       = "9600h"
input     = { TableName = "shop-carts", KeySchema = [{ AttributeName = "cart_id", KeyType = "HASH" }], AttributeDefinitions = [{ AttributeName = "cart_id", AttributeType = "S" }], BillingMode = "PAY_PER_REQUEST" }

[[create]]
service   = "dynamodb"
region    = "us-east-1"
operation = "UpdateContinuousBackups"
ago       = "4800h"
input     = { TableName = "shop-carts", PointInTimeRecoverySpecification = { PointInTimeRecoveryEnabled = true } }

[[create]]
service   = "dynamodb"
region    = "us-east-1"
operation = "CreateTable"
ago       = "9600h"
input     = { TableName = "sessions", KeySchema = [{ AttributeName = "id", KeyType = "HASH" }], AttributeDefinitions = [{ AttributeName = "id", AttributeType = "S" }] }

[[create]]
service   = "dynamodb"
region    = "us-west-2"
operation = "CreateTable"
ago       = "2880h"
input     = { TableName = "shop-carts-standby", KeySchema = [{ AttributeName = "cart_id", KeyType = "HASH" }], AttributeDefinitions = [{ AttributeName = "cart_id", AttributeType = "S" }] }
`

// cartsRestore restores us-east-1's shop-carts into us-west-2's
// shop-carts-dr; with replaces its source and time lines.
func cartsRestore(with string) string {
	return fmt.Sprintf(`
[[steps]]
id     = "restore-carts"
phase  = "restore"
title  = "Restore the carts"
action = "dynamodb.restore-to-point-in-time"
doc    = "Cross-Region point-in-time restore."
[steps.with]
target_table_name     = "shop-carts-dr"
billing_mode_override = "PAY_PER_REQUEST"
%s
[steps.outputs]
arn    = "TableDescription.TableArn"
name   = "TableDescription.TableName"
status = "TableDescription.TableStatus"
`, with)
}

const cartsByARN = `source_table_arn = "arn:aws:dynamodb:us-east-1:123456789012:table/shop-carts"` + "\nuse_latest_restorable_time = true"

func TestDynamoDBRestoreToPointInTime(t *testing.T) {
	t.Parallel()
	src := restoreRunbook("us-east-1", "us-west-2", "15m", cartsRestore(cartsByARN))
	tr := startRun(t, src, dynamoScenario, runOptions{})
	out := stepOutputs(t, tr, "restore-carts")
	if out["arn"] != "arn:aws:dynamodb:us-west-2:123456789012:table/shop-carts-dr" || out["status"] != "ACTIVE" {
		t.Errorf("outputs %v", out)
	}
	// The check reads the source in its own Region; the restore and the
	// wait happen in the step's.
	if n := countRequests(tr, "DescribeContinuousBackups", "us-east-1"); n != 1 {
		t.Errorf("%d DescribeContinuousBackups requests to us-east-1, want 1", n)
	}
	if n := countRequests(tr, "RestoreTableToPointInTime", "us-west-2"); n != 1 {
		t.Errorf("%d RestoreTableToPointInTime requests to us-west-2, want 1", n)
	}
	if !hasNote(tr, "restore-carts", "to its latest restorable time") {
		t.Errorf("notes %v", stepNotes(tr, "restore-carts"))
	}
	tr.verify()

	again := startRun(t, src, "", runOptions{on: tr})
	stepOutputs(t, again, "restore-carts")
	if n := countRequests(again, "RestoreTableToPointInTime", ""); n != 1 || !hasNote(again, "restore-carts", "already exists") {
		t.Errorf("second run: %d restores in all, notes %v", n, stepNotes(again, "restore-carts"))
	}

	dry := startRun(t, src, dynamoScenario, runOptions{mode: ModeDryRun})
	if n := len(dry.mutatingRequests()); n != 0 {
		t.Errorf("dry-run sent %d mutating requests", n)
	}
	if out := stepOutputs(t, dry, "restore-carts"); out["name"] != "shop-carts-dr" || out["arn"] != "<simulated: steps.restore-carts.arn>" {
		t.Errorf("dry-run outputs %v", out)
	}
	dry.verify()
}

func TestDynamoDBRestoreToPointInTimeRefuses(t *testing.T) {
	t.Parallel()
	outage := dynamoScenario + "\n[[faults]]\noutage = { region = \"us-east-1\" }\n"
	for _, tc := range []struct {
		name, with, scenario, want string
	}{
		{"the source's Region is down", cartsByARN, outage,
			"a cross-Region restore reads the source's backups, so DynamoDB in us-east-1 must answer"},
		{"a source without point-in-time recovery",
			strings.Replace(cartsByARN, "table/shop-carts", "table/sessions", 1), dynamoScenario,
			"point-in-time recovery of table sessions in us-east-1 is DISABLED"},
		{"a source that does not exist",
			strings.Replace(cartsByARN, "table/shop-carts", "table/orders", 1), dynamoScenario,
			"source table orders does not exist in us-east-1"},
		{"a moment before the restorable window",
			`source_table_arn = "arn:aws:dynamodb:us-east-1:123456789012:table/shop-carts"` + "\nrestore_date_time = \"2020-01-01T00:00:00Z\"", dynamoScenario,
			"restore_date_time 2020-01-01T00:00:00Z is outside the restorable window of table shop-carts in us-east-1"},
		{"a source table ARN that is not one",
			strings.Replace(cartsByARN, "table/shop-carts", "stream/shop-carts", 1), dynamoScenario,
			"is not a table ARN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tr := startRun(t, restoreRunbook("us-east-1", "us-west-2", "15m", cartsRestore(tc.with)), tc.scenario, runOptions{attempts: 1})
			if err := stepError(tr); !strings.Contains(err, tc.want) {
				t.Errorf("error %q, want it to say %q", err, tc.want)
			}
			if n := len(tr.mutatingRequests()); n != 0 {
				t.Errorf("%d mutating requests sent", n)
			}
			tr.verify()
		})
	}
}

// TestDynamoDBRestoreInRegion: a restore from a table of the step's own
// Region, by name, to a given moment, on a sandbox whose clock starts at
// a known time so that the moment is inside, or after, the window.
func TestDynamoDBRestoreInRegion(t *testing.T) {
	t.Parallel()
	scenario := "start = 2026-03-01T12:00:00Z\n" + dynamoScenario
	for _, tc := range []struct{ at, want string }{
		{"2026-03-01T10:00:00Z", ""},
		{"2026-03-02T00:00:00Z", "restore_date_time 2026-03-02T00:00:00Z is outside the restorable window of table shop-carts in us-east-1"},
	} {
		t.Run(tc.at, func(t *testing.T) {
			t.Parallel()
			with := fmt.Sprintf("source_table_name = \"shop-carts\"\nrestore_date_time = %q", tc.at)
			tr := startRun(t, restoreRunbook("us-west-2", "us-east-1", "15m", cartsRestore(with)), scenario, runOptions{})
			if err := stepError(tr); tc.want == "" && err != "" || !strings.Contains(err, tc.want) {
				t.Fatalf("error %q, want %q", err, tc.want)
			}
			if tc.want != "" {
				return
			}
			table := readBack(t, tr, "dynamodb", "us-east-1", "DescribeTable", map[string]any{"TableName": "shop-carts-dr"})
			summary := respMap(respMap(table["Table"])["RestoreSummary"])
			if summary["RestoreDateTime"] != "2026-03-01T10:00:00Z" || summary["SourceTableArn"] != "arn:aws:dynamodb:us-east-1:123456789012:table/shop-carts" {
				t.Errorf("restore summary %v", summary)
			}
		})
	}
}

func TestDynamoDBWaitActive(t *testing.T) {
	t.Parallel()
	step := func(table string) string {
		return fmt.Sprintf(`
[[steps]]
id     = "carts-active"
phase  = "verify"
title  = "The carts table is active"
action = "dynamodb.wait-active"
doc    = "x"
[steps.with]
table_name = %q
[steps.outputs]
arn   = "Table.TableArn"
items = "Table.ItemCount"
`, table)
	}
	for _, tc := range []struct{ name, table, arn string }{
		{"by name, in the step's Region", "shop-carts-standby", "arn:aws:dynamodb:us-west-2:123456789012:table/shop-carts-standby"},
		{"by ARN, in the ARN's Region", "arn:aws:dynamodb:us-east-1:123456789012:table/shop-carts", "arn:aws:dynamodb:us-east-1:123456789012:table/shop-carts"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tr := startRun(t, restoreRunbook("us-east-1", "us-west-2", "15m", step(tc.table)), dynamoScenario, runOptions{})
			if out := stepOutputs(t, tr, "carts-active"); out["arn"] != tc.arn || out["items"] != float64(0) {
				t.Errorf("outputs %v", out)
			}
			tr.verify()
		})
	}
	t.Run("a missing table fails live and is simulated in dry-run", func(t *testing.T) {
		t.Parallel()
		src := restoreRunbook("us-east-1", "us-west-2", "15m", step("shop-carts-dr"))
		tr := startRun(t, src, dynamoScenario, runOptions{})
		if err := stepError(tr); !strings.Contains(err, "table shop-carts-dr does not exist in us-west-2") {
			t.Errorf("error %q", err)
		}
		dry := startRun(t, src, dynamoScenario, runOptions{mode: ModeDryRun})
		if out := stepOutputs(t, dry, "carts-active"); out["arn"] != "<simulated: steps.carts-active.arn>" {
			t.Errorf("dry-run outputs %v", out)
		}
	})
	t.Run("a table stuck in a state it does not leave", func(t *testing.T) {
		t.Parallel()
		scenario := dynamoScenario + "\n[[faults]]\nstuck = { service = \"dynamodb\", region = \"us-west-2\", id = \"shop-carts-standby\", state = \"ARCHIVED\" }\n"
		tr := startRun(t, restoreRunbook("us-east-1", "us-west-2", "15m", step("shop-carts-standby")), scenario, runOptions{})
		if err := stepError(tr); !strings.Contains(err, "table shop-carts-standby is ARCHIVED") {
			t.Errorf("error %q", err)
		}
	})
}

// TestPilotLightShippedScenario runs the carts restore and the replica
// promotion of runbooks/ecommerce-pilot-light.toml, as that runbook writes
// them, against its game-day scenario: with all of us-east-1 out (the
// scenario's harder variant) the promotion works and the cross-Region
// restore fails fast, naming the Region; with the scenario's own outage,
// which leaves DynamoDB answering there, the restore works.
func TestPilotLightShippedScenario(t *testing.T) {
	t.Parallel()
	scenario, err := os.ReadFile(filepath.Join("..", "runbooks", "scenarios", "ecommerce-pilot-light.toml"))
	if err != nil {
		t.Fatal(err)
	}
	const promote = `
[[steps]]
id     = "promote-orders-replica"
phase  = "reintegrate"
title  = "Promote the orders read replica in us-west-2"
action = "rds.promote-read-replica"
after  = []
doc    = "x"
[steps.with]
db_instance_identifier  = "shop-orders-usw2"
backup_retention_period = 7
preferred_backup_window = "09:00-09:30"
[steps.outputs]
endpoint = "DBInstance.Endpoint.Address"
`
	src := restoreRunbook("us-east-1", "us-west-2", "15m", cartsRestore(cartsByARN), promote)
	totalOutage := func(sb *sandbox.Sandbox, endpoint string) {
		injectFault(t, endpoint, sandbox.Fault{Outage: &sandbox.Outage{Region: "us-east-1"}})
	}
	tr := startRun(t, src, string(scenario), runOptions{attempts: 1, setup: totalOutage})
	if out := stepOutputs(t, tr, "promote-orders-replica"); out["endpoint"] != "shop-orders-usw2.c0sandbox0.us-west-2.rds.amazonaws.com" {
		t.Errorf("promote outputs %v", out)
	}
	if err := stepError(tr); !strings.Contains(err, "DynamoDB in us-east-1 must answer") {
		t.Errorf("restore-carts error %q", err)
	}
	if n := countRequests(tr, "RestoreTableToPointInTime", ""); n != 0 {
		t.Errorf("%d restores sent while the source's Region is out", n)
	}
	tr.verify()

	partial := startRun(t, src, string(scenario), runOptions{})
	if out := stepOutputs(t, partial, "restore-carts"); out["arn"] != "arn:aws:dynamodb:us-west-2:123456789012:table/shop-carts-dr" {
		t.Errorf("restore-carts outputs %v", out)
	}
	partial.verify()
}
