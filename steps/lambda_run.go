package steps

import (
	"context"
	"fmt"
	"time"
)

// lambda.set-concurrency reserves concurrency for a function; 0 stops
// every invocation at once, the quickest way to freeze a Lambda-based
// writer.

// runLambdaSetConcurrency reads the function's reservation and leaves it
// alone when it already is the step's; otherwise it sets it and reads it
// back until Lambda reports it. The response has
// ReservedConcurrentExecutions.
func runLambdaSetConcurrency(ctx context.Context, s *StepRun) (map[string]any, error) {
	fn := s.String("function_name")
	want, ok := s.Int("reserved_concurrent_executions")
	if !ok {
		return nil, fmt.Errorf("reserved_concurrent_executions must be a whole number, not %v",
			s.Params()["reserved_concurrent_executions"])
	}
	get := map[string]any{"FunctionName": fn}
	what := fmt.Sprintf("Lambda function %s in %s", fn, s.Region())
	const hint = "check function_name and the step's Region"
	cur, err := s.Read(ctx, "lambda:GetFunctionConcurrency", get)
	if err != nil {
		return nil, callFailed(err, what, hint, "ResourceNotFoundException")
	}
	if have, set := memberInt(cur, "ReservedConcurrentExecutions"); set && have == want {
		s.Note("function %s already reserves %d concurrent executions: nothing to change", fn, want)
		return cur, nil
	}
	simulated := map[string]any{"ReservedConcurrentExecutions": want}
	put, err := s.Mutate(ctx, "lambda:PutFunctionConcurrency", s.Input(), simulated)
	if err != nil {
		return nil, callFailed(err, what, hint, "ResourceNotFoundException")
	}
	// The reservation applies as soon as the call returns; reading it back
	// is what shows it in the audit log.
	if _, err := s.Wait(ctx, WaitSpec{
		Operation: "lambda:GetFunctionConcurrency", Input: get,
		Delays: pollDelays{time.Second, 5 * time.Second},
		Check: func(out map[string]any) (string, bool, error) {
			have, set := memberInt(out, "ReservedConcurrentExecutions")
			if !set {
				return "no reservation", false, nil
			}
			return fmt.Sprintf("%d reserved", have), have == want, nil
		},
	}); err != nil {
		return nil, callFailed(err, what, hint, "ResourceNotFoundException")
	}
	return put, nil
}
