package steps

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// The ARC Region switch action: start a plan execution, or take over one
// already under way, and follow it to the end.

// ARC plan execution states (ExecutionState), by what they mean to a
// step waiting on the execution.
var (
	arcDone    = []string{"completed", "completedWithExceptions", "completedMonitoringApplicationHealth"}
	arcFailed  = []string{"failed", "canceled", "planExecutionTimedOut"}
	arcPaused  = []string{"pausedByFailedStep", "pausedByOperator", "pendingManualApproval"}
	arcRunning = []string{"pending", "inProgress"}
)

// runStartRegionSwitch looks for an execution of the plan this step would
// duplicate (check-before-act), starts one if there is none, and waits
// until it completes. The response is StartPlanExecution's, with
// GetPlanExecution's last answer added.
func runStartRegionSwitch(ctx context.Context, s *StepRun) (map[string]any, error) {
	plan, target, action := s.String("plan_arn"), s.String("target_region"), s.String("action")
	start, err := existingExecution(ctx, s, plan, target, action)
	if err != nil {
		return nil, err
	}
	if start == nil {
		simulated := startShape(plan, "", target, action)
		s.calling("arc-region-switch:StartPlanExecution")
		if start, err = s.Mutate(ctx, "arc-region-switch:StartPlanExecution", s.Input(), simulated); err != nil {
			return nil, fmt.Errorf("start plan %s (%s %s): %w", plan, action, target, err)
		}
	}
	id, _ := start["ExecutionId"].(string)
	if id == "" && !s.Simulated() {
		return nil, fmt.Errorf("arc-region-switch:StartPlanExecution answered without an ExecutionId for plan %s", plan)
	}
	last, err := s.Wait(ctx, WaitSpec{
		Operation: "arc-region-switch:GetPlanExecution",
		Input:     map[string]any{"PlanArn": plan, "ExecutionId": id},
		Check:     arcExecutionCheck(s, plan, id),
		// An execution runs for minutes to an hour, step by step.
		Delays: pollDelays{15 * time.Second, 60 * time.Second},
	})
	if err != nil {
		return nil, err
	}
	out := maps.Clone(start)
	for k, v := range last {
		if _, ok := out[k]; !ok {
			out[k] = v
		}
	}
	return out, nil
}

// existingExecution returns, in StartPlanExecution's shape, an execution
// of the plan that this step must wait on instead of starting another:
//   - one under way (pending, in progress, paused), for the same action
//     and Region: a retried or resumed step, or someone in the console
//     who was quicker. Under way for another action or Region, it is an
//     error: ARC runs one execution of a plan at a time.
//   - one that completed the same action in the same Region since this
//     run began (${run.started_at}): this step's own, finished while
//     drpilot was not watching.
//
// ARC lists executions newest first, so the first page holds both.
func existingExecution(ctx context.Context, s *StepRun, plan, target, action string) (map[string]any, error) {
	s.calling("arc-region-switch:ListPlanExecutions")
	out, err := s.Read(ctx, "arc-region-switch:ListPlanExecutions", map[string]any{"PlanArn": plan, "MaxResults": int64(20)})
	if err != nil {
		return nil, fmt.Errorf("list the executions of plan %s: %w", plan, err)
	}
	since := s.exec.opts.StartedAt
	items, _ := out["Items"].([]any)
	for _, v := range items {
		e, _ := v.(map[string]any)
		id, _ := e["ExecutionId"].(string)
		state, _ := e["ExecutionState"].(string)
		same := e["ExecutionRegion"] == target && e["ExecutionAction"] == action
		switch {
		case arcUnderWay(state) && !same:
			return nil, fmt.Errorf("plan %s already has execution %s %s (%v %v); ARC runs one execution of a plan at a time: let it finish or cancel it in the ARC console, then retry",
				plan, id, state, e["ExecutionAction"], e["ExecutionRegion"])
		case arcUnderWay(state):
			s.Note("plan %s already has execution %s %s (%s %s): waiting on it instead of starting another", plan, id, state, action, target)
		case slices.Contains(arcDone, state) && same && startedSince(e, since):
			s.Note("execution %s of plan %s already %s (%s %s) during this run: not starting another", id, plan, state, action, target)
		default:
			continue
		}
		return startShape(plan, id, target, action), nil
	}
	return nil, nil
}

// startShape is StartPlanExecution's answer for an execution it did not
// start here (one taken over, or one dry-run did not start).
func startShape(plan, id, target, action string) map[string]any {
	out := map[string]any{"Plan": plan}
	if id != "" {
		out["ExecutionId"] = id
	}
	switch action {
	case "activate":
		out["ActivateRegion"] = target
	case "deactivate":
		out["DeactivateRegion"] = target
	}
	return out
}

// startedSince reports whether an execution started at or after t.
func startedSince(e map[string]any, t time.Time) bool {
	at, err := awsTime(e["StartTime"])
	return err == nil && !at.Before(t)
}

// arcExecutionCheck reads GetPlanExecution: done once the execution
// completed, an error once it failed, was cancelled or timed out. A paused
// execution is reported to the operator once per pause; the step's
// timeout bounds how long it may stay paused.
func arcExecutionCheck(s *StepRun, plan, id string) func(map[string]any) (string, bool, error) {
	reported := ""
	return func(out map[string]any) (string, bool, error) {
		state, _ := out["ExecutionState"].(string)
		detail := state + describeStepStates(out)
		switch {
		case state == "completedWithExceptions":
			s.Note("execution %s of plan %s completed with exceptions: read them in the ARC console before going on", id, plan)
			return detail, true, nil
		case slices.Contains(arcDone, state):
			return detail, true, nil
		case slices.Contains(arcFailed, state):
			return detail, false, fmt.Errorf("execution %s of plan %s is %s%s: see ARC console → Region switch → the plan → Executions; fix the cause, then retry the step to start a new execution",
				id, plan, state, describeStepStates(out))
		case slices.Contains(arcPaused, state) && reported != state:
			reported = state
			s.Note("execution %s of plan %s is %s%s: act on it in the ARC console (approve, or resume after fixing the failed step); drpilot keeps waiting", id, plan, state, describeStepStates(out))
		case !slices.Contains(arcPaused, state):
			reported = ""
		}
		return detail, false, nil
	}
}

// describeStepStates names the plan's steps that are not simply done or
// waiting, such as " (step stores-dns: pendingApproval)".
func describeStepStates(out map[string]any) string {
	var parts []string
	steps, _ := out["StepStates"].([]any)
	for _, v := range steps {
		st, _ := v.(map[string]any)
		switch status, _ := st["Status"].(string); status {
		case "", "notStarted", "completed", "skipped":
		default:
			parts = append(parts, fmt.Sprintf("step %v: %s", st["Name"], status))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, "; ") + ")"
}

// arcUnderWay reports whether an execution in state has yet to finish.
func arcUnderWay(state string) bool {
	return slices.Contains(arcRunning, state) || slices.Contains(arcPaused, state)
}
