package sandbox

import (
	"slices"
	"strings"
)

// registerIAM serves IAM's policy simulator, SimulatePrincipalPolicy, on
// the policy engine that holds requests to --policy (policy.go): what the
// simulator says a key may do is what the sandbox then allows it, because
// one evaluation answers both. drpilot ready asks it which of the actions
// `drpilot policy` lists the caller may perform.
//
// The sandbox has one principal, arn:aws:iam::ACCOUNT:user/drpilot-sandbox,
// whatever key signs; its policies are those of the key that signs the
// simulation. A key held to no policy is an administrator the sandbox
// does not evaluate: it has no policy to simulate, and the simulator says
// so (NoSuchEntity) rather than answer "allowed" for everything.
func registerIAM(s *Sandbox) {
	s.addService(&service{name: "iam", protocol: queryProtocol{}, xmlns: "https://iam.amazonaws.com/doc/2010-05-08/",
		version: "2010-05-08", throttleCode: "Throttling", home: "us-east-1"},
		&operation{name: "SimulatePrincipalPolicy", handler: iamSimulatePrincipalPolicy},
	)
}

// iamAuthz: the simulator is authorized on the principal it simulates.
var iamAuthz = map[string]authzFunc{
	"SimulatePrincipalPolicy": func(r *authzReq) []check { return r.own(r.arnIn("PolicySourceArn")) },
}

// IAM's simulator decisions, as EvalDecision spells them.
var evalDecisions = map[decision]string{allowed: "allowed", explicitDeny: "explicitDeny", implicitDeny: "implicitDeny"}

func iamSimulatePrincipalPolicy(c *call) (any, error) {
	source, e := required(c.input, "PolicySourceArn", "ValidationError")
	if e != nil {
		return nil, e
	}
	if source != c.callerARN() {
		return nil, notFound("NoSuchEntity", "The principal %s cannot be found: the sandbox's one principal is %s", source, c.callerARN())
	}
	for _, unsupported := range []string{"PolicyInputList", "PermissionsBoundaryPolicyInputList", "ResourcePolicy", "CallerArn", "ResourceOwner"} {
		if _, given := c.input[unsupported]; given {
			// Ignored, it would make the answer wrong without saying so.
			return nil, errorf("InvalidInput", "the sandbox does not simulate %s: it simulates the signing key's own policy alone", unsupported)
		}
	}
	p := c.sb.policyFor(c.accessKey)
	if p == nil {
		return nil, notFound("NoSuchEntity", "access key id %s is held to no IAM policy: the sandbox does not evaluate an administrator's requests, "+
			"so it has no policy to simulate (hold the key to one with drpilot sandbox --policy %s=FILE)", c.accessKey, c.accessKey)
	}
	actions, e := stringMembers(c.input, "ActionNames")
	if e != nil {
		return nil, e
	}
	if len(actions) == 0 {
		return nil, errorf("ValidationError", "ActionNames is required: give at least one action, such as s3:GetObject")
	}
	for _, a := range actions {
		if err := checkAction(a); err != nil || a == "*" || strings.ContainsAny(a, "*?") {
			return nil, errorf("InvalidInput", "ActionNames: %q is not an action: give service:Action, such as s3:GetObject", a)
		}
	}
	resources, e := stringMembers(c.input, "ResourceArns")
	if e != nil {
		return nil, e
	}
	if len(resources) == 0 {
		resources = []string{"*"}
	}
	ctx, e := simulationContext(c)
	if e != nil {
		return nil, e
	}
	var results []any
	for _, a := range actions {
		for _, res := range resources {
			r := map[string]any{"EvalActionName": a, "EvalResourceName": res, "EvalDecision": evalDecisions[p.evaluate(a, res, ctx)]}
			if missing := p.missingKeys(a, res, ctx); len(missing) > 0 {
				r["MissingContextValues"] = toAny(missing)
			}
			results = append(results, r)
		}
	}
	page, next, err := paginate(c.input, "MaxItems", "Marker", results, pageLimits{def: 100, min: 1, max: 1000, validation: "ValidationError"})
	if err != nil {
		return nil, err
	}
	out := map[string]any{"EvaluationResults": page, "IsTruncated": next != ""}
	if next != "" {
		out["Marker"] = next
	}
	return out, nil
}

// simulationContext is what the simulated requests carry: the principal's
// own keys, as every request of the key's has them (requestKeys), and the
// ContextEntries given. A key a condition names that is in neither fails
// the condition, as IAM's simulator evaluates it, and is reported among
// the result's MissingContextValues.
func simulationContext(c *call) (map[string]string, *awsError) {
	ctx := map[string]string{
		"aws:principalarn":     c.callerARN(),
		"aws:principalaccount": c.account(),
		"aws:principaltype":    "User",
		"aws:username":         "drpilot-sandbox",
	}
	for i, e := range list(c.input, "ContextEntries") {
		m, _ := e.(map[string]any)
		name := str(m, "ContextKeyName")
		values, err := stringMembers(m, "ContextKeyValues")
		if err != nil {
			return nil, err
		}
		if name == "" || len(values) == 0 {
			return nil, errorf("InvalidInput", "ContextEntries.member.%d needs a ContextKeyName and ContextKeyValues", i+1)
		}
		// The engine compares one value per key; a list's first is the
		// one a single-valued condition would see.
		ctx[strings.ToLower(name)] = values[0]
	}
	return ctx, nil
}

// stringMembers reads a list of strings, as the query protocol gives it.
func stringMembers(in map[string]any, key string) ([]string, *awsError) {
	var out []string
	for _, v := range list(in, key) {
		s, ok := v.(string)
		if !ok {
			return nil, errorf("ValidationError", "%s must be a list of strings", key)
		}
		out = append(out, s)
	}
	return out, nil
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// missingKeys lists the condition keys of the statements that apply to
// an action on a resource and that the request lacks: what the simulator
// reports as MissingContextValues, sorted.
func (p *Policy) missingKeys(action, resource string, ctx map[string]string) []string {
	var out []string
	for i := range p.statements {
		st := &p.statements[i]
		noConditions := *st
		noConditions.conditions = nil
		if !noConditions.matches(action, resource, ctx) {
			continue
		}
		for _, cond := range st.conditions {
			if _, ok := ctx[strings.ToLower(cond.key)]; !ok && !slices.Contains(out, cond.key) {
				out = append(out, cond.key)
			}
		}
	}
	slices.Sort(out)
	return out
}
