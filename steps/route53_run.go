package steps

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// The Route 53 actions. Every call goes to Route 53's control plane, in
// us-east-1 for the commercial partition (Catalogue.CallRegion), whatever
// Region the step names: s.Read, s.Mutate and s.Wait pick it.

// healthyShare is the share of Route 53's checkers that must report
// success for Route 53 to consider an endpoint healthy: more than 18%.
const healthyShare = 0.18

// runUpsertRecord reads the record as it is, sends one UPSERT of the
// record the parameters describe, and waits until the change is INSYNC.
// The UPSERT is sent even when the record is already as asked: it changes
// nothing then, and its ChangeInfo is what the wait (and the step's
// outputs) need; the previous record is in the response, for an undo.
func runUpsertRecord(ctx context.Context, s *StepRun) (map[string]any, error) {
	input := s.Input()
	changes, _ := valueAt(input, "ChangeBatch", "Changes").([]any)
	var want map[string]any
	if len(changes) == 1 {
		want, _ = valueAt(changes[0], "ResourceRecordSet").(map[string]any)
	}
	if want == nil {
		return nil, fmt.Errorf("internal error: route53.upsert-record built no record set from its parameters")
	}
	previous, err := currentRecordSet(ctx, s, s.String("hosted_zone_id"), want)
	if err != nil {
		return nil, err
	}
	switch {
	case previous == nil:
		s.Note("no record %s yet: the UPSERT creates it", describeRecordKey(want))
	case sameRecordSet(previous, want):
		s.Note("the record %s is already as asked: the UPSERT changes nothing", describeRecordKey(want))
	default:
		s.Note("the record %s now answers %s; the UPSERT makes it answer %s",
			describeRecordKey(want), describeRecordTarget(previous), describeRecordTarget(want))
	}
	simulated := map[string]any{"ChangeInfo": map[string]any{"Status": "PENDING"}}
	s.calling("route53:ChangeResourceRecordSets")
	resp, err := s.Mutate(ctx, "route53:ChangeResourceRecordSets", input, simulated)
	if err != nil {
		return nil, err
	}
	id, _ := valueAt(resp, "ChangeInfo", "Id").(string)
	if !s.Simulated() && id == "" {
		return nil, fmt.Errorf("route53:ChangeResourceRecordSets answered without a ChangeInfo.Id, so the change cannot be followed to INSYNC")
	}
	last, err := s.Wait(ctx, WaitSpec{
		Operation: "route53:GetChange",
		Input:     map[string]any{"Id": id},
		Check: func(out map[string]any) (string, bool, error) {
			status, _ := valueAt(out, "ChangeInfo", "Status").(string)
			return status, status == "INSYNC", nil
		},
		Delays: recordsChangedDelays,
	})
	if err != nil {
		return nil, fmt.Errorf("change %s of the record %s: %w", id, describeRecordKey(want), err)
	}
	out := maps.Clone(resp)
	if info, ok := last["ChangeInfo"]; ok {
		out["ChangeInfo"] = info
	}
	if previous != nil {
		out["PreviousResourceRecordSet"] = previous
	}
	return out, nil
}

// currentRecordSet finds the record set with want's name, type and set
// identifier in the zone, or nil. Route 53 lists record sets in order from
// StartRecordName and StartRecordType, so the record is on the first
// page unless many sets share its name and type; the pages are followed
// while they still hold that name and type.
func currentRecordSet(ctx context.Context, s *StepRun, zone string, want map[string]any) (map[string]any, error) {
	name, typ := recordName(want["Name"]), fmt.Sprint(want["Type"])
	setID, _ := want["SetIdentifier"].(string)
	in := map[string]any{"HostedZoneId": zone, "StartRecordName": want["Name"], "StartRecordType": typ, "MaxItems": int64(100)}
	for page := 0; page < 20; page++ {
		s.calling("route53:ListResourceRecordSets")
		out, err := s.Read(ctx, "route53:ListResourceRecordSets", in)
		if err != nil {
			return nil, fmt.Errorf("read the record %s in hosted zone %s: %w", describeRecordKey(want), zone, err)
		}
		sets, _ := out["ResourceRecordSets"].([]any)
		for _, v := range sets {
			rs, _ := v.(map[string]any)
			rsSetID, _ := rs["SetIdentifier"].(string)
			if recordName(rs["Name"]) == name && rs["Type"] == typ && rsSetID == setID {
				return rs, nil
			}
		}
		next, _ := out["NextRecordName"].(string)
		if truncated, _ := out["IsTruncated"].(bool); !truncated || recordName(next) != name || out["NextRecordType"] != typ {
			return nil, nil
		}
		in["StartRecordName"], in["StartRecordType"] = next, typ
		in["StartRecordIdentifier"] = out["NextRecordIdentifier"]
	}
	return nil, nil
}

// calling records the call the step now waits for an answer to, so that
// a timeout names it: an impaired control plane does not answer, and the
// SDK's retries can outlast the step's timeout.
func (s *StepRun) calling(operation string) {
	s.lastState = "no answer yet from " + operation + " in " + s.callRegion(operation)
}

// recordName is a domain name as Route 53 compares it: without the final
// dot, lower case, with the \052 escape Route 53 answers for * undone.
func recordName(v any) string {
	s, _ := v.(string)
	return strings.ReplaceAll(strings.ToLower(strings.TrimSuffix(s, ".")), `\052`, "*")
}

// sameRecordSet reports whether the record Route 53 holds already answers
// as the one to upsert: the same routing, health check, TTL and values or
// alias target.
func sameRecordSet(have, want map[string]any) bool {
	// The SDK answers an enum it has no value for as "", so a missing
	// member and an empty one are the same.
	for _, k := range []string{"Failover", "HealthCheckId", "SetIdentifier", "Region"} {
		a, _ := have[k].(string)
		b, _ := want[k].(string)
		if a != b {
			return false
		}
	}
	for _, k := range []string{"Weight", "TTL"} {
		a, aok := numeric(have[k])
		b, bok := numeric(want[k])
		if aok != bok || a != b {
			return false
		}
	}
	ha, _ := have["AliasTarget"].(map[string]any)
	wa, _ := want["AliasTarget"].(map[string]any)
	if (ha == nil) != (wa == nil) {
		return false
	}
	if wa != nil {
		return recordName(ha["DNSName"]) == recordName(wa["DNSName"]) &&
			fmt.Sprint(ha["HostedZoneId"]) == fmt.Sprint(wa["HostedZoneId"]) &&
			ha["EvaluateTargetHealth"] == wa["EvaluateTargetHealth"]
	}
	return slices.Equal(recordValues(have), recordValues(want))
}

// recordValues lists a record set's values, sorted: Route 53 does not
// keep their order.
func recordValues(rs map[string]any) []string {
	var out []string
	records, _ := rs["ResourceRecords"].([]any)
	for _, r := range records {
		m, _ := r.(map[string]any)
		out = append(out, fmt.Sprint(m["Value"]))
	}
	slices.Sort(out)
	return out
}

// describeRecordKey names a record set for the operator: its name, and its
// set identifier when it has one.
func describeRecordKey(rs map[string]any) string {
	key := fmt.Sprintf("%v %v", recordName(rs["Name"]), rs["Type"])
	if id, ok := rs["SetIdentifier"].(string); ok && id != "" {
		key += fmt.Sprintf(" (set %s)", id)
	}
	return key
}

// describeRecordTarget says where a record set sends resolvers.
func describeRecordTarget(rs map[string]any) string {
	if alias, ok := rs["AliasTarget"].(map[string]any); ok {
		return "alias " + recordName(alias["DNSName"])
	}
	return strings.Join(recordValues(rs), ", ")
}

// runUpdateHealthCheck sends the update planned for the step (see
// planUpdateHealthCheck), if the flags were not already as asked, then
// waits until the checkers have run with the new flags.
func runUpdateHealthCheck(ctx context.Context, s *StepRun) (map[string]any, error) {
	id := s.String("health_check_id")
	r, update, err := s.plannedRequest(ctx)
	if err != nil {
		return nil, err
	}
	var resp map[string]any
	since := time.Time{}
	if update {
		since = s.exec.now()
		s.calling("route53:UpdateHealthCheck")
		if resp, err = s.send(ctx, r); err != nil {
			return nil, fmt.Errorf("update health check %s: %w", id, err)
		}
	} else if resp, err = readHealthCheck(ctx, s, id); err != nil {
		return nil, err
	}
	flags, _ := valueAt(resp, "HealthCheck", "HealthCheckConfig").(map[string]any)
	last, err := s.Wait(ctx, WaitSpec{
		Operation: "route53:GetHealthCheckStatus",
		Input:     map[string]any{"HealthCheckId": id},
		Check:     healthAfterUpdate(flags, since),
		Delays:    pollDelays{10 * time.Second, 30 * time.Second},
	})
	if err != nil {
		return nil, fmt.Errorf("health check %s: %w", id, err)
	}
	if err := s.checkPromisedHealth(id, flags, last); err != nil {
		return nil, err
	}
	out := maps.Clone(resp)
	if obs, ok := last["HealthCheckObservations"]; ok {
		out["HealthCheckObservations"] = obs
	}
	return out, nil
}

// planUpdateHealthCheck reads the health check and plans an update of the
// flags that are not as asked, passing the HealthCheckVersion it read so
// that a concurrent change fails the update instead of being overwritten.
// When every flag is as asked it plans nothing, and says so.
func planUpdateHealthCheck(ctx context.Context, s *StepRun) ([]request, error) {
	id := s.String("health_check_id")
	current, err := readHealthCheck(ctx, s, id)
	if err != nil {
		return nil, err
	}
	cfg, _ := valueAt(current, "HealthCheck", "HealthCheckConfig").(map[string]any)
	update := map[string]any{}
	for _, f := range []struct{ param, member string }{{"inverted", "Inverted"}, {"disabled", "Disabled"}} {
		if want, ok := s.Bool(f.param); ok && want != (cfg[f.member] == true) {
			update[f.member] = want
		}
	}
	if len(update) == 0 {
		s.Note("health check %s is already %s: nothing to change", id, describeFlags(cfg))
		return nil, nil
	}
	input := maps.Clone(update)
	input["HealthCheckId"] = id
	if version, ok := numeric(valueAt(current, "HealthCheck", "HealthCheckVersion")); ok {
		input["HealthCheckVersion"] = int64(version)
	}
	return []request{s.primaryRequest("route53:UpdateHealthCheck", input, simulatedHealthCheck(current, update))}, nil
}

// readHealthCheck is GetHealthCheck of the step's health check.
func readHealthCheck(ctx context.Context, s *StepRun, id string) (map[string]any, error) {
	s.calling("route53:GetHealthCheck")
	current, err := s.Read(ctx, "route53:GetHealthCheck", map[string]any{"HealthCheckId": id})
	if err != nil {
		return nil, fmt.Errorf("read health check %s: %w", id, err)
	}
	return current, nil
}

// simulatedHealthCheck is dry-run's guess at UpdateHealthCheck's answer:
// the check as read, with the new flags and the next version.
func simulatedHealthCheck(current, update map[string]any) map[string]any {
	hc, _ := current["HealthCheck"].(map[string]any)
	hc = maps.Clone(hc)
	if hc == nil {
		hc = map[string]any{}
	}
	cfg, _ := hc["HealthCheckConfig"].(map[string]any)
	cfg = maps.Clone(cfg)
	if cfg == nil {
		cfg = map[string]any{}
	}
	maps.Copy(cfg, update)
	hc["HealthCheckConfig"] = cfg
	if v, ok := numeric(hc["HealthCheckVersion"]); ok {
		hc["HealthCheckVersion"] = v + 1
	}
	return map[string]any{"HealthCheck": hc}
}

// healthAfterUpdate reads GetHealthCheckStatus after an update made at
// since (zero: nothing was updated). What the checkers report does not
// change with the flags — Route 53 applies Inverted to their reports — so
// the wait is over once most of them have checked since the update, and
// the state says what Route 53 now acts on. A disabled check is healthy
// at once (unhealthy at once when it is also inverted), and its checkers
// may stop reporting, so it is not waited for.
func healthAfterUpdate(flags map[string]any, since time.Time) func(map[string]any) (string, bool, error) {
	return func(out map[string]any) (string, bool, error) {
		up, n := checkersUp(out)
		fresh := checkedSince(out, since)
		disabled, inverted := flags["Disabled"] == true, flags["Inverted"] == true
		health := "Unhealthy"
		if disabled && !inverted || !disabled && isHealthy(up, n) != inverted {
			health = "Healthy"
		}
		state := fmt.Sprintf("Route 53 acts on %s: %d of %d checkers see the endpoint up (%s)", health, up, n, describeFlags(flags))
		switch {
		case disabled:
			return state, true, nil
		case n == 0:
			return "no checker has reported yet", false, nil
		case fresh*2 <= n:
			return fmt.Sprintf("%d of %d checkers have checked since the update", fresh, n), false, nil
		}
		return state, true, nil
	}
}

// effectiveHealth is what Route 53 considers a check: its checkers'
// reports with its flags applied.
func effectiveHealth(flags, status map[string]any) string {
	up, n := checkersUp(status)
	disabled, inverted := flags["Disabled"] == true, flags["Inverted"] == true
	if disabled && !inverted || !disabled && isHealthy(up, n) != inverted {
		return "healthy"
	}
	return "unhealthy"
}

// promisedHealth is the health the step promises: expect_health, or what
// its flags are for (inverted: fail records over; disabled alone: keep
// them on this endpoint).
func (s *StepRun) promisedHealth() string {
	if want := s.String("expect_health"); want != "" {
		return want
	}
	inverted, _ := s.Bool("inverted")
	disabled, _ := s.Bool("disabled")
	switch {
	case inverted:
		return "unhealthy"
	case disabled:
		return "healthy"
	}
	return "any"
}

// checkPromisedHealth fails the step when Route 53 does not act on the
// health the step promised: a switch that does not move traffic is not
// done. It says why, and what would.
func (s *StepRun) checkPromisedHealth(id string, flags, status map[string]any) error {
	want := s.promisedHealth()
	got := effectiveHealth(flags, status)
	if want == "any" || want == got || s.Simulated() {
		return nil
	}
	up, n := checkersUp(status)
	why := fmt.Sprintf("health check %s is %s and %d of %d checkers see its endpoint up, so Route 53 considers it %s, not %s",
		id, describeFlags(flags), up, n, strings.ToUpper(got), want)
	if want == "unhealthy" && flags["Inverted"] == true && flags["Disabled"] != true {
		return fmt.Errorf("%s: records that use it keep answering with this endpoint, and traffic does not move; to fail over whatever the endpoint does, set disabled = true as well (disabled and inverted is always unhealthy)", why)
	}
	return fmt.Errorf("%s: the switch this step promises did not happen; set expect_health if that is what you want", why)
}

// describeFlags says how a check's flags turn its checkers' reports into
// its health.
func describeFlags(cfg map[string]any) string {
	switch {
	case cfg["Disabled"] == true && cfg["Inverted"] == true:
		return "disabled and inverted: always unhealthy"
	case cfg["Disabled"] == true:
		return "disabled: always healthy"
	case cfg["Inverted"] == true:
		return "inverted"
	}
	return "not inverted, enabled"
}

// runHealthCheckStatus waits until the share of Route 53's checkers that
// report success gives the status asked for.
func runHealthCheckStatus(ctx context.Context, s *StepRun) (map[string]any, error) {
	want := s.String("status")
	out, err := s.Wait(ctx, WaitSpec{
		Operation: "route53:GetHealthCheckStatus",
		Input:     s.Input(),
		Check: func(out map[string]any) (string, bool, error) {
			up, n := checkersUp(out)
			if n == 0 {
				return "no checker has reported yet", false, nil
			}
			status := "Unhealthy"
			if isHealthy(up, n) {
				status = "Healthy"
			}
			return fmt.Sprintf("%s: %d of %d checkers report success", status, up, n), status == want, nil
		},
		Delays: pollDelays{10 * time.Second, 30 * time.Second},
	})
	if err != nil {
		return nil, fmt.Errorf("health check %s: %w", s.String("health_check_id"), err)
	}
	return out, nil
}

// checkersUp counts the observations in a GetHealthCheckStatus answer and
// those that report success.
func checkersUp(out map[string]any) (up, n int) {
	obs, _ := out["HealthCheckObservations"].([]any)
	for _, o := range obs {
		status, _ := valueAt(o, "StatusReport", "Status").(string)
		if strings.HasPrefix(status, "Success") {
			up++
		}
		n++
	}
	return up, n
}

// checkedSince counts the observations made at or after t.
func checkedSince(out map[string]any, t time.Time) int {
	obs, _ := out["HealthCheckObservations"].([]any)
	n := 0
	for _, o := range obs {
		at, err := awsTime(valueAt(o, "StatusReport", "CheckedTime"))
		if err == nil && !at.Before(t) {
			n++
		}
	}
	return n
}

// isHealthy is Route 53's rule: healthy when more than 18% of the
// checkers report success.
func isHealthy(up, n int) bool {
	return n > 0 && float64(up) > healthyShare*float64(n)
}

// valueAt walks a JSON-shaped value by member names; nil when a member is
// missing or not an object.
func valueAt(v any, path ...string) any {
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// awsTime reads a timestamp of a response, which the SDK's output
// encodes as RFC 3339.
func awsTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, fmt.Errorf("not a timestamp: %v", v)
	}
	return time.Parse(time.RFC3339Nano, s)
}
