package steps

import (
	"context"
	"strings"

	"github.com/drpilot/drpilot/runbooks"
)

// Readiness is one precondition evaluated before the run starts, for the
// start screen's readiness board.
type Readiness struct {
	Step string `json:"step"`
	PreconditionResult
	// Later is set when the precondition names outputs of earlier steps,
	// so that it can only be evaluated during the run.
	Later bool `json:"later,omitempty"`
}

// Readiness evaluates every precondition that can be evaluated now —
// those whose input and tests name no step outputs — without logging
// them: the board shows the operator where things stand before anything
// is decided. It is safe to call before Run, in every mode (preconditions
// are read-only).
func (e *Executor) Readiness(ctx context.Context) []Readiness {
	var out []Readiness
	for _, ps := range e.steps {
		if _, finished := e.opts.Done[ps.ID]; finished {
			continue // a resumed run does not run it again
		}
		step := &e.opts.Runbook.Steps[ps.Index]
		for k, req := range step.Require {
			r := Readiness{Step: ps.ID}
			if needsOutputs(req) {
				planned := ps.Requires[k]
				r.PreconditionResult = PreconditionResult{Index: k, Call: req.Call, Region: planned.Region,
					Query: req.Query, Tests: planned.Tests, Why: req.Why, Failure: "evaluated when its step starts: it reads outputs of earlier steps"}
				r.Later = true
			} else {
				r.PreconditionResult, _ = e.evaluate(ctx, ps, k, req)
			}
			out = append(out, r)
		}
	}
	return out
}

// needsOutputs reports whether a precondition names ${steps...}.
func needsOutputs(req runbooks.Require) bool {
	found := false
	check := func(ref runbooks.Ref) (any, bool) {
		if len(ref.Parts) > 0 && ref.Parts[0] == "steps" {
			found = true
		}
		return nil, false
	}
	runbooks.Resolve(req.Input, check)
	for _, c := range req.Conditions {
		runbooks.Resolve(c.Value, check)
	}
	return found || strings.Contains(req.Query, "${steps.")
}
