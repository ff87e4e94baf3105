package sandbox

import (
	"strconv"
	"time"
)

// The instance state changes a game-day engineer makes by hand — stopping,
// starting and terminating instances — and the status checks they look at
// afterwards.

const (
	ec2Stop     = 30 * time.Second // stopping → stopped
	ec2Shutdown = 30 * time.Second // shutting-down → terminated
)

// instanceState is an instance's state as callers see it: a stuck fault
// holds it in the fault's state.
func (c *call) instanceState(i *instance) string {
	if st := c.sb.faults.stuckState("ec2", c.region, i.ID); st != "" {
		return st
	}
	return i.status.state(c.now)
}

// stateValue is an InstanceState: its code and name.
func stateValue(state string) map[string]any {
	return map[string]any{"code": instanceCodes[state], "name": state}
}

// instancesNamed returns the instances InstanceId.N names, in the order
// given, refusing the call if one is unknown, as EC2 does before changing
// any of them.
func (c *call) instancesNamed() ([]*instance, error) {
	r := c.ec2()
	var out []*instance
	seen := map[string]bool{}
	for _, v := range list(c.input, "InstanceId") {
		id, _ := v.(string)
		i, ok := r.instances[id]
		if !ok {
			return nil, errorf("InvalidInstanceID.NotFound", "The instance ID '%s' does not exist", id)
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, i)
		}
	}
	if len(out) == 0 {
		return nil, errorf("MissingParameter", "The request must contain the parameter InstanceId")
	}
	return out, nil
}

// asgOwner is the Auto Scaling group that launched an instance, or "".
func (c *call) asgOwner(id string) string {
	for _, t := range c.ec2Tags().byID[id] {
		if t.Key == "aws:autoscaling:groupName" {
			return t.Value
		}
	}
	return ""
}

// instanceChange applies change to each instance the call names and
// answers as EC2 does: each instance's previous and current state. change
// returns the error that refuses an instance; the sandbox checks every
// instance before changing any, so a refused call changes nothing.
//
// An instance an Auto Scaling group launched is refused: the group owns
// its lifecycle (change the group's capacity instead). In AWS the group
// would replace a stopped or terminated instance; the sandbox keeps the
// two services consistent by not letting them disagree.
func (c *call) instanceChange(key string, check func(i *instance, state string) *awsError, change func(i *instance, state string)) (any, error) {
	named, err := c.instancesNamed()
	if err != nil {
		return nil, err
	}
	for _, i := range named {
		if g := c.asgOwner(i.ID); g != "" {
			return nil, errorf("UnsupportedOperation", "The instance '%s' belongs to Auto Scaling group '%s': the sandbox lets the group alone change it; use SetDesiredCapacity", i.ID, g)
		}
		if aerr := check(i, c.instanceState(i)); aerr != nil {
			return nil, aerr
		}
	}
	items := make([]any, 0, len(named))
	for _, i := range named {
		prev := c.instanceState(i)
		change(i, prev)
		items = append(items, map[string]any{"instanceId": i.ID, "previousState": stateValue(prev), "currentState": stateValue(c.instanceState(i))})
	}
	return map[string]any{key: items}, nil
}

func incorrectState(i *instance, state, op string) *awsError {
	return errorf("IncorrectInstanceState", "The instance '%s' is not in a state from which it can be %s: it is %s.", i.ID, op, state)
}

// ec2StopInstances stops running instances: stopping, then stopped. A
// stopped or stopping instance is left as it is; a pending one, or one
// being terminated, is refused.
func ec2StopInstances(c *call) (any, error) {
	return c.instanceChange("instancesSet", func(i *instance, st string) *awsError {
		if st == "running" || st == "stopping" || st == "stopped" {
			return nil
		}
		return incorrectState(i, st, "stopped")
	}, func(i *instance, st string) {
		if st == "running" {
			i.status.set(c.now, "stopping", ec2Stop, "stopped")
		}
	})
}

// ec2StartInstances starts stopped instances: pending, then running after
// booting. A running or pending instance is left as it is; a stopping one
// (not yet stopped) or a terminated one is refused.
func ec2StartInstances(c *call) (any, error) {
	return c.instanceChange("instancesSet", func(i *instance, st string) *awsError {
		if st == "stopped" || st == "pending" || st == "running" {
			return nil
		}
		return incorrectState(i, st, "started")
	}, func(i *instance, st string) {
		if st == "stopped" {
			i.status.set(c.now, "pending", ec2Boot, "running")
		}
	})
}

// ec2TerminateInstances terminates instances in any state: shutting-down,
// terminated, and gone from DescribeInstances ec2TerminatedShown later.
func ec2TerminateInstances(c *call) (any, error) {
	return c.instanceChange("instancesSet", func(*instance, string) *awsError { return nil }, func(i *instance, st string) {
		if st != "shutting-down" && st != "terminated" {
			i.status.set(c.now, "shutting-down", ec2Shutdown, "terminated", ec2TerminatedShown, "")
		}
	})
}

// ec2DescribeInstanceStatus reports each running instance's status checks
// (every instance with IncludeAllInstances; the checks of one that is not
// running are not-applicable). The checks pass, and are impaired while
// the instance's Region is out: its hosts are unreachable even when the
// outage spares EC2's API.
func ec2DescribeInstanceStatus(c *call) (any, error) {
	r, want, fs := c.ec2(), ids(c.input, "InstanceId"), filters(c.input)
	if _, set, _ := integer(c.input, "MaxResults"); set && len(want) > 0 {
		return nil, errorf("InvalidParameterCombination", "The parameter instancesSet cannot be used with the parameter maxResults")
	}
	for id := range want {
		if _, ok := r.instances[id]; !ok {
			return nil, errorf("InvalidInstanceID.NotFound", "The instance ID '%s' does not exist", id)
		}
	}
	all, _ := boolean(c.input, "IncludeAllInstances")
	check := "ok"
	if c.sb.faults.down(c.region) {
		check = "impaired"
	}
	items := []any{}
	for _, id := range sortedIDs(r.instances) {
		i := r.instances[id]
		state := c.instanceState(i)
		status := check
		if state != "running" {
			status = "not-applicable"
		}
		fields := map[string]string{"instance-id": id, "instance-state-name": state, "instance-state-code": strconv.Itoa(instanceCodes[state]),
			"availability-zone": i.AZ, "system-status.status": status, "instance-status.status": status}
		if state != "running" && !all || len(want) > 0 && !want[id] || !matches(fields, fs) {
			continue
		}
		items = append(items, map[string]any{"instanceId": id, "availabilityZone": i.AZ, "instanceState": stateValue(state),
			"systemStatus": statusCheck(status), "instanceStatus": statusCheck(status)})
	}
	return listPage("instanceStatusSet", "nextToken", c.input, "MaxResults", "NextToken", items, pageLimits{def: 1000, min: 5, max: 1000, capped: true})
}

// statusCheck is an InstanceStatusSummary: its status and its one detail,
// reachability.
func statusCheck(status string) map[string]any {
	reach := map[string]string{"ok": "passed", "impaired": "failed", "not-applicable": "not-applicable"}[status]
	return map[string]any{"status": status, "details": []any{map[string]any{"name": "reachability", "status": reach}}}
}
