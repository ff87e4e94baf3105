package main

import (
	"fmt"
	"strings"
	"sync"

	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/sandbox"
	"github.com/drpilot/drpilot/steps/awsclient"
)

// loadScenario reads a scenario file and checks every [[create]] entry's
// input against the AWS model of its operation, so that a misspelt member
// is refused — naming the file, line, service, operation and member —
// before anything is created, instead of being ignored by the sandbox.
// Every problem is bad input.
func loadScenario(path string) (*sandbox.Scenario, error) {
	sc, err := sandbox.LoadScenario(path)
	if err != nil {
		return nil, badInput("%v", err)
	}
	if err := sc.CheckInputs(checkScenarioInput); err != nil {
		return nil, badInput("%v", err)
	}
	return sc, nil
}

// checkScenarioInput is the sandbox.InputCheck that the SDK's model of the
// operation's input makes. Scenarios write the AWS CLI's JSON member
// names, which are the API's, as the SDK's are. It judges names only: the
// sandbox's handlers check the values they read. An operation the SDK does
// not have is the sandbox's to refuse, so it is skipped here.
func checkScenarioInput(signing, operation string, input map[string]any) []string {
	service, ok := scenarioServices()[signing]
	if !ok || !awsclient.HasOperation(service, operation) {
		return nil
	}
	lower := sandbox.CamelCaseAPI(signing)
	var out []string
	for _, p := range awsclient.CheckInput(service, operation, input) {
		if !p.AtName || len(p.Path) == 0 {
			continue
		}
		key, _ := p.Path[len(p.Path)-1].(string)
		member := awsclient.MemberPath(p.Path)
		switch {
		case p.Unknown:
			msg := fmt.Sprintf("input member %s is not a member of the operation's input", member)
			names := spelt(p.Members, lower)
			if near := runbooks.Suggest(key, names); near != "" {
				msg += fmt.Sprintf("; did you mean %s?", near)
			} else if len(names) <= 12 {
				msg += "; its members are " + strings.Join(names, ", ")
			}
			out = append(out, msg)
		case p.Warning && p.Name != "":
			want := spelt([]string{p.Name}, lower)[0]
			if key == want {
				continue // a union's member, which the SDK spells in PascalCase
			}
			out = append(out, fmt.Sprintf("input member %s is spelt %s, as the AWS CLI's JSON spells it", member, want))
		default:
			out = append(out, fmt.Sprintf("input member %s: %s", member, p.Message))
		}
	}
	return out
}

// spelt returns names as the CLI spells them: lowered first letters for a
// camelCase API.
func spelt(names []string, lower bool) []string {
	if !lower {
		return names
	}
	out := make([]string, len(names))
	for i, n := range names {
		if n != "" {
			out[i] = strings.ToLower(n[:1]) + n[1:]
		}
	}
	return out
}

// scenarioServices maps the SigV4 signing names scenarios use to the
// service names awsclient takes. Services that share a signing name
// (rds, docdb and neptune all sign as rds) map to the one named so.
var scenarioServices = sync.OnceValue(func() map[string]string {
	out := map[string]string{}
	for _, s := range awsclient.Registry() {
		if _, taken := out[s.Signing()]; !taken || s.Prefix == s.Signing() {
			out[s.Signing()] = s.Prefix
		}
	}
	return out
})
