package steps

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/steps/awsclient"
)

// docs/actions.md is generated from the catalogue rather than written by
// hand, so that what a runbook author reads is what the validator enforces.
// TestActionsDocUpToDate fails when the committed file differs from what
// WriteActionsDoc produces.

// WriteActionsDoc renders the action reference, docs/actions.md, as
// Markdown: how actions are used, a table by phase, one section per action
// and how AWS operations are classified.
func WriteActionsDoc(w io.Writer, c *Catalogue) error {
	var b bytes.Buffer
	b.WriteString(docIntro)
	writePhaseTable(&b, c)
	b.WriteString("## Reference\n")
	for _, name := range c.ordered {
		writeAction(&b, c.entries[name])
	}
	writeClassification(&b)
	_, err := w.Write(b.Bytes())
	return err
}

// docIntro explains what every section below assumes. Go raw strings
// cannot hold backquotes, so the text writes ~ for each and it is replaced.
var docIntro = strings.ReplaceAll(`# Actions

<!-- Generated from package steps by ~go test ./steps -run TestActionsDocUpToDate -update~; do not edit by hand. -->

Every step of a runbook names one action of this catalogue in ~action~ and gives the action's
parameters in ~[steps.with]~:

~~~toml
[[steps]]
id     = "promote-replica"
phase  = "reintegrate"
title  = "Promote the read replica in the recovery Region"
action = "rds.promote-read-replica"

[steps.with]
db_instance_identifier = "${vars.db_replica}"

[steps.outputs]
endpoint = "DBInstance.Endpoint.Address"
~~~

**Parameter names.** A parameter that fills an AWS API input member is that member's name in
snake_case: ~DBInstanceIdentifier~ is ~db_instance_identifier~, ~IamRoleArn~ is ~iam_role_arn~,
~TTL~ is ~ttl~. A run of capitals is one word, except that its last capital starts the next
word when a lower-case letter follows. Each parameter table names the AWS member, so the AWS API
reference documents the value in full. Parameters without a member are conveniences, few and
described with their action. Templates (~${...}~) are allowed wherever a value is.

**Types.** ~duration~ is a runbook duration (~"90s"~, ~"15m"~, ~"1d"~); a timestamp is a string
in RFC 3339 (~"2026-03-01T09:30:00Z"~); a table with fields is written inline
(~{ key = value }~); a free-form table is passed to AWS as written, with the API's PascalCase
member names.

**Read-only and mutating.** A mutating action changes something in the account (or, for
~notify~, sends messages that cannot be unsent). In live mode a mutating step asks for
confirmation before it runs (~confirm~ defaults to ~yes~ for mutating actions and ~none~ for
read-only ones), and its intent is written to the audit log before any call is sent. In dry-run,
read-only calls are sent for real, so checks and the waits of read-only actions run; mutating
calls are shown with their input, never sent, and answered with a simulated response.
~aws.call~ takes the class of the operation it calls; an operation drpilot cannot classify is
refused in dry-run.

**Outputs.** An action's response is the AWS response shape, so ~[steps.outputs]~ and
~require.query~ use JMESPath over the PascalCase member names of the AWS API reference. For an
action that waits, the resource in the response is refreshed from the last read of the wait
(each action's *Wait* says how), so members that exist only once the change is done, such as an
endpoint, are there. A union, such as a DynamoDB attribute value, is a one-key table naming its
member, as in the AWS CLI's JSON (~Item.pk.S~). Actions that call no AWS API describe their own
response.

**Durations.** The expected duration feeds the RTO projection when a step sets no ~expect~; the
default timeout applies when a step sets no ~timeout~.

`, "~", "`")

// writePhaseTable lists every action under each phase it belongs to.
func writePhaseTable(b *bytes.Buffer, c *Catalogue) {
	b.WriteString("## Actions by phase\n\nThe phases an action is listed under are where the catalogue expects it; a step may use any action in any phase (a `notify` at `declare`, an `rds.wait-available` at `restore`).\n\n| phase | action | class | summary |\n|---|---|---|---|\n")
	for _, phase := range phaseOrder {
		for _, name := range c.names {
			spec := c.entries[name].spec
			if !slices.Contains(spec.Phases, phase) {
				continue
			}
			fmt.Fprintf(b, "| %s | [`%s`](#%s) | %s | %s |\n",
				phase, name, anchor(name), classText(spec), cell(spec.Summary))
		}
	}
	b.WriteString("\n")
}

// writeAction renders one action's section.
func writeAction(b *bytes.Buffer, e Action) {
	spec := e.spec
	fmt.Fprintf(b, "\n### `%s`\n\n%s\n\n", spec.Name, spec.Summary)
	fmt.Fprintf(b, "- **Phases:** %s (where it is usually used; any phase is allowed)\n", strings.Join(spec.Phases, ", "))
	fmt.Fprintf(b, "- **Class:** %s\n", classMeaning(spec))
	fmt.Fprintf(b, "- **AWS calls:** %s\n", callsText(spec))
	fmt.Fprintf(b, "- **Expected duration:** %s; **default timeout:** %s\n\n", expectText(spec), spec.Timeout)
	writeParams(b, spec)
	if len(spec.Outputs) > 0 {
		fmt.Fprintf(b, "**Outputs:** %s\n\n", codeList(spec.Outputs))
	}
	if spec.Response != "" {
		fmt.Fprintf(b, "**Response:** the output of `%s`, whose member names `drpilot check` holds output queries to.\n\n", spec.Response)
	}
	fmt.Fprintf(b, "**Idempotency:** %s\n\n", spec.Idempotency)
	fmt.Fprintf(b, "**Wait:** %s\n\n", spec.Wait)
	writeExample(b, spec.Name, e.example)
}

// classText names an action's class as the reference states it.
func classText(spec runbooks.ActionSpec) string {
	switch {
	case spec.OperationParam != "":
		return fmt.Sprintf("as the operation in `%s`", spec.OperationParam)
	case spec.Mutating:
		return "mutating"
	}
	return "read-only"
}

// classMeaning is the class with what it means for a step using the action.
func classMeaning(spec runbooks.ActionSpec) string {
	switch {
	case spec.OperationParam != "":
		return classText(spec) + "; read-only operations run in dry-run, others are confirmed in live mode and not sent in dry-run"
	case spec.Mutating:
		return "mutating; confirmed before it runs in live mode, its mutating calls not sent in dry-run"
	}
	return "read-only; no confirmation by default, and it runs in dry-run too"
}

// callsText lists an action's AWS calls with their purpose and class.
func callsText(spec runbooks.ActionSpec) string {
	if spec.OperationParam != "" {
		return fmt.Sprintf("the operation named in `%s`", spec.OperationParam)
	}
	if len(spec.Calls) == 0 {
		return "none"
	}
	parts := make([]string, len(spec.Calls))
	for i, call := range spec.Calls {
		class := "read-only"
		if call.Mutating {
			class = "mutating"
		}
		if call.HTTP != "" {
			class += ", an HTTP " + call.HTTP + " to the resource's own endpoint"
		}
		parts[i] = fmt.Sprintf("`%s` (%s, %s)", call.Operation, call.Purpose, class)
	}
	return strings.Join(parts, ", ")
}

// expectText is the expected duration, or what stands in for it.
func expectText(spec runbooks.ActionSpec) string {
	if spec.Expect.Duration == 0 {
		return "the step's own parameters"
	}
	return spec.Expect.String()
}

// writeParams renders the parameter table and the OneOf/AnyOf rules.
func writeParams(b *bytes.Buffer, spec runbooks.ActionSpec) {
	b.WriteString("**Parameters**\n\n| name | type | required | default | AWS member | description |\n|---|---|---|---|---|---|\n")
	for _, p := range spec.Params {
		writeParamRows(b, "", p)
	}
	b.WriteString("\n")
	for _, group := range spec.OneOf {
		fmt.Fprintf(b, "- Give exactly one of %s.\n", codeList(group))
	}
	for _, group := range spec.AnyOf {
		fmt.Fprintf(b, "- Give at least one of %s.\n", codeList(group))
	}
	if len(spec.OneOf)+len(spec.AnyOf) > 0 {
		b.WriteString("\n")
	}
}

// writeParamRows writes p's row and then one row per nested field, named
// by its path: alias_target.dns_name, targets[].id.
func writeParamRows(b *bytes.Buffer, prefix string, p runbooks.Param) {
	name := prefix + p.Name
	req := ""
	if p.Required {
		req = "yes"
	}
	def := ""
	if p.Default != nil {
		def = "`" + tomlLiteral(p.Default) + "`"
	}
	member := "—"
	if p.Member != "" {
		member = "`" + p.Member + "`"
	}
	fmt.Fprintf(b, "| `%s` | %s | %s | %s | %s | %s |\n", name, typeText(p), req, def, member, cell(p.Doc))
	for _, f := range p.Fields {
		writeParamRows(b, name+".", f)
	}
	if p.Elem != nil {
		for _, f := range p.Elem.Fields {
			writeParamRows(b, name+"[].", f)
		}
	}
}

// typeText describes a parameter's type for the reference.
func typeText(p runbooks.Param) string {
	switch p.Kind {
	case runbooks.KindInt, runbooks.KindFloat:
		return boundsText(p)
	case runbooks.KindEnum:
		return "one of " + codeList(p.Enum)
	case runbooks.KindARN:
		if p.ARNService != "" {
			return "ARN (" + p.ARNService + ")"
		}
		return "ARN (any service)"
	case runbooks.KindList:
		if p.Elem == nil {
			return "list"
		}
		return "list of " + typeText(*p.Elem)
	case runbooks.KindObject:
		return "table"
	case runbooks.KindMap:
		return "free-form table"
	case runbooks.KindContactIDs:
		return "list of contact ids"
	case runbooks.KindOperation:
		return "service:Operation"
	}
	return string(p.Kind)
}

// boundsText is a number's type with its bounds.
func boundsText(p runbooks.Param) string {
	kind := string(p.Kind)
	switch {
	case p.HasMin && p.HasMax:
		return fmt.Sprintf("%s, %s to %s", kind, number(p.Min), number(p.Max))
	case p.HasMin:
		return fmt.Sprintf("%s, at least %s", kind, number(p.Min))
	case p.HasMax:
		return fmt.Sprintf("%s, at most %s", kind, number(p.Max))
	}
	return kind
}

// number formats a bound without a useless ".0".
func number(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// writeExample renders an example step as TOML.
func writeExample(b *bytes.Buffer, action string, ex example) {
	b.WriteString("**Example**\n\n```toml\n[[steps]]\n")
	fmt.Fprintf(b, "id     = %s\nphase  = %s\ntitle  = %s\naction = %s\n",
		tomlLiteral(ex.id), tomlLiteral(ex.phase), tomlLiteral(ex.title), tomlLiteral(action))
	writeTable(b, "steps.with", ex.with)
	writeTable(b, "steps.outputs", ex.outputs)
	b.WriteString("```\n")
}

// writeTable renders a TOML table of an example, or nothing when empty.
func writeTable(b *bytes.Buffer, name string, settings []setting) {
	if len(settings) == 0 {
		return
	}
	fmt.Fprintf(b, "\n[%s]\n", name)
	for _, s := range settings {
		fmt.Fprintf(b, "%s = %s\n", s.key, s.value)
	}
}

// writeServices documents the services drpilot can call, from the one
// service registry, with the IAM prefix each one's actions need, which
// differs from the name runbooks write where services share one.
func writeServices(b *bytes.Buffer) {
	b.WriteString("Services, by the name runbooks write: the IAM prefix, as IAM and CloudTrail name them, except where two services share one:\n\n| service | also accepted as | control plane | IAM actions |\n|---|---|---|---|\n")
	for _, s := range awsclient.Registry() {
		plane := "in each Region"
		if s.ControlPlane != "" {
			plane = "only in " + s.ControlPlane + " (a global service)"
		}
		fmt.Fprintf(b, "| `%s` | %s | %s | `%s:*` |\n", s.Prefix, codeList(s.Aliases), plane, s.IAM())
	}
	b.WriteString("\n")
}

// writeClassification documents the operation classifier, so that a
// reviewer can check why dry-run sends what it sends.
func writeClassification(b *bytes.Buffer) {
	b.WriteString("\n## How AWS operations are classified\n\n")
	writeServices(b)
	fmt.Fprintf(b, "An operation is read-only when its name starts with %s as a whole word, "+
		"mutating otherwise, unless the table below decides it. An operation of another service, "+
		"or a name that is not PascalCase, is unknown: it counts as mutating and dry-run refuses it.\n\n",
		codeList(readOnlyVerbs))
	b.WriteString("| operation | class | why |\n|---|---|---|\n")
	for _, d := range reviewed {
		fmt.Fprintf(b, "| `%s` | %s | %s |\n", d.op, d.class, cell(d.why))
	}
}

// codeList formats names as `a`, `b`, `c`.
func codeList(names []string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = "`" + n + "`"
	}
	return strings.Join(quoted, ", ")
}

// cell makes text safe inside a Markdown table cell.
func cell(s string) string {
	return strings.ReplaceAll(s, "|", `\|`)
}

// anchor is the id GitHub gives the heading "### `name`": lower case, with
// everything but letters, digits, hyphens and underscores dropped.
func anchor(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// tomlLiteral writes a default or an example field as TOML.
func tomlLiteral(v any) string {
	switch v := v.(type) {
	case string:
		r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\t", `\t`)
		return `"` + r.Replace(v) + `"`
	case bool:
		return strconv.FormatBool(v)
	case int:
		return strconv.Itoa(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return number(v)
	}
	return fmt.Sprintf("%v", v)
}
