package steps

import (
	"fmt"
	"testing"
)

const lambdaScenario = `
[[create]]
service   = "lambda"
region    = "eu-west-2"
operation = "CreateFunction"
input     = { FunctionName = "store-order-writer", Runtime = "python3.12", Handler = "app.handler", Role = "arn:aws:iam::123456789012:role/order-writer" }
`

// lambdaRunbook reserves n concurrent executions for a function.
func lambdaRunbook(function string, n int) string {
	return stepRunbook(fmt.Sprintf(`
[[steps]]
id = "stop-writer"
phase = "freeze"
action = "lambda.set-concurrency"
doc = "Stop the order writer."
[steps.with]
function_name = %q
reserved_concurrent_executions = %d
[steps.outputs]
reserved = "ReservedConcurrentExecutions"
`, function, n))
}

func TestLambdaSetConcurrency(t *testing.T) {
	t.Parallel()
	tr := startRun(t, lambdaRunbook("store-order-writer", 0), lambdaScenario, runOptions{})
	succeeded(t, tr)
	if got := doneEvent(t, tr, "stop-writer").Outputs["reserved"]; got != float64(0) {
		t.Errorf("reserved output %v, want 0", got)
	}
	if got := dig(sandboxState(t, tr), "lambda/eu-west-2", "functions", "store-order-writer", "reserved_concurrency"); got != float64(0) {
		t.Errorf("the sandbox shows a reservation of %v, want 0", got)
	}
	if n := sent(tr, "PutFunctionConcurrency"); n != 1 {
		t.Errorf("PutFunctionConcurrency sent %d times, want 1", n)
	}

	again := againSendsNothing(t, tr, lambdaRunbook("store-order-writer", 0), "stop-writer", "PutFunctionConcurrency")
	if got := doneEvent(t, again, "stop-writer").Outputs["reserved"]; got != float64(0) {
		t.Errorf("second run's reserved output %v, want 0", got)
	}

	// A different number is a change again.
	third := startRun(t, lambdaRunbook("store-order-writer", 50), "", runOptions{on: tr})
	succeeded(t, third)
	if n := sent(tr, "PutFunctionConcurrency"); n != 2 {
		t.Errorf("PutFunctionConcurrency sent %d times after a new number, want 2", n)
	}
}

func TestLambdaSetConcurrencyDryRun(t *testing.T) {
	t.Parallel()
	tr := startRun(t, lambdaRunbook("store-order-writer", 0), lambdaScenario, runOptions{mode: ModeDryRun})
	done := dryRunSentNothing(t, tr, "stop-writer")
	if got := done.Outputs["reserved"]; got != int64(0) && got != float64(0) {
		t.Errorf("dry-run reserved output %v (%T), want the simulated 0", got, got)
	}
	if got := dig(sandboxState(t, tr), "lambda/eu-west-2", "functions", "store-order-writer", "reserved_concurrency"); got != nil {
		t.Errorf("after a dry run the sandbox shows a reservation of %v, want none", got)
	}
}

func TestLambdaSetConcurrencyFailures(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, function string
		n              int
		wants          []string
	}{
		{"missing function", "no-such-function", 0,
			[]string{"Lambda function no-such-function in eu-west-2 not found", "check function_name"}},
		{"more than the account allows", "store-order-writer", 950,
			[]string{"PutFunctionConcurrency", "InvalidParameterValueException"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tr := startRun(t, lambdaRunbook(tc.function, tc.n), lambdaScenario, runOptions{})
			failedWith(t, tr, "stop-writer", tc.wants...)
		})
	}
}
