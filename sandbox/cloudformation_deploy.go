package sandbox

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// A stack's deployment is laid out when its change set is executed: the
// stack's and each resource's events, a few simulated seconds apart, one
// resource after another, in the order of their logical ids. A stuck
// fault on "<stack>/<logical id>" in force at that moment makes that
// resource fail (state "FAILED", or "FAILED: <reason>" to give the reason
// CloudFormation reports), and the stack rolls back; any other state holds
// the resource in progress, and the deployment never ends.

type cfnEvent struct {
	at                                     time.Time
	logical, physical, typ, status, reason string
}

// cfnDeploy is a stack's last deployment.
type cfnDeploy struct {
	next cfnApplied
	// end is when the deployment is over; zero when a resource is held in
	// progress and it never is.
	end     time.Time
	ok      bool
	create  bool
	settled bool
}

// stackType is the resource type of a stack's own events.
const stackType = "AWS::CloudFormation::Stack"

// settle makes a deployment that is over the stack's configuration: what
// it deployed, or what it rolled back to.
func (st *cfnStack) settle(now time.Time) {
	d := st.deploy
	if d == nil || d.settled || d.end.IsZero() || now.Before(d.end) {
		return
	}
	d.settled = true
	if d.ok {
		st.cur = d.next
	}
}

func (st *cfnStack) event(at time.Time, logical, physical, typ, status, reason string) {
	st.events = append(st.events, cfnEvent{at: at, logical: logical, physical: physical, typ: typ, status: status, reason: reason})
}

func (st *cfnStack) stackEvent(at time.Time, status, reason string) {
	st.event(at, st.Name, st.ID, stackType, status, reason)
}

// eventValue is event i as DescribeStackEvents shows it.
func (st *cfnStack) eventValue(i int) map[string]any {
	e := st.events[i]
	v := map[string]any{
		"EventId": fmt.Sprintf("%s-%s-%04d", e.logical, e.status, i), "StackId": st.ID, "StackName": st.Name,
		"LogicalResourceId": e.logical, "ResourceType": e.typ, "Timestamp": e.at, "ResourceStatus": e.status,
	}
	if e.physical != "" {
		v["PhysicalResourceId"] = e.physical
	}
	if e.reason != "" {
		v["ResourceStatusReason"] = e.reason
	}
	return v
}

// layOut writes the events of a change set's deployment from now on, and
// returns the deployment.
func (c *call) layOut(st *cfnStack, cs *cfnChangeSet) *cfnDeploy {
	d := &cfnDeploy{next: cs.next, create: cs.Type == "CREATE"}
	verb := "UPDATE"
	if d.create {
		verb = "CREATE"
	}
	at := c.now
	st.stackEvent(at, verb+"_IN_PROGRESS", "User Initiated")
	var done, removes []cfnChange
	for _, ch := range cs.changes {
		if ch.Action == "Remove" {
			removes = append(removes, ch)
			continue
		}
		work := "UPDATE"
		if ch.Action == "Add" {
			work = "CREATE"
		}
		at = at.Add(cfnEventGap)
		st.event(at, ch.Logical, ch.Physical, ch.Type, work+"_IN_PROGRESS", "")
		fault := c.sb.faults.stuckState("cloudformation", c.region, st.Name+"/"+ch.Logical)
		if fault != "" && !strings.HasPrefix(fault, "FAILED") {
			return d
		}
		at = at.Add(cfnResourceTime)
		if fault != "" {
			st.event(at, ch.Logical, ch.Physical, ch.Type, work+"_FAILED", failureReason(fault, work))
			d.end = st.rollBack(at, d.create, ch, done)
			return d
		}
		st.event(at, ch.Logical, ch.Physical, ch.Type, work+"_COMPLETE", "")
		done = append(done, ch)
	}
	if !d.create {
		at = at.Add(cfnEventGap)
		st.stackEvent(at, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "")
		for _, ch := range removes {
			at = st.deleteResource(at, ch)
		}
	}
	at = at.Add(cfnEventGap)
	st.stackEvent(at, verb+"_COMPLETE", "")
	d.end, d.ok = at, true
	return d
}

// failureReason is the ResourceStatusReason of a resource a fault fails.
func failureReason(fault, work string) string {
	if _, reason, ok := strings.Cut(fault, ":"); ok && strings.TrimSpace(reason) != "" {
		return strings.TrimSpace(reason)
	}
	return fmt.Sprintf(`Resource handler returned message: "Resource %s failed: a fault injected in the sandbox" (HandlerErrorCode: GeneralServiceException)`,
		strings.ToLower(work))
}

// rollBack writes the events of a rollback after failed failed, done being
// the changes made before it, and returns when it is over. A failed
// creation deletes what it made; a failed update puts back the resources
// it modified and deletes those it added.
func (st *cfnStack) rollBack(at time.Time, create bool, failed cfnChange, done []cfnChange) time.Time {
	undo := append(slices.Clone(done), failed)
	slices.Reverse(undo)
	at = at.Add(cfnEventGap)
	if create {
		st.stackEvent(at, "ROLLBACK_IN_PROGRESS",
			fmt.Sprintf("The following resource(s) failed to create: [%s]. Rollback requested by user.", failed.Logical))
		for _, ch := range undo {
			at = st.deleteResource(at, ch)
		}
		at = at.Add(cfnEventGap)
		st.stackEvent(at, "ROLLBACK_COMPLETE", "")
		return at
	}
	st.stackEvent(at, "UPDATE_ROLLBACK_IN_PROGRESS", fmt.Sprintf("The following resource(s) failed to update: [%s]. ", failed.Logical))
	for _, ch := range undo {
		if ch.Action == "Modify" {
			at = at.Add(cfnEventGap)
			st.event(at, ch.Logical, ch.Physical, ch.Type, "UPDATE_IN_PROGRESS", "")
			at = at.Add(cfnResourceTime)
			st.event(at, ch.Logical, ch.Physical, ch.Type, "UPDATE_COMPLETE", "")
		}
	}
	at = at.Add(cfnEventGap)
	st.stackEvent(at, "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", "")
	for _, ch := range undo {
		if ch.Action == "Add" {
			at = st.deleteResource(at, ch)
		}
	}
	at = at.Add(cfnEventGap)
	st.stackEvent(at, "UPDATE_ROLLBACK_COMPLETE", "")
	return at
}

// deleteResource writes a resource's deletion and returns when it is over.
func (st *cfnStack) deleteResource(at time.Time, ch cfnChange) time.Time {
	at = at.Add(cfnEventGap)
	st.event(at, ch.Logical, ch.Physical, ch.Type, "DELETE_IN_PROGRESS", "")
	at = at.Add(cfnResourceTime)
	st.event(at, ch.Logical, ch.Physical, ch.Type, "DELETE_COMPLETE", "")
	return at
}

// nextApplied is what a change set would make of the stack: the template's
// resources with their properties resolved (kept physical ids for those
// that stay, new ones for the rest) and its outputs' values.
func (c *call) nextApplied(st *cfnStack, t *cfnTemplate, body string, params map[string]string) (cfnApplied, *awsError) {
	next := cfnApplied{body: body, description: t.description, params: params, noEcho: map[string]bool{},
		resources: map[string]cfnDeployed{}, rawOutputs: t.outputs, outputs: []any{}}
	for name, p := range t.params {
		if p.noEcho {
			next.noEcho[name] = true
		}
	}
	physical := map[string]string{}
	for id, r := range t.resources {
		if old, ok := st.cur.resources[id]; ok && old.Type == r.Type {
			physical[id] = old.Physical
		} else {
			physical[id] = fmt.Sprintf("%s-%s-%s", st.Name, id, resourceID("", st.ID+"/"+id+"/"+c.requestID)[:12])
		}
	}
	eval := &cfnEval{params: params, physical: physical, block: "Resources",
		pseudo: map[string]string{"AWS::Region": c.region, "AWS::AccountId": c.account(), "AWS::StackName": st.Name,
			"AWS::StackId": st.ID, "AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com"},
		attribute: func(id, attr string) string { return c.cfnAttribute(t.resources[id].Type, physical[id], attr) }}
	for id, r := range t.resources {
		props, err := eval.value(r.Props, false)
		if err != nil {
			return next, err
		}
		next.resources[id] = cfnDeployed{Type: r.Type, Physical: physical[id], Props: props}
	}
	eval.block = "Outputs"
	for _, key := range sortedKeys(t.outputs) {
		o := t.outputs[key]
		v, err := eval.value(o.Value, true)
		if err != nil {
			return next, err
		}
		out := map[string]any{"OutputKey": key, "OutputValue": fmt.Sprint(v)}
		if o.Description != "" {
			out["Description"] = o.Description
		}
		next.outputs = append(next.outputs, out)
	}
	return next, nil
}

// cfnAttribute is a resource's Fn::GetAtt: an ARN for Arn, else a value
// made from its physical id.
func (c *call) cfnAttribute(typ, physical, attr string) string {
	if parts := strings.Split(typ, "::"); attr == "Arn" && len(parts) == 3 {
		return arn(strings.ToLower(parts[1]), c.region, c.account(), strings.ToLower(parts[2])+"/"+physical)
	}
	return physical + "." + strings.ToLower(attr)
}

// resourceChanges is what a change set does to the stack's resources:
// Add, Modify (a new type is a replacement) and Remove, by logical id.
func resourceChanges(cur, next cfnApplied) []cfnChange {
	ids := sortedKeys(next.resources)
	for id := range cur.resources {
		if _, ok := next.resources[id]; !ok {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	var out []cfnChange
	for _, id := range ids {
		old, had := cur.resources[id]
		n, has := next.resources[id]
		switch {
		case !had:
			out = append(out, cfnChange{Action: "Add", Logical: id, Physical: n.Physical, Type: n.Type})
		case !has:
			out = append(out, cfnChange{Action: "Remove", Logical: id, Physical: old.Physical, Type: old.Type})
		case old.Type != n.Type:
			out = append(out, cfnChange{Action: "Modify", Logical: id, Physical: old.Physical, Type: n.Type, Replacement: "True"})
		case !sameJSON(old.Props, n.Props):
			out = append(out, cfnChange{Action: "Modify", Logical: id, Physical: old.Physical, Type: n.Type, Replacement: "False"})
		}
	}
	return out
}
