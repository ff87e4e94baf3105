package steps

import (
	"strings"
	"testing"

	"github.com/drpilot/drpilot/runbooks"
)

// controlPlaneRunbook recovers from us-east-1, where Route 53's control
// plane lives: every way a runbook can depend on it.
const controlPlaneRunbook = `format = 1
[runbook]
id = "control-plane"
title = "Control plane lint"
rto = "1h"
[runbook.regions]
primary = "us-east-1"
recovery = "us-west-2"

[[steps]]
id = "switch-dns"
phase = "switch"
action = "aws.call"
doc = "Point the record at us-west-2."
[steps.with]
call = "route53:ChangeResourceRecordSets"
input = { HostedZoneId = "Z1", ChangeBatch = { Changes = [] } }
[[steps.require]]
call = "route53:GetHealthCheckStatus"
input = { HealthCheckId = "hc-1" }
query = "length(HealthCheckObservations)"
gt = 0

[[steps]]
id = "upsert"
phase = "switch"
action = "route53.upsert-record"
doc = "The catalogue's own."
[steps.with]
hosted_zone_id = "Z1"
name = "shop.example.com"
type = "CNAME"
values = ["shop-usw2.example.com"]
[[steps.require]]
call = "ssm:GetParameter"
input = { Name = "/shop/ready" }
query = "Parameter.Value"
equals = "yes"

[[steps]]
id = "regional"
phase = "verify"
action = "aws.call"
doc = "A regional service in the recovery Region is no concern."
[steps.with]
call = "ssm:GetParameter"
input = { Name = "/shop/ready" }
`

// TestCheckWarnsOfAControlPlaneInThePrimaryRegion: aws.call, a catalogue
// action and a precondition that go to Route 53's control plane, when
// it lives in the runbook's primary Region, each get a warning at their
// own line that names the data-plane alternative; the plan marks every
// call to a global control plane.
func TestCheckWarnsOfAControlPlaneInThePrimaryRegion(t *testing.T) {
	t.Parallel()
	rb, diags := runbooks.Parse("cp.toml", []byte(controlPlaneRunbook))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	diags = runbooks.Validate(rb, Default())
	want := map[string]string{
		"steps[0].with.call":       "route53:ChangeResourceRecordSets goes to the route53 control plane in us-east-1",
		"steps[0].require[0].call": "route53:GetHealthCheckStatus goes to the route53 control plane in us-east-1",
		"steps[1].action":          "route53:ChangeResourceRecordSets goes to the route53 control plane in us-east-1",
	}
	got := map[string]runbooks.Diagnostic{}
	for _, d := range diags {
		if strings.Contains(d.Message, "control plane") {
			got[d.Path] = d
		}
	}
	for path, msg := range want {
		d, ok := got[path]
		if !ok || !strings.Contains(d.Message, msg) || d.Severity != runbooks.SeverityWarning || !strings.Contains(d.Hint, "ARC routing controls") || d.Line == 0 {
			t.Errorf("%s: %+v; want a warning %q naming the data-plane alternative", path, d, msg)
		}
	}
	if len(got) != len(want) {
		t.Errorf("control-plane warnings %v, want exactly at %v", got, want)
	}

	plan, diags := runbooks.Plan(rb, Default())
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if c := plan.Steps[0].Calls[0]; !c.ControlPlane || c.Region != "us-east-1" {
		t.Errorf("aws.call to Route 53 is not marked: %+v", c)
	}
	if r := plan.Steps[0].Requires[0]; !r.ControlPlane {
		t.Errorf("the Route 53 precondition is not marked: %+v", r)
	}
	if c := plan.Steps[2].Calls[0]; c.ControlPlane {
		t.Errorf("a regional call is marked: %+v", c)
	}
	var text strings.Builder
	plan.WriteText(&text)
	if !strings.Contains(text.String(), "route53:ChangeResourceRecordSets in us-east-1 (action) · global control plane") {
		t.Errorf("the plan's text does not mark the call:\n%s", text.String())
	}

	// Recovering from elsewhere, the same calls are marked but not warned of.
	rb, _ = runbooks.Parse("cp.toml", []byte(strings.Replace(controlPlaneRunbook, `primary = "us-east-1"`, `primary = "eu-west-1"`, 1)))
	for _, d := range runbooks.Validate(rb, Default()) {
		if strings.Contains(d.Message, "control plane") {
			t.Errorf("warned with the primary elsewhere: %s", d)
		}
	}
}
