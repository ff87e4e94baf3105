package steps

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The helpers of the switch, verify and notify actions' tests (route53,
// arc, cloudwatch, http.probe, notify) come first.

// runFailedAt fails the test unless the step failed with an error that
// mentions every one of wants, and returns the error.
func runFailedAt(t *testing.T, tr *testRun, step string, wants ...string) string {
	t.Helper()
	failed := tr.rec.of(EventStepFailed, step)
	if tr.status(step) != StatusFailed || len(failed) == 0 {
		t.Fatalf("step %s is %s; want failed", step, tr.status(step))
	}
	msg := failed[len(failed)-1].Error
	t.Logf("step %s failed: %s", step, msg)
	for _, want := range wants {
		if !strings.Contains(msg, want) {
			t.Errorf("step %s failed with %q; want it to mention %q", step, msg, want)
		}
	}
	tr.verify()
	return msg
}

// outputsOf returns the outputs a done step captured.
func outputsOf(t *testing.T, tr *testRun, step string) map[string]any {
	t.Helper()
	done := tr.rec.of(EventStepDone, step)
	if len(done) != 1 {
		t.Fatalf("step %s: %d step.done events, want 1 (statuses %v)", step, len(done), tr.exec.Status())
	}
	return done[0].Outputs
}

// notesOf returns a step's notes, joined by line.
func notesOf(tr *testRun, step string) string {
	var out []string
	for _, e := range tr.rec.of(EventNote, step) {
		out = append(out, e.Message)
	}
	return strings.Join(out, "\n")
}

// journalCount counts the requests for an operation (a web request's is
// its HTTP method) the sandbox answered, over every run against it.
func journalCount(tr *testRun, operation string) int {
	entries, _ := tr.sb.Journal().Entries()
	n := 0
	for _, e := range entries {
		if e.Operation == operation {
			n++
		}
	}
	return n
}

// dryRunChangedNothing checks a dry run: the run succeeded, the step is
// done and simulated, and no mutating request reached the sandbox.
func dryRunChangedNothing(t *testing.T, tr *testRun, step string) {
	t.Helper()
	succeeded(t, tr)
	if m := tr.mutatingRequests(); len(m) != 0 {
		t.Errorf("dry run sent %d mutating requests, the first %s:%s", len(m), m[0].Service, m[0].Operation)
	}
	done := tr.rec.of(EventStepDone, step)
	if len(done) != 1 || !done[0].Simulated {
		t.Errorf("step %s: step.done %+v, want one, simulated", step, done)
	}
}

// invoke calls an operation on the run's sandbox through the SDK, as
// the test's own AWS client.
func invoke(t *testing.T, tr *testRun, service, region, op string, input map[string]any) map[string]any {
	t.Helper()
	resp, err := tr.exec.opts.Clients.Invoke(context.Background(), service, region, op, input)
	if err != nil {
		t.Fatalf("%s:%s: %v", service, op, err)
	}
	return resp.Output
}

// auditEvents returns the lines of the run's audit log.
func auditEvents(t *testing.T, tr *testRun) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(tr.dir, "events.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(data)), "\n")
}

// route53Scenario has a zone for example.com with a failover pair for
// shop.example.com (PRIMARY: an eu-west-1 load balancer with its health
// check; SECONDARY: a maintenance page), and a check of an eu-west-2
// load balancer.
const route53Scenario = `
[[create]]
service   = "route53"
region    = "global"
operation = "CreateHostedZone"
id        = "Z0EXAMPLE0SHOP"
input     = { Name = "example.com", CallerReference = "example-com" }

[[create]]
service   = "route53"
region    = "global"
operation = "CreateHealthCheck"
id        = "11111111-1111-4111-8111-111111111111"
input     = { CallerReference = "shop-euw1", HealthCheckConfig = { Type = "HTTPS", FullyQualifiedDomainName = "shop-1234.eu-west-1.elb.amazonaws.com", ResourcePath = "/healthz" } }

[[create]]
service   = "route53"
region    = "global"
operation = "CreateHealthCheck"
id        = "22222222-2222-4222-8222-222222222222"
input     = { CallerReference = "shop-euw2", HealthCheckConfig = { Type = "HTTPS", FullyQualifiedDomainName = "shop-5678.eu-west-2.elb.amazonaws.com", ResourcePath = "/healthz" } }

[[create]]
service   = "route53"
region    = "global"
operation = "ChangeResourceRecordSets"
[create.input]
HostedZoneId = "Z0EXAMPLE0SHOP"
[create.input.ChangeBatch]
[[create.input.ChangeBatch.Changes]]
Action            = "CREATE"
ResourceRecordSet = { Name = "shop.example.com", Type = "A", SetIdentifier = "primary", Failover = "PRIMARY", HealthCheckId = "11111111-1111-4111-8111-111111111111", AliasTarget = { HostedZoneId = "Z32O12XQLNTSW2", DNSName = "dualstack.shop-1234.eu-west-1.elb.amazonaws.com", EvaluateTargetHealth = true } }
[[create.input.ChangeBatch.Changes]]
Action            = "CREATE"
ResourceRecordSet = { Name = "shop.example.com", Type = "A", SetIdentifier = "secondary", Failover = "SECONDARY", AliasTarget = { HostedZoneId = "Z2FDTNDATAQYW2", DNSName = "d111maintenance.cloudfront.net", EvaluateTargetHealth = false } }
`

// upsertRunbook points the SECONDARY record of shop.example.com at the
// eu-west-2 load balancer, in the hosted zone given.
func upsertRunbook(zone string) string {
	return stepRunbook(fmt.Sprintf(`
[[steps]]
id     = "point-secondary"
phase  = "switch"
action = "route53.upsert-record"
doc    = "x"
[steps.with]
hosted_zone_id = %q
name           = "shop.example.com"
type           = "A"
set_identifier = "secondary"
failover       = "SECONDARY"
alias_target   = { hosted_zone_id = "ZHURV8PSTC4K8", dns_name = "dualstack.shop-5678.eu-west-2.elb.amazonaws.com", evaluate_target_health = true }
[steps.outputs]
change = "ChangeInfo.Id"
status = "ChangeInfo.Status"
before = "PreviousResourceRecordSet.AliasTarget.DNSName"
`, zone))
}

// secondaryTarget reads where the SECONDARY record of shop.example.com
// points, and how many record sets the name has.
func secondaryTarget(t *testing.T, tr *testRun) (string, int) {
	t.Helper()
	out := invoke(t, tr, "route53", "us-east-1", "ListResourceRecordSets", map[string]any{"HostedZoneId": "Z0EXAMPLE0SHOP"})
	sets, _ := out["ResourceRecordSets"].([]any)
	target := ""
	n := 0
	for _, v := range sets {
		if recordName(valueAt(v, "Name")) != "shop.example.com" {
			continue
		}
		n++
		if valueAt(v, "SetIdentifier") == "secondary" {
			target, _ = valueAt(v, "AliasTarget", "DNSName").(string)
		}
	}
	return target, n
}

func TestUpsertRecord(t *testing.T) {
	t.Parallel()
	const recovery = "dualstack.shop-5678.eu-west-2.elb.amazonaws.com"
	t.Run("points the record, waits for INSYNC, and an identical upsert changes nothing", func(t *testing.T) {
		t.Parallel()
		tr := startRun(t, upsertRunbook("Z0EXAMPLE0SHOP"), route53Scenario, runOptions{})
		succeeded(t, tr)
		out := outputsOf(t, tr, "point-secondary")
		if out["status"] != "INSYNC" || out["change"] == nil || recordName(out["before"]) != "d111maintenance.cloudfront.net" {
			t.Errorf("outputs %v; want an INSYNC change and the maintenance page before", out)
		}
		if target, n := secondaryTarget(t, tr); recordName(target) != recovery || n != 2 {
			t.Errorf("SECONDARY points at %q among %d record sets; want %s among 2", target, n, recovery)
		}
		if !strings.Contains(notesOf(tr, "point-secondary"), "alias d111maintenance.cloudfront.net") {
			t.Errorf("notes do not say what the record answered before:\n%s", notesOf(tr, "point-secondary"))
		}
		// Every call went to Route 53's control plane in us-east-1.
		entries, _ := tr.sb.Journal().Entries()
		for _, e := range entries {
			if e.Service == "route53" && e.Region != "us-east-1" {
				t.Errorf("%s went to %s", e.Operation, e.Region)
			}
		}

		again := startRun(t, upsertRunbook("Z0EXAMPLE0SHOP"), "", runOptions{on: tr})
		succeeded(t, again)
		if !strings.Contains(notesOf(again, "point-secondary"), "already as asked") {
			t.Errorf("second run's notes: %s", notesOf(again, "point-secondary"))
		}
		if target, n := secondaryTarget(t, again); recordName(target) != recovery || n != 2 {
			t.Errorf("after the second run: %q among %d record sets", target, n)
		}
	})
	t.Run("dry-run sends no change", func(t *testing.T) {
		t.Parallel()
		tr := startRun(t, upsertRunbook("Z0EXAMPLE0SHOP"), route53Scenario, runOptions{mode: ModeDryRun})
		dryRunChangedNothing(t, tr, "point-secondary")
		if target, _ := secondaryTarget(t, tr); recordName(target) != "d111maintenance.cloudfront.net" {
			t.Errorf("dry run moved the record to %q", target)
		}
		if journalCount(tr, "ListResourceRecordSets") == 0 {
			t.Error("dry run did not read the current record")
		}
	})
	t.Run("a missing hosted zone is named", func(t *testing.T) {
		t.Parallel()
		tr := startRun(t, upsertRunbook("Z0NOSUCHZONE"), route53Scenario, runOptions{})
		runFailedAt(t, tr, "point-secondary", "Z0NOSUCHZONE", "NoSuchHostedZone")
	})
}

func TestUpsertRecordValues(t *testing.T) {
	t.Parallel()
	src := stepRunbook(`
[[steps]]
id     = "api-record"
phase  = "switch"
action = "route53.upsert-record"
doc    = "x"
[steps.with]
hosted_zone_id = "Z0EXAMPLE0SHOP"
name           = "api.example.com."
type           = "A"
ttl            = 30
values         = ["192.0.2.10", "192.0.2.11"]
[steps.outputs]
change = "ChangeInfo.Id"
`)
	tr := startRun(t, src, route53Scenario, runOptions{})
	succeeded(t, tr)
	if !strings.Contains(notesOf(tr, "api-record"), "no record api.example.com A yet") {
		t.Errorf("notes: %s", notesOf(tr, "api-record"))
	}
	out := invoke(t, tr, "route53", "us-east-1", "ListResourceRecordSets", map[string]any{"HostedZoneId": "Z0EXAMPLE0SHOP"})
	var got map[string]any
	for _, v := range out["ResourceRecordSets"].([]any) {
		if recordName(valueAt(v, "Name")) == "api.example.com" {
			got = v.(map[string]any)
		}
	}
	if got == nil || got["TTL"] != float64(30) || strings.Join(recordValues(got), ",") != "192.0.2.10,192.0.2.11" {
		t.Fatalf("api.example.com is %v", got)
	}
	again := startRun(t, src, "", runOptions{on: tr})
	succeeded(t, again)
	if !strings.Contains(notesOf(again, "api-record"), "already as asked") {
		t.Errorf("an identical record set with values is not recognised: %s", notesOf(again, "api-record"))
	}
}

// healthCheckRunbook sets flags of a health check.
func healthCheckRunbook(id, flags string) string {
	return stepRunbook(fmt.Sprintf(`
[[steps]]
id     = "pin"
phase  = "switch"
action = "route53.update-health-check"
doc    = "x"
[steps.with]
health_check_id = %q
%s
[steps.outputs]
version  = "HealthCheck.HealthCheckVersion"
inverted = "HealthCheck.HealthCheckConfig.Inverted"
`, id, flags))
}

func TestUpdateHealthCheck(t *testing.T) {
	t.Parallel()
	const primary = "11111111-1111-4111-8111-111111111111"
	t.Run("inverts once, waits, and reports what Route 53 acts on", func(t *testing.T) {
		t.Parallel()
		tr := startRun(t, healthCheckRunbook(primary, "inverted = true"), route53Scenario, runOptions{})
		succeeded(t, tr)
		if out := outputsOf(t, tr, "pin"); out["inverted"] != true || out["version"] != float64(2) {
			t.Errorf("outputs %v; want inverted at version 2", out)
		}
		waits := tr.rec.of(EventWaitProgress, "pin")
		if len(waits) == 0 || !strings.Contains(waits[len(waits)-1].Message, "Route 53 acts on Unhealthy") {
			t.Errorf("wait progress %+v; want the last to say Route 53 acts on Unhealthy", waits)
		}
		again := startRun(t, healthCheckRunbook(primary, "inverted = true"), "", runOptions{on: tr})
		succeeded(t, again)
		if n := journalCount(again, "UpdateHealthCheck"); n != 1 {
			t.Errorf("UpdateHealthCheck sent %d times over two runs, want 1", n)
		}
		if !strings.Contains(notesOf(again, "pin"), "already inverted") {
			t.Errorf("second run's notes: %s", notesOf(again, "pin"))
		}
		if out := outputsOf(t, again, "pin"); out["version"] != float64(2) {
			t.Errorf("second run's outputs %v", out)
		}
	})
	t.Run("fails when inverting a failing endpoint's check would keep traffic on it", func(t *testing.T) {
		t.Parallel()
		scenario := route53Scenario + "\n[[faults]]\noutage = { region = \"eu-west-1\" }\n"
		tr := startRun(t, healthCheckRunbook(primary, "inverted = true"), scenario, runOptions{})
		runFailedAt(t, tr, "pin", "considers it HEALTHY, not unhealthy", "set disabled = true as well")
		// Disabled as well, the check is unhealthy whatever the endpoint
		// does: the switch happens, and the step is done.
		tr = startRun(t, healthCheckRunbook(primary, "inverted = true\ndisabled = true"), scenario, runOptions{})
		succeeded(t, tr)
		// A runbook that means it says so.
		tr = startRun(t, healthCheckRunbook(primary, "inverted = true\nexpect_health = \"any\""), scenario, runOptions{})
		succeeded(t, tr)
	})
	t.Run("dry-run reads and does not update", func(t *testing.T) {
		t.Parallel()
		tr := startRun(t, healthCheckRunbook(primary, "disabled = true"), route53Scenario, runOptions{mode: ModeDryRun})
		dryRunChangedNothing(t, tr, "pin")
		hc := invoke(t, tr, "route53", "us-east-1", "GetHealthCheck", map[string]any{"HealthCheckId": primary})
		if valueAt(hc, "HealthCheck", "HealthCheckConfig", "Disabled") == true {
			t.Error("dry run disabled the check")
		}
	})
	t.Run("a missing health check is named", func(t *testing.T) {
		t.Parallel()
		tr := startRun(t, healthCheckRunbook("99999999-9999-4999-8999-999999999999", "inverted = true"), route53Scenario, runOptions{})
		runFailedAt(t, tr, "pin", "99999999-9999-4999-8999-999999999999", "NoSuchHealthCheck")
	})
}

// statusRunbook waits for a health check's status.
func statusRunbook(id, status string) string {
	return stepRunbook(fmt.Sprintf(`
[[steps]]
id      = "check"
phase   = "verify"
action  = "route53.health-check-status"
doc     = "x"
timeout = "5m"
[steps.with]
health_check_id = %q
status          = %q
[steps.outputs]
reports = "HealthCheckObservations[].StatusReport.Status"
`, id, status))
}

func TestHealthCheckStatus(t *testing.T) {
	t.Parallel()
	const recovery, primary = "22222222-2222-4222-8222-222222222222", "11111111-1111-4111-8111-111111111111"
	outage := route53Scenario + "\n[[faults]]\noutage = { region = \"eu-west-1\" }\n"
	for _, tc := range []struct {
		name, id, status, scenario string
	}{
		{"healthy endpoint", recovery, "Healthy", route53Scenario},
		{"failing endpoint", primary, "Unhealthy", outage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tr := startRun(t, statusRunbook(tc.id, tc.status), tc.scenario, runOptions{})
			succeeded(t, tr)
			if reports, _ := outputsOf(t, tr, "check")["reports"].([]any); len(reports) != 8 {
				t.Errorf("reports %v; want the 8 checkers'", reports)
			}
		})
	}
	t.Run("a status that does not come times out with the last one seen", func(t *testing.T) {
		t.Parallel()
		tr := startRun(t, statusRunbook(primary, "Unhealthy"), route53Scenario, runOptions{})
		runFailedAt(t, tr, "check", "timed out", "Healthy: 8 of 8 checkers report success")
	})
	t.Run("dry-run polls once and reports", func(t *testing.T) {
		t.Parallel()
		tr := startRun(t, statusRunbook(primary, "Unhealthy"), route53Scenario, runOptions{mode: ModeDryRun})
		succeeded(t, tr)
		if n := journalCount(tr, "GetHealthCheckStatus"); n != 1 {
			t.Errorf("dry run polled %d times, want 1", n)
		}
	})
	t.Run("a missing health check is named", func(t *testing.T) {
		t.Parallel()
		tr := startRun(t, statusRunbook("99999999-9999-4999-8999-999999999999", "Healthy"), route53Scenario, runOptions{})
		runFailedAt(t, tr, "check", "99999999-9999-4999-8999-999999999999", "NoSuchHealthCheck")
	})
}

func TestSameRecordSet(t *testing.T) {
	t.Parallel()
	alias := func(dns string, eval bool) map[string]any {
		return map[string]any{"Name": "a.example.com", "Type": "A",
			"AliasTarget": map[string]any{"DNSName": dns, "HostedZoneId": "Z1", "EvaluateTargetHealth": eval}}
	}
	values := func(ttl any, v ...any) map[string]any {
		var rr []any
		for _, x := range v {
			rr = append(rr, map[string]any{"Value": x})
		}
		return map[string]any{"Name": "a.example.com.", "Type": "A", "TTL": ttl, "ResourceRecords": rr}
	}
	for _, tc := range []struct {
		name       string
		have, want map[string]any
		same       bool
	}{
		{"alias, final dot and case", alias("LB.example.com.", true), alias("lb.example.com", true), true},
		{"alias target health", alias("lb.example.com", true), alias("lb.example.com", false), false},
		// Route 53 answers numbers as float64; the parameters are int64.
		{"values in another order", values(60.0, "192.0.2.2", "192.0.2.1"), values(int64(60), "192.0.2.1", "192.0.2.2"), true},
		{"another TTL", values(60.0, "192.0.2.1"), values(int64(300), "192.0.2.1"), false},
		{"alias against values", alias("lb.example.com", true), values(int64(60), "192.0.2.1"), false},
	} {
		if got := sameRecordSet(tc.have, tc.want); got != tc.same {
			t.Errorf("%s: sameRecordSet = %v, want %v", tc.name, got, tc.same)
		}
	}
}
