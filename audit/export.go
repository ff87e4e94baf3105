package audit

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Record is the post-incident record of a run (docs/audit-format.md): what happened,
// who decided what, how long each phase took, the RTO and RPO achieved
// against the targets, every AWS request id, skips with their reasons,
// notes, and whether the log verifies. Export builds it from the log
// alone, so a reviewer's copy says what the log says.
type Record struct {
	Run           string  `json:"run"`
	Verdict       Verdict `json:"verdict"`
	VerdictReason string  `json:"verdict_reason"`
	Runbook       string  `json:"runbook"`
	RunbookSHA256 string  `json:"runbook_sha256"`
	Mode          string  `json:"mode"`
	// Operator is who started the run: run.start's actor.
	Operator string `json:"operator"`
	// Sealed says the log ends with run.end under a checkpoint of every
	// line, as Verify found it.
	Sealed    bool              `json:"sealed"`
	Account   string            `json:"account"`
	CallerARN string            `json:"caller_arn"`
	Regions   map[string]string `json:"regions"`
	Started   time.Time         `json:"started"`
	Ended     time.Time         `json:"ended,omitzero"`
	Outcome   string            `json:"outcome"` // from run.end; "unfinished" without one
	RTO       Objective         `json:"rto"`
	RPO       Objective         `json:"rpo"`
	Resumed   int               `json:"resumed"`
	// Adopted are the lines a crash left unsigned and a resume or abort
	// adopted (see Adoption); the remarks among them are flagged.
	Adopted   []Adoption      `json:"adopted_unsigned,omitempty"`
	Phases    []PhaseRecord   `json:"phases"`
	Steps     []StepRecord    `json:"steps"`
	Decisions []Remark        `json:"decisions"`
	Notes     []Remark        `json:"notes"`
	Requests  []RequestRecord `json:"requests"`
	// Failures are every failed step attempt and every AWS call that
	// answered an error, in the order the log has them: a retry that
	// mended a step leaves its step done, and the failure stays here.
	Failures []Failure `json:"failures"`
	// CriticalPath is the chain of steps that determined the run's end,
	// last step last, and CriticalPathHow says how it was computed.
	CriticalPath    []string `json:"critical_path,omitempty"`
	CriticalPathHow string   `json:"critical_path_how,omitempty"`
	// Clock is the clock of the record's times: "sandbox" when a sandbox
	// run's events carry the sandbox's clock ("sim"), which the record's
	// times, durations, phases and timeline are then on, exactly; "log"
	// otherwise, the log's timestamps (real time).
	Clock string `json:"clock"`
	// Pace is, in a sandbox run whose times are the log's, the sandbox's
	// clock over the log's (the simulated elapsed time over the real
	// one): the factor that estimates the sandbox's times from the log's.
	// 1 otherwise.
	Pace float64 `json:"pace"`
	// GameDay is a sandbox run's scorecard; nil in other modes.
	GameDay *GameDay `json:"game_day,omitempty"`
	// Plan is the runbook's steps as run.start recorded them, in the
	// plan's order, with their expected durations; empty for logs
	// written before run.start carried it (Phases are then in the order
	// they started).
	Plan []PlanStep `json:"plan,omitempty"`
}

// Failure is a failed step attempt or an AWS call that answered an error.
type Failure struct {
	Time  time.Time `json:"time"`
	Step  string    `json:"step"`
	Kind  string    `json:"kind"` // "step" or "call"
	What  string    `json:"what"` // the operation of a call; the attempt of a step
	Error string    `json:"error"`
}

// Objective is a target against what the run achieved.
type Objective struct {
	Target   string `json:"target,omitempty"`
	Achieved string `json:"achieved,omitempty"`
	// Met is set when both are known.
	Met *bool `json:"met,omitempty"`
	// How says how Achieved was measured.
	How string `json:"how,omitempty"`
	// Verdict is the whole line, in the words every report uses (see
	// RTOVerdict); set for the RTO.
	Verdict string `json:"verdict,omitempty"`
}

// PhaseRecord is a phase's span: from its first step's start to its last
// step's end.
type PhaseRecord struct {
	Name     string    `json:"name"`
	Started  time.Time `json:"started"`
	Ended    time.Time `json:"ended"`
	Duration string    `json:"duration"`
}

// StepRecord is one step as the log tells it.
type StepRecord struct {
	ID         string    `json:"id"`
	Title      string    `json:"title,omitempty"`
	Phase      string    `json:"phase,omitempty"`
	Action     string    `json:"action,omitempty"`
	Region     string    `json:"region,omitempty"`
	Status     string    `json:"status"` // done, failed, skipped, or started (no end in the log)
	Started    time.Time `json:"started"`
	Ended      time.Time `json:"ended,omitzero"`
	Duration   string    `json:"duration,omitempty"`
	Attempts   int       `json:"attempts,omitempty"`
	Error      string    `json:"error,omitempty"`
	SkipReason string    `json:"skip_reason,omitempty"`
	RequestIDs []string  `json:"request_ids,omitempty"`
	// After are the steps this one waited for and Expect how long the
	// runbook expects it to take, when step.ready logged them.
	After  []string `json:"after,omitempty"`
	Expect string   `json:"expect,omitempty"`
	// Asked is when the step's gate could be asked: once its last
	// precondition was checked (or when it was ready, without any).
	// Decided is the last decision on the step before its first AWS
	// request (the gate's answer); the wait between is ApprovalWait.
	Asked        time.Time `json:"asked,omitzero"`
	Decided      time.Time `json:"decided,omitzero"`
	ApprovalWait string    `json:"approval_wait,omitempty"`
	// Answered is the step's last AWS answer; from it to the step's end
	// the step waited on AWS (polling until the resource is ready).
	Answered time.Time `json:"last_answer,omitzero"`
	AWSWait  string    `json:"aws_wait,omitempty"`
	// Retries are the calls sent again after an error; CallErrors the
	// errors its calls answered.
	Retries    int      `json:"retries,omitempty"`
	CallErrors []string `json:"call_errors,omitempty"`
	firstSent  time.Time
}

// Remark is a decision or a note: when, on which step, by whom, what.
type Remark struct {
	Time   time.Time `json:"time"`
	Step   string    `json:"step,omitempty"`
	Actor  string    `json:"actor"`
	What   string    `json:"what"`
	Reason string    `json:"reason,omitempty"`
	Seq    int64     `json:"seq"`
	// AdoptedAt is set (to the adopting line's seq) when this line was
	// unsigned when the run stopped: only the hash chain vouches for it.
	AdoptedAt *int64 `json:"adopted_unsigned_at,omitempty"`
	// SignedBy is the fingerprint of the approver's key when the decision
	// carries a signed approval that verified: the approver's own word,
	// not only the run's.
	SignedBy string `json:"signed_by,omitempty"`
}

// RequestRecord is one mutating AWS request and its answer.
type RequestRecord struct {
	Time      time.Time `json:"time"`
	Step      string    `json:"step"`
	Call      string    `json:"call"`
	Operation string    `json:"operation"`
	Region    string    `json:"region"`
	RequestID string    `json:"request_id,omitempty"`
	Error     string    `json:"error,omitempty"`
	// DryRun marks a request that was shown, not sent; Unanswered one
	// whose answer the log does not have (the run stopped in between).
	DryRun     bool `json:"dry_run,omitempty"`
	Unanswered bool `json:"unanswered,omitempty"`
}

// Export verifies the run directory and builds its record. A log that
// does not verify still gets a record — the reviewer needs to see what it
// claims — with the verdict saying why it cannot be trusted.
func Export(dir string, trusted ed25519.PublicKey) (*Record, error) {
	// The log is read once, and verified and folded from the same bytes:
	// a history of many runs reads each once, and a log still being
	// written cannot grow between the verdict and the record.
	data, err := os.ReadFile(filepath.Join(dir, EventsFile))
	if err != nil {
		_, err = Verify(dir, trusted) // its error, which says what is missing
		if err == nil {
			err = fmt.Errorf("%s: cannot read %s", dir, EventsFile)
		}
		return nil, err
	}
	rep, err := VerifyFS(readEvents{os.DirFS(dir), data}, trusted)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	b := newRecordBuilder(rep)
	// Only what Verify accepted: whole lines (a torn or forged tail
	// without its newline is never read), and none past where the chain
	// broke. The verdict comes first in every format.
	whole := data[:bytes.LastIndexByte(data, '\n')+1]
	var events []Event
	for k, line := range strings.Split(string(whole), "\n") {
		var ev Event
		if int64(k) >= rep.Lines || line == "" || json.Unmarshal([]byte(line), &ev) != nil {
			continue
		}
		events = append(events, ev)
	}
	b.clock = newSimClock(events)
	for _, ev := range events {
		b.add(ev)
	}
	return b.finish(), nil
}

// readEvents is a run directory whose events.jsonl has been read already.
type readEvents struct {
	fs.FS
	events []byte
}

// ReadFile serves events.jsonl from memory: fs.ReadFile, which VerifyFS
// reads it with, prefers this method.
func (r readEvents) ReadFile(name string) ([]byte, error) {
	if name == EventsFile {
		return r.events, nil
	}
	return fs.ReadFile(r.FS, name)
}

// recordBuilder folds the events into a Record.
type recordBuilder struct {
	r        *Record
	steps    map[string]*StepRecord
	order    []string
	requests map[string]int // call id → index in r.Requests
	rpo      time.Duration  // the oldest restore point's age at its step's start, if any
	// elapsed is the run's time as its end recorded it, on the mode's
	// clock; projected the plan's critical path.
	elapsed, projected time.Duration
	// sandbox is what run.start says of a sandbox run's scenario.
	sandbox *SandboxInfo
	// signedBy are the verified approvals' keys, by seq.
	signedBy map[int64]string
	// clock puts a sandbox run's events on the sandbox's clock; nil for
	// a log whose events do not carry it.
	clock *simClock
}

func newRecordBuilder(rep *Report) *recordBuilder {
	return &recordBuilder{
		r:     &Record{Run: rep.Run, Verdict: rep.Verdict, VerdictReason: rep.Reason, Outcome: "unfinished", Adopted: rep.Adopted, Sealed: rep.Sealed},
		steps: map[string]*StepRecord{}, requests: map[string]int{}, rpo: -1, signedBy: signedBy(rep),
	}
}

func signedBy(rep *Report) map[int64]string {
	keys := make(map[int64]string, len(rep.Approvals))
	for _, a := range rep.Approvals {
		keys[a.Seq] = a.Key
	}
	return keys
}

// add folds in one event.
func (b *recordBuilder) add(ev Event) {
	ts, _ := time.Parse(time.RFC3339Nano, ev.TS)
	var data map[string]any
	json.Unmarshal(ev.Data, &data)
	if b.clock != nil {
		ts = b.clock.at(ev.Type, ts, data)
	}
	switch ev.Type {
	case TypeRunStart:
		b.start(ts, ev.Data)
		b.r.Operator = ev.Actor
	case TypeRunResumed:
		b.r.Resumed++
	case TypeRunEnd, TypeRunPaused:
		b.r.Ended, b.r.Outcome = ts, str(data, "outcome")
		if d, err := parseTarget(str(data, "elapsed")); err == nil {
			b.elapsed = d
		}
	case TypeStepReady:
		b.ready(ts, ev.Step, data)
	case TypeStepDone:
		b.stepEnd(ts, ev.Step, "done", data)
		b.restorePoints(ts, ev.Step, data)
	case TypeStepFailed:
		b.stepEnd(ts, ev.Step, "failed", data)
	case TypeStepSkipped:
		b.stepEnd(ts, ev.Step, "skipped", data)
	case TypePrecondition:
		if s, ok := b.steps[ev.Step]; ok && s.firstSent.IsZero() && s.Status == "started" {
			s.Asked = ts // the time before it was the preconditions' reads
		}
	case TypeDecision:
		b.r.Decisions = append(b.r.Decisions, b.remark(ev, ts, str(data, "decision"), str(data, "reason")))
		if s, ok := b.steps[ev.Step]; ok && s.firstSent.IsZero() && s.Status == "started" {
			s.Decided = ts
		}
	case TypeNote:
		if text := str(data, "text"); text != "" {
			b.r.Notes = append(b.r.Notes, b.remark(ev, ts, text, ""))
		}
	case TypeAWSRequest:
		b.sent(ts, ev.Step, data)
		b.requests[str(data, "call")] = len(b.r.Requests)
		b.r.Requests = append(b.r.Requests, RequestRecord{Time: ts, Step: ev.Step, Call: str(data, "call"),
			Operation: str(data, "operation"), Region: str(data, "region"), DryRun: data["dry_run"] == true,
			Unanswered: data["dry_run"] != true})
	case TypeAWSResponse:
		if i, ok := b.requests[str(data, "call")]; ok {
			req := &b.r.Requests[i]
			req.RequestID, req.Error, req.Unanswered = str(data, "request_id"), str(data, "error"), false
			s := b.step(ev.Step, ts)
			if s.Answered = ts; req.RequestID != "" {
				s.RequestIDs = append(s.RequestIDs, req.RequestID)
			}
			if req.Error != "" {
				s.CallErrors = append(s.CallErrors, req.Error)
				b.r.Failures = append(b.r.Failures, Failure{Time: ts, Step: ev.Step, Kind: "call", What: req.Operation, Error: req.Error})
			}
		}
	}
}

// remark is a decision or a note, flagged when it was adopted unsigned.
func (b *recordBuilder) remark(ev Event, ts time.Time, what, reason string) Remark {
	r := Remark{Time: ts, Step: ev.Step, Actor: ev.Actor, What: what, Reason: reason, Seq: ev.Seq}
	if ev.Type == TypeDecision {
		r.SignedBy = b.signedBy[ev.Seq]
	}
	for _, a := range b.r.Adopted {
		if ev.Seq >= a.FromSeq && ev.Seq < a.FromSeq+a.Count {
			r.AdoptedAt = &a.At
		}
	}
	return r
}

func (b *recordBuilder) start(ts time.Time, raw json.RawMessage) {
	var info RunInfo
	json.Unmarshal(raw, &info)
	r := b.r
	r.Started, r.Runbook, r.RunbookSHA256, r.Mode = ts, info.Runbook, info.RunbookSHA256, info.Mode
	r.Account, r.CallerARN, r.Regions = info.Account, info.CallerARN, info.Regions
	r.RTO.Target, r.RPO.Target = info.RTO, info.RPO
	b.projected, _ = parseTarget(info.ProjectedRTO)
	b.sandbox = info.Sandbox
	r.Plan = info.Plan
}

// step returns the record of a step, creating it at its first mention.
func (b *recordBuilder) step(id string, ts time.Time) *StepRecord {
	s, ok := b.steps[id]
	if !ok {
		s = &StepRecord{ID: id, Status: "started", Started: ts}
		b.steps[id] = s
		b.order = append(b.order, id)
	}
	return s
}

func (b *recordBuilder) ready(ts time.Time, id string, data map[string]any) {
	s := b.step(id, ts)
	s.Title, s.Phase, s.Action, s.Region = str(data, "title"), str(data, "phase"), str(data, "action"), str(data, "region")
	s.Expect = str(data, "expect")
	if after, ok := data["after"].([]any); ok {
		s.After = []string{}
		for _, a := range after {
			if id, ok := a.(string); ok {
				s.After = append(s.After, id)
			}
		}
	}
	s.Asked = ts
	if s.Status != "started" { // a resumed run starts the step again
		s.Status, s.Ended, s.Duration, s.Error = "started", time.Time{}, "", ""
	}
}

func (b *recordBuilder) stepEnd(ts time.Time, id, status string, data map[string]any) {
	s := b.step(id, ts)
	s.Status, s.Ended = status, ts
	s.Duration = formatSpan(ts.Sub(s.Started))
	if !s.Decided.IsZero() {
		s.ApprovalWait = formatSpan(s.Decided.Sub(s.Asked))
	}
	if !s.Answered.IsZero() && s.Answered.After(s.Started) {
		s.AWSWait = formatSpan(ts.Sub(s.Answered))
	}
	if n, ok := data["attempt"].(float64); ok {
		s.Attempts = int(n)
	}
	switch status {
	case "failed":
		s.Error = str(data, "error")
		what := "before any call" // a precondition, or a gate refused
		if s.Attempts > 0 {
			what = fmt.Sprintf("attempt %d", s.Attempts)
		}
		b.r.Failures = append(b.r.Failures, Failure{Time: ts, Step: id, Kind: "step", What: what, Error: s.Error})
	case "skipped":
		s.SkipReason = str(data, "reason")
	default:
		s.Error = "" // an earlier attempt's failure, which a retry mended
	}
}

// restorePointKeys are where restore actions' responses name the moment
// the data was restored to: the data lost is what changed after it.
var restorePointKeys = [][]string{
	{"RecoveryPointCreationDate"},
	{"TableDescription", "RestoreSummary", "RestoreDateTime"},
}

// restorePoints tracks the oldest restore point of the run, relative to
// when its step started: the data loss it implies, the RPO achieved.
func (b *recordBuilder) restorePoints(ts time.Time, id string, data map[string]any) {
	if point, ok := data["recovery_point"].(map[string]any); ok {
		// Measured by the run on its own clock when the step began (the
		// sandbox's in sandbox mode): taken as written.
		if secs, ok := point["age_seconds"].(float64); ok {
			if age := time.Duration(secs * float64(time.Second)); age > b.rpo {
				b.rpo = age
			}
		}
		return
	}
	// Logs written before steps recorded their recovery point: the
	// response's restore time against the step's start in the log.
	resp, _ := data["response"].(map[string]any)
	for _, keys := range restorePointKeys {
		v := any(resp)
		for _, k := range keys {
			m, _ := v.(map[string]any)
			v = m[k]
		}
		s, _ := v.(string)
		point, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			continue
		}
		if age := b.step(id, ts).Started.Sub(point); age > b.rpo {
			b.rpo = age
		}
	}
}

// finish orders the steps, computes the phases and the objectives.
func (b *recordBuilder) finish() *Record {
	r := b.r
	for _, id := range b.order {
		r.Steps = append(r.Steps, *b.steps[id])
	}
	r.Phases = phaseSpans(r.Steps, r.Plan)
	r.Pace, r.Clock = b.pace(), "log"
	if b.clock != nil {
		r.Clock = "sandbox"
	}
	r.CriticalPath, r.CriticalPathHow = criticalPath(r.Steps)
	r.GameDay = b.gameDay()
	if !r.Ended.IsZero() {
		r.RTO = b.rto()
	}
	if b.rpo >= 0 {
		r.RPO = objective(r.RPO.Target, b.rpo, "the age of the oldest point data was restored to, when its step began")
	}
	for _, list := range []*[]Remark{&r.Decisions, &r.Notes} {
		if *list == nil {
			*list = []Remark{}
		}
	}
	if r.Requests == nil {
		r.Requests = []RequestRecord{}
	}
	if r.Failures == nil {
		r.Failures = []Failure{}
	}
	return r
}

// rto measures the run against its RTO: in real time from run.start to the
// run's end in a live run, on the sandbox's clock in a sandbox run (the
// time the run recorded at its end), and never as met unless the run
// succeeded for real or in the sandbox.
func (b *recordBuilder) rto() Objective {
	r := b.r
	elapsed, how := r.Ended.Sub(r.Started), "from run.start to the run's end"
	if r.Mode == "sandbox" {
		elapsed, how = b.elapsed, "simulated: the sandbox's clock, as the run recorded it at its end"
	}
	o := objective(r.RTO.Target, elapsed, how)
	if r.Outcome != "succeeded" || r.Mode == "dry-run" {
		o.Met = nil
	}
	target, _ := parseTarget(r.RTO.Target)
	o.Verdict = RTOVerdict(RTOFacts{Outcome: r.Outcome, Mode: r.Mode, Elapsed: elapsed, Target: target, Projected: b.projected})
	return o
}

// objective measures achieved against a target written as a runbook
// duration ("30m", "1d").
func objective(target string, achieved time.Duration, how string) Objective {
	o := Objective{Target: target, Achieved: formatSpan(achieved), How: how}
	if d, err := parseTarget(target); err == nil && target != "" {
		met := achieved <= d
		o.Met = &met
	}
	return o
}

// parseTarget reads a runbook duration: Go's, plus whole days.
func parseTarget(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		if _, err := fmt.Sscanf(days, "%d", &n); err == nil {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	}
	return time.ParseDuration(s)
}

// phaseSpans returns each phase's span, in the runbook's phase order when
// the log has the plan (a phase the plan lacks after those it has), else
// in the order phases first started: parallel steps can start a later
// phase before an earlier one, and a report that lists "reintegrate"
// before "freeze" reads wrong.
func phaseSpans(steps []StepRecord, plan []PlanStep) []PhaseRecord {
	var out []PhaseRecord
	for _, s := range steps {
		if s.Phase == "" {
			continue
		}
		i := slices.IndexFunc(out, func(p PhaseRecord) bool { return p.Name == s.Phase })
		if i < 0 {
			out = append(out, PhaseRecord{Name: s.Phase, Started: s.Started})
			i = len(out) - 1
		}
		p := &out[i]
		if s.Started.Before(p.Started) {
			p.Started = s.Started
		}
		if s.Ended.After(p.Ended) {
			p.Ended = s.Ended
		}
	}
	rank := map[string]int{}
	for _, p := range plan {
		if _, ok := rank[p.Phase]; !ok {
			rank[p.Phase] = len(rank)
		}
	}
	slices.SortStableFunc(out, func(a, b PhaseRecord) int {
		ra, okA := rank[a.Name]
		rb, okB := rank[b.Name]
		switch {
		case okA && okB:
			return ra - rb
		case okA:
			return -1
		case okB:
			return 1
		}
		return 0
	})
	for i := range out {
		if !out[i].Ended.IsZero() {
			out[i].Duration = formatSpan(out[i].Ended.Sub(out[i].Started))
		}
	}
	return out
}

// formatSpan writes a duration to the second.
func formatSpan(d time.Duration) string {
	return d.Round(time.Second).String()
}

// str reads a string member of decoded event data.
func str(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}
