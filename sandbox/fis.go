package sandbox

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// AWS FIS: experiment templates and the experiments started from them.
// An experiment's actions inject nothing into the sandbox: the experiment
// only goes through its states on the sandbox clock, for as long as its
// actions' durations say, so that a game day's runbook can start it, wait
// for it and stop it. A stuck fault naming an experiment or its template
// ends the experiment in the fault's state (failed, say), for the runbook
// to meet that.

// FIS durations in simulated time.
const (
	fisInitiating = 30 * time.Second
	fisStopping   = 20 * time.Second
	// fisInstantAction is how long an action without a duration parameter
	// (aws:ec2:stop-instances, say) takes.
	fisInstantAction = time.Minute
)

type fisRegion struct {
	templates   map[string]*fisTemplate
	experiments map[string]*fisExperiment
	order       []string          // experiment ids, oldest first
	tokens      map[string]string // clientToken → experiment id
	seq         int
}

type fisTemplate struct {
	ID, Description, Role string
	Targets, Actions      map[string]any
	StopConditions        []any
	Tags                  map[string]any
	Created               time.Time
}

type fisExperiment struct {
	ID, Template string
	Created      time.Time
	status       timeline
	reason       string
}

func (f *fisRegion) dump(now time.Time) any {
	out := map[string]any{}
	for id, e := range f.experiments {
		out[id] = map[string]any{"template": e.Template, "status": e.status.state(now)}
	}
	return map[string]any{"experiment_templates": len(f.templates), "experiments": out}
}

func (c *call) fis() *fisRegion {
	return stateOf(c.sb, "fis", c.region, func() *fisRegion {
		return &fisRegion{templates: map[string]*fisTemplate{}, experiments: map[string]*fisExperiment{}, tokens: map[string]string{}}
	})
}

func registerFIS(s *Sandbox) {
	s.addService(&service{name: "fis", protocol: restJSONProtocol{}, throttleCode: "ThrottlingException", throttleStatus: 429},
		&operation{name: "CreateExperimentTemplate", mutating: true, method: "POST", path: "/experimentTemplates", handler: fisCreateTemplate},
		&operation{name: "GetExperimentTemplate", method: "GET", path: "/experimentTemplates/{id}", handler: fisGetTemplate},
		&operation{name: "ListExperimentTemplates", method: "GET", path: "/experimentTemplates", handler: fisListTemplates},
		&operation{name: "StartExperiment", mutating: true, method: "POST", path: "/experiments", handler: fisStartExperiment},
		&operation{name: "GetExperiment", method: "GET", path: "/experiments/{id}", handler: fisGetExperiment},
		&operation{name: "StopExperiment", mutating: true, method: "DELETE", path: "/experiments/{id}", handler: fisStopExperiment},
		&operation{name: "ListExperiments", method: "GET", path: "/experiments", handler: fisListExperiments},
	)
}

func fisValidation(format string, args ...any) *awsError {
	return errorf("ValidationException", format, args...)
}

// fisID makes an id as FIS does: a prefix (EXT, EXP) and 15 characters.
func (c *call) fisID(prefix string) string {
	f := c.fis()
	f.seq++
	return prefix + resourceID("", fmt.Sprintf("%s/%s/%d", c.region, prefix, f.seq))[:15]
}

func fisCreateTemplate(c *call) (any, error) {
	role, err := required(c.input, "roleArn", "ValidationException")
	if err != nil {
		return nil, err
	}
	actions := obj(c.input, "actions")
	if len(actions) == 0 {
		return nil, fisValidation("an experiment template needs at least one action")
	}
	for name, a := range actions {
		action, _ := a.(map[string]any)
		if str(action, "actionId") == "" {
			return nil, fisValidation("action %s has no actionId", name)
		}
	}
	if _, err := fisRunTime(actions); err != nil {
		return nil, err
	}
	stops := list(c.input, "stopConditions")
	if len(stops) == 0 {
		return nil, fisValidation("stopConditions is required: give {source = \"none\"} for none")
	}
	t := &fisTemplate{ID: c.idOr(c.fisID("EXT")), Description: str(c.input, "description"), Role: role,
		Targets: obj(c.input, "targets"), Actions: actions, StopConditions: stops, Tags: obj(c.input, "tags"), Created: c.now}
	c.fis().templates[t.ID] = t
	return map[string]any{"experimentTemplate": c.templateValue(t)}, nil
}

func (c *call) templateValue(t *fisTemplate) map[string]any {
	return map[string]any{"id": t.ID, "arn": arn("fis", c.region, c.account(), "experiment-template/"+t.ID),
		"description": t.Description, "roleArn": t.Role, "targets": t.Targets, "actions": t.Actions,
		"stopConditions": t.StopConditions, "tags": t.Tags, "creationTime": t.Created, "lastUpdateTime": t.Created}
}

func (c *call) fisTemplate(id string) (*fisTemplate, *awsError) {
	t, ok := c.fis().templates[id]
	if !ok {
		return nil, notFound("ResourceNotFoundException", "Experiment template %s not found.", id)
	}
	return t, nil
}

func fisGetTemplate(c *call) (any, error) {
	t, err := c.fisTemplate(str(c.input, "id"))
	if err != nil {
		return nil, err
	}
	return map[string]any{"experimentTemplate": c.templateValue(t)}, nil
}

func fisListTemplates(c *call) (any, error) {
	items := []any{}
	for _, id := range sortedKeys(c.fis().templates) {
		v := c.templateValue(c.fis().templates[id])
		for _, k := range []string{"roleArn", "targets", "actions", "stopConditions"} {
			delete(v, k) // a summary
		}
		items = append(items, v)
	}
	return map[string]any{"experimentTemplates": items}, nil
}

// fisStartExperiment starts an experiment, or answers with the one a
// request with the same clientToken started, as FIS does.
func fisStartExperiment(c *call) (any, error) {
	id, err := required(c.input, "experimentTemplateId", "ValidationException")
	if err != nil {
		return nil, err
	}
	token, err := required(c.input, "clientToken", "ValidationException")
	if err != nil {
		return nil, err
	}
	f := c.fis()
	if prior, ok := f.tokens[token]; ok {
		e := f.experiments[prior]
		if e.Template != id {
			return nil, errorf("ConflictException", "clientToken %s was used to start an experiment of template %s", token, e.Template)
		}
		return map[string]any{"experiment": c.experimentValue(e)}, nil
	}
	t, aerr := c.fisTemplate(id)
	if aerr != nil {
		return nil, aerr
	}
	run, _ := fisRunTime(t.Actions)
	e := &fisExperiment{ID: c.fisID("EXP"), Template: id, Created: c.now}
	e.status.set(c.now, "initiating", fisInitiating, "running", run, "completed")
	f.experiments[e.ID], f.tokens[token] = e, e.ID
	f.order = append(f.order, e.ID)
	return map[string]any{"experiment": c.experimentValue(e)}, nil
}

// experimentState is an experiment's status and the reason FIS gives.
func (c *call) experimentState(e *fisExperiment) (string, string) {
	for _, id := range []string{e.ID, e.Template} {
		if st := c.sb.faults.stuckState("fis", c.region, id); st != "" {
			return st, "The sandbox's stuck fault on " + id + " ended the experiment " + st + "."
		}
	}
	status := e.status.state(c.now)
	switch status {
	case "completed":
		return status, "Experiment completed."
	case "stopping", "stopped":
		return status, e.reason
	}
	return status, "Experiment is " + status + "."
}

func (c *call) experimentValue(e *fisExperiment) map[string]any {
	t := c.fis().templates[e.Template]
	status, reason := c.experimentState(e)
	v := map[string]any{"id": e.ID, "arn": arn("fis", c.region, c.account(), "experiment/"+e.ID),
		"experimentTemplateId": e.Template, "state": map[string]any{"status": status, "reason": reason},
		"creationTime": e.Created, "startTime": e.Created}
	if t != nil {
		v["roleArn"], v["targets"], v["stopConditions"], v["tags"] = t.Role, t.Targets, t.StopConditions, t.Tags
		actions := map[string]any{}
		for name, a := range t.Actions {
			action, _ := a.(map[string]any)
			actions[name] = map[string]any{"actionId": action["actionId"], "parameters": action["parameters"],
				"targets": action["targets"], "startAfter": action["startAfter"], "state": map[string]any{"status": status, "reason": reason}}
		}
		v["actions"] = actions
	}
	switch status {
	case "completed", "stopped", "failed", "cancelled":
		v["endTime"] = c.now
		// An experiment that ran its course ended when its timeline did.
		if steps := e.status.steps; len(steps) > 0 && !steps[len(steps)-1].at.After(c.now) {
			v["endTime"] = steps[len(steps)-1].at
		}
	}
	return v
}

func (c *call) fisExperiment(id string) (*fisExperiment, *awsError) {
	e, ok := c.fis().experiments[id]
	if !ok {
		return nil, notFound("ResourceNotFoundException", "Experiment %s not found.", id)
	}
	return e, nil
}

func fisGetExperiment(c *call) (any, error) {
	e, err := c.fisExperiment(str(c.input, "id"))
	if err != nil {
		return nil, err
	}
	return map[string]any{"experiment": c.experimentValue(e)}, nil
}

// fisStopExperiment stops an experiment under way; one that has ended is
// refused, as FIS refuses it.
func fisStopExperiment(c *call) (any, error) {
	e, err := c.fisExperiment(str(c.input, "id"))
	if err != nil {
		return nil, err
	}
	switch status, _ := c.experimentState(e); status {
	case "pending", "initiating", "running":
		e.status.set(c.now, "stopping", fisStopping, "stopped")
		e.reason = "Experiment stopped by user."
	case "stopping":
	default:
		return nil, fisValidation("Experiment %s is %s and cannot be stopped.", e.ID, status)
	}
	return map[string]any{"experiment": c.experimentValue(e)}, nil
}

func fisListExperiments(c *call) (any, error) {
	f, only := c.fis(), str(c.input, "experimentTemplateId")
	items := []any{}
	for i := len(f.order) - 1; i >= 0; i-- { // newest first
		e := f.experiments[f.order[i]]
		if only == "" || e.Template == only {
			v := c.experimentValue(e)
			items = append(items, map[string]any{"id": v["id"], "arn": v["arn"], "experimentTemplateId": e.Template,
				"state": v["state"], "creationTime": e.Created, "tags": v["tags"]})
		}
	}
	return map[string]any{"experiments": items}, nil
}

// fisRunTime is how long an experiment's actions run: the longest chain
// of actions through their startAfter, each for its duration.
func fisRunTime(actions map[string]any) (time.Duration, error) {
	memo := map[string]time.Duration{}
	var end func(name string, depth int) (time.Duration, error)
	end = func(name string, depth int) (time.Duration, error) {
		if d, ok := memo[name]; ok {
			return d, nil
		}
		action, _ := actions[name].(map[string]any)
		if action == nil || depth > len(actions) {
			return 0, fisValidation("action %s is not in the template, or its startAfter makes a loop", name)
		}
		own, err := fisActionDuration(action)
		if err != nil {
			return 0, err
		}
		var after time.Duration
		for _, prev := range list(action, "startAfter") {
			d, err := end(fmt.Sprint(prev), depth+1)
			if err != nil {
				return 0, err
			}
			after = max(after, d)
		}
		memo[name] = after + own
		return after + own, nil
	}
	var longest time.Duration
	for name := range actions {
		d, err := end(name, 0)
		if err != nil {
			return 0, err
		}
		longest = max(longest, d)
	}
	return longest, nil
}

var isoDuration = regexp.MustCompile(`^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$`)

// fisActionDuration reads an action's duration parameter, ISO 8601
// (PT5M, PT1H30M); an action without one takes fisInstantAction.
func fisActionDuration(action map[string]any) (time.Duration, *awsError) {
	d := str(obj(action, "parameters"), "duration")
	if d == "" {
		return fisInstantAction, nil
	}
	m := isoDuration.FindStringSubmatch(strings.ToUpper(d))
	if m == nil || d == "PT" {
		return 0, fisValidation("duration %q is not an ISO 8601 duration such as PT5M", d)
	}
	var total time.Duration
	for i, unit := range []time.Duration{time.Hour, time.Minute, time.Second} {
		if m[i+1] != "" {
			n, _ := strconv.Atoi(m[i+1])
			total += time.Duration(n) * unit
		}
	}
	return total, nil
}
