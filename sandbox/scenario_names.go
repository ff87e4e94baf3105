package sandbox

import (
	"fmt"
	"strings"
	"unicode"
)

// A scenario's [[create]] input is written with the AWS CLI's JSON member
// names (what `aws SERVICE OPERATION --generate-cli-skeleton` shows), for
// every service. The handlers read what the wire carries, which for the
// XML protocols names a list by its element: EC2's TagSpecification and
// Tag, S3's Rule. cliInput renames those, refuses the wire spelling with
// the CLI's, and refuses a member spelled in the other case from the
// service's convention (ECS's serviceName, not the Go SDK's ServiceName).

// wireName is a member whose CLI name differs from its wire name; within,
// when set, is the member it is a member of ("" anywhere).
type wireName struct{ within, cli, wire string }

// wireNames are, by service, the members whose CLI names differ from the
// wire's among the operations a scenario may create with.
var wireNames = map[string][]wireName{
	"ec2": {{"", "TagSpecifications", "TagSpecification"}, {"", "Tags", "Tag"}, {"", "Resources", "ResourceId"},
		{"", "SecurityGroupIds", "SecurityGroupId"}, {"", "SecurityGroups", "SecurityGroup"}},
	"s3": {{"ReplicationConfiguration", "Rules", "Rule"}, {"LifecycleConfiguration", "Rules", "Rule"}},
}

// camelCaseServices are the services whose CLI member names start with a
// lower-case letter; every other service's start with a capital.
var camelCaseServices = map[string]bool{"ecs": true, "fis": true, "ssm-incidents": true, "arc-region-switch": true}

// CamelCaseAPI reports whether service's (a signing name's) AWS CLI member
// names start with a lower-case letter.
func CamelCaseAPI(service string) bool { return camelCaseServices[service] }

// cliInput turns a scenario input in the CLI's names into the handlers'.
func cliInput(service, operation string, input map[string]any) (map[string]any, error) {
	for k := range input {
		if want := conventionalCase(service, k); want != k {
			return nil, fmt.Errorf("input member %q: %s's members are spelled as the AWS CLI's JSON spells them "+
				"(aws ... %s --generate-cli-skeleton)%s", k, service, cliCommand(operation), caseHint(service, want))
		}
	}
	out, err := renameMembers(wireNames[service], "", input)
	if err != nil {
		return nil, fmt.Errorf("%s: scenario files take the AWS CLI's JSON member names (aws ... %s --generate-cli-skeleton)", err, cliCommand(operation))
	}
	return out.(map[string]any), nil
}

// renameMembers renames the CLI names of v, a member of parent, to the
// wire's, at every depth, and refuses a wire name the CLI spells otherwise.
func renameMembers(names []wireName, parent string, v any) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			key := k
			for _, n := range names {
				if n.within != "" && n.within != parent {
					continue
				}
				if k == n.wire {
					return nil, fmt.Errorf("input member %s is the wire's name; the CLI's is %s", memberIn(parent, k), memberIn(parent, n.cli))
				}
				if k == n.cli {
					key = n.wire
				}
			}
			r, err := renameMembers(names, k, e)
			if err != nil {
				return nil, err
			}
			out[key] = r
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			r, err := renameMembers(names, parent, e)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	}
	return v, nil
}

func memberIn(parent, k string) string {
	if parent == "" {
		return k
	}
	return parent + "." + k
}

// conventionalCase is k with its first letter in the service's case.
func conventionalCase(service, k string) string {
	if k == "" {
		return k
	}
	first := rune(k[0])
	if camelCaseServices[service] {
		return string(unicode.ToLower(first)) + k[1:]
	}
	return string(unicode.ToUpper(first)) + k[1:]
}

// caseHint names the member meant when its case alone tells: lowering
// the first letter gives a camelCase API's name, but raising it does not
// always give a PascalCase one's (dbInstanceIdentifier is
// DBInstanceIdentifier). drpilot checks scenarios against the AWS model
// before applying them, which names the member exactly.
func caseHint(service, want string) string {
	if camelCaseServices[service] {
		return fmt.Sprintf(": %q", want)
	}
	return ", which start with a capital letter"
}

// cliCommand is an operation's name as the CLI's command: CreateService
// is create-service, CreateDBInstance create-db-instance.
func cliCommand(op string) string {
	var b strings.Builder
	runes := []rune(op)
	for i, r := range runes {
		if unicode.IsUpper(r) && i > 0 && (unicode.IsLower(runes[i-1]) ||
			i+1 < len(runes) && unicode.IsLower(runes[i+1]) && unicode.IsUpper(runes[i-1])) {
			b.WriteByte('-')
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}
