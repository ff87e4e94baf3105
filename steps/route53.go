package steps

import "github.com/drpilot/drpilot/runbooks"

// route53Actions are the Amazon Route 53 actions (IAM prefix route53).
// Route 53 is a global service: its control plane lives in us-east-1,
// whatever Region the step names.
func route53Actions() []Action {
	return []Action{
		route53UpsertRecord().runs(runUpsertRecord),
		route53UpdateHealthCheck().runs(runUpdateHealthCheck).plans(planUpdateHealthCheck),
		route53HealthCheckStatus().runs(runHealthCheckStatus),
	}
}

// recordTypes are the record types Route 53 accepts (RRType).
var recordTypes = []string{
	"A", "AAAA", "CAA", "CNAME", "DS", "HTTPS", "MX", "NAPTR", "NS", "PTR",
	"SOA", "SPF", "SRV", "SSHFP", "SVCB", "TLSA", "TXT",
}

// recordSetParams are the parameters that fill the ResourceRecordSet of
// the change. hosted_zone_id is not among them: it belongs to the request.
func recordSetParams() []runbooks.Param {
	return []runbooks.Param{
		required(str("name", "Name", "The record's fully qualified domain name, such as shop.example.com.")),
		required(enum("type", "Type", recordTypes, "The record type.")),
		defaulting(between("ttl", "TTL", 0, 2147483647,
			"The record's time to live in seconds; ignored with alias_target, which uses the target's."), int64(60)),
		listOf("values", "", stringElem(),
			"The record's values, such as IP addresses; drpilot turns each into a ResourceRecords entry."),
		object("alias_target", "AliasTarget", []runbooks.Param{
			required(str("hosted_zone_id", "HostedZoneId", "The hosted zone id of the alias target, such as the load balancer's canonical zone.")),
			required(str("dns_name", "DNSName", "The DNS name of the alias target, such as the load balancer's DNS name.")),
			defaulting(boolean("evaluate_target_health", "EvaluateTargetHealth",
				"Whether the record answers only while the alias target is healthy."), false),
		}, "Make the record an alias to an AWS resource instead of giving values."),
		str("set_identifier", "SetIdentifier", "The identifier that tells apart records with the same name and type (failover, weighted)."),
		enum("failover", "Failover", []string{"PRIMARY", "SECONDARY"}, "The record's role in a failover routing pair."),
		between("weight", "Weight", 0, 255, "The record's weight in weighted routing."),
		str("health_check_id", "HealthCheckId", "The health check whose status decides whether the record answers."),
	}
}

// route53UpsertRecord points a name somewhere else: the classic DNS
// failover switch.
func route53UpsertRecord() Action {
	return Action{
		spec: runbooks.ActionSpec{
			Name:     "route53.upsert-record",
			Summary:  "Create or replace a Route 53 record set and wait until the change is INSYNC on every name server.",
			Phases:   []string{"switch"},
			Mutating: true,
			Calls: []runbooks.Call{
				check("route53:ListResourceRecordSets"),
				act("route53:ChangeResourceRecordSets"),
				waitOn("route53:GetChange"),
			},
			Params: append([]runbooks.Param{
				required(str("hosted_zone_id", "HostedZoneId", "The id of the hosted zone that holds the record.")),
			}, recordSetParams()...),
			OneOf:       [][]string{{"values", "alias_target"}},
			Outputs:     []string{"ChangeInfo.Id", "ChangeInfo.Status", "ChangeInfo.SubmittedAt"},
			Idempotency: "UPSERT is idempotent: an identical record is upserted again, which changes nothing and gives a ChangeInfo to wait on. ListResourceRecordSets reads the current record first; the step's notes say what changes, and the response keeps the record it replaced as PreviousResourceRecordSet, for an undo.",
			Wait:        "Polls GetChange until the change is INSYNC; the response's ChangeInfo is refreshed from that last read.",
			Expect:      runbooks.Seconds(60),
			Timeout:     runbooks.Minutes(10),
			Input:       upsertRecordInput,
		},
		example: example{
			id: "point-shop-to-recovery", phase: "switch", title: "Point shop.example.com at the recovery load balancer",
			with: []setting{
				{"hosted_zone_id", `"${vars.zone_id}"`},
				{"name", `"shop.example.com"`},
				{"type", `"A"`},
				{"alias_target", `{ hosted_zone_id = "${vars.recovery_alb_zone}", dns_name = "${vars.recovery_alb_dns}", evaluate_target_health = true }`},
			},
			outputs: []setting{{"change", `"ChangeInfo.Id"`}},
		},
	}
}

// upsertRecordInput builds ChangeResourceRecordSets' input: one UPSERT of
// the record set the parameters describe. values become ResourceRecords
// and take the TTL; an alias has no TTL of its own, so it gets none.
func upsertRecordInput(with map[string]any) map[string]any {
	set := fillMembers(recordSetParams(), with)
	if values, ok := with["values"]; ok {
		set["ResourceRecords"] = resourceRecords(values)
	}
	if _, alias := with["alias_target"]; alias {
		delete(set, "TTL")
	}
	in := map[string]any{
		"ChangeBatch": map[string]any{
			"Changes": []any{map[string]any{"Action": "UPSERT", "ResourceRecordSet": set}},
		},
	}
	if zone, ok := with["hosted_zone_id"]; ok {
		in["HostedZoneId"] = zone
	}
	return in
}

// resourceRecords wraps each value as {Value = v}. A value that is not a
// list (an unresolved template) is wrapped as a single record.
func resourceRecords(values any) []any {
	var list []any
	switch v := values.(type) {
	case []any:
		list = v
	case []string:
		for _, s := range v {
			list = append(list, s)
		}
	default:
		list = []any{v}
	}
	out := make([]any, len(list))
	for i, v := range list {
		out[i] = map[string]any{"Value": v}
	}
	return out
}

// route53UpdateHealthCheck inverts or disables a health check. Failover
// records follow health checks through Route 53's data plane, which keeps
// working when a Region's control plane does not.
func route53UpdateHealthCheck() Action {
	return Action{
		spec: runbooks.ActionSpec{
			Name:     "route53.update-health-check",
			Summary:  "Invert or disable a Route 53 health check so that failover records switch through the data plane.",
			Phases:   []string{"switch"},
			Mutating: true,
			Calls: []runbooks.Call{
				check("route53:GetHealthCheck"),
				act("route53:UpdateHealthCheck"),
				waitOn("route53:GetHealthCheckStatus"),
			},
			Params: []runbooks.Param{
				required(str("health_check_id", "HealthCheckId", "The id of the health check.")),
				boolean("inverted", "Inverted", "Whether Route 53 inverts the check's status: true makes a healthy endpoint count as unhealthy."),
				boolean("disabled", "Disabled", "Whether the check is disabled: Route 53 then considers it healthy whatever the endpoint says, or unhealthy whatever it says when the check is also inverted (the way to pin failover records to their secondary without waiting for the endpoint to fail)."),
				enum("expect_health", "", []string{"unhealthy", "healthy", "any"}, "What Route 53 must consider the check once the flags are set, or the step fails: the switch it promises. By default unhealthy when inverted = true (records fail over), healthy when only disabled = true (records stay on the primary), any otherwise."),
			},
			AnyOf:       [][]string{{"inverted", "disabled"}},
			Outputs:     []string{"HealthCheck.Id", "HealthCheck.HealthCheckVersion", "HealthCheck.HealthCheckConfig.Inverted"},
			Idempotency: "Check-before-act: GetHealthCheck reads the current flags (skipping the update when they match) and the HealthCheckVersion, which the update passes so that a concurrent change makes it fail rather than be overwritten.",
			Wait:        "Polls GetHealthCheckStatus until most checkers have checked since the update (a disabled check is healthy at once, or unhealthy at once when also inverted, and not waited for); what they report does not change with the flags, which Route 53 applies to it. Then it verifies the effect: when Route 53 does not act on the health expect_health names (an inverted check whose endpoint already fails counts as HEALTHY, so traffic does not move), the step fails and says what to set. The response is UpdateHealthCheck's (GetHealthCheck's when nothing changed) with the last HealthCheckObservations.",
			Expect:      runbooks.Seconds(90),
			Timeout:     runbooks.Minutes(10),
		},
		example: example{
			id: "fail-primary-check", phase: "switch", title: "Invert the primary's health check to fail DNS over",
			with: []setting{
				{"health_check_id", `"${vars.primary_health_check}"`},
				{"inverted", `true`},
			},
		},
	}
}

// route53HealthCheckStatus checks what Route 53's checkers see, which is
// what decides failover routing.
func route53HealthCheckStatus() Action {
	return Action{
		spec: runbooks.ActionSpec{
			Name:    "route53.health-check-status",
			Summary: "Wait until a Route 53 health check reports the expected status.",
			Phases:  []string{"verify"},
			Calls:   []runbooks.Call{waitOn("route53:GetHealthCheckStatus")},
			Params: []runbooks.Param{
				required(str("health_check_id", "HealthCheckId", "The id of the health check.")),
				defaulting(enum("status", "", []string{"Healthy", "Unhealthy"},
					"The status to wait for, as Route 53 decides it: healthy when more than 18% of checkers report success."), "Healthy"),
			},
			Outputs:     []string{"HealthCheckObservations[].StatusReport.Status"},
			Idempotency: "Read-only: nothing to repeat.",
			Wait:        "Polls GetHealthCheckStatus until the share of checkers reporting success gives status; the response is that last GetHealthCheckStatus response.",
			Expect:      runbooks.Seconds(60),
			Timeout:     runbooks.Minutes(10),
		},
		example: example{
			id: "recovery-check-healthy", phase: "verify", title: "Route 53 sees the recovery endpoint healthy",
			with: []setting{{"health_check_id", `"${vars.recovery_health_check}"`}},
		},
	}
}
