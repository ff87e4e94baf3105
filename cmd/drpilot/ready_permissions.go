package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/drpilot/drpilot/policy"
	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/steps/awsclient"
)

// simulateBatch is how many actions one SimulatePrincipalPolicy request
// asks about. IAM evaluates each action on each resource of a request and
// pages its answer; a modest batch keeps each request well inside IAM's
// request size and its answer to a page or two.
const simulateBatch = 50

// permissionsCall is the call the permissions check makes.
const permissionsCall = "iam:SimulatePrincipalPolicy"

// readyPermissions asks IAM's policy simulator, which evaluates the
// caller's policies without sending what it evaluates, whether the caller
// may do what `drpilot policy` derives for the runbook (the same
// derivation, live mode): a denied action fails, one line per action,
// resource and Region, naming the steps that need it. An endpoint that
// does not serve the simulator, or a caller who may not call it, leaves
// permissions not checked, and says what to grant.
func readyPermissions(ctx context.Context, clients *awsclient.Factory, plan *runbooks.RunPlan, callerARN, account string) []readyCheck {
	c := readyCheck{Check: "permissions", Call: permissionsCall}
	if callerARN == "" {
		c.Status, c.Detail = readyNotChecked, "not checked: who the caller is is not known (see the identity check)"
		return []readyCheck{c}
	}
	principal, why := simulatedPrincipal(callerARN)
	if principal == "" {
		c.Status, c.Detail = readyNotChecked, "not checked: "+why
		return []readyCheck{c}
	}
	perms := policy.For([]*runbooks.RunPlan{plan}, policy.ModeLive).Permissions
	var denied []readyCheck
	for _, q := range simulationQuestions(perms, account) {
		results, err := simulate(ctx, clients, principal, q)
		if err != nil {
			c.Status, c.Detail = permissionsUnasked(err, callerARN)
			return []readyCheck{c}
		}
		for _, r := range results {
			if r.decision != "allowed" {
				denied = append(denied, deniedCheck(principal, q, r))
			}
		}
	}
	if len(denied) > 0 {
		return denied
	}
	c.Status = readyOK
	c.Detail = fmt.Sprintf("%s may do all %d actions 'drpilot policy' lists for this runbook, on its resources and in each Region they go to (IAM's policy simulator)", principal, actionCount(perms))
	if len(perms) == 0 {
		c.Detail = "the runbook calls no AWS action"
	}
	return []readyCheck{c}
}

// simulatedPrincipal is the IAM principal whose policies the simulator
// evaluates for a caller: an assumed role's session is its role (what the
// session may do is what the role may, session policies aside). "" with
// why when there is none to simulate.
func simulatedPrincipal(callerARN string) (principal, why string) {
	parts := strings.SplitN(callerARN, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return "", fmt.Sprintf("the caller %q is not an ARN", callerARN)
	}
	partition, service, acct, resource := parts[1], parts[2], parts[4], parts[5]
	switch {
	case service == "sts" && strings.HasPrefix(resource, "assumed-role/"):
		role, _, _ := strings.Cut(strings.TrimPrefix(resource, "assumed-role/"), "/")
		return fmt.Sprintf("arn:%s:iam::%s:role/%s", partition, acct, role), ""
	case service == "iam" && resource == "root":
		return "", "the caller is the account's root user, which IAM's policy simulator does not simulate (and which may do everything its account's SCPs allow)"
	case service == "iam" && (strings.HasPrefix(resource, "user/") || strings.HasPrefix(resource, "role/")):
		return callerARN, ""
	}
	return "", fmt.Sprintf("IAM's policy simulator simulates users and roles, and the caller is %s", callerARN)
}

// question is one batch for the simulator: actions asked on the same
// resources with the same request context.
type question struct {
	actions   []string
	resources []string // nil: "*"
	region    string   // aws:RequestedRegion, "" for none
	context   map[string]string
	// steps are, by action, the steps that need it.
	steps map[string][]string
}

// simulationQuestions groups the permissions into batches: one per set of
// resources, Region and condition keys, at most simulateBatch actions
// each. A Regional permission is asked once per Region its requests go
// to, with aws:RequestedRegion set, as the requests would carry it; the
// keys of its conditions (iam:PassedToService) are given their first
// value. ARNs that match any account ("*", a runbook that names none) are
// asked in the caller's.
func simulationQuestions(perms []policy.Permission, account string) []question {
	index := map[string]int{}
	var out []question
	for _, p := range perms {
		regions := p.Regions
		if len(regions) == 0 {
			regions = []string{""}
		}
		resources := accountResources(p.Resources, account)
		keys := conditionKeys(p.Conditions)
		for _, region := range regions {
			key := fmt.Sprint(resources, region, keys)
			i, ok := index[key]
			if !ok || len(out[i].actions) == simulateBatch {
				i = len(out)
				index[key] = i
				out = append(out, question{resources: resources, region: region, context: keys, steps: map[string][]string{}})
			}
			q := &out[i]
			if !slices.Contains(q.actions, p.Action) {
				q.actions = append(q.actions, p.Action)
			}
			for _, s := range p.Steps {
				_, step, _ := strings.Cut(s, "/")
				if !slices.Contains(q.steps[p.Action], step) {
					q.steps[p.Action] = append(q.steps[p.Action], step)
				}
			}
		}
	}
	return out
}

// accountResources puts the caller's account in ARNs that match any; nil
// for "*" alone.
func accountResources(resources []string, account string) []string {
	if len(resources) == 1 && resources[0] == "*" {
		return nil
	}
	out := make([]string, 0, len(resources))
	for _, r := range resources {
		parts := strings.SplitN(r, ":", 6)
		if len(parts) == 6 && parts[4] == "*" && account != "" {
			parts[4] = account
			r = strings.Join(parts, ":")
		}
		out = append(out, r)
	}
	return out
}

// conditionKeys are the keys a permission's conditions read, each with
// the first value the condition allows: the value the run's requests
// carry.
func conditionKeys(conds map[string]map[string][]string) map[string]string {
	out := map[string]string{}
	for _, block := range conds {
		for k, v := range block {
			if len(v) > 0 {
				out[k] = v[0]
			}
		}
	}
	return out
}

// simResult is one decision of the simulator.
type simResult struct {
	action, resource, decision string
	missing                    []string
}

// simulate asks one question, page by page.
func simulate(ctx context.Context, clients *awsclient.Factory, principal string, q question) ([]simResult, error) {
	input := map[string]any{"PolicySourceArn": principal, "ActionNames": toAnyList(q.actions)}
	if len(q.resources) > 0 {
		input["ResourceArns"] = toAnyList(q.resources)
	}
	var entries []any
	keys := map[string]string{}
	for k, v := range q.context {
		keys[k] = v
	}
	if q.region != "" {
		keys["aws:RequestedRegion"] = q.region
	}
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		entries = append(entries, map[string]any{"ContextKeyName": k, "ContextKeyValues": []any{keys[k]}, "ContextKeyType": "string"})
	}
	if len(entries) > 0 {
		input["ContextEntries"] = entries
	}
	var out []simResult
	for {
		resp, err := clients.Invoke(ctx, "iam", "us-east-1", "SimulatePrincipalPolicy", input)
		if err != nil {
			return nil, err
		}
		results, _ := resp.Output["EvaluationResults"].([]any)
		for _, r := range results {
			out = append(out, evaluationResults(r)...)
		}
		marker, _ := resp.Output["Marker"].(string)
		if truncated, _ := resp.Output["IsTruncated"].(bool); !truncated || marker == "" || marker == input["Marker"] {
			return out, nil
		}
		input["Marker"] = marker
	}
}

// evaluationResults reads one EvaluationResult: its own decision, or,
// where IAM gives them, each resource's.
func evaluationResults(v any) []simResult {
	m, _ := v.(map[string]any)
	action, _ := m["EvalActionName"].(string)
	base := simResult{action: action, missing: stringList(m["MissingContextValues"])}
	base.resource, _ = m["EvalResourceName"].(string)
	base.decision, _ = m["EvalDecision"].(string)
	specific, _ := m["ResourceSpecificResults"].([]any)
	if len(specific) == 0 {
		return []simResult{base}
	}
	var out []simResult
	for _, s := range specific {
		sm, _ := s.(map[string]any)
		r := simResult{action: action, missing: stringList(sm["MissingContextValues"])}
		r.resource, _ = sm["EvalResourceName"].(string)
		r.decision, _ = sm["EvalResourceDecision"].(string)
		out = append(out, r)
	}
	return out
}

// deniedCheck is the failing line of one denied action.
func deniedCheck(principal string, q question, r simResult) readyCheck {
	why := "no policy of its allows it"
	if r.decision == "explicitDeny" {
		why = "a policy of its denies it"
	}
	if len(r.missing) > 0 {
		why += fmt.Sprintf(" (the simulation had no value for %s, which a condition reads)", strings.Join(r.missing, ", "))
	}
	where := ""
	if q.region != "" {
		where = " in " + q.region
	}
	c := readyCheck{Status: readyFailed, Check: "permission " + r.action, Call: r.action, Region: q.region,
		Step: strings.Join(q.steps[r.action], ", ")}
	need := "a team run needs it"
	if c.Step != "" {
		need = "needed by step " + c.Step
	}
	c.Detail = fmt.Sprintf("%s may not do %s on %s%s: %s (%s); %s", principal, r.action, cmp.Or(r.resource, "*"), where, r.decision, why, need)
	return c
}

// permissionsUnasked says why the simulator could not answer: an endpoint
// that does not serve it, a caller who may not call it or a principal it
// cannot simulate leave permissions not checked; a failure that may pass
// (throttling, an outage) leaves them unknown, which counts.
func permissionsUnasked(err error, callerARN string) (status, detail string) {
	var ce *awsclient.CallError
	if !errors.As(err, &ce) {
		return readyUnknown, "could not be checked: " + err.Error()
	}
	switch {
	case slices.Contains([]string{"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError"}, ce.Code):
		return readyNotChecked, fmt.Sprintf("not checked: %s may not call iam:SimulatePrincipalPolicy, which is how ready checks permissions without trying them; grant it on the caller's own role or user to check them (docs/ready.md)", callerARN)
	case ce.Code == "NoSuchEntity" || ce.Code == "InvalidInput":
		return readyNotChecked, "not checked: IAM's policy simulator cannot simulate the caller: " + ce.Code + ": " + ce.Message
	case slices.Contains([]string{"InvalidAction", "UnknownOperationException", "NotImplemented", "UnknownService"}, ce.Code),
		ce.Code == "" && ce.HTTPStatus >= 400:
		return readyNotChecked, fmt.Sprintf("not checked: the endpoint does not serve iam:SimulatePrincipalPolicy (HTTP %d %s), so nothing reveals what the caller may do without trying it; compare 'drpilot policy FILE' with the caller's policies", ce.HTTPStatus, ce.Code)
	}
	return readyUnknown, "could not be checked: " + err.Error()
}

// actionCount counts the distinct actions of the permissions (one action
// may be granted on several sets of resources).
func actionCount(perms []policy.Permission) int {
	seen := map[string]bool{}
	for _, p := range perms {
		seen[p.Action] = true
	}
	return len(seen)
}

func toAnyList(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func stringList(v any) []string {
	var out []string
	items, _ := v.([]any)
	for _, item := range items {
		if s, ok := item.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
