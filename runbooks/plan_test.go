package runbooks_test

import (
	"testing"

	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/steps"
)

func planFixture(t *testing.T, file string) *runbooks.RunPlan {
	t.Helper()
	cat := steps.Default()
	rb, diags := runbooks.Check(file, cat)
	if rb == nil || diags.HasErrors() {
		t.Fatalf("%s: %v", file, diags)
	}
	p, diags := runbooks.Plan(rb, cat)
	if p == nil {
		t.Fatalf("%s: %v", file, diags)
	}
	return p
}

// A notify step calls only the channels its recipients have: the minimal
// fixture's commander has an email address and nothing else.
func TestPlanNotifyListsOnlyRecipientChannels(t *testing.T) {
	t.Parallel()
	p := planFixture(t, "testdata/valid/minimal.toml")
	tell := p.Steps[2]
	if len(tell.Calls) != 1 || tell.Calls[0].Operation != "ses:SendEmail" {
		t.Fatalf("notify calls = %+v, want only ses:SendEmail", tell.Calls)
	}
}

// The plan resolves what is known before the run and leaves the rest.
func TestPlanResolvesStaticTemplates(t *testing.T) {
	t.Parallel()
	p := planFixture(t, "testdata/valid/minimal.toml")
	promote := p.Steps[1]
	var act runbooks.PlannedCall
	for _, c := range promote.Calls {
		if c.Purpose == "action" {
			act = c
		}
	}
	if got := act.Input["DBInstanceIdentifier"]; got != "orders-db-replica" {
		t.Errorf("promote input = %v (calls %+v)", act.Input, promote.Calls)
	}
	if got := p.Steps[2].Params["message"]; got != "Promoted: ${steps.promote.endpoint} in us-west-2" {
		t.Errorf("notify message = %q", got)
	}
	if p.Budget.RTO == nil || !p.Budget.Within || len(p.Budget.Path) != 3 {
		t.Errorf("budget = %+v", p.Budget)
	}
}

// A literal "${" (written "$${") survives the plan escaped, so that the
// run's second resolution, with the outputs of earlier steps, reads it as
// a literal: the ${Env} of a CloudFormation template's Fn::Sub.
func TestResolveLaterKeepsLiteralsEscaped(t *testing.T) {
	t.Parallel()
	lookup := func(ref runbooks.Ref) (any, bool) {
		if ref.Text == "${vars.env}" {
			return "dr-${x}", true
		}
		return nil, false
	}
	for _, tc := range []struct{ in, now, later string }{
		{"orders-$${Env}", "orders-${Env}", "orders-$${Env}"},
		{"$${Env}-${vars.env}", "${Env}-dr-${x}", "$${Env}-dr-$${x}"},
		{"${vars.env}", "dr-${x}", "dr-$${x}"},
		{"$${Env} ${steps.a.b}", "$${Env} ${steps.a.b}", "$${Env} ${steps.a.b}"},
	} {
		now, _ := runbooks.Resolve(tc.in, lookup)
		later, _ := runbooks.ResolveLater(tc.in, lookup)
		if now != tc.now || later != tc.later {
			t.Errorf("%q: Resolve %q, ResolveLater %q; want %q and %q", tc.in, now, later, tc.now, tc.later)
		}
		if again, _ := runbooks.Resolve(later, lookup); tc.later != tc.in && again != tc.now {
			t.Errorf("%q resolved again: %q, want %q", tc.in, again, tc.now)
		}
	}
}

// TestCompactJSONIsForPeople: what plan, the gate and the log lines show is
// the text as written, not HTML-escaped.
func TestCompactJSONIsForPeople(t *testing.T) {
	t.Parallel()
	if got := runbooks.CompactJSON(map[string]any{"to": "DR bridge <dr@example.com>", "q": "a&b"}); got != `{"q":"a&b","to":"DR bridge <dr@example.com>"}` {
		t.Errorf("CompactJSON = %s", got)
	}
}
