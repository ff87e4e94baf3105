package sandbox

import (
	"fmt"
	"slices"
	"strings"
)

func (c *call) listenerValue(ln *elbListener) map[string]any {
	return map[string]any{"ListenerArn": ln.ARN, "LoadBalancerArn": ln.LB, "Port": ln.Port, "Protocol": ln.Protocol,
		"DefaultActions": ln.Actions}
}

func (c *call) elbListenerSettings(ln *elbListener, lb *elbLoadBalancer) *awsError {
	port, set, err := integer(c.input, "Port")
	if err != nil {
		return err
	}
	if set && (port < 1 || port > 65535) {
		return errorf("ValidationError", "Port '%d' must be from 1 to 65535", port)
	}
	if set {
		ln.Port = port
	}
	if p := str(c.input, "Protocol"); p != "" {
		if !elbProtocols[p] || lb.Type == "application" && p != "HTTP" && p != "HTTPS" {
			return errorf("ValidationError", "Protocol '%s' is not supported by a load balancer of type %s", p, lb.Type)
		}
		ln.Protocol = p
	}
	if c.input["DefaultActions"] != nil || ln.Actions == nil {
		actions, err := c.elbActions("DefaultActions")
		if err != nil {
			return err
		}
		ln.Actions = actions
	}
	return nil
}

func elbCreateListener(c *call) (any, error) {
	lbARN, err := required(c.input, "LoadBalancerArn", "ValidationError")
	if err != nil {
		return nil, err
	}
	l := c.elbLBs()
	lb := l.byARN(lbARN)
	if lb == nil {
		return nil, errorf("LoadBalancerNotFound", "Load balancer '%s' not found", lbARN)
	}
	if _, set, _ := integer(c.input, "Port"); !set || str(c.input, "Protocol") == "" && lb.Type != "gateway" {
		return nil, errorf("ValidationError", "A listener needs a Port and a Protocol")
	}
	ln := &elbListener{LB: lb.ARN}
	if aerr := c.elbListenerSettings(ln, lb); aerr != nil {
		return nil, aerr
	}
	for _, other := range l.listeners {
		if other.LB == lb.ARN && other.Port == ln.Port {
			return nil, errorf("DuplicateListener", "A listener already exists on this port for this load balancer")
		}
	}
	ln.ARN = c.idOr(strings.Replace(lb.ARN, ":loadbalancer/", ":listener/", 1) + "/" + l.elbHex(c.region, lb.Name+"/listener"))
	l.listeners[ln.ARN] = ln
	return map[string]any{"Listeners": []any{c.listenerValue(ln)}}, nil
}

func (c *call) elbListener(key string) (*elbListener, *awsError) {
	a, err := required(c.input, key, "ValidationError")
	if err != nil {
		return nil, err
	}
	ln := c.elbLBs().listeners[a]
	if ln == nil {
		return nil, errorf("ListenerNotFound", "Listener '%s' not found", a)
	}
	return ln, nil
}

func elbDescribeListeners(c *call) (any, error) {
	l := c.elbLBs()
	lbARN, arns := str(c.input, "LoadBalancerArn"), plainList(c.input, "ListenerArns")
	if lbARN == "" && len(arns) == 0 {
		return nil, errorf("ValidationError", "You must specify either listener ARNs or a load balancer ARN")
	}
	if lbARN != "" && l.byARN(lbARN) == nil {
		return nil, errorf("LoadBalancerNotFound", "Load balancer '%s' not found", lbARN)
	}
	items := []any{}
	for _, a := range arns {
		ln := l.listeners[fmt.Sprint(a)]
		if ln == nil {
			return nil, errorf("ListenerNotFound", "One or more listeners not found")
		}
		items = append(items, c.listenerValue(ln))
	}
	if len(arns) == 0 {
		for _, key := range sortedKeys(l.listeners) {
			if ln := l.listeners[key]; ln.LB == lbARN {
				items = append(items, c.listenerValue(ln))
			}
		}
	}
	return elbPage(c, "Listeners", items)
}

// elbModifyListener changes a listener's port, protocol or default
// actions: pointing the default action at the recovery Region's target
// group is a failover.
func elbModifyListener(c *call) (any, error) {
	ln, err := c.elbListener("ListenerArn")
	if err != nil {
		return nil, err
	}
	next := *ln
	if aerr := c.elbListenerSettings(&next, c.elbLBs().byARN(ln.LB)); aerr != nil {
		return nil, aerr
	}
	*ln = next
	return map[string]any{"Listeners": []any{c.listenerValue(ln)}}, nil
}

func ruleValue(r *elbRule, isDefault bool) map[string]any {
	conditions := r.Conditions
	if conditions == nil {
		conditions = []any{}
	}
	return map[string]any{"RuleArn": r.ARN, "Priority": r.Priority, "Conditions": conditions, "Actions": r.Actions, "IsDefault": isDefault}
}

// defaultRule is a listener's default rule: its default actions.
func defaultRule(ln *elbListener) *elbRule {
	return &elbRule{ARN: strings.Replace(ln.ARN, ":listener/", ":listener-rule/", 1) + "/default", Priority: "default", Actions: ln.Actions}
}

func elbCreateRule(c *call) (any, error) {
	ln, err := c.elbListener("ListenerArn")
	if err != nil {
		return nil, err
	}
	prio, set, err := integer(c.input, "Priority")
	if err != nil {
		return nil, err
	}
	if !set || prio < 1 || prio > 50000 {
		return nil, errorf("ValidationError", "Priority must be from 1 to 50000")
	}
	for _, r := range ln.rules {
		if r.Priority == fmt.Sprint(prio) {
			return nil, errorf("PriorityInUse", "Priority '%d' is currently in use", prio)
		}
	}
	conditions := plainList(c.input, "Conditions")
	if len(conditions) == 0 {
		return nil, errorf("ValidationError", "A rule needs at least one condition")
	}
	actions, err := c.elbActions("Actions")
	if err != nil {
		return nil, err
	}
	l := c.elbLBs()
	r := &elbRule{Priority: fmt.Sprint(prio), Conditions: conditions, Actions: actions,
		ARN: c.idOr(strings.Replace(ln.ARN, ":listener/", ":listener-rule/", 1) + "/" + l.elbHex(c.region, ln.ARN+"/rule"))}
	ln.rules = append(ln.rules, r)
	slices.SortFunc(ln.rules, func(a, b *elbRule) int { return priorityNumber(a.Priority) - priorityNumber(b.Priority) })
	return map[string]any{"Rules": []any{ruleValue(r, false)}}, nil
}

// elbRule finds a rule by ARN, with its listener; a listener's default
// rule is found too, and is nil with its listener.
func (l *elbLBs) rule(a string) (*elbListener, *elbRule) {
	for _, ln := range l.listeners {
		if defaultRule(ln).ARN == a {
			return ln, nil
		}
		for _, r := range ln.rules {
			if r.ARN == a {
				return ln, r
			}
		}
	}
	return nil, nil
}

func elbDescribeRules(c *call) (any, error) {
	l := c.elbLBs()
	lnARN, arns := str(c.input, "ListenerArn"), plainList(c.input, "RuleArns")
	if lnARN == "" && len(arns) == 0 {
		return nil, errorf("ValidationError", "You must specify either listener rule ARNs or a listener ARN")
	}
	items := []any{}
	for _, a := range arns {
		ln, r := l.rule(fmt.Sprint(a))
		switch {
		case ln == nil:
			return nil, errorf("RuleNotFound", "One or more rules not found")
		case r == nil:
			items = append(items, ruleValue(defaultRule(ln), true))
		default:
			items = append(items, ruleValue(r, false))
		}
	}
	if len(arns) == 0 {
		ln, err := c.elbListener("ListenerArn")
		if err != nil {
			return nil, err
		}
		for _, r := range ln.rules {
			items = append(items, ruleValue(r, false))
		}
		items = append(items, ruleValue(defaultRule(ln), true))
	}
	return elbPage(c, "Rules", items)
}

// elbModifyRule replaces a rule's conditions or actions (a weighted
// forward moves traffic between Regions); a default rule's actions are
// its listener's.
func elbModifyRule(c *call) (any, error) {
	a, err := required(c.input, "RuleArn", "ValidationError")
	if err != nil {
		return nil, err
	}
	ln, r := c.elbLBs().rule(a)
	if ln == nil {
		return nil, errorf("RuleNotFound", "One or more rules not found")
	}
	var actions []any
	if c.input["Actions"] != nil {
		if actions, err = c.elbActions("Actions"); err != nil {
			return nil, err
		}
	}
	conditions := plainList(c.input, "Conditions")
	if r == nil {
		if len(conditions) > 0 {
			return nil, errorf("OperationNotPermitted", "The conditions of a default rule cannot be modified")
		}
		if actions != nil {
			ln.Actions = actions
		}
		return map[string]any{"Rules": []any{ruleValue(defaultRule(ln), true)}}, nil
	}
	if actions != nil {
		r.Actions = actions
	}
	if len(conditions) > 0 {
		r.Conditions = conditions
	}
	return map[string]any{"Rules": []any{ruleValue(r, false)}}, nil
}
