package steps

import "github.com/drpilot/drpilot/runbooks"

// dynamodbActions are the Amazon DynamoDB actions (IAM prefix dynamodb).
func dynamodbActions() []Action {
	return []Action{
		dynamodbRestoreToPointInTime().runs(runDynamoDBRestoreToPointInTime),
		dynamodbWaitActive().runs(runDynamoDBWaitActive),
	}
}

// dynamodbRestoreToPointInTime restores a table from its continuous
// backups into a new table, the way back from corruption or a bad deploy.
func dynamodbRestoreToPointInTime() Action {
	return Action{
		spec: runbooks.ActionSpec{
			Name:     "dynamodb.restore-to-point-in-time",
			Summary:  "Restore a DynamoDB table to a point in time as a new table and wait until it is active.",
			Phases:   []string{"restore"},
			Mutating: true,
			Calls: []runbooks.Call{
				check("dynamodb:DescribeContinuousBackups"),
				act("dynamodb:RestoreTableToPointInTime"),
				waitOn("dynamodb:DescribeTable"),
			},
			Params: []runbooks.Param{
				str("source_table_name", "SourceTableName", "The name of the table to restore from."),
				arn("source_table_arn", "SourceTableArn", "dynamodb", "The ARN of the table to restore from."),
				required(str("target_table_name", "TargetTableName", "The name of the new table.")),
				timestamp("restore_date_time", "RestoreDateTime", "The moment to restore to, as an RFC 3339 timestamp in UTC."),
				boolean("use_latest_restorable_time", "UseLatestRestorableTime", "Restore to the latest restorable time instead of restore_date_time."),
				enum("billing_mode_override", "BillingModeOverride", []string{"PROVISIONED", "PAY_PER_REQUEST"},
					"The billing mode of the new table, when it should differ from the source's."),
			},
			OneOf: [][]string{
				{"source_table_name", "source_table_arn"},
				{"restore_date_time", "use_latest_restorable_time"},
			},
			Outputs:     []string{"TableDescription.TableArn", "TableDescription.TableName", "TableDescription.TableStatus"},
			Response:    "dynamodb:RestoreTableToPointInTime",
			Idempotency: "Check-before-act: DescribeTable looks for the target table first; when it exists the action waits on it instead of restoring again. DescribeContinuousBackups, sent to the source table's Region (the ARN's, for a cross-Region restore), checks point-in-time recovery is enabled and covers restore_date_time.",
			Wait:        "Polls DescribeTable until the new table is ACTIVE; the response's TableDescription is refreshed from that last read.",
			Expect:      runbooks.Minutes(20),
			Timeout:     runbooks.Minutes(120),
		},
		example: example{
			id: "restore-carts", phase: "restore", title: "Restore the carts table to just before the corruption",
			with: []setting{
				{"source_table_name", `"carts"`},
				{"target_table_name", `"carts-restored"`},
				{"restore_date_time", `"${vars.last_good_time}"`},
			},
			outputs: []setting{{"table_arn", `"TableDescription.TableArn"`}},
		},
	}
}

// dynamodbWaitActive checks a table is usable, for verify steps.
func dynamodbWaitActive() Action {
	return Action{
		spec: runbooks.ActionSpec{
			Name:    "dynamodb.wait-active",
			Summary: "Wait until a DynamoDB table is ACTIVE.",
			Phases:  []string{"verify"},
			Calls:   []runbooks.Call{waitOn("dynamodb:DescribeTable")},
			Params: []runbooks.Param{
				required(str("table_name", "TableName", "The name of the table, or its ARN, which is polled in the ARN's Region.")),
			},
			Outputs:     []string{"Table.TableArn", "Table.TableStatus", "Table.ItemCount"},
			Response:    "dynamodb:DescribeTable",
			Idempotency: "Read-only: nothing to repeat.",
			Wait:        "Polls DescribeTable until TableStatus is ACTIVE; the response is that last DescribeTable response.",
			Expect:      runbooks.Seconds(30),
			Timeout:     runbooks.Minutes(30),
		},
		example: example{
			id: "carts-active", phase: "verify", title: "The restored carts table is active",
			with: []setting{{"table_name", `"carts-restored"`}},
		},
	}
}
