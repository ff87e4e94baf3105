package sandbox

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
)

// arcExecution is how long a Region switch plan execution runs in
// simulated time: its workflows (scale up, fail over databases, shift
// traffic) as one step.
const arcExecution = 5 * time.Minute

// arcState is global: a Region switch plan spans its Regions, and any of
// them can execute it.
type arcState struct {
	plans      map[string]*arcPlan // by ARN
	executions map[string]*arcExecutionRun
	seq        int
}

type arcPlan struct {
	ARN, Name, Role, Approach, Primary, Description string
	Regions, Workflows                              []any
	RTO                                             any
	Version                                         string
	Updated                                         time.Time
}

type arcExecutionRun struct {
	ID, Plan, Action, Mode, Region, Comment, Version string
	Started                                          time.Time
	state                                            timeline
}

func (a *arcState) dump(now time.Time) any {
	plans := map[string]any{}
	for arn, p := range a.plans {
		plans[arn] = map[string]any{"regions": p.Regions, "primary": p.Primary}
	}
	runs := map[string]any{}
	for id, e := range a.executions {
		runs[id] = map[string]any{"plan": e.Plan, "action": e.Action, "region": e.Region, "state": e.state.state(now)}
	}
	return map[string]any{"plans": plans, "executions": runs}
}

func (c *call) arc() *arcState {
	return stateOf(c.sb, "arc-region-switch", "global", func() *arcState {
		return &arcState{plans: map[string]*arcPlan{}, executions: map[string]*arcExecutionRun{}}
	})
}

func registerARC(s *Sandbox) {
	// The Go SDK speaks rpcv2cbor; botocore (the AWS CLI) speaks JSON 1.0.
	s.addService(&service{name: "arc-region-switch", protocol: cborProtocol{},
		also:   []protocol{cborProtocol{}, jsonProtocol{version: "1.0"}},
		target: "ArcRegionSwitch", throttleCode: "ThrottlingException"},
		&operation{name: "CreatePlan", mutating: true, handler: arcCreatePlan},
		&operation{name: "StartPlanExecution", mutating: true, handler: arcStartPlanExecution},
		&operation{name: "GetPlanExecution", handler: arcGetPlanExecution},
		&operation{name: "ListPlanExecutions", handler: arcListPlanExecutions},
		&operation{name: "GetPlanEvaluationStatus", handler: arcGetPlanEvaluationStatus},
	)
}

func illegalArgument(format string, args ...any) *awsError {
	return errorf("IllegalArgumentException", format, args...)
}

func arcCreatePlan(c *call) (any, error) {
	name, err := required(c.input, "name", "IllegalArgumentException")
	if err != nil {
		return nil, err
	}
	role, err := required(c.input, "executionRole", "IllegalArgumentException")
	if err != nil {
		return nil, err
	}
	regions, workflows := list(c.input, "regions"), list(c.input, "workflows")
	if len(regions) != 2 || len(workflows) == 0 {
		return nil, illegalArgument("a plan needs two regions and at least one workflow")
	}
	approach := str(c.input, "recoveryApproach")
	if approach != "activeActive" && approach != "activePassive" {
		return nil, illegalArgument("recoveryApproach must be activeActive or activePassive")
	}
	a := c.arc()
	a.seq++
	suffix := strings.ToLower(resourceID("", fmt.Sprintf("plan-%s-%d", name, a.seq)))[:6]
	p := &arcPlan{ARN: c.idOr(fmt.Sprintf("arn:aws:arc-region-switch::%s:plan/%s:%s", c.account(), name, suffix)), Name: name,
		Role: role, Approach: approach, Primary: str(c.input, "primaryRegion"), Description: str(c.input, "description"),
		Regions: regions, Workflows: workflows, RTO: c.input["recoveryTimeObjectiveMinutes"], Version: "1", Updated: c.now}
	for _, existing := range a.plans {
		if existing.Name == name {
			return nil, illegalArgument("a plan named %s already exists", name)
		}
	}
	a.plans[p.ARN] = p
	return map[string]any{"plan": c.planValue(p)}, nil
}

func (c *call) planValue(p *arcPlan) map[string]any {
	v := map[string]any{"arn": p.ARN, "name": p.Name, "executionRole": p.Role, "recoveryApproach": p.Approach,
		"regions": p.Regions, "workflows": p.Workflows, "owner": c.account(), "version": p.Version, "updatedAt": p.Updated}
	if p.Primary != "" {
		v["primaryRegion"] = p.Primary
	}
	if p.Description != "" {
		v["description"] = p.Description
	}
	if p.RTO != nil {
		v["recoveryTimeObjectiveMinutes"] = p.RTO
	}
	return v
}

// arcStartPlanExecution activates or deactivates a Region. The execution
// completes after arcExecution unless the Region it activates is out,
// when it fails; as in AWS, it is started in a Region that works.
func arcStartPlanExecution(c *call) (any, error) {
	planARN, err := required(c.input, "planArn", "IllegalArgumentException")
	if err != nil {
		return nil, err
	}
	p, ok := c.arc().plans[planARN]
	if !ok {
		return nil, notFound("ResourceNotFoundException", "plan %s not found", planARN)
	}
	target, action := str(c.input, "targetRegion"), str(c.input, "action")
	if !containsAny(p.Regions, target) {
		return nil, illegalArgument("targetRegion %s is not one of the plan's regions", target)
	}
	if action != "activate" && action != "deactivate" {
		return nil, illegalArgument("action must be activate or deactivate")
	}
	mode := str(c.input, "mode")
	if mode == "" {
		mode = "graceful"
	}
	a := c.arc()
	for _, e := range a.executions {
		if e.Plan == planARN && e.state.state(c.now) == "inProgress" {
			return nil, &awsError{Code: "IllegalStateException", Message: "the plan has an execution in progress: " + e.ID, Status: http.StatusConflict}
		}
	}
	a.seq++
	e := &arcExecutionRun{ID: strings.ToLower(resourceID("", fmt.Sprintf("exec-%d", a.seq)))[:12], Plan: planARN, Action: action,
		Mode: mode, Region: target, Comment: str(c.input, "comment"), Version: p.Version, Started: c.now}
	final := "completed"
	if action == "activate" && c.sb.faults.down(target) {
		final = "failed"
	}
	e.state.set(c.now, "inProgress", arcExecution, final)
	a.executions[e.ID] = e
	out := map[string]any{"executionId": e.ID, "plan": planARN, "planVersion": p.Version}
	out[action+"Region"] = target
	return out, nil
}

func containsAny(list []any, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func arcGetPlanExecution(c *call) (any, error) {
	id, err := required(c.input, "executionId", "IllegalArgumentException")
	if err != nil {
		return nil, err
	}
	e, ok := c.arc().executions[id]
	if !ok || e.Plan != str(c.input, "planArn") {
		return nil, notFound("ResourceNotFoundException", "execution %s of plan %s not found", id, str(c.input, "planArn"))
	}
	return c.executionValue(e), nil
}

// arcListPlanExecutions lists a plan's executions, newest first, so that a
// runbook finds one already under way before starting another.
func arcListPlanExecutions(c *call) (any, error) {
	planARN, err := required(c.input, "planArn", "IllegalArgumentException")
	if err != nil {
		return nil, err
	}
	if _, ok := c.arc().plans[planARN]; !ok {
		return nil, notFound("ResourceNotFoundException", "plan %s not found", planARN)
	}
	var runs []*arcExecutionRun
	for _, e := range c.arc().executions {
		if e.Plan == planARN {
			runs = append(runs, e)
		}
	}
	sort.Slice(runs, func(i, j int) bool { return runs[i].Started.After(runs[j].Started) })
	want := str(c.input, "state")
	items := []any{}
	for _, e := range runs {
		if v := c.executionValue(e); want == "" || v["executionState"] == want {
			items = append(items, v)
		}
	}
	page, next, perr := paginate(c.input, "maxResults", "nextToken", items, pageLimits{def: 100, min: 1, max: 100})
	if perr != nil {
		return nil, illegalArgument("%s", asAWSError(perr).Message)
	}
	out := map[string]any{"items": page}
	if next != "" {
		out["nextToken"] = next
	}
	return out, nil
}

// arcEvaluationInterval is how often ARC evaluates a plan (its permissions,
// health checks, alarms); a plan is pendingEvaluation until the first.
const arcEvaluationInterval = 30 * time.Minute

// arcGetPlanEvaluationStatus reports ARC's last evaluation of a plan:
// passed once it has been evaluated. The sandbox finds nothing wrong with
// a plan; a stuck fault on the plan's ARN can hold another state (say
// actionRequired) for a game day.
func arcGetPlanEvaluationStatus(c *call) (any, error) {
	planARN, err := required(c.input, "planArn", "IllegalArgumentException")
	if err != nil {
		return nil, err
	}
	p, ok := c.arc().plans[planARN]
	if !ok {
		return nil, notFound("ResourceNotFoundException", "plan %s not found", planARN)
	}
	v := map[string]any{"planArn": p.ARN, "region": c.region, "warnings": []any{}}
	if c.now.Sub(p.Updated) < arcEvaluationInterval {
		v["evaluationState"] = "pendingEvaluation"
	} else {
		v["evaluationState"], v["lastEvaluationTime"], v["lastEvaluatedVersion"] = "passed", c.now.Truncate(arcEvaluationInterval), p.Version
	}
	if st := c.sb.faults.stuckState("arc-region-switch", "global", p.ARN); st != "" {
		v["evaluationState"] = st
	}
	return v, nil
}

func (c *call) executionValue(e *arcExecutionRun) map[string]any {
	state := e.state.state(c.now)
	if st := c.sb.faults.stuckState("arc-region-switch", "global", e.ID); st != "" {
		state = st
	}
	v := map[string]any{"executionId": e.ID, "planArn": e.Plan, "version": e.Version, "executionAction": e.Action,
		"executionRegion": e.Region, "mode": e.Mode, "executionState": state, "startTime": e.Started, "updatedAt": c.now}
	if e.Comment != "" {
		v["comment"] = e.Comment
	}
	if state != "inProgress" {
		v["endTime"] = e.Started.Add(arcExecution)
	}
	return v
}
