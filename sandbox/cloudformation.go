package sandbox

import (
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// AWS CloudFormation: stacks deployed through change sets, as a recovery
// that rebuilds infrastructure from its templates does it. A change set is
// computed when it is created (what would be added, modified, removed); a
// stack's deployment is laid out in simulated time when its change set is
// executed, as the events CloudFormation reports, which DescribeStacks and
// DescribeStackEvents reveal as the clock reaches them.

// CloudFormation durations in simulated time, as docs/sandbox.md lists them.
const (
	// cfnChangeSetTime is how long a change set takes to be computed.
	cfnChangeSetTime = 4 * time.Second
	// cfnEventGap is the time between a stack's own events and the start
	// of each resource's work.
	cfnEventGap = 1 * time.Second
	// cfnResourceTime is how long each resource takes to create, update or
	// delete, one after another.
	cfnResourceTime = 5 * time.Second
)

// noChanges is CloudFormation's reason for a change set that changes
// nothing; clients recognise it by its words.
const noChanges = "The submitted information didn't contain changes. Submit different information to create a change set."

type cfnRegion struct {
	stacks map[string]*cfnStack // by name
	order  []string
}

type cfnStack struct {
	Name, ID string
	Created  time.Time
	Updated  time.Time
	// cur is what the last finished deployment left.
	cur cfnApplied
	// events are every event of the stack, oldest first, including those
	// a deployment laid out ahead of the clock.
	events     []cfnEvent
	deploy     *cfnDeploy
	changeSets map[string]*cfnChangeSet
	csOrder    []string
	// lastChangeSet is the id of the change set executed last.
	lastChangeSet string
}

// cfnApplied is a stack's configuration: its template and parameters,
// and the resources and outputs they made.
type cfnApplied struct {
	body         string
	description  string
	params       map[string]string
	noEcho       map[string]bool
	resources    map[string]cfnDeployed
	outputs      []any
	rawOutputs   map[string]cfnOutput
	tags         []any
	capabilities []any
	roleARN      string
}

type cfnDeployed struct {
	Type, Physical string
	Props          any
}

type cfnChangeSet struct {
	Name, ID, Type string
	Created        time.Time
	Description    string
	next           cfnApplied
	changes        []cfnChange
	failure        string // StatusReason of a FAILED change set
	executed       bool
}

// cfnChange is one resource change of a change set.
type cfnChange struct {
	Action, Logical, Physical, Type, Replacement string
}

func (r *cfnRegion) dump(now time.Time) any {
	out := map[string]any{}
	for name, st := range r.stacks {
		st.settle(now)
		status, _ := st.status(now)
		out[name] = map[string]any{"status": status, "resources": len(st.cur.resources), "change_sets": len(st.changeSets)}
	}
	return map[string]any{"stacks": out}
}

func (c *call) cfn() *cfnRegion {
	return stateOf(c.sb, "cloudformation", c.region, func() *cfnRegion { return &cfnRegion{stacks: map[string]*cfnStack{}} })
}

func registerCloudFormation(s *Sandbox) {
	s.addService(&service{name: "cloudformation", protocol: queryProtocol{}, xmlns: "http://cloudformation.amazonaws.com/doc/2010-05-15/",
		version: "2010-05-15", throttleCode: "Throttling"},
		&operation{name: "CreateChangeSet", mutating: true, handler: cfnCreateChangeSet},
		&operation{name: "DescribeChangeSet", handler: cfnDescribeChangeSet},
		&operation{name: "ExecuteChangeSet", mutating: true, handler: cfnExecuteChangeSet},
		&operation{name: "DeleteChangeSet", mutating: true, handler: cfnDeleteChangeSet},
		&operation{name: "DescribeStacks", handler: cfnDescribeStacks},
		&operation{name: "DescribeStackEvents", handler: cfnDescribeStackEvents},
		&operation{name: "ListStacks", handler: cfnListStacks},
	)
}

// stack finds a stack by name or id, brought up to the clock; nil when
// there is none.
func (c *call) stack(name string) *cfnStack {
	r := c.cfn()
	st, ok := r.stacks[name]
	if !ok && strings.HasPrefix(name, "arn:") {
		for _, s := range r.stacks {
			if s.ID == name {
				st, ok = s, true
			}
		}
	}
	if !ok {
		return nil
	}
	st.settle(c.now)
	return st
}

// existingStack is stack, or the error CloudFormation gives for a stack
// that does not exist.
func (c *call) existingStack() (*cfnStack, *awsError) {
	name, err := required(c.input, "StackName", "ValidationError")
	if err != nil {
		return nil, err
	}
	st := c.stack(name)
	if st == nil {
		return nil, errorf("ValidationError", "Stack with id %s does not exist", name)
	}
	return st, nil
}

// status is the stack's status and its reason at now: its own latest
// event; a stack no change set has been executed on is in review.
func (st *cfnStack) status(now time.Time) (string, string) {
	status, reason := "REVIEW_IN_PROGRESS", "User Initiated"
	for _, e := range st.events {
		if e.at.After(now) {
			break
		}
		if e.logical == st.Name {
			status, reason = e.status, e.reason
		}
	}
	return status, reason
}

var changeSetNameRE = regexp.MustCompile(`^[a-zA-Z][-a-zA-Z0-9]{0,127}$`)

func cfnCreateChangeSet(c *call) (any, error) {
	stackName, err := required(c.input, "StackName", "ValidationError")
	if err != nil {
		return nil, err
	}
	name, err := required(c.input, "ChangeSetName", "ValidationError")
	if err != nil {
		return nil, err
	}
	if !changeSetNameRE.MatchString(name) {
		return nil, errorf("ValidationError", "1 validation error detected: Value '%s' at 'changeSetName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*", name)
	}
	typ := str(c.input, "ChangeSetType")
	if typ == "" {
		typ = "UPDATE"
	}
	st := c.stack(stackName)
	if err := c.mayChange(st, stackName, name, typ); err != nil {
		return nil, err
	}
	var cur cfnApplied
	if st != nil {
		cur = st.cur
	}
	body, err := c.templateBody(cur)
	if err != nil {
		return nil, err
	}
	t, err := parseStackTemplate(body)
	if err != nil {
		return nil, err
	}
	caps := list(c.input, "Capabilities")
	if need := iamCapability(t); need != "" && !slices.Contains(caps, any(need)) && !slices.Contains(caps, any("CAPABILITY_NAMED_IAM")) {
		return nil, errorf("InsufficientCapabilitiesException", "Requires capabilities : [%s]", need)
	}
	params, err := stackParams(t, list(c.input, "Parameters"), cur.params)
	if err != nil {
		return nil, err
	}
	if st == nil {
		st = &cfnStack{Name: stackName, ID: arn("cloudformation", c.region, c.account(), "stack/"+stackName+"/"+c.requestID),
			Created: c.now, changeSets: map[string]*cfnChangeSet{}}
		r := c.cfn()
		r.stacks[stackName] = st
		r.order = append(r.order, stackName)
	}
	cs := &cfnChangeSet{Name: name, Type: typ, Created: c.now, Description: str(c.input, "Description"),
		ID: arn("cloudformation", c.region, c.account(), "changeSet/"+name+"/"+c.requestID)}
	next, err := c.nextApplied(st, t, body, params)
	if err != nil {
		return nil, err
	}
	next.tags, next.capabilities, next.roleARN = list(c.input, "Tags"), caps, str(c.input, "RoleARN")
	cs.next, cs.changes = next, resourceChanges(st.cur, next)
	if len(cs.changes) == 0 && sameJSON(
		[]any{st.cur.params, st.cur.rawOutputs, st.cur.tags}, []any{next.params, next.rawOutputs, next.tags}) {
		cs.failure = noChanges
	}
	st.changeSets[name] = cs
	st.csOrder = append(st.csOrder, name)
	return map[string]any{"Id": cs.ID, "StackId": st.ID}, nil
}

// mayChange refuses a change set CloudFormation refuses: an update of a
// stack that does not exist or is busy or failed, a creation of one that
// exists, a name taken.
func (c *call) mayChange(st *cfnStack, stackName, name, typ string) *awsError {
	if typ != "CREATE" && typ != "UPDATE" {
		return errorf("ValidationError", "ChangeSetType %s is not supported by the sandbox: CREATE or UPDATE", typ)
	}
	if st == nil {
		if typ == "UPDATE" {
			return errorf("ValidationError", "Stack [%s] does not exist", stackName)
		}
		return nil
	}
	status, _ := st.status(c.now)
	switch {
	case typ == "CREATE" && status != "REVIEW_IN_PROGRESS":
		return errorf("ValidationError", "Stack [%s] already exists and cannot be created again with the changeSet [%s].", stackName, name)
	case typ == "UPDATE" && (status == "REVIEW_IN_PROGRESS" || strings.HasSuffix(status, "_IN_PROGRESS") ||
		status == "ROLLBACK_COMPLETE" || strings.HasSuffix(status, "_FAILED")):
		return errorf("ValidationError", "Stack:%s is in %s state and can not be updated.", st.ID, status)
	case st.changeSets[name] != nil:
		return errorf("AlreadyExistsException", "ChangeSet [%s] already exists", name)
	}
	return nil
}

// templateBody is the change set's template: TemplateBody, the object
// TemplateURL names in the sandbox's S3, or the stack's current one.
func (c *call) templateBody(cur cfnApplied) (string, *awsError) {
	body, u := str(c.input, "TemplateBody"), str(c.input, "TemplateURL")
	previous, _ := boolean(c.input, "UsePreviousTemplate")
	switch {
	case body != "" && u == "" && !previous:
		return body, nil
	case u != "" && body == "" && !previous:
		return c.s3Template(u)
	case previous && body == "" && u == "" && cur.body != "":
		return cur.body, nil
	}
	return "", errorf("ValidationError", "Specify exactly one of TemplateBody, TemplateURL and UsePreviousTemplate (the last only for a stack that has a template)")
}

// s3Template reads a template from an S3 object URL, in its virtual-hosted
// (bucket.s3.region.amazonaws.com/key) or path (s3.region.amazonaws.com/
// bucket/key) form.
func (c *call) s3Template(raw string) (string, *awsError) {
	u, perr := url.Parse(raw)
	if perr != nil || u.Scheme != "https" || !strings.HasSuffix(u.Host, ".amazonaws.com") {
		return "", errorf("ValidationError", "TemplateURL must be a supported URL.")
	}
	bucketName, key := "", strings.TrimPrefix(u.Path, "/")
	if strings.HasPrefix(u.Host, "s3.") || strings.HasPrefix(u.Host, "s3-") {
		bucketName, key, _ = strings.Cut(key, "/")
	} else {
		bucketName, _, _ = strings.Cut(u.Host, ".s3")
	}
	b, ok := c.s3().buckets[bucketName]
	if !ok {
		return "", errorf("ValidationError", "S3 error: The specified bucket does not exist (%s)", bucketName)
	}
	if c.sb.faults.downFor(b.Region, "s3") {
		return "", &awsError{Code: "ValidationError", Message: "S3 error: S3 is unavailable in " + b.Region, Status: http.StatusBadRequest}
	}
	o, ok := b.objects[key]
	if !ok || (o.replica && c.now.Before(o.visibleAt)) {
		return "", errorf("ValidationError", "S3 error: Access Denied (no object %s in bucket %s)", key, bucketName)
	}
	return string(o.content), nil
}

// findChangeSet finds a change set by ARN, or by name in StackName.
func (c *call) findChangeSet() (*cfnStack, *cfnChangeSet, *awsError) {
	name, err := required(c.input, "ChangeSetName", "ValidationError")
	if err != nil {
		return nil, nil, err
	}
	if strings.HasPrefix(name, "arn:") {
		for _, stackName := range c.cfn().order {
			st := c.stack(stackName)
			for _, cs := range st.changeSets {
				if cs.ID == name {
					return st, cs, nil
				}
			}
		}
	} else if st := c.stack(str(c.input, "StackName")); st != nil {
		if cs := st.changeSets[name]; cs != nil {
			return st, cs, nil
		}
	} else if str(c.input, "StackName") == "" {
		return nil, nil, errorf("ValidationError", "StackName must be specified if ChangeSetName is not specified as an ARN.")
	}
	return nil, nil, notFound("ChangeSetNotFound", "ChangeSet [%s] does not exist", name)
}

// changeSetStatus is a change set's Status and ExecutionStatus at now.
func (st *cfnStack) changeSetStatus(cs *cfnChangeSet, now time.Time) (status, execution string) {
	switch age := now.Sub(cs.Created); {
	case age < cfnEventGap:
		return "CREATE_PENDING", "UNAVAILABLE"
	case age < cfnChangeSetTime:
		return "CREATE_IN_PROGRESS", "UNAVAILABLE"
	case cs.failure != "":
		return "FAILED", "UNAVAILABLE"
	case !cs.executed:
		return "CREATE_COMPLETE", "AVAILABLE"
	}
	stack, _ := st.status(now)
	switch {
	case strings.HasSuffix(stack, "_IN_PROGRESS"):
		return "CREATE_COMPLETE", "EXECUTE_IN_PROGRESS"
	case st.deploy != nil && st.deploy.ok:
		return "CREATE_COMPLETE", "EXECUTE_COMPLETE"
	}
	return "CREATE_COMPLETE", "EXECUTE_FAILED"
}

func cfnDescribeChangeSet(c *call) (any, error) {
	st, cs, err := c.findChangeSet()
	if err != nil {
		return nil, err
	}
	status, execution := st.changeSetStatus(cs, c.now)
	out := map[string]any{
		"ChangeSetName": cs.Name, "ChangeSetId": cs.ID, "StackId": st.ID, "StackName": st.Name,
		"CreationTime": cs.Created, "Status": status, "ExecutionStatus": execution,
		"Parameters": paramList(cs.next), "Capabilities": cs.next.capabilities, "Tags": cs.next.tags,
	}
	if cs.Description != "" {
		out["Description"] = cs.Description
	}
	if status == "FAILED" {
		out["StatusReason"] = cs.failure
	}
	changes := []any{}
	if status != "CREATE_PENDING" && status != "CREATE_IN_PROGRESS" {
		for _, ch := range cs.changes {
			rc := map[string]any{"Action": ch.Action, "LogicalResourceId": ch.Logical, "ResourceType": ch.Type}
			if ch.Action != "Add" {
				rc["PhysicalResourceId"] = ch.Physical
			}
			if ch.Replacement != "" {
				rc["Replacement"] = ch.Replacement
			}
			changes = append(changes, map[string]any{"Type": "Resource", "ResourceChange": rc})
		}
	}
	out["Changes"] = changes
	return out, nil
}

func cfnDeleteChangeSet(c *call) (any, error) {
	st, cs, err := c.findChangeSet()
	if err != nil {
		return nil, err
	}
	if _, execution := st.changeSetStatus(cs, c.now); execution == "EXECUTE_IN_PROGRESS" {
		return nil, errorf("InvalidChangeSetStatus", "Cannot delete ChangeSet in status %s", execution)
	}
	st.dropChangeSets(func(name string) bool { return name == cs.Name })
	return map[string]any{}, nil
}

// dropChangeSets removes the stack's change sets that drop says to.
func (st *cfnStack) dropChangeSets(drop func(name string) bool) {
	maps.DeleteFunc(st.changeSets, func(name string, _ *cfnChangeSet) bool { return drop(name) })
	st.csOrder = slices.DeleteFunc(st.csOrder, drop)
}

func cfnExecuteChangeSet(c *call) (any, error) {
	st, cs, err := c.findChangeSet()
	if err != nil {
		return nil, err
	}
	status, execution := st.changeSetStatus(cs, c.now)
	if execution != "AVAILABLE" {
		return nil, errorf("InvalidChangeSetStatus", "ChangeSet [%s] cannot be executed in its current status of [%s]", cs.ID, status)
	}
	if stack, _ := st.status(c.now); strings.HasSuffix(stack, "_IN_PROGRESS") && stack != "REVIEW_IN_PROGRESS" {
		return nil, errorf("InvalidChangeSetStatus", "ChangeSet [%s] cannot be executed: stack %s is %s", cs.ID, st.Name, stack)
	}
	cs.executed = true
	st.lastChangeSet = cs.ID
	// Executing a change set makes the stack's other change sets
	// obsolete; CloudFormation deletes them.
	st.dropChangeSets(func(name string) bool { return name != cs.Name })
	st.deploy = c.layOut(st, cs)
	if cs.Type == "UPDATE" {
		st.Updated = c.now
	}
	return map[string]any{}, nil
}

func cfnDescribeStacks(c *call) (any, error) {
	var stacks []*cfnStack
	if name := str(c.input, "StackName"); name != "" {
		st, err := c.existingStack()
		if err != nil {
			return nil, err
		}
		stacks = append(stacks, st)
	} else {
		for _, name := range c.cfn().order {
			stacks = append(stacks, c.stack(name))
		}
	}
	items := make([]any, 0, len(stacks))
	for _, st := range stacks {
		items = append(items, st.value(c.now))
	}
	return map[string]any{"Stacks": items}, nil
}

// value is a stack as DescribeStacks shows it.
func (st *cfnStack) value(now time.Time) map[string]any {
	status, reason := st.status(now)
	v := map[string]any{
		"StackId": st.ID, "StackName": st.Name, "CreationTime": st.Created, "StackStatus": status,
		"Parameters": paramList(st.cur), "Outputs": st.cur.outputs, "Tags": st.cur.tags, "Capabilities": st.cur.capabilities,
		"DisableRollback": false, "EnableTerminationProtection": false,
		"DriftInformation": map[string]any{"StackDriftStatus": "NOT_CHECKED"},
	}
	if reason != "" {
		v["StackStatusReason"] = reason
	}
	if st.cur.description != "" {
		v["Description"] = st.cur.description
	}
	if st.cur.roleARN != "" {
		v["RoleARN"] = st.cur.roleARN
	}
	if st.lastChangeSet != "" {
		v["ChangeSetId"] = st.lastChangeSet
	}
	if !st.Updated.IsZero() {
		v["LastUpdatedTime"] = st.Updated
	}
	return v
}

// paramList is a configuration's parameters as the API lists them, a
// NoEcho parameter's value masked.
func paramList(a cfnApplied) []any {
	out := []any{}
	for _, k := range sortedKeys(a.params) {
		v := a.params[k]
		if a.noEcho[k] {
			v = "****"
		}
		out = append(out, map[string]any{"ParameterKey": k, "ParameterValue": v})
	}
	return out
}

func cfnDescribeStackEvents(c *call) (any, error) {
	st, err := c.existingStack()
	if err != nil {
		return nil, err
	}
	items := []any{}
	for i := len(st.events) - 1; i >= 0; i-- {
		if e := st.events[i]; !e.at.After(c.now) {
			items = append(items, st.eventValue(i))
		}
	}
	return map[string]any{"StackEvents": items}, nil
}

func cfnListStacks(c *call) (any, error) {
	filter := list(c.input, "StackStatusFilter")
	items := []any{}
	for _, name := range c.cfn().order {
		st := c.stack(name)
		status, reason := st.status(c.now)
		if len(filter) > 0 && !slices.Contains(filter, any(status)) {
			continue
		}
		s := map[string]any{"StackId": st.ID, "StackName": st.Name, "CreationTime": st.Created, "StackStatus": status,
			"DriftInformation": map[string]any{"StackDriftStatus": "NOT_CHECKED"}}
		if reason != "" {
			s["StackStatusReason"] = reason
		}
		if st.cur.description != "" {
			s["TemplateDescription"] = st.cur.description
		}
		if !st.Updated.IsZero() {
			s["LastUpdatedTime"] = st.Updated
		}
		items = append(items, s)
	}
	return map[string]any{"StackSummaries": items}, nil
}
