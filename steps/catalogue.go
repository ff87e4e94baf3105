// Package steps is drpilot's action catalogue: what each action a runbook
// step may name does, which parameters it takes, which AWS operations it
// calls and whether they change anything. The runbook validator and planner
// see it through the runbooks.Catalogue interface; docs/actions.md is
// generated from it, so the reference cannot drift from the code.
package steps

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/steps/awsclient"
)

// phaseOrder is the order of a recovery, which is also the order the
// reference lists actions in. "any" comes last: those actions fit anywhere.
var phaseOrder = []string{
	"declare", "freeze", "restore", "reintegrate", "switch", "verify", "notify", "any",
}

// Action is one action, whole, in one value: its spec (parameters, outputs,
// the AWS operations it may call — its own, its waits and its checks —
// idempotency and timing), the example step the reference shows, and its
// code: the run function, the planner of the requests a gate shows (when it
// sends more than its one primary request), and the redaction of input
// members that carry a secret under a name that does not say so. The
// validator, the planner, the executor, docs/actions.md and the IAM policy
// all read it from here.
type Action struct {
	spec    runbooks.ActionSpec
	example example
	run     runFunc
	plan    requestPlanner
	conceal func(s *StepRun)
	// withdraw undoes what the planner prepared before the gate, when the
	// approver skips the step or aborts the run (cloudformation's change
	// set, which only the gate's approval may carry out).
	withdraw func(ctx context.Context, s *StepRun)
	// prepares are the mutating operations with which the action only
	// prepares its change (before its gate) without making it: a resumed
	// step that sent no other has its preconditions evaluated again.
	prepares []string
}

// runs gives an action its code.
func (a Action) runs(fn runFunc) Action {
	a.run = fn
	return a
}

// plans gives an action the planner of the requests its gate shows.
func (a Action) plans(fn requestPlanner) Action {
	a.plan = fn
	return a
}

// withdraws gives an action the undoing of what its planner prepared
// before a gate that is not passed.
func (a Action) withdraws(fn func(ctx context.Context, s *StepRun)) Action {
	a.withdraw = fn
	return a
}

// preparesWith names the operations that only prepare the action's change.
func (a Action) preparesWith(operations ...string) Action {
	a.prepares = operations
	return a
}

// conceals gives an action the redaction of its input's secret members.
func (a Action) conceals(fn func(s *StepRun)) Action {
	a.conceal = fn
	return a
}

// example is a minimal [[steps]] entry that uses an action. The values are
// TOML literals, written out as they would appear in a runbook.
type example struct {
	id      string
	phase   string
	title   string
	with    []setting
	outputs []setting
}

// setting is one "key = value" line of an example; value is a TOML literal.
type setting struct {
	key, value string
}

// Catalogue is the set of actions drpilot knows. It implements
// runbooks.Catalogue. A Catalogue is not modified after it is built, so it
// is safe for concurrent use; the ActionSpecs it returns share their slices
// with it and must not be modified.
type Catalogue struct {
	entries map[string]Action
	names   []string // sorted by name
	ordered []string // sorted by phase, then name
}

var _ runbooks.Catalogue = (*Catalogue)(nil)

// Default returns the catalogue of every built-in action.
func Default() *Catalogue {
	c, err := build(builtinEntries())
	if err != nil {
		// The entries are constants of this package and the tests build
		// them, so this can only happen to a developer editing a table.
		panic("steps: invalid built-in catalogue: " + err.Error())
	}
	return c
}

// builtinEntries gathers the per-service tables: the one explicit list of
// every action drpilot has.
func builtinEntries() []Action {
	var all []Action
	for _, group := range [][]Action{
		genericActions(), incidentsActions(), ssmActions(), autoscalingActions(),
		ecsActions(), eventsActions(), lambdaActions(), backupActions(),
		rdsActions(), docdbActions(), dynamodbActions(), elastiCacheActions(), openSearchActions(), fisActions(), ec2Actions(), elbv2Actions(),
		route53Actions(), arcActions(), cloudwatchActions(), s3Actions(), secretsmanagerActions(), cloudformationActions(),
	} {
		all = append(all, group...)
	}
	return all
}

// build indexes entries, refusing duplicate names, and installs the default
// Input builder on every action that calls AWS and has none of its own.
func build(entries []Action) (*Catalogue, error) {
	c := &Catalogue{entries: make(map[string]Action, len(entries))}
	for _, e := range entries {
		name := e.spec.Name
		if name == "" {
			return nil, fmt.Errorf("an action has no name")
		}
		if _, dup := c.entries[name]; dup {
			return nil, fmt.Errorf("action %s is defined twice", name)
		}
		if e.run == nil {
			return nil, fmt.Errorf("action %s has no run function", name)
		}
		if e.spec.Input == nil && len(e.spec.Calls) > 0 && e.spec.OperationParam == "" {
			e.spec.Input = memberInput(e.spec.Params)
		}
		c.entries[name] = e
		c.names = append(c.names, name)
	}
	slices.Sort(c.names)
	c.ordered = slices.Clone(c.names)
	slices.SortStableFunc(c.ordered, func(a, b string) int {
		return phaseRank(c.entries[a].spec) - phaseRank(c.entries[b].spec)
	})
	return c, nil
}

// phaseRank places an action at its earliest listed phase, so an action
// listed under freeze and reintegrate is read with the freeze actions.
func phaseRank(spec runbooks.ActionSpec) int {
	rank := len(phaseOrder)
	for _, p := range spec.Phases {
		if i := slices.Index(phaseOrder, p); i >= 0 && i < rank {
			rank = i
		}
	}
	return rank
}

// Action returns the description of the named action.
func (c *Catalogue) Action(name string) (runbooks.ActionSpec, bool) {
	e, ok := c.entries[name]
	return e.spec, ok
}

// runners maps each action to its code, for an executor.
func (c *Catalogue) runners() map[string]runFunc {
	out := make(map[string]runFunc, len(c.entries))
	for name, a := range c.entries {
		out[name] = a.run
	}
	return out
}

// ActionNames lists every action name, sorted.
func (c *Catalogue) ActionNames() []string {
	return slices.Clone(c.names)
}

// Actions returns every action in the order of a recovery: by the earliest
// phase it is listed under (declare, freeze, restore, reintegrate, switch,
// verify, notify, then "any"), then by name.
func (c *Catalogue) Actions() []runbooks.ActionSpec {
	out := make([]runbooks.ActionSpec, 0, len(c.ordered))
	for _, name := range c.ordered {
		out = append(out, c.entries[name].spec)
	}
	return out
}

// Services lists the AWS service names a runbook may use in require.call
// and aws.call: the registry's keys plus aliases (elbv2).
func (c *Catalogue) Services() []string {
	return awsclient.Names()
}

// CallRegion returns the Region a call to service goes to from a step in
// region: the step's own, except for a global service, whose control plane
// answers in one Region (see ControlPlane).
func (c *Catalogue) CallRegion(service, region string) string {
	if plane, _, global := c.ControlPlane(service, region); global {
		return plane
	}
	return region
}

// ControlPlane says where a global service's control plane lives for a
// call from region (awsclient.Service.ControlPlane, given for the
// commercial partition), and what a failover should use instead. That
// matters in a runbook: when that Region is the one that is down, changes
// fail, while the data plane (Route 53 health checks, the edge of
// CloudFront and Global Accelerator, IAM's authentication) keeps working.
func (c *Catalogue) ControlPlane(service, region string) (plane, alternative string, global bool) {
	s, ok := awsclient.Lookup(service)
	if !ok || s.ControlPlane == "" {
		return "", "", false
	}
	plane = s.ControlPlane
	switch {
	case s.Prefix == "route53" && strings.HasPrefix(region, "cn-"):
		plane = "cn-northwest-1"
	case s.Prefix == "route53" && strings.HasPrefix(region, "us-gov-"):
		plane = "us-gov-west-1"
	case strings.HasPrefix(region, "cn-"), strings.HasPrefix(region, "us-gov-"):
		// Outside the commercial partition the SDK's endpoint rules know
		// the partition's global endpoint; the step's Region picks it.
		plane = region
	}
	return plane, s.DataPlane, true
}

// Classify says whether service:operation is read-only or mutating; see the
// package-level Classify.
func (c *Catalogue) Classify(service, operation string) runbooks.OperationClass {
	return Classify(service, operation)
}

// Operations lists the operations of a supported service's SDK client,
// so that check refuses an operation that does not exist.
func (c *Catalogue) Operations(service string) []string {
	return awsclient.Operations(service)
}

// CheckInput checks an operation's input against the SDK's input type with
// the walk Invoke converts it with (awsclient.CheckInput). Strings that
// still hold templates are resolved only during the run, so they are
// checked as values known later; a misspelt member gets the nearest name.
func (c *Catalogue) CheckInput(service, operation string, input map[string]any) []runbooks.InputProblem {
	marked, _ := markLater(input).(map[string]any)
	var out []runbooks.InputProblem
	for _, p := range awsclient.CheckInput(service, operation, marked) {
		rp := runbooks.InputProblem{Path: p.Path, Message: p.Message, Hint: p.Hint, AtKey: p.AtName, Warning: p.Warning}
		// A name of one or two letters (a union's Z for S) is one edit
		// from too many others for a guess to help.
		if key, _ := p.Path[len(p.Path)-1].(string); p.Unknown && len(key) > 2 {
			if near := runbooks.Suggest(key, p.Members); near != "" {
				rp.Hint = fmt.Sprintf("did you mean %q?", near)
			}
		}
		out = append(out, rp)
	}
	return out
}

// CheckQuery follows a query's member path through the operation's output
// type (awsclient.CheckQueryPath). A name that differs from the SDK's only
// in case says so; another gets the nearest name.
func (c *Catalogue) CheckQuery(service, operation string, path []string) *runbooks.QueryProblem {
	p := awsclient.CheckQueryPath(service, operation, path)
	if p == nil {
		return nil
	}
	hint := p.Hint
	if name := path[p.At]; p.Unknown && !strings.HasPrefix(hint, "member ") && len(name) > 2 {
		if near := runbooks.Suggest(name, p.Members); near != "" {
			hint = fmt.Sprintf("did you mean %q?", near)
		}
	}
	return &runbooks.QueryProblem{Message: p.Message, Hint: hint}
}

// markLater replaces the strings in v that still hold templates with
// awsclient.Later values.
func markLater(v any) any {
	switch x := v.(type) {
	case string:
		if runbooks.WholeTemplate(x) {
			return awsclient.Later{Whole: true}
		}
		if runbooks.HasTemplate(x) {
			return awsclient.Later{}
		}
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = markLater(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = markLater(e)
		}
		return out
	case []map[string]any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = markLater(e)
		}
		return out
	}
	return v
}
