// Package policy derives the least-privilege IAM policy a runbook needs
// from what drpilot knows it will call: every action's operations (its
// own, its waits and checks), aws.call's operation, every precondition,
// and the notifications its recipients' channels take — read from the plan,
// which reads them from the one action registry. Resources are scoped to
// the ARNs known before the run where the API authorizes on them; calls to
// a Regional service are conditioned on the Regions the plan sends them to.
package policy

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/steps/awsclient"
)

// Version is the IAM policy language version.
const Version = "2012-10-17"

// Document is an IAM identity-based policy.
type Document struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one statement of a Document.
type Statement struct {
	Sid       string                         `json:"Sid"`
	Effect    string                         `json:"Effect"`
	Action    []string                       `json:"Action"`
	Resource  []string                       `json:"Resource"`
	Condition map[string]map[string][]string `json:"Condition,omitempty"`
}

// Permission is one IAM action a runbook needs: on what, where, and why.
type Permission struct {
	Action string `json:"action"`
	// Resources are the ARNs it acts on, or "*" when they are not known
	// before the run or the API does not authorize on a resource.
	Resources []string `json:"resources"`
	// Regions are the Regions its requests go to (aws:RequestedRegion);
	// empty for a global service, whose Region is its control plane's.
	Regions  []string `json:"regions,omitempty"`
	Mutating bool     `json:"mutating"`
	// Conditions are further conditions AWS evaluates for it, such as
	// iam:PassedToService for iam:PassRole.
	Conditions map[string]map[string][]string `json:"conditions,omitempty"`
	// Why lists where it comes from: "runbook/step (purpose)".
	Why []string `json:"why"`
	// Steps are the steps that need it, as "runbook/step": none for what
	// a team run needs on its lock table and audit bucket.
	Steps []string `json:"steps,omitempty"`
}

// Mode says which of a runbook's calls will be sent.
type Mode string

// Modes: a live run sends everything; a dry run only what reads.
const (
	ModeLive   Mode = "live"
	ModeDryRun Mode = "dry-run"
)

// Result is the policy for a set of runbooks, and where each permission
// comes from.
type Result struct {
	Policy      Document     `json:"policy"`
	Permissions []Permission `json:"permissions"`
}

// For returns the policy the planned runbooks need in mode.
func For(plans []*runbooks.RunPlan, mode Mode) Result {
	c := collector{perms: map[string]*Permission{}}
	for _, p := range plans {
		for i := range p.Steps {
			c.step(p, &p.Steps[i], mode)
		}
		c.team(p, mode)
	}
	perms := c.sorted()
	return Result{Policy: document(perms), Permissions: perms}
}

// collector merges the calls of every step into permissions.
type collector struct {
	perms map[string]*Permission
}

// step adds what one planned step calls.
func (c *collector) step(p *runbooks.RunPlan, ps *runbooks.PlannedStep, mode Mode) {
	var main map[string]any // the input of the action's own call
	for _, call := range ps.Calls {
		if call.Input != nil && main == nil {
			main = call.Input
		}
	}
	for _, call := range ps.Calls {
		if call.Mutating && mode == ModeDryRun {
			continue // shown, never sent
		}
		step := p.ID + "/" + ps.ID
		why := fmt.Sprintf("%s (%s)", step, call.Purpose)
		input := call.Input
		if input == nil && endpointRead(call.Operation) {
			// A read of a resource's own endpoint is authorized on the
			// resource, which the action's own call names.
			input = main
		}
		c.call(call.Operation, call.Region, p.Account, input, call.Mutating, why, step)
	}
	for _, r := range ps.Requires {
		c.call(r.Call, r.Region, p.Account, r.Input, false, fmt.Sprintf("%s/%s (precondition)", p.ID, ps.ID), p.ID+"/"+ps.ID)
	}
}

// call adds the permissions one operation of a step needs.
func (c *collector) call(operation, region, account string, input map[string]any, mutating bool, why, step string) {
	service, op, ok := strings.Cut(operation, ":")
	svc, known := awsclient.Lookup(service)
	if !ok || !known {
		return // check refuses it; nothing to grant
	}
	if account == "" {
		// A runbook that names no account runs in whichever the caller's
		// credentials are for: its ARNs match any.
		account = "*"
	}
	at := target{service: svc, region: region, account: account, input: input}
	needs := []grant{{action: svc.IAMAction(iamOperation(svc.Prefix, op)), resources: []string{"*"}}}
	if mutating || endpointRead(operation) {
		needs = resourcesFor(svc.IAM()+":"+op, at)
	}
	for _, g := range needs {
		c.add(g, at, mutating, why, step)
	}
}

// add merges one grant into the permission with the same action,
// resources and conditions; step is "" for what no step needs.
func (c *collector) add(g grant, at target, mutating bool, why, step string) {
	key := g.action + "|" + strings.Join(g.resources, ",") + "|" + fmt.Sprint(g.conditions)
	p, ok := c.perms[key]
	if !ok {
		p = &Permission{Action: g.action, Resources: g.resources, Conditions: g.conditions}
		c.perms[key] = p
	}
	p.Mutating = p.Mutating || mutating
	if regional(at.service) && !g.global && !slices.Contains(p.Regions, at.region) {
		p.Regions = append(p.Regions, at.region)
	}
	if !slices.Contains(p.Why, why) {
		p.Why = append(p.Why, why)
	}
	if step != "" && !slices.Contains(p.Steps, step) {
		p.Steps = append(p.Steps, step)
	}
}

// regional says whether a service's requests can be held to the Regions
// the plan sends them to. A global service's go to its control plane's;
// S3's to each bucket's own Region, which the plan does not always know
// (s3.check-replication reads the destination bucket in another Region),
// and its buckets, named across all Regions, are what its permissions
// scope.
func regional(s awsclient.Service) bool {
	return s.ControlPlane == "" && !s.InResourceRegion
}

// sorted returns the permissions by action, then resources.
func (c *collector) sorted() []Permission {
	out := make([]Permission, 0, len(c.perms))
	for _, p := range c.perms {
		slices.Sort(p.Regions)
		out = append(out, *p)
	}
	slices.SortFunc(out, func(a, b Permission) int {
		return cmp.Or(cmp.Compare(a.Action, b.Action), slices.Compare(a.Resources, b.Resources))
	})
	return out
}

// document groups the permissions into statements: one per set of
// resources, Regions and conditions, each listing its actions.
func document(perms []Permission) Document {
	doc := Document{Version: Version, Statement: []Statement{}}
	index := map[string]int{}
	for _, p := range perms {
		cond := map[string]map[string][]string{}
		for op, kv := range p.Conditions {
			cond[op] = kv
		}
		if len(p.Regions) > 0 {
			cond["StringEquals"] = merged(cond["StringEquals"], "aws:RequestedRegion", p.Regions)
		}
		if len(cond) == 0 {
			cond = nil
		}
		key := strings.Join(p.Resources, ",") + "|" + fmt.Sprint(cond) + "|" + fmt.Sprint(p.Mutating)
		i, ok := index[key]
		if !ok {
			i = len(doc.Statement)
			index[key] = i
			doc.Statement = append(doc.Statement, Statement{Sid: sid(p, i), Effect: "Allow", Resource: p.Resources, Condition: cond})
		}
		if !slices.Contains(doc.Statement[i].Action, p.Action) {
			doc.Statement[i].Action = append(doc.Statement[i].Action, p.Action)
		}
	}
	return doc
}

// merged adds key → values to a condition operator's block.
func merged(block map[string][]string, key string, values []string) map[string][]string {
	out := map[string][]string{key: values}
	for k, v := range block {
		out[k] = v
	}
	return out
}

// sid names a statement: what it allows, numbered.
func sid(p Permission, i int) string {
	kind := "Read"
	if p.Mutating {
		kind = "Change"
	}
	return fmt.Sprintf("Drpilot%s%d", kind, i+1)
}
