package steps

import (
	"strings"
	"unicode"

	"github.com/drpilot/drpilot/runbooks"
)

// The helpers in this file keep the per-service tables short enough to read
// as a table: one line per parameter, the AWS member next to the name it
// gives, and the sentence a runbook author will see in docs/actions.md.

// Call purposes, as used in runbooks.Call.Purpose.
const (
	// PurposeAction marks the call that makes the change the action exists for.
	PurposeAction = "action"
	// PurposeWait marks the call polled until the change is real.
	PurposeWait = "wait"
	// PurposeCheck marks a read that decides whether the action may or needs
	// to run (check-before-act, preconditions such as the RPO).
	PurposeCheck = "check"
	// PurposeLookup marks a read that finds a value the action needs, such as
	// the newest recovery point of a resource.
	PurposeLookup = "lookup"
)

// SnakeCase converts an AWS member name to the parameter name drpilot gives
// it: DBInstanceIdentifier becomes db_instance_identifier, IamRoleArn
// becomes iam_role_arn, TTL becomes ttl and Ipv6Address becomes
// ipv6_address. A run of capitals is one word, except that its last capital
// starts the next word when a lower-case letter follows it ("DBInstance" is
// "db" + "instance"); a capital after a digit starts a new word ("S3Key" is
// "s3_key").
func SnakeCase(member string) string {
	runes := []rune(member)
	var b strings.Builder
	for i, r := range runes {
		if unicode.IsUpper(r) && i > 0 {
			prev := runes[i-1]
			nextLower := i+1 < len(runes) && unicode.IsLower(runes[i+1])
			if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && nextLower) {
				b.WriteByte('_')
			}
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// param builds a parameter of the given kind. Every other constructor goes
// through it so that the field order of runbooks.Param is written once.
func param(kind runbooks.Kind, name, member, doc string) runbooks.Param {
	return runbooks.Param{Name: name, Member: member, Kind: kind, Doc: doc}
}

// str is a string parameter.
func str(name, member, doc string) runbooks.Param {
	return param(runbooks.KindString, name, member, doc)
}

// region is a parameter that holds an AWS Region name, which check holds
// to the Regions it knows, as it does a step's region.
func region(name, member, doc string) runbooks.Param {
	return param(runbooks.KindRegion, name, member, doc)
}

// timestamp is an AWS timestamp member. The format has no timestamp kind,
// so it is a string that the executor parses as RFC 3339; templates such as
// ${run.started_at} produce that form.
func timestamp(name, member, doc string) runbooks.Param {
	return param(runbooks.KindString, name, member, doc)
}

// boolean is a true/false parameter.
func boolean(name, member, doc string) runbooks.Param {
	return param(runbooks.KindBool, name, member, doc)
}

// atLeast is an integer parameter with a lower bound and no upper one.
func atLeast(name, member string, min float64, doc string) runbooks.Param {
	p := param(runbooks.KindInt, name, member, doc)
	p.Min, p.HasMin = min, true
	return p
}

// between is an integer parameter bounded on both sides, as AWS bounds it.
func between(name, member string, min, max float64, doc string) runbooks.Param {
	p := atLeast(name, member, min, doc)
	p.Max, p.HasMax = max, true
	return p
}

// arn is an ARN parameter. service is the ARN's service field, or "" when
// the ARN may name a resource of any service (a recovery point, for one).
func arn(name, member, service, doc string) runbooks.Param {
	p := param(runbooks.KindARN, name, member, doc)
	p.ARNService = service
	return p
}

// enum is a string parameter restricted to values, spelt as AWS spells them.
func enum(name, member string, values []string, doc string) runbooks.Param {
	p := param(runbooks.KindEnum, name, member, doc)
	p.Enum = values
	return p
}

// listOf is an array parameter whose elements are described by elem.
func listOf(name, member string, elem runbooks.Param, doc string) runbooks.Param {
	p := param(runbooks.KindList, name, member, doc)
	p.Elem = &elem
	return p
}

// stringElem is the element of a list of plain strings.
func stringElem() runbooks.Param { return runbooks.Param{Kind: runbooks.KindString} }

// object is a table parameter with known fields.
func object(name, member string, fields []runbooks.Param, doc string) runbooks.Param {
	p := param(runbooks.KindObject, name, member, doc)
	p.Fields = fields
	return p
}

// table is a free-form table passed through to AWS as it is written.
func table(name, member, doc string) runbooks.Param {
	return param(runbooks.KindMap, name, member, doc)
}

// duration is a runbook duration such as "15s" or "1h30m".
func duration(name, doc string) runbooks.Param {
	return param(runbooks.KindDuration, name, "", doc)
}

// required marks p as one the step must give.
// inStepRegion requires an ARN given for p to name the step's Region.
func inStepRegion(p runbooks.Param) runbooks.Param {
	p.StepRegionARN = true
	return p
}

func required(p runbooks.Param) runbooks.Param {
	p.Required = true
	return p
}

// defaulting gives p the value used when the step leaves it out. Integer
// defaults are int64, the type a TOML decoder produces for integers.
func defaulting(p runbooks.Param, value any) runbooks.Param {
	p.Default = value
	return p
}

// act is the mutating call an action exists to make.
func act(operation string) runbooks.Call {
	return runbooks.Call{Operation: operation, Purpose: PurposeAction, Mutating: true}
}

// waitOn is the read-only call an action polls until its effect is real.
func waitOn(operation string) runbooks.Call {
	return runbooks.Call{Operation: operation, Purpose: PurposeWait}
}

// check is a read-only call made before acting (check-before-act).
func check(operation string) runbooks.Call {
	return runbooks.Call{Operation: operation, Purpose: PurposeCheck}
}

// lookup is a read-only call that finds a value the action needs.
func lookup(operation string) runbooks.Call {
	return runbooks.Call{Operation: operation, Purpose: PurposeLookup}
}
