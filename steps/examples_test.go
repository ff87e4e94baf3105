package steps

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/drpilot/drpilot/runbooks"
)

// The examples in docs/actions.md are what runbook authors copy, so each is
// checked against its action: only parameters the action takes, every
// required one, the OneOf/AnyOf rules, and values of the right shape.

var stepID = regexp.MustCompile(`^[a-z0-9-]+$`)

func TestExamples(t *testing.T) {
	t.Parallel()
	c := Default()
	for _, name := range c.ordered {
		e := c.entries[name]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for _, problem := range checkExample(e.spec, e.example) {
				t.Error(problem)
			}
		})
	}
}

// checkExample returns every way ex is not a valid step for spec.
func checkExample(spec runbooks.ActionSpec, ex example) []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if !stepID.MatchString(ex.id) || ex.title == "" {
		add("example needs an id matching %s and a title", stepID)
	}
	if !slices.Contains(phaseOrder[:len(phaseOrder)-1], ex.phase) {
		add("example phase %q is not a step phase", ex.phase)
	}
	given := map[string]bool{}
	for _, s := range ex.with {
		i := slices.IndexFunc(spec.Params, func(p runbooks.Param) bool { return p.Name == s.key })
		if i < 0 {
			add("example sets %q, which %s does not take", s.key, spec.Name)
			continue
		}
		if given[s.key] {
			add("example sets %q twice", s.key)
		}
		given[s.key] = true
		if err := checkLiteral(spec.Params[i], s.value); err != nil {
			add("example %s = %s: %v", s.key, s.value, err)
		}
	}
	for _, p := range spec.Params {
		if p.Required && !given[p.Name] {
			add("example lacks required %q", p.Name)
		}
	}
	for _, group := range spec.OneOf {
		if n := countGiven(group, given); n != 1 {
			add("example gives %d of %v, want exactly one", n, group)
		}
	}
	for _, group := range spec.AnyOf {
		if countGiven(group, given) == 0 {
			add("example gives none of %v", group)
		}
	}
	for _, o := range ex.outputs {
		path, err := strconv.Unquote(o.value)
		if !paramName.MatchString(o.key) || err != nil || !outputPath.MatchString(path) {
			add("example output %s = %s is not name = \"PascalCase.Path\"", o.key, o.value)
		}
	}
	return problems
}

// countGiven counts the names of group the example sets.
func countGiven(group []string, given map[string]bool) int {
	n := 0
	for _, name := range group {
		if given[name] {
			n++
		}
	}
	return n
}

// checkLiteral checks a TOML literal has the shape of the parameter's kind.
// It is not a TOML parser; it catches the mistakes a table edit makes, such
// as a quoted number or an enum value AWS would refuse.
func checkLiteral(p runbooks.Param, lit string) error {
	switch p.Kind {
	case runbooks.KindString, runbooks.KindARN, runbooks.KindEnum, runbooks.KindDuration, runbooks.KindOperation:
		s, err := strconv.Unquote(lit)
		if err != nil {
			return fmt.Errorf("want a quoted string")
		}
		return checkString(p, s)
	case runbooks.KindBool:
		if lit != "true" && lit != "false" {
			return fmt.Errorf("want true or false")
		}
	case runbooks.KindInt:
		n, err := strconv.ParseInt(lit, 10, 64)
		if err != nil || p.HasMin && float64(n) < p.Min || p.HasMax && float64(n) > p.Max {
			return fmt.Errorf("want an integer within the parameter's bounds")
		}
	case runbooks.KindList, runbooks.KindContactIDs:
		if !strings.HasPrefix(lit, "[") || !strings.HasSuffix(lit, "]") {
			return fmt.Errorf("want an array")
		}
	case runbooks.KindObject, runbooks.KindMap:
		if !strings.HasPrefix(lit, "{") || !strings.HasSuffix(lit, "}") {
			return fmt.Errorf("want an inline table")
		}
		return checkFields(p, lit)
	}
	return nil
}

// checkString checks the string kinds once unquoted. A value that is a
// template is only known at run time, so it passes; an ARN with templates
// inside must still start with its service's prefix.
func checkString(p runbooks.Param, s string) error {
	if strings.HasPrefix(s, "${") {
		return nil
	}
	switch p.Kind {
	case runbooks.KindEnum:
		if !strings.Contains(s, "${") && !slices.Contains(p.Enum, s) {
			return fmt.Errorf("%q is not one of %v", s, p.Enum)
		}
	case runbooks.KindARN:
		prefix := "arn:aws:"
		if p.ARNService != "" {
			prefix += p.ARNService + ":"
		}
		if !strings.HasPrefix(s, prefix) {
			return fmt.Errorf("want an ARN of %q", p.ARNService)
		}
	case runbooks.KindDuration:
		_, err := runbooks.ParseDuration(s)
		return err
	case runbooks.KindOperation:
		service, op, ok := splitOperation(s)
		if !ok || Classify(service, op) == runbooks.OpUnknown {
			return fmt.Errorf("%q is not a known service:Operation", s)
		}
	}
	return nil
}

// checkFields checks that an inline table for an object parameter uses
// only its fields' names.
func checkFields(p runbooks.Param, lit string) error {
	if p.Kind != runbooks.KindObject {
		return nil
	}
	for _, key := range regexp.MustCompile(`([A-Za-z_][A-Za-z0-9_]*)\s*=`).FindAllStringSubmatch(lit, -1) {
		if !slices.ContainsFunc(p.Fields, func(f runbooks.Param) bool { return f.Name == key[1] }) {
			return fmt.Errorf("%s has no field %q", p.Name, key[1])
		}
	}
	return nil
}

func TestCheckExampleCatchesMistakes(t *testing.T) {
	t.Parallel()
	spec, _ := Default().Action("route53.upsert-record")
	base := []setting{
		{"hosted_zone_id", `"Z1"`}, {"name", `"a.example.com"`}, {"type", `"A"`}, {"values", `["192.0.2.1"]`},
	}
	tests := []struct {
		name string
		with []setting
		want string
	}{
		{"unknown parameter", append(slices.Clone(base), setting{"zone", `"Z1"`}), "does not take"},
		{"missing required", base[1:], "lacks required"},
		{"both of a OneOf", append(slices.Clone(base), setting{"alias_target", `{ dns_name = "x" }`}), "want exactly one"},
		{"bad enum", append(slices.Clone(base[:2]), setting{"type", `"ALIAS"`}, base[3]), "not one of"},
		{"quoted integer", append(slices.Clone(base), setting{"ttl", `"60"`}), "integer"},
		{"unknown field", append(slices.Clone(base[:3]), setting{"alias_target", `{ DNSName = "x" }`}), "no field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ex := example{id: "x", phase: "switch", title: "X", with: tt.with}
			problems := strings.Join(checkExample(spec, ex), "\n")
			if !strings.Contains(problems, tt.want) {
				t.Errorf("problems %q do not mention %q", problems, tt.want)
			}
		})
	}
}
