package main

import (
	"github.com/drpilot/drpilot/runbooks"
)

// mayWaitForApprovals reports whether a waiting step may wait at a gate
// for approvals, which the watch then reads from the lock table: a step
// with approvals > 1, or one the plan does not list (the watch's tests
// give none).
func mayWaitForApprovals(plan *runbooks.RunPlan, step string) bool {
	if plan == nil {
		return true
	}
	ps := plan.Step(step)
	return ps == nil || ps.Approvals > 1
}
