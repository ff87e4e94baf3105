package steps

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/drpilot/drpilot/runbooks"
)

// wantPhases is the version 1 catalogue by phase, written out by hand rather
// than read from docs/actions.md, which is generated from the catalogue
// itself: a missing, misspelt or misfiled action fails TestCatalogueIsDesign.
var wantPhases = map[string][]string{
	"incident.start":                        {"declare"},
	"opsitem.create":                        {"declare"},
	"manual":                                {"declare", "any"},
	"autoscaling.set-capacity":              {"freeze", "reintegrate"},
	"ecs.scale-service":                     {"freeze", "reintegrate"},
	"ssm.put-parameter":                     {"freeze", "reintegrate"},
	"events.disable-rule":                   {"freeze"},
	"lambda.set-concurrency":                {"freeze"},
	"backup.start-restore":                  {"restore"},
	"rds.restore-to-point-in-time":          {"restore"},
	"rds.restore-from-snapshot":             {"restore"},
	"dynamodb.restore-to-point-in-time":     {"restore"},
	"ec2.create-volume":                     {"restore"},
	"cloudformation.deploy-stack":           {"restore"},
	"ec2.attach-volume":                     {"reintegrate"},
	"elbv2.register-targets":                {"reintegrate"},
	"rds.promote-read-replica":              {"reintegrate"},
	"rds.failover-global-cluster":           {"reintegrate"},
	"secretsmanager.promote-replica":        {"reintegrate"},
	"elasticache.failover-global-datastore": {"reintegrate"},
	"docdb.failover-global-cluster":         {"reintegrate"},
	"opensearch.wait-healthy":               {"restore", "verify"},
	"opensearch.restore-snapshot":           {"restore"},
	"fis.start-experiment":                  {"any"},
	"fis.stop-experiment":                   {"any"},
	"route53.upsert-record":                 {"switch"},
	"route53.update-health-check":           {"switch"},
	"arc.start-region-switch":               {"switch"},
	"cloudwatch.wait-alarm":                 {"verify"},
	"route53.health-check-status":           {"verify"},
	"elbv2.wait-healthy":                    {"verify"},
	"rds.wait-available":                    {"verify"},
	"s3.check-replication":                  {"verify"},
	"dynamodb.wait-active":                  {"verify"},
	"http.probe":                            {"verify"},
	"notify":                                {"notify"},
	"aws.call":                              {"any"},
	"wait":                                  {"any"},
}

func TestCatalogueIsDesign(t *testing.T) {
	t.Parallel()
	c := Default()
	var want []string
	for name := range wantPhases {
		want = append(want, name)
	}
	slices.Sort(want)
	if got := c.ActionNames(); !slices.Equal(got, want) {
		t.Fatalf("ActionNames() = %v\nwant %v", got, want)
	}
	for name, phases := range wantPhases {
		spec, ok := c.Action(name)
		if !ok {
			t.Errorf("Action(%q) not found", name)
			continue
		}
		if !slices.Equal(spec.Phases, phases) {
			t.Errorf("%s: phases %v, want %v", name, spec.Phases, phases)
		}
	}
	if _, ok := c.Action("rds.promote"); ok {
		t.Error(`Action("rds.promote") found an action that does not exist`)
	}
}

func TestCatalogueSpecs(t *testing.T) {
	t.Parallel()
	for _, spec := range Default().Actions() {
		t.Run(spec.Name, func(t *testing.T) {
			t.Parallel()
			for _, problem := range checkSpec(spec) {
				t.Error(problem)
			}
		})
	}
}

// TestReadOnlyActions pins the class of the actions whose class matters
// most to dry-run: verify actions must run there, and nothing that writes
// may pass as read-only.
func TestReadOnlyActions(t *testing.T) {
	t.Parallel()
	readOnly := []string{
		"cloudwatch.wait-alarm", "route53.health-check-status", "elbv2.wait-healthy",
		"rds.wait-available", "dynamodb.wait-active", "opensearch.wait-healthy", "http.probe", "manual", "wait", "aws.call", "s3.check-replication",
	}
	for _, spec := range Default().Actions() {
		if got, want := spec.Mutating, !slices.Contains(readOnly, spec.Name); got != want {
			t.Errorf("%s: Mutating = %v, want %v", spec.Name, got, want)
		}
	}
}

func TestActionsOrder(t *testing.T) {
	t.Parallel()
	specs := Default().Actions()
	if len(specs) != len(wantPhases) {
		t.Fatalf("Actions() returned %d actions, want %d", len(specs), len(wantPhases))
	}
	for i := 1; i < len(specs); i++ {
		prev, cur := specs[i-1], specs[i]
		rp, rc := phaseRank(prev), phaseRank(cur)
		if rp > rc || rp == rc && prev.Name >= cur.Name {
			t.Errorf("Actions(): %s (rank %d) before %s (rank %d)", prev.Name, rp, cur.Name, rc)
		}
	}
	if first, last := specs[0].Name, specs[len(specs)-1].Name; first != "incident.start" || last != "wait" {
		t.Errorf("Actions() runs from %s to %s, want incident.start to wait", first, last)
	}
}

func TestBuildRejectsDuplicates(t *testing.T) {
	t.Parallel()
	e := Action{spec: runbooks.ActionSpec{Name: "x.y"}}
	if _, err := build([]Action{e, e}); err == nil || !strings.Contains(err.Error(), "x.y") {
		t.Errorf("build with a duplicate: err = %v, want one naming x.y", err)
	}
	if _, err := build([]Action{{}}); err == nil {
		t.Error("build with a nameless action: err = nil")
	}
}

func TestServices(t *testing.T) {
	t.Parallel()
	c := Default()
	got := c.Services()
	if !slices.IsSorted(got) {
		t.Errorf("Services() not sorted: %v", got)
	}
	for _, want := range []string{"elbv2", "elasticloadbalancing", "arc-region-switch", "ssm-incidents", "ssm-contacts", "sts", "s3"} {
		if !slices.Contains(got, want) {
			t.Errorf("Services() lacks %q", want)
		}
	}
	// Every service an action calls must be callable at all.
	for _, spec := range c.Actions() {
		for _, call := range spec.Calls {
			service, _, _ := strings.Cut(call.Operation, ":")
			if !slices.Contains(got, service) {
				t.Errorf("%s calls %s, whose service is not in Services()", spec.Name, call.Operation)
			}
		}
	}
}

// TestCheckSpecCatchesMistakes proves the rules in checkSpec fire, so that
// TestCatalogueSpecs passing means something.
func TestCheckSpecCatchesMistakes(t *testing.T) {
	t.Parallel()
	valid := func() runbooks.ActionSpec {
		return runbooks.ActionSpec{
			Name: "rds.promote-read-replica", Summary: "Promote.", Phases: []string{"switch"},
			Mutating: true, Calls: []runbooks.Call{act("rds:PromoteReadReplica")},
			Params: []runbooks.Param{
				required(str("db_instance_identifier", "DBInstanceIdentifier", "The replica.")),
				str("a", "", "A."), str("b", "", "B."),
			},
			Idempotency: "x", Wait: "y", Expect: runbooks.Minutes(1), Timeout: runbooks.Minutes(2),
		}
	}
	tests := []struct {
		name   string
		mutate func(*runbooks.ActionSpec)
		want   string
	}{
		{"unknown phase", func(s *runbooks.ActionSpec) { s.Phases = []string{"restroe"} }, "unknown phase"},
		{"bad name", func(s *runbooks.ActionSpec) { s.Params[1].Name = "DBName" }, "name must match"},
		{"member mismatch", func(s *runbooks.ActionSpec) { s.Params[0].Member = "DbInstanceId" }, "gives"},
		{"duplicate", func(s *runbooks.ActionSpec) { s.Params[2].Name = "a" }, "duplicate"},
		{"required default", func(s *runbooks.ActionSpec) { s.Params[0].Default = "x" }, "required with a default"},
		{"default kind", func(s *runbooks.ActionSpec) { s.Params[1].Default = 3 }, "not a valid"},
		{"group unknown", func(s *runbooks.ActionSpec) { s.OneOf = [][]string{{"a", "c"}} }, "unknown parameter"},
		{"group required", func(s *runbooks.ActionSpec) { s.AnyOf = [][]string{{"a", "db_instance_identifier"}} }, "is required"},
		{"misclassified call", func(s *runbooks.ActionSpec) { s.Calls = append(s.Calls, act("rds:DescribeDBInstances")) }, "classified read-only"},
		{"alias in call", func(s *runbooks.ActionSpec) { s.Calls = []runbooks.Call{act("elbv2:RegisterTargets")} }, "IAM prefix"},
		{"mutating without call", func(s *runbooks.ActionSpec) { s.Calls = nil }, "without a mutating call"},
		{"read-only with write", func(s *runbooks.ActionSpec) { s.Mutating = false }, "read-only action with"},
		{"bad output", func(s *runbooks.ActionSpec) { s.Outputs = []string{"dbInstance.endpoint"} }, "PascalCase"},
		{"output not in response", func(s *runbooks.ActionSpec) {
			s.Response, s.Outputs = "rds:PromoteReadReplica", []string{"DBInstance.Endpoint.Adress", "DBInstances[0].DBInstanceStatus"}
		}, `has no member "Adress" (at DBInstance.Endpoint)`},
		{"unknown response", func(s *runbooks.ActionSpec) { s.Response = "rds:PromoteReplica" }, "is no operation"},
		{"expect beyond timeout", func(s *runbooks.ActionSpec) { s.Expect = runbooks.Minutes(5) }, "timeout"},
	}
	if problems := checkSpec(valid()); len(problems) > 0 {
		t.Fatalf("valid spec has problems: %v", problems)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			spec := valid()
			tt.mutate(&spec)
			problems := strings.Join(checkSpec(spec), "\n")
			if !strings.Contains(problems, tt.want) {
				t.Errorf("problems %q do not mention %q", problems, tt.want)
			}
		})
	}
}

// TestCatalogueCheckInput: check sees a template left for the run as a
// value known later (alone: any type; inside text: a string; escaped: the
// text itself), and suggests the nearest member for a misspelt one.
func TestCatalogueCheckInput(t *testing.T) {
	t.Parallel()
	cat := Default()
	for _, tc := range []struct {
		input map[string]any
		want  []string // "path: message (hint)"
	}{
		{map[string]any{"MinSize": "${steps.a.count}", "AutoScalingGroupName": "web-${run.id}"}, nil},
		{map[string]any{"MinSize": "n${steps.a.count}"},
			[]string{"[MinSize]: member MinSize must be an integer; text around a template makes it a string (use the template alone as the value)"}},
		{map[string]any{"MinSize": "$${x}"}, []string{"[MinSize]: member MinSize must be an integer, not a string (remove the quotes)"}},
		{map[string]any{"MinSzie": int64(1), "Tags": []any{}}, []string{`[MinSzie]: unknown member "MinSzie" (did you mean "MinSize"?)`, `[Tags]: unknown member "Tags" (member names are as in the AWS API reference, in PascalCase)`}},
	} {
		var got []string
		for _, p := range cat.CheckInput("autoscaling", "UpdateAutoScalingGroup", tc.input) {
			got = append(got, fmt.Sprintf("%v: %s (%s)", p.Path, p.Message, p.Hint))
		}
		if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
			t.Errorf("%v:\n got %q\nwant %q", tc.input, got, tc.want)
		}
	}
}
