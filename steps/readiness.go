package steps

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/steps/awsclient"
)

// Readiness is one precondition evaluated before the run starts, for the
// start screen's readiness board.
type Readiness struct {
	Step string `json:"step"`
	PreconditionResult
	// Later is set when the precondition names outputs of earlier steps,
	// so that it can only be evaluated during the run.
	Later bool `json:"later,omitempty"`
	// Freshness is set when a test is a within: the precondition says how
	// old a backup, a replica's lag or a recovery point may be, which is
	// what the runbook's RPO rests on.
	Freshness bool `json:"freshness,omitempty"`
	// AfterChanges names the earlier step whose change may make the
	// precondition hold (see changedBefore): what is read now is the
	// world before that change, so a "no" now is not a "no" for the run.
	AfterChanges string `json:"after_changes,omitempty"`
	// Missing is set when the read failed because what it names does not
	// exist (a NotFound or NoSuch error, or a 404): a resource the runbook
	// names is gone, which is a "no", not a read that could not be made.
	Missing bool `json:"missing,omitempty"`
}

// ReadinessOptions are what the readiness board needs without a run: no
// audit log, no approver, nothing that could send a change.
type ReadinessOptions struct {
	Runbook *runbooks.Runbook
	Plan    *runbooks.RunPlan
	// Catalogue is nil for the default one.
	Catalogue *Catalogue
	// Clients must be a dry-run factory: the board only reads.
	Clients *awsclient.Factory
	// Now is the clock within tests are judged by (the sandbox's in
	// sandbox mode); nil means time.Now.
	Now func() time.Time
	// TimeScale divides the pauses between reads AWS asked to retry.
	TimeScale float64
}

// EvaluateReadiness evaluates the readiness board of a runbook with no
// executor of a run: what drpilot ready prints and publishes, the same
// evaluation the start screen shows. It refuses a factory that could
// send a change.
func EvaluateReadiness(ctx context.Context, opts ReadinessOptions) ([]Readiness, error) {
	if opts.Runbook == nil || opts.Plan == nil || opts.Clients == nil {
		return nil, errors.New("steps.EvaluateReadiness: Runbook, Plan and Clients are required")
	}
	if !opts.Clients.DryRun() {
		return nil, errors.New("steps.EvaluateReadiness: needs a dry-run client factory")
	}
	if opts.Catalogue == nil {
		opts.Catalogue = Default()
	}
	e, err := newExecutor(Options{Runbook: opts.Runbook, Plan: opts.Plan, Catalogue: opts.Catalogue,
		Mode: ModeDryRun, Clients: opts.Clients, Now: opts.Now, TimeScale: opts.TimeScale})
	if err != nil {
		return nil, err
	}
	return e.Readiness(ctx), nil
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
			r := Readiness{Step: ps.ID, Freshness: slices.ContainsFunc(req.Conditions, isWithin),
				AfterChanges: e.changedBefore(ps.Index, k)}
			if needsOutputs(req) {
				planned := ps.Requires[k]
				r.PreconditionResult = PreconditionResult{Index: k, Call: req.Call, Region: planned.Region,
					Query: req.Query, Tests: planned.Tests, Why: req.Why, Failure: "evaluated when its step starts: it reads outputs of earlier steps"}
				r.Later = true
			} else {
				var err error
				r.PreconditionResult, err = e.evaluate(ctx, ps, k, req)
				r.Missing = r.Unchecked && missing(err)
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

func isWithin(c runbooks.Condition) bool { return c.Op == "within" }

// Sentence says the board's line as the log says a precondition's result:
// what was read, where, and what was observed against what was wanted.
func (r Readiness) Sentence() string {
	if r.Later {
		return fmt.Sprintf("precondition %d (%s in %s) is %s", r.Index+1, r.Call, r.Region, r.Failure)
	}
	return preconditionLine(r.PreconditionResult)
}

// affects lists, for a service, the other services whose reads its
// changes commonly change: scaling a group or a service adds or removes
// load balancer targets; restoring a backup makes a resource.
var affects = map[string][]string{
	"autoscaling": {"elasticloadbalancing", "ec2"},
	"ecs":         {"elasticloadbalancing"},
	"ec2":         {"elasticloadbalancing"},
	// A restore job makes the database, volume or table it restores.
	"backup": {"rds", "ec2", "dynamodb", "elasticfilesystem"},
}

// changedBefore names the earlier step (one step i depends on) whose
// change is the likeliest to make precondition k of step i hold: the
// nearest such step that changes the resource it reads (an identifier of
// its input is in the step's), else the nearest that changes anything in
// the service it reads, else the nearest whose changes affect that
// service; "" when there is none. Which step makes a precondition hold is
// not written anywhere, and this is the cheap approximation of it: a
// promoted replica is read by rds after rds:PromoteReadReplica, healthy
// targets after a group was scaled. What changes is the action
// registry's classification of each call (Classify), the rule dry-run's
// guard applies.
func (e *Executor) changedBefore(i, k int) string {
	req := e.steps[i].Requires[k]
	service, _, _ := splitOperation(req.Call)
	service, _ = CanonicalService(service)
	ids := identifiers(req.Input, nil)
	// best[tier] is the nearest candidate of each tier: 0 the same
	// resource, 1 the same service, 2 a service whose changes affect it.
	best := [3]int{-1, -1, -1}
	for j, ps := range e.steps {
		if j == i || !e.graph.DependsOn(i, j) {
			continue
		}
		tier := -1
		for _, c := range ps.Calls {
			changed, op, _ := splitOperation(c.Operation)
			changed, _ = CanonicalService(changed)
			switch {
			case Classify(changed, op) == runbooks.OpReadOnly:
			case changed == service && sharesIdentifier(ids, c.Input, ps.Params):
				tier = 0
			case changed == service && (tier < 0 || tier > 1):
				tier = 1
			case slices.Contains(affects[changed], service) && tier < 0:
				tier = 2
			}
		}
		if tier >= 0 && e.nearer(j, best[tier]) {
			best[tier] = j
		}
	}
	for _, j := range best {
		if j >= 0 {
			return e.steps[j].ID
		}
	}
	return ""
}

// nearer reports whether step j runs closer before a later step than
// step other (-1 for none): after it, or, on parallel branches, later in
// the file.
func (e *Executor) nearer(j, other int) bool {
	switch {
	case other < 0 || e.graph.DependsOn(j, other):
		return true
	case e.graph.DependsOn(other, j):
		return false
	}
	return j > other
}

// identifiers collects the strings of an input that may name a resource:
// not the short flags and enum values (String, true) that any two inputs
// of a service share.
func identifiers(v any, into map[string]bool) map[string]bool {
	if into == nil {
		into = map[string]bool{}
	}
	switch x := v.(type) {
	case map[string]any:
		for _, item := range x {
			identifiers(item, into)
		}
	case []any:
		for _, item := range x {
			identifiers(item, into)
		}
	case string:
		if len(x) >= 3 && strings.ToUpper(x) != x && !strings.EqualFold(x, "true") && !strings.EqualFold(x, "false") {
			into[x] = true
		}
	}
	return into
}

// sharesIdentifier reports whether a call's input, or its step's
// parameters, name one of ids.
func sharesIdentifier(ids map[string]bool, input, params map[string]any) bool {
	if len(ids) == 0 {
		return false
	}
	for id := range identifiers(params, identifiers(input, nil)) {
		if ids[id] {
			return true
		}
	}
	return false
}

// missing reports whether a read's error says that what it named does not
// exist.
func missing(err error) bool {
	var ce *awsclient.CallError
	if !errors.As(err, &ce) || ce.Retryable {
		return false
	}
	return strings.Contains(ce.Code, "NotFound") || strings.HasPrefix(ce.Code, "NoSuch") || ce.HTTPStatus == 404
}
