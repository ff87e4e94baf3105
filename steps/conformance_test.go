package steps

import (
	"context"
	"strings"
	"testing"

	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/sandbox"
	"github.com/drpilot/drpilot/steps/awsclient"
)

// The conformance test holds every action, and the sandbox, to the one
// registry: what an action's spec says is what its code does, what the SDK
// has and what the sandbox serves, classified the same way everywhere.

// sandboxName is the name the sandbox serves a registry service under: its
// SigV4 signing name.
func sandboxName(prefix string) string {
	s, _ := awsclient.Lookup(prefix)
	return s.Signing()
}

// TestEveryActionConforms: every action has code (the catalogue refuses
// one without), and every operation its spec names exists in the linked
// SDK, is served by the sandbox, and is classified there as the spec says.
func TestEveryActionConforms(t *testing.T) {
	t.Parallel()
	sb := sandbox.New(sandbox.Options{})
	c := Default()
	for _, name := range c.ActionNames() {
		a := c.entries[name]
		if a.run == nil {
			t.Errorf("%s has no run function", name)
		}
		for _, call := range a.spec.Calls {
			service, op, _ := splitOperation(call.Operation)
			if call.HTTP != "" {
				// A request to a resource's own endpoint, which the
				// simulated internet serves (sandbox/opensearch_endpoint.go):
				// no SDK operation, no entry in the sandbox's table.
				if want := Classify(service, op) == runbooks.OpMutating; !EndpointOperation(call.Operation) || want != call.Mutating {
					t.Errorf("%s: %s is no endpoint request classified mutating=%v", name, call.Operation, call.Mutating)
				}
				continue
			}
			if !awsclient.HasOperation(service, op) {
				t.Errorf("%s names %s, which the SDK's %s client does not have", name, call.Operation, service)
			}
			served := sandboxName(service)
			switch {
			case !sb.Serves(served, op):
				t.Errorf("%s calls %s, which the sandbox does not serve", name, call.Operation)
			case sb.Mutates(served, op) != call.Mutating:
				t.Errorf("%s: the sandbox marks %s mutating=%v, the spec %v", name, call.Operation, sb.Mutates(served, op), call.Mutating)
			}
		}
	}
}

// TestSandboxClassifiesAsTheClassifier: every operation the sandbox serves
// is marked as changing its state exactly when the classifier calls it
// mutating — the recording a resumed sandbox is rebuilt from keeps what
// dry-run would refuse, no more and no less.
func TestSandboxClassifiesAsTheClassifier(t *testing.T) {
	t.Parallel()
	byName := map[string]string{}
	for _, s := range awsclient.Registry() {
		// DocumentDB and Neptune sign as rds: the name is RDS's.
		if _, taken := byName[s.Signing()]; !taken || s.Signing() == s.Prefix {
			byName[s.Signing()] = s.Prefix
		}
	}
	for _, op := range sandbox.New(sandbox.Options{}).Operations() {
		prefix, ok := byName[op.Service]
		if !ok {
			t.Errorf("the sandbox serves %s, which the service registry does not have", op.Service)
			continue
		}
		if !awsclient.HasOperation(prefix, op.Name) {
			t.Errorf("the sandbox serves %s:%s, which the SDK does not have", prefix, op.Name)
		}
		if want := Classify(prefix, op.Name) == runbooks.OpMutating; op.Mutating != want {
			t.Errorf("the sandbox marks %s:%s mutating=%v; the classifier says %s", prefix, op.Name, op.Mutating, Classify(prefix, op.Name))
		}
	}
}

// TestAnActionCallsOnlyWhatItDeclares: an action whose code calls an
// operation its spec does not list fails without sending it — the IAM
// policy drpilot derives from the spec would deny it at 3 a.m.
func TestAnActionCallsOnlyWhatItDeclares(t *testing.T) {
	t.Parallel()
	for op, run := range map[string]runFunc{
		"read": func(ctx context.Context, s *StepRun) (map[string]any, error) {
			return s.Read(ctx, "ec2:DescribeVolumes", nil)
		},
		"mutate": func(ctx context.Context, s *StepRun) (map[string]any, error) {
			return s.Mutate(ctx, "ec2:CreateVolume", map[string]any{"AvailabilityZone": "eu-west-2a", "Size": 1}, nil)
		},
	} {
		runners := Default().runners()
		runners["ssm.put-parameter"] = run
		tr := startRun(t, putParameterRunbook("/shop/maintenance", "on", ""), parameterScenario("/shop/maintenance", "off"), runOptions{runners: runners})
		if tr.status("freeze-writes") != "failed" {
			t.Fatalf("%s: the step is %s", op, tr.status("freeze-writes"))
		}
		journal, _ := tr.sb.Journal().Entries()
		for _, e := range journal {
			if e.Service == "ec2" {
				t.Errorf("%s: the undeclared call was sent: %+v", op, e)
			}
		}
		failed := tr.rec.of(EventStepFailed, "freeze-writes")
		if len(failed) == 0 || !strings.Contains(failed[0].Error, "which its spec does not declare") {
			t.Errorf("%s: %+v", op, failed)
		}
	}
}
