package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/drpilot/drpilot/audit"
	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/steps"
)

// decideOptions are resume's answers given in advance: --decide
// STEP=retry|skip|continue for a failure the run stopped on (or skip for
// a step not run yet, done by hand), --set STEP.OUTPUT=VALUE for a skipped
// step's outputs, and --reason for the skips and continues.
type decideOptions struct {
	decide []string
	set    []string
	reason string
}

// resumeDecisions are the parsed answers: decisions for failures, skips of
// steps that have not run, and outputs for steps skipped before.
type resumeDecisions struct {
	failures map[string]steps.Decision
	skips    map[string]steps.Decision
	outputs  map[string]map[string]any // for steps skipped before
}

// parseDecisions checks resume's answers against the runbook and what the
// log says happened, and says exactly what is wrong with one that cannot
// be used: a decision must answer a real question.
func parseDecisions(o decideOptions, rb *runbooks.Runbook, prior *steps.Prior, who string) (*resumeDecisions, error) {
	d := &resumeDecisions{failures: map[string]steps.Decision{}, skips: map[string]steps.Decision{}, outputs: map[string]map[string]any{}}
	outputs, err := parseSets(o.set, rb)
	if err != nil {
		return nil, err
	}
	reason := strings.TrimSpace(o.reason)
	for _, kv := range o.decide {
		step, verdict, ok := strings.Cut(kv, "=")
		if !ok || step == "" {
			return nil, badInput("--decide %q: write STEP=retry, STEP=skip or STEP=continue", kv)
		}
		if rb.StepIndex(step) < 0 {
			return nil, badInput("--decide %s: the runbook has no step %q%s", kv, step, didYouMean(step, stepIDs(rb)))
		}
		dec := steps.Decision{Verdict: steps.Verdict(verdict), Actor: who, Reason: reason}
		switch dec.Verdict {
		case steps.VerdictRetry:
		case steps.VerdictSkip, steps.VerdictContinue:
			if reason == "" {
				return nil, badInput("--decide %s: say why with --reason: the reason goes into the audit log", kv)
			}
		default:
			return nil, badInput("--decide %s: the decision is retry, skip or continue, not %q", kv, verdict)
		}
		if dec.Verdict == steps.VerdictSkip {
			dec.Outputs = outputs[step]
			delete(outputs, step)
		}
		f, failed := prior.Failed[step]
		done, finished := prior.Done[step]
		switch {
		case failed && (f.Continued || rb.Steps[rb.StepIndex(step)].OnFailure == runbooks.OnFailureContinue):
			return nil, badInput("--decide %s: step %s failed, and its failure was allowed already (on_failure = continue, or a decision): the steps after it run, and there is nothing to decide", kv, step)
		case failed:
			d.failures[step] = dec
		case finished:
			return nil, badInput("--decide %s: step %s is already %s; a decision answers a failure the run stopped on", kv, step, done.Status)
		case dec.Verdict == steps.VerdictSkip:
			d.skips[step] = dec
		default:
			return nil, badInput("--decide %s: step %s has not failed, so there is nothing to %s; to leave it out, --decide %s=skip --reason ...", kv, step, verdict, step)
		}
	}
	for step, values := range outputs {
		if err := settable(step, values, prior.Done[step], reason); err != nil {
			return nil, err
		}
		d.outputs[step] = values
	}
	return d, nil
}

// settable says whether --set may give these outputs of a step: any of a
// skipped step, and of a done step only those it did not produce (its
// query matched nothing), with a reason — what AWS answered is never
// replaced.
func settable(step string, values map[string]any, done steps.PriorStep, reason string) error {
	switch done.Status {
	case steps.StatusSkipped:
		return nil
	case steps.StatusDone:
		for name := range values {
			if v := done.Outputs[name]; v != nil {
				return badInput("--set %s.%s: step %s is done and produced %s = %s; resume never replaces what a step produced", step, name, step, name, runbooks.CompactJSON(v))
			}
		}
		if reason == "" {
			return badInput("--set %s.*: step %s is done without a value for it: say where the value comes from with --reason, which goes into the audit log", step, step)
		}
		return nil
	}
	return badInput("--set %s.*: outputs are given for a skipped step, or a done one that did not produce them, and %s is neither: add --decide %s=skip --reason ...", step, step, step)
}

// parseSets reads --set STEP.OUTPUT=VALUE, each naming an output the step
// declares.
func parseSets(sets []string, rb *runbooks.Runbook) (map[string]map[string]any, error) {
	out := map[string]map[string]any{}
	for _, kv := range sets {
		ref, value, ok := strings.Cut(kv, "=")
		step, name, dotted := strings.Cut(ref, ".")
		if !ok || !dotted || step == "" || name == "" {
			return nil, badInput("--set %q: write STEP.OUTPUT=VALUE", kv)
		}
		i := rb.StepIndex(step)
		if i < 0 {
			return nil, badInput("--set %s: the runbook has no step %q%s", kv, step, didYouMean(step, stepIDs(rb)))
		}
		var declared []string
		for _, o := range rb.Steps[i].Outputs {
			declared = append(declared, o.Name)
		}
		if !slices.Contains(declared, name) {
			if len(declared) == 0 {
				return nil, badInput("--set %s: step %s declares no outputs", kv, step)
			}
			return nil, badInput("--set %s: step %s has no output %q; it declares %s", kv, step, name, strings.Join(declared, ", "))
		}
		if out[step] == nil {
			out[step] = map[string]any{}
		}
		out[step][name] = value
	}
	return out, nil
}

// didYouMean suggests the closest of names to s, as ": did you mean X?".
func didYouMean(s string, names []string) string {
	if c := runbooks.Suggest(s, names); c != "" {
		return fmt.Sprintf(": did you mean %q?", c)
	}
	return ""
}

// stepIDs lists the runbook's step ids, for suggestions.
func stepIDs(rb *runbooks.Runbook) []string {
	ids := make([]string, len(rb.Steps))
	for i := range rb.Steps {
		ids[i] = rb.Steps[i].ID
	}
	return ids
}

// applyOutputs records outputs given for steps finished before as
// decisions in the log, and makes them the steps' outputs for this run.
func (d *resumeDecisions) applyOutputs(log *audit.Writer, prior *steps.Prior, who, reason string) error {
	for _, step := range slices.Sorted(maps.Keys(d.outputs)) {
		values := d.outputs[step]
		verdict, why := steps.VerdictSkip, "outputs given on resume"
		if prior.Done[step].Status == steps.StatusDone {
			verdict, why = steps.VerdictSetOutputs, reason
		}
		if _, err := log.Append(audit.Entry{Type: audit.TypeDecision, Step: step, Actor: who, Data: map[string]any{
			"decision": string(verdict), "reason": why, "outputs": values}}); err != nil {
			return fmt.Errorf("audit log: %w", err)
		}
		prior.Done[step] = prior.Done[step].Given(values)
	}
	return nil
}

// applySkips skips the steps not yet run that the operator did by hand.
func (d *resumeDecisions) applySkips(exec *steps.Executor) error {
	for _, step := range slices.Sorted(maps.Keys(d.skips)) {
		dec := d.skips[step]
		if err := exec.SkipWithOutputs(step, dec.Reason, dec.Actor, dec.Outputs); err != nil {
			return badInput("--decide %s=skip: %v", step, err)
		}
	}
	return nil
}
