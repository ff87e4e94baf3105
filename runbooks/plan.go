package runbooks

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// RunPlan is what a runbook will do, resolved as far as it can be before
// the run: the dependency graph, the RTO budget, and per step the AWS calls
// with their Region and parameters, the preconditions and the gate.
type RunPlan struct {
	File        string  `json:"file"`
	SHA256      string  `json:"sha256"`
	ID          string  `json:"id"`
	Title       string  `json:"title"`
	Description string  `json:"description,omitempty"`
	Owner       string  `json:"owner,omitempty"`
	Account     string  `json:"account,omitempty"`
	Strategy    string  `json:"strategy,omitempty"`
	Regions     Regions `json:"regions"`
	// Team is [runbook.team] with its Region resolved; nil without one.
	Team     *Team        `json:"team,omitempty"`
	RPO      *Duration    `json:"rpo,omitempty"`
	Budget   Budget       `json:"budget"`
	Levels   [][]string   `json:"levels"`
	Phases   []PlanPhase  `json:"phases"`
	Warnings []Diagnostic `json:"warnings,omitempty"`
	Contacts []Contact    `json:"contacts,omitempty"`
	// Secrets are the values of the runbook's sensitive vars, for what
	// shows the plan's inputs to redact; never written out.
	Secrets []string      `json:"-"`
	Steps   []PlannedStep `json:"-"`
}

// Budget compares the critical path, by expected durations, with the RTO.
type Budget struct {
	RTO          *Duration `json:"rto,omitempty"`
	CriticalPath Duration  `json:"critical_path"`
	Path         []string  `json:"path"`
	// Spare is RTO minus the critical path: negative when over budget.
	Spare  *Duration `json:"spare,omitempty"`
	Within bool      `json:"within"`
}

// PlanPhase is one phase and its steps, in file order.
type PlanPhase struct {
	Name  string        `json:"name"`
	Steps []PlannedStep `json:"steps"`
}

// PlannedStep is one step as it will run.
type PlannedStep struct {
	Index    int      `json:"index"`
	ID       string   `json:"id"`
	Title    string   `json:"title"`
	Phase    string   `json:"phase"`
	Action   string   `json:"action"`
	Summary  string   `json:"summary"`
	Doc      string   `json:"doc,omitempty"`
	Mutating bool     `json:"mutating"`
	Region   string   `json:"region"`
	Gate     string   `json:"gate"`
	After    []string `json:"after"`
	Level    int      `json:"level"`
	Expect   Duration `json:"expect"`
	// ExpectFrom says where Expect came from: "step" or "catalogue".
	ExpectFrom string   `json:"expect_from"`
	Timeout    Duration `json:"timeout"`
	Retries    int      `json:"retries"`
	OnFailure  string   `json:"on_failure"`
	// Params are the step's parameters with templates known before the
	// run resolved and the action's defaults filled in.
	Params map[string]any `json:"params"`
	// secrets are the texts its JSON must not show (see MarshalJSON).
	secrets  []string
	Calls    []PlannedCall    `json:"calls"`
	Requires []PlannedRequire `json:"requires"`
	Outputs  []Output         `json:"outputs,omitempty"`
	Undo     string           `json:"undo,omitempty"`
	Critical bool             `json:"critical"`
	// Approvals is how many distinct keys must approve the step, the
	// operator's counting once: 1 is the operator alone. Approvers, when
	// set, names the keys (keys/NAME.pub) whose approvals count. On a
	// manual step what is approved is the checklist done, once the
	// operator has ticked it; on any other step, its gate, before it runs
	// (Validate refuses approvals > 1 where the gate is none).
	Approvals int      `json:"approvals"`
	Approvers []string `json:"approvers,omitempty"`
}

// PlannedCall is one AWS operation a step makes. Input is known for the
// action's main call; references known only during the run stay as
// written, e.g. "${steps.restore-db.endpoint}".
type PlannedCall struct {
	Operation string         `json:"operation"`
	Purpose   string         `json:"purpose"`
	Mutating  bool           `json:"mutating"`
	Region    string         `json:"region"`
	Input     map[string]any `json:"input,omitempty"`
	// ControlPlane is set when the call goes to a global service's
	// control plane, which lives only in Region: a single point of
	// failure the plan shows.
	ControlPlane bool `json:"global_control_plane,omitempty"`
}

// PlannedRequire is a precondition with its Region and input resolved.
type PlannedRequire struct {
	Call   string         `json:"call"`
	Region string         `json:"region"`
	Input  map[string]any `json:"input,omitempty"`
	Query  string         `json:"query,omitempty"`
	Tests  []string       `json:"tests"`
	Why    string         `json:"why,omitempty"`
	// ControlPlane is as in PlannedCall.
	ControlPlane bool `json:"global_control_plane,omitempty"`
}

// DefaultTimeout is a step's timeout when neither the step nor its action
// sets one.
const DefaultTimeout = 30 * time.Minute

// Plan validates the runbook and resolves it into a plan. It returns the
// diagnostics, and a nil plan when there are errors.
func Plan(rb *Runbook, cat Catalogue) (*RunPlan, Diagnostics) {
	diags := Validate(rb, cat)
	if diags.HasErrors() {
		return nil, diags
	}
	g := BuildGraph(rb)
	p := &RunPlan{
		File: rb.File, SHA256: rb.SHA256, ID: rb.ID, Title: rb.Title, Description: rb.Description,
		Owner: rb.Owner, Account: rb.Account, Strategy: rb.Strategy, Regions: rb.Regions,
		Warnings: diags.Warnings(), Contacts: rb.Contacts, Secrets: rb.Secrets(),
	}
	if rb.RPO.Duration > 0 {
		p.RPO = &Duration{rb.RPO.Duration}
	}
	if rb.Team != nil {
		team := *rb.Team
		team.Region = rb.ResolveRegion(team.Region)
		p.Team = &team
	}
	lookup := rb.StaticLookup()
	for i := range rb.Steps {
		ps, err := planStep(rb, cat, g, i, lookup)
		if err != nil {
			return nil, append(diags, Diagnostic{Severity: SeverityError, File: rb.File,
				Line: rb.pos.index().key(indexPath("steps", i)).Line, Col: 1, Path: indexPath("steps", i), Message: err.Error()})
		}
		redactPlannedCalls(&ps, p.Secrets)
		p.Steps = append(p.Steps, ps)
	}
	p.budget(rb, g)
	for _, level := range g.Levels {
		ids := make([]string, len(level))
		for k, i := range level {
			ids[k] = rb.Steps[i].ID
		}
		p.Levels = append(p.Levels, ids)
	}
	for _, phase := range Phases {
		var steps []PlannedStep
		for _, s := range p.Steps {
			if s.Phase == phase {
				steps = append(steps, s)
			}
		}
		if len(steps) > 0 {
			p.Phases = append(p.Phases, PlanPhase{Name: phase, Steps: steps})
		}
	}
	return p, diags
}

func planStep(rb *Runbook, cat Catalogue, g *Graph, i int, lookup Lookup) (PlannedStep, error) {
	s := &rb.Steps[i]
	spec, _ := cat.Action(s.Action)
	ps := PlannedStep{
		Index: i, ID: s.ID, Title: s.Title, Phase: s.Phase, Action: s.Action, Summary: spec.Summary,
		Doc: s.Doc, Mutating: IsMutating(rb, cat, i), Region: rb.ResolveRegion(s.Region),
		Level: g.Level[i], Retries: s.Retries, OnFailure: s.OnFailure, Undo: s.Undo, Outputs: s.Outputs,
		After: []string{}, Requires: []PlannedRequire{}, Calls: []PlannedCall{},
		Approvals: max(s.Approvals, 1), Approvers: slices.Clone(s.Approvers),
	}
	if ps.Title == "" {
		ps.Title = s.ID
	}
	for _, d := range g.Deps[i] {
		ps.After = append(ps.After, rb.Steps[d].ID)
	}
	ps.Gate = s.Confirm
	if ps.Gate == "" {
		ps.Gate = ConfirmNone
		if ps.Mutating {
			ps.Gate = ConfirmYes
		}
	}
	if ps.OnFailure == "" {
		ps.OnFailure = OnFailureAsk
	}
	ps.Expect, ps.ExpectFrom = expectedDuration(s, spec)
	ps.Timeout = s.Timeout
	if ps.Timeout.Duration == 0 {
		ps.Timeout = spec.Timeout
		if ps.Timeout.Duration == 0 {
			ps.Timeout = Duration{DefaultTimeout}
		}
	}
	if err := planCalls(&ps, cat, spec, s, rb.Contacts, lookup); err != nil {
		return ps, err
	}
	for j, q := range s.Require {
		pr, err := planRequire(rb, cat, s, q, lookup)
		if err != nil {
			return ps, fmt.Errorf("require[%d]: %w", j, err)
		}
		ps.Requires = append(ps.Requires, pr)
	}
	return ps, nil
}

// expectedDuration is the step's expect, else the duration parameter that
// is its expected duration (wait), else the catalogue's estimate; and where
// it came from.
func expectedDuration(s *Step, spec ActionSpec) (Duration, string) {
	if s.Expect.Duration > 0 {
		return s.Expect, "step"
	}
	if spec.ExpectParam != "" {
		if text, ok := s.With[spec.ExpectParam].(string); ok {
			if d, err := ParseDuration(text); err == nil {
				return Duration{d}, spec.ExpectParam
			}
		}
	}
	return spec.Expect, "catalogue"
}

// recipientChannels returns the channels (contact fields) that the
// recipients named in the step's contact-list parameters have.
func recipientChannels(spec ActionSpec, with map[string]any, contacts []Contact) map[string]bool {
	have := map[string]bool{}
	for _, p := range spec.Params {
		ids, _ := with[p.Name].([]any)
		if p.Kind != KindContactIDs {
			continue
		}
		for _, id := range ids {
			for _, c := range contacts {
				if c.ID != id {
					continue
				}
				for _, field := range ContactFields {
					if contactField(c, field) != "" {
						have[field] = true
					}
				}
			}
		}
	}
	return have
}

// planCalls lists the step's AWS calls, with the input of the main call.
func planCalls(ps *PlannedStep, cat Catalogue, spec ActionSpec, s *Step, contacts []Contact, lookup Lookup) error {
	resolved, err := Resolve(s.With, lookup)
	if err != nil {
		return fmt.Errorf("with: %w", err)
	}
	with, _ := resolved.(map[string]any)
	// The run resolves the parameters again, with the outputs of earlier
	// steps: literal "${" must reach it escaped.
	later, err := ResolveLater(s.With, lookup)
	if err != nil {
		return fmt.Errorf("with: %w", err)
	}
	laterWith, _ := later.(map[string]any)
	ps.Params = withDefaults(spec.Params, laterWith)
	if spec.OperationParam != "" {
		op, _ := with[spec.OperationParam].(string)
		input, _ := with["input"].(map[string]any)
		ps.Calls = append(ps.Calls, PlannedCall{Operation: op, Purpose: "action", Mutating: ps.Mutating,
			Region: callRegion(cat, op, ps.Region), Input: input, ControlPlane: globalControlPlane(cat, op, ps.Region)})
		return nil
	}
	// The input belongs to the action's main call; a read-only action that
	// only waits has none, and its first call takes the input instead.
	main := 0
	for k, c := range spec.Calls {
		if c.Purpose == "action" {
			main = k
			break
		}
	}
	channels := recipientChannels(spec, with, contacts)
	for k, c := range spec.Calls {
		if c.Channel != "" && !channels[c.Channel] {
			continue // no recipient has this channel
		}
		pc := PlannedCall{Operation: c.Operation, Purpose: c.Purpose, Mutating: c.Mutating,
			Region: callRegion(cat, c.Operation, ps.Region), ControlPlane: globalControlPlane(cat, c.Operation, ps.Region)}
		if k == main {
			pc.Input = actionInput(spec, with)
		}
		ps.Calls = append(ps.Calls, pc)
	}
	return nil
}

// callRegion is the Region a "service:Operation" call from a step in
// region goes to.
func callRegion(cat Catalogue, op, region string) string {
	svc, _, _ := strings.Cut(op, ":")
	return cat.CallRegion(svc, region)
}

// globalControlPlane says whether a "service:Operation" call from a step
// in region goes to a global service's one-Region control plane.
func globalControlPlane(cat Catalogue, op, region string) bool {
	svc, _, _ := strings.Cut(op, ":")
	_, _, global := cat.ControlPlane(svc, region)
	return global
}

// actionInput builds the main call's input from the parameters: the
// action's own mapping when it has one, else each parameter (or its
// default) into its AWS member.
func actionInput(spec ActionSpec, with map[string]any) map[string]any {
	if spec.Input != nil {
		return spec.Input(withDefaults(spec.Params, with))
	}
	return memberInput(spec.Params, withDefaults(spec.Params, with))
}

func withDefaults(params []Param, with map[string]any) map[string]any {
	out := make(map[string]any, len(with))
	for k, v := range with {
		out[k] = v
	}
	for _, p := range params {
		if _, ok := out[p.Name]; !ok && p.Default != nil {
			out[p.Name] = p.Default
		}
	}
	return out
}

func memberInput(params []Param, with map[string]any) map[string]any {
	in := map[string]any{}
	for _, p := range params {
		v, ok := with[p.Name]
		if !ok || p.Member == "" {
			continue
		}
		in[p.Member] = memberValue(p, v)
	}
	if len(in) == 0 {
		return nil
	}
	return in
}

// memberValue renames the fields of objects (and lists of objects) from
// their parameter names to their AWS member names.
func memberValue(p Param, v any) any {
	switch {
	case p.Kind == KindObject:
		if m, ok := v.(map[string]any); ok {
			return memberInput(p.Fields, m)
		}
	case p.Kind == KindList && p.Elem != nil && p.Elem.Kind == KindObject:
		if list, ok := v.([]any); ok {
			out := make([]any, len(list))
			for i, e := range list {
				out[i] = memberValue(*p.Elem, e)
			}
			return out
		}
	}
	return v
}

func planRequire(rb *Runbook, cat Catalogue, s *Step, q Require, lookup Lookup) (PlannedRequire, error) {
	region := rb.requireRegion(s, q)
	pr := PlannedRequire{Call: q.Call, Region: callRegion(cat, q.Call, region), Why: q.Why, ControlPlane: globalControlPlane(cat, q.Call, region)}
	query, err := Resolve(q.Query, lookup)
	if err != nil {
		return pr, fmt.Errorf("query: %w", err)
	}
	pr.Query, _ = query.(string)
	if q.Input != nil {
		in, err := Resolve(q.Input, lookup)
		if err != nil {
			return pr, fmt.Errorf("input: %w", err)
		}
		pr.Input, _ = in.(map[string]any)
	}
	for _, c := range q.Conditions {
		val, err := Resolve(c.Value, lookup)
		if err != nil {
			return pr, fmt.Errorf("%s: %w", c.Op, err)
		}
		pr.Tests = append(pr.Tests, c.Op+" "+formatTestValue(val))
	}
	return pr, nil
}

func formatTestValue(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("%q", x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = formatTestValue(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return fmt.Sprint(v)
}

// budget compares the critical path with the RTO.
func (p *RunPlan) budget(rb *Runbook, g *Graph) {
	expect := make([]time.Duration, len(p.Steps))
	for i, s := range p.Steps {
		expect[i] = s.Expect.Duration
	}
	total, path := criticalPath(g, expect)
	p.Budget = Budget{CriticalPath: Duration{total}, Path: []string{}, Within: true}
	for _, i := range path {
		p.Budget.Path = append(p.Budget.Path, p.Steps[i].ID)
		p.Steps[i].Critical = true
	}
	if rb.RTO.Duration > 0 {
		spare := rb.RTO.Duration - total
		p.Budget.RTO = &Duration{rb.RTO.Duration}
		p.Budget.Spare = &Duration{spare}
		p.Budget.Within = spare >= 0
	}
}

// criticalPath finds the longest chain of expected durations through the
// dependency graph: the shortest time the whole runbook can take.
func criticalPath(g *Graph, expect []time.Duration) (time.Duration, []int) {
	finish := make([]time.Duration, len(expect))
	via := make([]int, len(expect))
	end := -1
	for _, i := range g.Order {
		var start time.Duration
		via[i] = -1
		for _, d := range g.Deps[i] {
			if via[i] < 0 || finish[d] > start {
				start, via[i] = finish[d], d
			}
		}
		finish[i] = start + expect[i]
		if end < 0 || finish[i] > finish[end] {
			end = i
		}
	}
	var path []int
	for i := end; i >= 0; i = via[i] {
		path = append(path, i)
	}
	slices.Reverse(path)
	if end < 0 {
		return 0, nil
	}
	return finish[end], path
}

// rtoBudget warns when the expected critical path is longer than the RTO.
func (v *validator) rtoBudget(g *Graph) {
	if g.Cyclic || v.rb.RTO.Duration == 0 || v.rep.diags.HasErrors() {
		return
	}
	expect := make([]time.Duration, len(v.rb.Steps))
	for i, s := range v.rb.Steps {
		spec, _ := v.cat.Action(s.Action)
		d, _ := expectedDuration(&v.rb.Steps[i], spec)
		expect[i] = d.Duration
	}
	total, path := criticalPath(g, expect)
	if total <= v.rb.RTO.Duration {
		return
	}
	ids := make([]string, len(path))
	for k, i := range path {
		ids[k] = v.rb.Steps[i].ID
	}
	if len(ids) > 6 {
		ids = append(append(ids[:3:3], "…"), ids[len(ids)-2:]...)
	}
	v.rep.warnAtValue("runbook.rto", "run `drpilot plan` to see the critical path; shorten it with parallel branches (after) or revisit the target",
		"the critical path %s is expected to take %s, longer than the rto of %s",
		strings.Join(ids, " → "), FormatDuration(total), v.rb.RTO)
}
