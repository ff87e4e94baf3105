package steps

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"time"
)

// The ElastiCache global datastore failover. FailoverGlobalReplicationGroup
// takes no client token and AWS refuses to promote the member that is
// already primary, so the planner checks the roles first: a retried or
// resumed step whose failover went through plans nothing and only waits.

// A global datastore's failover takes a minute or two.
const (
	cachePollInterval    = 10 * time.Second
	cachePollMaxInterval = 30 * time.Second
)

// cacheTarget is the member a step makes primary: its replication group
// and that group's Region (the step's own unless primary_region says).
func cacheTarget(s *StepRun) (id, group, region string) {
	region = s.String("primary_region")
	if region == "" {
		region = s.Region()
	}
	return s.String("global_replication_group_id"), s.String("primary_replication_group_id"), region
}

// planElastiCacheFailoverGlobal plans the failover, with PrimaryRegion
// filled in, unless the target is already the primary.
func planElastiCacheFailoverGlobal(ctx context.Context, s *StepRun) ([]request, error) {
	id, group, region := cacheTarget(s)
	out, err := s.Read(ctx, "elasticache:DescribeGlobalReplicationGroups", globalDatastoreQuery(id))
	if errorCode(err) == "GlobalReplicationGroupNotFoundFault" {
		return nil, fmt.Errorf("global datastore %s does not exist (asked in %s): check global_replication_group_id, which includes the prefix ElastiCache gave it", id, s.Region())
	}
	if err != nil {
		return nil, fmt.Errorf("look up global datastore %s: %w", id, err)
	}
	g := respFirst(out, "GlobalReplicationGroups")
	m := cacheMemberOf(g, group, region)
	switch {
	case m == nil:
		return nil, fmt.Errorf("replication group %s in %s is not a member of global datastore %s (its members: %s): check primary_replication_group_id and primary_region",
			group, region, id, cacheMembers(g))
	case strings.EqualFold(respString(m, "Role"), "primary"):
		s.Note("replication group %s in %s is already the primary of global datastore %s: nothing to fail over; waiting until the datastore is available", group, region, id)
		return nil, nil
	}
	in := s.Input()
	in["PrimaryRegion"] = region
	guess := maps.Clone(g)
	guess["Status"] = "modifying"
	delete(guess, "Members") // FailoverGlobalReplicationGroup answers without them
	return []request{s.primaryRequest("elasticache:FailoverGlobalReplicationGroup", in,
		map[string]any{"GlobalReplicationGroup": guess, "PrimaryRegion": region})}, nil
}

// runElastiCacheFailoverGlobal sends the planned failover, if any, then
// waits until the target is the primary of an available datastore.
func runElastiCacheFailoverGlobal(ctx context.Context, s *StepRun) (map[string]any, error) {
	id, group, region := cacheTarget(s)
	r, planned, err := s.plannedRequest(ctx)
	if err != nil {
		return nil, err
	}
	if planned {
		if _, err := s.send(ctx, r); err != nil {
			return nil, fmt.Errorf("fail global datastore %s over to %s in %s: %w", id, group, region, err)
		}
	}
	out, err := s.Wait(ctx, WaitSpec{
		Operation: "elasticache:DescribeGlobalReplicationGroups", Input: globalDatastoreQuery(id),
		Check: cachePrimaryIs(id, group, region), Delays: pollDelays{cachePollInterval, cachePollMaxInterval},
	})
	if err != nil || s.Simulated() {
		return out, err
	}
	return map[string]any{"GlobalReplicationGroup": respFirst(out, "GlobalReplicationGroups"), "PrimaryRegion": region}, nil
}

// globalDatastoreQuery asks for one global datastore with its members,
// which AWS leaves out unless ShowMemberInfo is set.
func globalDatastoreQuery(id string) map[string]any {
	return map[string]any{"GlobalReplicationGroupId": id, "ShowMemberInfo": true}
}

// cacheMemberOf is the member of a global datastore that is group in
// region, or nil.
func cacheMemberOf(g map[string]any, group, region string) map[string]any {
	for _, item := range respList(g, "Members") {
		m := respMap(item)
		if respString(m, "ReplicationGroupId") == group && respString(m, "ReplicationGroupRegion") == region {
			return m
		}
	}
	return nil
}

// cacheMembers lists a global datastore's members for a message.
func cacheMembers(g map[string]any) string {
	var out []string
	for _, item := range respList(g, "Members") {
		m := respMap(item)
		out = append(out, fmt.Sprintf("%s in %s (%s)", respString(m, "ReplicationGroupId"),
			respString(m, "ReplicationGroupRegion"), strings.ToLower(respString(m, "Role"))))
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", ")
}

// cachePrimaryIs is the Check of the failover wait.
func cachePrimaryIs(id, group, region string) func(map[string]any) (string, bool, error) {
	return func(out map[string]any) (string, bool, error) {
		g := respFirst(out, "GlobalReplicationGroups")
		status, m := respString(g, "Status"), cacheMemberOf(g, group, region)
		if m == nil {
			return status, false, fmt.Errorf("replication group %s in %s is no longer a member of global datastore %s (its members: %s)", group, region, id, cacheMembers(g))
		}
		role := strings.ToLower(respString(m, "Role"))
		state := fmt.Sprintf("%s, %s is %s", status, group, role)
		if status == "deleting" {
			return state, false, fmt.Errorf("global datastore %s is being deleted", id)
		}
		return state, status == "available" && role == "primary", nil
	}
}
