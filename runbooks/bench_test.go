package runbooks_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/steps"
)

// BenchmarkLoadValidate measures Parse plus Validate on generated runbooks.
// Goals: 1,000 steps in under 20 ms on the 2-core CI machine, and near
// linear cost: 10,000 steps within 12 times the time of 1,000. It reports
// both as the goal table reads them: ms/runbook for each size, and on the
// 10,000-step run x-1k-steps, its ms/runbook over the 1,000-step one's.

// generateRunbook writes a valid runbook of n steps that looks like a real
// one: every phase, preconditions, templates, outputs passed between steps
// and fan-out/fan-in through after.
func generateRunbook(n int) []byte {
	var b strings.Builder
	b.WriteString(`format = 1

[runbook]
id = "generated"
title = "Generated runbook"
rto = "1000d"
[runbook.regions]
primary = "us-east-1"
recovery = "us-west-2"

[vars]
replica = "db-replica"

[[contacts]]
id = "commander"
name = "Incident commander"
email = "ic@example.com"
`)
	for i := 0; i < n; i++ {
		phase := runbooks.Phases[i*len(runbooks.Phases)/n]
		fmt.Fprintf(&b, "\n[[steps]]\nid = \"step-%d\"\nphase = %q\ntitle = \"Step %d\"\ndoc = \"\"\"Promote replica %d.\nThen look at the dashboard.\"\"\"\n", i, phase, i, i)
		if i >= 2 && i%3 == 0 {
			fmt.Fprintf(&b, "after = [\"step-%d\", \"step-%d\"]\n", i-1, i-2)
		}
		switch i % 3 {
		case 0:
			fmt.Fprintf(&b, "action = \"rds.promote-read-replica\"\nexpect = \"1m\"\n[steps.with]\ndb_instance_identifier = \"${vars.replica}-%d\"\n", i)
			b.WriteString("[[steps.require]]\ncall = \"rds:DescribeDBInstances\"\ninput = { DBInstanceIdentifier = \"${vars.replica}\" }\nquery = \"DBInstances[0].DBInstanceStatus\"\nequals = \"available\"\nwhy = \"Only a healthy replica can be promoted.\"\n")
			b.WriteString("[steps.outputs]\nendpoint = \"DBInstance.Endpoint.Address\"\n")
		case 1:
			fmt.Fprintf(&b, "action = \"manual\"\nchecklist = [\"look at the graphs\", \"tell the team: ${steps.step-%d.endpoint}\"]\n", i-1)
		default:
			b.WriteString("action = \"wait\"\n[steps.with]\nduration = \"30s\"\n")
		}
	}
	return []byte(b.String())
}

func BenchmarkLoadValidate(b *testing.B) {
	cat := steps.Default()
	var msAt1k float64 // the sub-benchmarks run in order
	for _, n := range []int{100, 1000, 10000} {
		src := generateRunbook(n)
		b.Run(fmt.Sprintf("steps=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(src)))
			b.ReportAllocs()
			for b.Loop() {
				rb, diags := runbooks.Parse("generated.toml", src)
				if rb == nil || diags.HasErrors() {
					b.Fatalf("generated runbook does not load: %v", diags)
				}
				if diags := runbooks.Validate(rb, cat); diags.HasErrors() {
					b.Fatalf("generated runbook is not valid: %v", diags)
				}
			}
			perRunbook := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			b.ReportMetric(perRunbook/float64(n), "ns/step")
			b.ReportMetric(perRunbook/1e6, "ms/runbook")
			switch n {
			case 1000:
				msAt1k = perRunbook / 1e6
			case 10000:
				if msAt1k > 0 {
					b.ReportMetric(perRunbook/1e6/msAt1k, "x-1k-steps")
				}
			}
		})
	}
}

func TestGeneratedRunbookIsValid(t *testing.T) {
	t.Parallel()
	rb, diags := runbooks.Parse("generated.toml", generateRunbook(30))
	if rb == nil || diags.HasErrors() {
		t.Fatalf("load: %v", diags)
	}
	if diags := runbooks.Validate(rb, steps.Default()); len(diags) != 0 {
		t.Fatalf("generated runbook should be clean, got:\n%v", diags)
	}
}
