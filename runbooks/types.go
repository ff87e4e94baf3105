package runbooks

// Phases in the order a recovery goes through them. A step may depend only
// on steps of its own phase or an earlier one.
var Phases = []string{"declare", "freeze", "restore", "reintegrate", "switch", "verify", "notify"}

// Strategies are the DR strategies a runbook may declare.
var Strategies = []string{"backup-restore", "pilot-light", "warm-standby", "multi-site"}

// Confirmation gates, failure policies and region aliases.
const (
	ConfirmNone = "none"
	ConfirmYes  = "yes"
	ConfirmType = "type"

	OnFailureAsk      = "ask"
	OnFailureStop     = "stop"
	OnFailureContinue = "continue"

	RegionPrimary  = "primary"
	RegionRecovery = "recovery"
)

// SupportedFormat is the runbook format version this drpilot reads.
const SupportedFormat = 1

// Runbook is a loaded runbook. Load fills it from TOML as written; Validate
// checks it; Plan resolves it.
type Runbook struct {
	File string
	// SHA256 is the hex SHA-256 of the file's bytes, which the audit log
	// binds to the run.
	SHA256 string
	Format int

	ID          string
	Title       string
	Description string
	Owner       string
	Account     string
	Strategy    string
	// RTO and RPO are zero when the runbook sets no target.
	RTO     Duration
	RPO     Duration
	Regions Regions
	// NewRegions lists Regions that AWS opened after this drpilot was
	// built, which the runbook may name although drpilot does not know them
	// ([runbook] new_regions). Any other unknown Region is an error.
	NewRegions []string
	// SensitiveVars names the vars whose values are secrets ([runbook]
	// sensitive_vars): wherever a template puts one, the audit log, the
	// events and the screens show it redacted.
	SensitiveVars []string

	// Vars holds [vars] as decoded: strings, int64, float64, bool and
	// arrays of those.
	Vars     map[string]any
	Contacts []Contact
	Steps    []Step
	// Team is [runbook.team], nil when the runbook has none: where a team
	// running it from several machines keeps its lock and its audit log.
	Team *Team

	pos *positions
	// hasMeta and rtoSet record whether the file has [runbook] and an
	// rto, so that Validate does not repeat what Load reported.
	hasMeta, rtoSet bool
	// blamed holds the key paths of the errors Load reported.
	blamed map[string]bool
}

// Regions names the runbook's two Regions.
type Regions struct {
	Primary  string `json:"primary"`
	Recovery string `json:"recovery"`
}

// Team is [runbook.team] as written: Region may be empty (the recovery
// Region) or an alias; the plan's copy has it resolved.
type Team struct {
	Region string `json:"region"`
	// LockTable is the DynamoDB table (partition key "pk", a string) that
	// holds the run's lock and the approvals of the other machines.
	LockTable string `json:"lock_table"`
	// AuditBucket is the S3 bucket, with Object Lock enabled, that keeps
	// the run's audit log.
	AuditBucket string `json:"audit_bucket"`
	// Retention is the Object Lock retention of the log's objects, in
	// whole days.
	Retention Duration `json:"retention"`
}

// Contact is someone a notify step can reach, on any subset of channels.
type Contact struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	SNSTopic   string `json:"sns_topic,omitempty"`
	Email      string `json:"email,omitempty"`
	Webhook    string `json:"webhook,omitempty"`
	SSMContact string `json:"ssm_contact,omitempty"`
}

// Step is one [[steps]] entry as written. Empty strings and zero durations
// mean "not set"; Validate and Plan apply the defaults.
type Step struct {
	ID     string
	Phase  string
	Title  string
	Doc    string
	Action string
	Region string
	// After lists the steps this one waits for. AfterSet distinguishes
	// after = [] (start at once) from no after at all (wait for the step
	// before it in the file).
	After     []string
	AfterSet  bool
	Confirm   string
	Timeout   Duration
	Expect    Duration
	Retries   int
	OnFailure string
	Undo      string
	// With holds [steps.with] as decoded, templates unresolved.
	With    map[string]any
	Require []Require
	Outputs []Output
	// Approvals is how many distinct keys must approve the step before it
	// runs, the operator's own counting once; 0 means not set (1, the
	// operator alone). Approvers, when set, names the keys (keys/NAME.pub
	// next to the runbook) whose approvals count.
	Approvals int
	Approvers []string

	// approvalsSet and approversSet record that the keys were written, so
	// that approvals = 0 and approvers = [] are reported, not defaulted.
	approvalsSet, approversSet bool
	// checklistAtStep records a checklist written at the step level, which
	// Load moves into With, so that diagnostics point where it was written.
	checklistAtStep bool
}

// Require is a precondition: a read-only AWS call and a test on its answer.
type Require struct {
	Call       string         `json:"call"`
	Input      map[string]any `json:"input,omitempty"`
	Query      string         `json:"query,omitempty"`
	Conditions []Condition    `json:"conditions"`
	Region     string         `json:"region"`
	Why        string         `json:"why,omitempty"`
}

// Condition is one test of a precondition's query result, e.g. equals.
type Condition struct {
	Op    string `json:"op"`
	Value any    `json:"value"`
}

// ConditionOps lists the tests a precondition may make, in the order the
// docs give them.
var ConditionOps = []string{"equals", "not_equals", "in", "lt", "le", "gt", "ge", "exists", "matches", "within"}

// Output captures one value of a step's response for later steps.
type Output struct {
	Name  string `json:"name"`
	Query string `json:"query"`
}

// ResolveRegion turns a region as written (primary, recovery, a literal
// Region or empty for the default, recovery) into a Region name.
func (rb *Runbook) ResolveRegion(r string) string {
	switch r {
	case "", RegionRecovery:
		return rb.Regions.Recovery
	case RegionPrimary:
		return rb.Regions.Primary
	}
	return r
}

// requireRegion is the Region a precondition reads: its own region, else
// its step's.
func (rb *Runbook) requireRegion(s *Step, q Require) string {
	if q.Region != "" {
		return rb.ResolveRegion(q.Region)
	}
	return rb.ResolveRegion(s.Region)
}

// StepIndex returns the index of the step with the given id, or -1.
func (rb *Runbook) StepIndex(id string) int {
	for i := range rb.Steps {
		if rb.Steps[i].ID == id {
			return i
		}
	}
	return -1
}

// PhaseRank returns the position of a phase in Phases, or -1.
func PhaseRank(phase string) int {
	for i, p := range Phases {
		if p == phase {
			return i
		}
	}
	return -1
}
