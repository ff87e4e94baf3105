package steps

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/drpilot/drpilot/runbooks"
)

// resolveParams resolves the templates the plan could not: outputs of
// earlier steps and run values. A reference that still has no value (its
// step was skipped, failed, or its query matched nothing) is an error that
// names it, never a literal "${...}" sent to AWS.
func (e *Executor) resolveParams(ps *runbooks.PlannedStep) (map[string]any, error) {
	var missing []string
	lookup := e.lookup(func(ref runbooks.Ref, why string) {
		missing = append(missing, ref.Text+" "+why)
	})
	v, err := runbooks.Resolve(ps.Params, lookup)
	if err != nil {
		return nil, err
	}
	if len(missing) > 0 {
		return nil, errors.New(strings.Join(missing, "; "))
	}
	if deps := e.simulatedDeps(ps.Params); len(deps) > 0 {
		e.emit(Event{Type: EventNote, Step: ps.ID, Simulated: true,
			Message: "dry-run: input depends on simulated outputs of " + strings.Join(deps, ", ")})
	}
	params, _ := v.(map[string]any)
	if params == nil {
		params = map[string]any{}
	}
	return params, nil
}

// lookup knows everything a template may name during the run. miss is told
// about references it cannot answer, with the reason.
func (e *Executor) lookup(miss func(ref runbooks.Ref, why string)) runbooks.Lookup {
	static := e.opts.Runbook.StaticLookup()
	return func(ref runbooks.Ref) (any, bool) {
		p := ref.Parts
		switch {
		case len(p) == 2 && p[0] == "run" && p[1] == "id":
			return e.opts.RunID, true
		case len(p) == 2 && p[0] == "run" && p[1] == "started_at":
			return e.opts.StartedAt.UTC().Format(time.RFC3339), true
		case len(p) == 3 && p[0] == "steps":
			v, why := e.output(p[1], p[2])
			if why != "" {
				miss(ref, why)
				return nil, false
			}
			return v, true
		}
		v, ok := static(ref)
		if !ok {
			miss(ref, "has no value")
		}
		return v, ok
	}
}

// output returns a step's output, or why there is none.
func (e *Executor) output(step, name string) (any, string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	i := e.opts.Runbook.StepIndex(step)
	if i < 0 {
		return nil, "names no step of this runbook"
	}
	outs, ok := e.outputs[step]
	if !ok {
		return nil, fmt.Sprintf("has no value: step %s is %s", step, e.status[i])
	}
	v, ok := outs[name]
	if !ok {
		return nil, fmt.Sprintf("has no value: step %s has no output %s", step, name)
	}
	if v == nil {
		return nil, fmt.Sprintf("has no value: the query of output %s matched nothing in step %s's response", name, step)
	}
	return v, ""
}

// simulatedDeps lists the steps with simulated outputs that params refer to.
func (e *Executor) simulatedDeps(params map[string]any) []string {
	var deps []string
	seen := map[string]bool{}
	runbooks.Resolve(params, func(ref runbooks.Ref) (any, bool) {
		if len(ref.Parts) == 3 && ref.Parts[0] == "steps" && !seen[ref.Parts[1]] {
			e.mu.Lock()
			sim := e.simulated[ref.Parts[1]]
			e.mu.Unlock()
			if sim {
				deps = append(deps, ref.Parts[1])
			}
			seen[ref.Parts[1]] = true
		}
		return nil, false
	})
	return deps
}
