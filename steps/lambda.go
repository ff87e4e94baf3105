package steps

import "github.com/drpilot/drpilot/runbooks"

// lambdaActions are the AWS Lambda actions (IAM prefix lambda).
func lambdaActions() []Action {
	return []Action{lambdaSetConcurrency().runs(runLambdaSetConcurrency)}
}

// lambdaSetConcurrency reserves concurrency for a function. Zero stops
// every invocation at once, which is the quickest way to freeze a
// Lambda-based writer; a positive number lets it run again, bounded.
func lambdaSetConcurrency() Action {
	return Action{
		spec: runbooks.ActionSpec{
			Name:     "lambda.set-concurrency",
			Summary:  "Set a Lambda function's reserved concurrency; 0 stops every invocation.",
			Phases:   []string{"freeze"},
			Mutating: true,
			Calls: []runbooks.Call{
				check("lambda:GetFunctionConcurrency"),
				act("lambda:PutFunctionConcurrency"),
				waitOn("lambda:GetFunctionConcurrency"),
			},
			Params: []runbooks.Param{
				required(str("function_name", "FunctionName", "The function's name, ARN or partial ARN.")),
				required(atLeast("reserved_concurrent_executions", "ReservedConcurrentExecutions", 0,
					"The number of concurrent executions reserved for the function; 0 throttles every invocation.")),
			},
			Outputs:     []string{"ReservedConcurrentExecutions"},
			Idempotency: "Check-before-act: GetFunctionConcurrency reads the current reservation and the step is skipped when it already matches; the call is a plain set.",
			Wait:        "Reads the reservation back with GetFunctionConcurrency until it is the new number; it applies to new invocations as soon as PutFunctionConcurrency returns. The response is PutFunctionConcurrency's, or GetFunctionConcurrency's when nothing changed.",
			Expect:      runbooks.Seconds(5),
			Timeout:     runbooks.Minutes(2),
		},
		example: example{
			id: "stop-order-writer", phase: "freeze", title: "Stop the order writer function",
			with: []setting{
				{"function_name", `"store-order-writer"`},
				{"reserved_concurrent_executions", `0`},
			},
		},
	}
}
