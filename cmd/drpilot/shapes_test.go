package main

import (
	"strings"
	"testing"

	"github.com/drpilot/drpilot/audit"
)

// TestCheckRefusesUnknownOperationsAndMembers: an operation the SDK does
// not have, in require.call or aws.call, and input members that are
// misspelt or of the wrong kind at any depth are errors at their line and
// column, with the nearest name, and check exits 2.
func TestCheckRefusesUnknownOperationsAndMembers(t *testing.T) {
	t.Parallel()
	op := "../../runbooks/testdata/broken/unknown-operation.toml"
	call := "../../runbooks/testdata/broken/aws-call-unknown-operation.toml"
	input := "../../runbooks/testdata/broken/aws-call-input.toml"
	code, out, _ := drpilot(t, "check", op, call, input)
	if code != exitBadInput {
		t.Fatalf("exit %d, want %d\n%s", code, exitBadInput, out)
	}
	for _, want := range []string{
		op + `:37:8: steps[1].require[0].call: rds has no operation "DescribeDBInstancez" (did you mean "DescribeDBInstances"?)`,
		call + `:51:8: steps[2].with.call: dynamodb has no operation "PutItme" (did you mean "PutItem"?)`,
		input + `:54:1: steps[2].with.input.ConditionExpresion: unknown member "ConditionExpresion" (did you mean "ConditionExpression"?)`,
		input + `:55:85: steps[2].with.input.Item.by.Str: unknown member "Str" in Item.by (its members are B, BOOL, BS, L, M, N, NS, NULL, S, SS)`,
		input + `:55:188: steps[2].with.input.Item.log.L[0].M.ok.BOOL: member Item.log.L[0].M.ok.BOOL must be a boolean, not a string`,
		input + `:58:19: steps[2].require[0].input.Limit: member Limit must be an integer, not a string, the value of ${vars.replica}`,
		input + ": INVALID: 6 errors, 0 warnings",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestRunSendsDynamoDBItemsAsTheCLIWritesThem: a runbook that writes a
// DynamoDB item in the AWS CLI's JSON form passes check, and its run puts
// the item and reads it back in the same form, in outputs and in a
// precondition's query.
func TestRunSendsDynamoDBItemsAsTheCLIWritesThem(t *testing.T) {
	t.Parallel()
	const file = "testdata/run/items.toml"
	if code, out, _ := drpilot(t, "check", file); code != exitOK || !strings.Contains(out, "ok (0 warnings)") {
		t.Fatalf("check: exit %d\n%s", code, out)
	}
	dir := runDir(t)
	code, out, errOut := drpilot(t, "run", file, "--sandbox", "--headless", "--yes", "--audit-dir", dir)
	if code != exitOK {
		t.Fatalf("run: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"dynamodb:PutItem in eu-west-2: ok", "holds: observed 2", `outputs {"active":true,"first":"promote"}`, "SUCCEEDED"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if rep := verifyRun(t, dir); rep.Verdict != audit.Valid {
		t.Errorf("audit log: %s %s", rep.Verdict, rep.Reason)
	}
}
