package runbooks

import (
	"fmt"
	"strings"
)

var (
	confirmModes     = []string{ConfirmNone, ConfirmYes, ConfirmType}
	onFailureChoices = []string{OnFailureAsk, OnFailureStop, OnFailureContinue}
)

// MaxRetries bounds a step's automatic retries: past a handful, retrying
// hides an outage instead of riding out a blip.
const MaxRetries = 10

func (v *validator) steps() {
	for i := range v.rb.Steps {
		s := &v.rb.Steps[i]
		path := v.stepPath(i)
		if v.requireID(path+".id", s.ID, "step") {
			if first, dup := v.ids[s.ID]; dup {
				v.rep.errorAtValue(path+".id", fmt.Sprintf("first defined at line %d; step ids must be unique", v.rep.index().key(indexPath("steps", first)).Line), "duplicate step id %q", s.ID)
			} else {
				v.ids[s.ID] = i
			}
		}
	}
	for i := range v.rb.Steps {
		v.step(i)
	}
}

func (v *validator) step(i int) {
	s := &v.rb.Steps[i]
	path := v.stepPath(i)
	r := v.rep
	switch {
	case s.Phase == "":
		r.errorAt(path+".phase", "add phase = \"...\": one of "+joinList(Phases), "step %q has no phase", s.ID)
	case PhaseRank(s.Phase) < 0:
		r.errorAtValue(path+".phase", choiceHint(s.Phase, Phases), "unknown phase %q", s.Phase)
	}
	if s.Region != "" && s.Region != RegionPrimary && s.Region != RegionRecovery {
		v.checkRegion(path+".region", s.Region, true)
	}
	if s.Confirm != "" && !contains(confirmModes, s.Confirm) {
		r.errorAtValue(path+".confirm", choiceHint(s.Confirm, confirmModes), "unknown confirm mode %q", s.Confirm)
	}
	if s.OnFailure != "" && !contains(onFailureChoices, s.OnFailure) {
		r.errorAtValue(path+".on_failure", choiceHint(s.OnFailure, onFailureChoices), "unknown on_failure %q", s.OnFailure)
	}
	if s.Retries < 0 || s.Retries > MaxRetries {
		r.errorAtValue(path+".retries", fmt.Sprintf("use 0 to %d; the SDK already retries throttling and transient errors", MaxRetries), "retries %d is out of range", s.Retries)
	}
	if strings.TrimSpace(s.Doc) == "" {
		r.warnAt(path, "add doc = \"\"\"...\"\"\": what the step does, why, and what to look at", "step %q has no doc", s.ID)
	}
	v.after(i)
	v.undo(i)
	v.outputs(i)
	spec, ok := v.action(i)
	if ok {
		v.params(path, s, spec)
		v.stepCall(path, s, spec)
		v.outputQueries(path, s, spec)
		v.mutating[i] = v.isMutating(s, spec)
		v.globalControlPlane(i, s, spec)
		if v.mutating[i] && len(s.Require) == 0 && !spec.NoPrecondition {
			r.warnAt(path, "add a [[steps.require]] that checks the world is as this step assumes", "mutating step %q has no precondition", s.ID)
		}
	}
	for j := range s.Require {
		v.require(indexPath(path+".require", j), s, &s.Require[j])
	}
	// The gate as Plan resolves it; unknown when the action is.
	gate := s.Confirm
	if gate == "" && ok {
		gate = ConfirmNone
		if v.mutating[i] {
			gate = ConfirmYes
		}
	}
	v.approvals(i, gate)
}

// globalControlPlane warns when a step depends on a global service's
// control plane that lives in the primary Region — the Region the runbook
// assumes may be down — through any call it makes: the action's own, its
// waits and checks, or aws.call's operation. Its preconditions are
// checked where they are (require).
func (v *validator) globalControlPlane(i int, s *Step, spec ActionSpec) {
	region := v.rb.ResolveRegion(s.Region)
	path := v.stepPath(i) + ".action"
	// The change the step makes is named first: it is what fails.
	ops := make([]string, 0, len(spec.Calls)+1)
	for _, mutating := range []bool{true, false} {
		for _, c := range spec.Calls {
			if c.Mutating == mutating {
				ops = append(ops, c.Operation)
			}
		}
	}
	if spec.OperationParam != "" {
		if op, ok := s.With[spec.OperationParam].(string); ok {
			ops, path = append(ops, op), v.stepPath(i)+".with."+spec.OperationParam
		}
	}
	for _, op := range ops {
		if v.controlPlaneInPrimary(path, op, region) {
			return // one warning per step
		}
	}
}

// controlPlaneInPrimary warns, at path, when op from region goes to a
// global control plane in the runbook's primary Region, and says so.
func (v *validator) controlPlaneInPrimary(path, op, region string) bool {
	svc, _, _ := strings.Cut(op, ":")
	plane, alternative, global := v.cat.ControlPlane(svc, region)
	if !global || plane != v.rb.Regions.Primary {
		return false
	}
	hint := "if that Region is down the call fails: prefer a failover that needs no control plane, and say in doc what to do if it fails"
	if alternative != "" {
		hint = "if that Region is down the call fails; instead: " + alternative
	}
	v.rep.warnAtValue(path, hint, "%s goes to the %s control plane in %s, this runbook's primary Region", op, svc, plane)
	return true
}

// hasAt reports whether a diagnostic was already made for path, so that a
// value is not blamed twice for one mistake.
func (ds Diagnostics) hasAt(path string) bool {
	for _, d := range ds {
		if d.Path == path {
			return true
		}
	}
	return false
}

func (v *validator) action(i int) (ActionSpec, bool) {
	s := &v.rb.Steps[i]
	path := v.stepPath(i)
	if s.Action == "" {
		v.rep.errorAt(path+".action", "add action = \"...\": an entry of docs/actions.md, or \"manual\"", "step %q has no action", s.ID)
		return ActionSpec{}, false
	}
	spec, ok := v.cat.Action(s.Action)
	if !ok {
		hint := "see docs/actions.md for the catalogue"
		if sug := suggest(s.Action, v.cat.ActionNames()); sug != "" {
			hint = fmt.Sprintf("did you mean %q?", sug)
		}
		v.rep.errorAtValue(path+".action", hint, "unknown action %q", s.Action)
	}
	return spec, ok
}

// isMutating says whether a step can change anything: its action is
// mutating, or it is the generic call and the operation is not known to be
// read-only.
func (v *validator) isMutating(s *Step, spec ActionSpec) bool {
	if spec.OperationParam == "" {
		return spec.Mutating
	}
	op, _ := s.With[spec.OperationParam].(string)
	svc, name, ok := strings.Cut(op, ":")
	return !ok || v.cat.Classify(svc, name) != OpReadOnly
}

// IsMutating reports whether the step at index i can change anything, as
// its action and (for aws.call) its operation say. Unknown actions count as
// mutating.
func IsMutating(rb *Runbook, cat Catalogue, i int) bool {
	spec, ok := cat.Action(rb.Steps[i].Action)
	if !ok {
		return true
	}
	v := &validator{cat: cat}
	return v.isMutating(&rb.Steps[i], spec)
}

func (v *validator) after(i int) {
	s := &v.rb.Steps[i]
	if len(s.After) == 0 {
		return
	}
	path := v.stepPath(i) + ".after"
	seen := make(map[string]bool, len(s.After))
	for j, dep := range s.After {
		p := indexPath(path, j)
		switch _, ok := v.ids[dep]; {
		case dep == s.ID:
			v.rep.errorAtValue(p, "remove it: a step cannot wait for itself", "step %q waits for itself", s.ID)
		case seen[dep]:
			v.rep.warnAtValue(p, "remove the repeat", "step %q is listed twice in after", dep)
		case !ok:
			v.rep.errorAtValue(p, v.stepHint(dep), "unknown step %q in after", dep)
		}
		seen[dep] = true
	}
}

// stepHint suggests a step id for a misspelt one.
func (v *validator) stepHint(id string) string {
	ids := make([]string, len(v.rb.Steps))
	for i := range v.rb.Steps {
		ids[i] = v.rb.Steps[i].ID
	}
	if s := suggest(id, ids); s != "" {
		return fmt.Sprintf("did you mean %q?", s)
	}
	return "name the id of a [[steps]] entry in this runbook"
}

// undo is prose or the id of the step that undoes this one. Text that
// looks like an id but names no step is probably a typo.
func (v *validator) undo(i int) {
	u := v.rb.Steps[i].Undo
	if u == "" || !isID(u) {
		return
	}
	if _, ok := v.ids[u]; ok {
		return
	}
	v.rep.warnAtValue(v.stepPath(i)+".undo", v.stepHint(u)+"; or write the rollback in words", "undo %q names no step", u)
}

func (v *validator) outputs(i int) {
	s := &v.rb.Steps[i]
	for _, o := range s.Outputs {
		p := joinKey(v.stepPath(i)+".outputs", o.Name)
		if !outputRE.MatchString(o.Name) {
			v.rep.errorAt(p, "use letters, digits, - and _, starting with a letter", "malformed output name %q", o.Name)
		}
		if o.Query == "" {
			if !v.rep.diags.hasAt(p) {
				v.rep.errorAtValue(p, "give a JMESPath over the AWS response, e.g. \"DBInstance.Endpoint.Address\"", "empty output query")
			}
			continue
		}
		if err := v.compileQuery(o.Query); err != nil {
			v.rep.errorAtValue(p, "outputs are JMESPath over the AWS response (PascalCase member names)", "malformed query %q: %v", o.Query, err)
		}
	}
}
