package runbooks

import (
	"fmt"
	"net/mail"
	"regexp"
	"strings"
)

var (
	accountRE = regexp.MustCompile(`^\d{12}$`)
	regionRE  = regexp.MustCompile(`^[a-z]{2,4}(-[a-z]{2,10}){1,3}-\d{1,2}$`)
	arnRE     = regexp.MustCompile(`^arn:(aws|aws-[a-z-]+):([a-z0-9-]+):([a-z0-9-]*):(\d{12}|aws)?:(.+)$`)
	outputRE  = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]*$`)
)

// validator holds what the rules share while checking one runbook.
type validator struct {
	rb  *Runbook
	cat Catalogue
	rep *reporter
	ids map[string]int // step id → index of its first definition
	// services caches cat.Services(), asked for every operation.
	services []string
	// operations caches cat.Operations by service.
	operations map[string][]string
	// mutating records, per step, whether its action can change anything.
	mutating []bool
	// usedRegions records the Region names the runbook uses, so that an
	// entry of new_regions that nothing uses can be reported.
	usedRegions map[string]bool
	// lookup is rb.StaticLookup(), made once rather than per value.
	lookup Lookup
	// The caches below hold what a load computes for the same text again
	// and again: runbooks repeat their queries and templates from step to
	// step, and parsing each (JMESPath above all) is most of a step's cost.
	queries   map[string]*parsedQuery
	templates map[string]parsedTemplate
	// paramIndexes indexes each action's parameters by name, once per action.
	paramIndexes map[string]*paramIndex
	// stepPaths caches each step's key path, "steps[i]".
	stepPaths []string
	// queryChecks caches cat.CheckQuery by operation and query.
	queryChecks map[[2]string]*QueryProblem
}

// Validate checks a loaded runbook against every rule of the format and
// the catalogue. It returns errors and warnings in file order; the runbook
// may run only when there are no errors.
func Validate(rb *Runbook, cat Catalogue) Diagnostics {
	v := &validator{
		rb: rb, cat: cat,
		rep:         &reporter{file: rb.File, pos: rb.pos, blamed: rb.blamed},
		ids:         make(map[string]int, len(rb.Steps)),
		mutating:    make([]bool, len(rb.Steps)),
		usedRegions: map[string]bool{},
		lookup:      rb.StaticLookup(),
	}
	v.header()
	v.team()
	v.contacts()
	v.steps()
	g := v.graph()
	v.references(g)
	v.rtoBudget(g)
	v.secrets()
	v.newRegions()
	v.sensitiveVars()
	v.rep.diags.sortByPosition()
	return v.rep.diags
}

// Check loads and validates a runbook file and returns every diagnostic of
// both: values of the wrong type found while loading do not stop the rules
// from checking everything else.
func Check(path string, cat Catalogue) (*Runbook, Diagnostics) {
	rb, diags := Load(path)
	if rb == nil {
		return nil, diags
	}
	diags = append(diags, Validate(rb, cat)...)
	diags.sortByPosition()
	return rb, diags
}

func (v *validator) header() {
	rb, r := v.rb, v.rep
	if rb.Format != 0 && rb.Format != SupportedFormat {
		r.errorAtValue("format", fmt.Sprintf("this drpilot reads format %d; use a drpilot that supports format %d", SupportedFormat, rb.Format), "unsupported format %d", rb.Format)
	}
	if len(rb.Steps) == 0 {
		r.errorAt("", "add at least one [[steps]] table", "the runbook has no steps")
	}
	if rb.pos != nil && !rb.hasMeta {
		return // Load already said that [runbook] is missing
	}
	v.requireID("runbook.id", rb.ID, "runbook")
	if strings.TrimSpace(rb.Title) == "" {
		r.errorAt("runbook.title", "add title = \"...\": the operator sees it on the start screen", "missing runbook title")
	}
	if rb.Strategy != "" && !contains(Strategies, rb.Strategy) {
		r.errorAtValue("runbook.strategy", choiceHint(rb.Strategy, Strategies), "unknown strategy %q", rb.Strategy)
	}
	if rb.Account != "" && !accountRE.MatchString(rb.Account) {
		r.errorAtValue("runbook.account", "an AWS account id is 12 digits, in quotes: \"123456789012\"", "malformed account id %q", rb.Account)
	}
	if !rb.rtoSet {
		r.warnAt("runbook", "add rto = \"30m\" (your recovery time objective)", "no rto: the plan cannot compare the critical path with a target")
	}
	v.regions()
}

func (v *validator) regions() {
	rb, r := v.rb, v.rep
	for _, which := range []string{RegionPrimary, RegionRecovery} {
		path := "runbook.regions." + which
		val := rb.Regions.Primary
		if which == RegionRecovery {
			val = rb.Regions.Recovery
		}
		if val == "" {
			r.errorAt(path, fmt.Sprintf("add %s = \"REGION\" under [runbook.regions], e.g. \"us-east-1\"", which), "missing %s Region", which)
		} else {
			v.checkRegion(path, val, false)
		}
	}
	if rb.Regions.Primary != "" && rb.Regions.Primary == rb.Regions.Recovery {
		r.errorAtValue("runbook.regions.recovery", "the recovery Region must differ from the primary", "primary and recovery are both %s", rb.Regions.Primary)
	}
}

// requireID checks an id that must be present and well formed.
func (v *validator) requireID(path, id, what string) bool {
	switch {
	case id == "":
		v.rep.errorAt(path, fmt.Sprintf("add id = \"...\" to the %s (lower case letters, digits and -)", what), "missing %s id", what)
	case !isID(id):
		v.rep.errorAtValue(path, fmt.Sprintf("use lower case letters, digits and single dashes, e.g. %q", slug(id)), "malformed %s id %q", what, id)
	default:
		return true
	}
	return false
}

// isID reports whether s is a well-formed id: lower case letters and
// digits in runs joined by single dashes, as in "promote-replica". Written
// out rather than as a regular expression because it runs for every step.
func isID(s string) bool {
	if s == "" || s[0] == '-' || s[len(s)-1] == '-' || strings.Contains(s, "--") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// slug suggests a well-formed id for a malformed one.
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	out := strings.TrimSuffix(b.String(), "-")
	if out == "" {
		return "my-step"
	}
	return out
}

func choiceHint(got string, choices []string) string {
	if s := suggest(got, choices); s != "" {
		return fmt.Sprintf("did you mean %q?", s)
	}
	return "one of " + joinList(choices)
}

func (v *validator) contacts() {
	seen := map[string]int{}
	for i, c := range v.rb.Contacts {
		path := indexPath("contacts", i)
		if v.requireID(path+".id", c.ID, "contact") {
			if first, dup := seen[c.ID]; dup {
				v.rep.errorAtValue(path+".id", fmt.Sprintf("first defined at line %d", v.rep.index().key(indexPath("contacts", first)).Line), "duplicate contact id %q", c.ID)
			} else {
				seen[c.ID] = i
			}
		}
		if c.Name == "" {
			v.rep.warnAt(path, "add name = \"...\": messages and the audit log name the person or team", "contact %q has no name", c.ID)
		}
		if c.SNSTopic == "" && c.Email == "" && c.Webhook == "" && c.SSMContact == "" {
			v.rep.errorAt(path, "add at least one of sns_topic, email, webhook, ssm_contact", "contact %q has no channel", c.ID)
		}
		v.checkARN(path+".sns_topic", c.SNSTopic, "sns")
		v.checkARN(path+".ssm_contact", c.SSMContact, "ssm-contacts")
		if c.Email != "" {
			if a, err := mail.ParseAddress(c.Email); err != nil || a.Address != c.Email {
				v.rep.errorAtValue(path+".email", "write a plain address such as \"oncall@example.com\"", "malformed email address %q", c.Email)
			}
		}
		if c.Webhook != "" {
			if err := WebhookURLAllowed(c.Webhook); err != nil {
				v.rep.errorAtValue(path+".webhook", "use an https:// URL such as \"https://hooks.example.com/dr\", or plain http:// to a loopback address such as http://127.0.0.1:8080/hook", "%v", err)
			}
		}
	}
}

// checkARN reports a literal that is not an ARN of the given service.
// Templates are checked when they are resolved.
func (v *validator) checkARN(path, s, service string) {
	if s == "" || HasTemplate(s) {
		return
	}
	m := arnRE.FindStringSubmatch(s)
	switch {
	case m == nil:
		v.rep.errorAtValue(path, "an ARN looks like arn:aws:SERVICE:REGION:ACCOUNT:RESOURCE", "malformed ARN %q", s)
	case service != "" && m[2] != service:
		v.rep.errorAtValue(path, fmt.Sprintf("expected an ARN of service %q", service), "ARN %q is of service %q", s, m[2])
	case m[3] != "" && !regionRE.MatchString(m[3]):
		v.rep.errorAtValue(path, "the fourth field of an ARN is a Region such as us-east-1, or empty", "malformed Region %q in ARN", m[3])
	case m[3] != "":
		v.checkKnownRegion(path, m[3], "unknown Region %q in ARN")
	}
}

// walkValues calls fn for every scalar in a decoded value, with the key it
// sits under and a function that builds its path: paths are needed only
// for the rare diagnostic, and building them for every value is most of
// the walk's cost.
func walkValues(root string, v any, fn func(path func() string, key string, val any)) {
	type part struct {
		key   string
		index int // used when key is ""
	}
	var parts []part
	build := func() string {
		p := root
		for _, part := range parts {
			if part.key == "" {
				p = indexPath(p, part.index)
			} else {
				p = joinKey(p, part.key)
			}
		}
		return p
	}
	var walk func(key string, v any)
	walk = func(key string, v any) {
		switch x := v.(type) {
		case map[string]any:
			// Map order is fine: diagnostics are sorted by position.
			for k, e := range x {
				parts = append(parts, part{key: k})
				walk(k, e)
				parts = parts[:len(parts)-1]
			}
		case []any:
			for i, e := range x {
				parts = append(parts, part{index: i})
				walk(key, e)
				parts = parts[:len(parts)-1]
			}
		case []map[string]any:
			for i, e := range x {
				parts = append(parts, part{index: i})
				walk(key, e)
				parts = parts[:len(parts)-1]
			}
		default:
			fn(build, key, v)
		}
	}
	walk("", v)
}
