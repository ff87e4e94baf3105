package steps

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/drpilot/drpilot/runbooks"
)

// An action's code is a runFunc: given the step's resolved parameters
// through a *StepRun, it makes its AWS calls through the StepRun (which
// audits them, applies dry-run and counts them), waits until the effect is
// real, and returns the response the step's outputs are read from, in the
// AWS shape (PascalCase members).
type runFunc func(ctx context.Context, s *StepRun) (map[string]any, error)

// StepRun is one attempt at a step: its resolved parameters, and the ways
// an action talks to AWS, reports progress and learns the mode.
type StepRun struct {
	exec *Executor
	plan *runbooks.PlannedStep
	// params are the step's parameters with every template resolved and
	// the action's defaults filled in.
	params map[string]any
	region string

	// simulated holds the last simulated answer to a mutating call in
	// dry-run; once set, waits return at once (nothing changed to wait for).
	simulated map[string]any
	calls     int
	// requestIDs lists the AWS request ids of the step's mutating calls
	// and of its final reads, for the audit log and CloudTrail.
	requestIDs []string
	lastState  string
	notes      []string
	// deadline is when the step times out, on the mode's clock.
	deadline time.Time
	// started is when this attempt began, on the mode's clock.
	started time.Time
	// recovered is the moment the step restored data to, if it did.
	recovered *recoveryPoint
	// concealed are input members whose values the audit log and the
	// events must not show (see Conceal).
	concealed []string
	// requests are the mutating requests planned for this attempt, once
	// planned is set (see plannedRequests).
	requests []request
	planned  bool
}

// ID is the step's id.
func (s *StepRun) ID() string { return s.plan.ID }

// Region is the Region the step runs in, resolved.
func (s *StepRun) Region() string { return s.region }

// DryRun reports whether mutating calls are simulated instead of sent.
func (s *StepRun) DryRun() bool { return s.exec.opts.Mode == ModeDryRun }

// Simulated reports whether a mutating call of this step was simulated.
func (s *StepRun) Simulated() bool { return s.simulated != nil }

// Param returns a parameter's resolved value.
func (s *StepRun) Param(name string) (any, bool) {
	v, ok := s.params[name]
	return v, ok
}

// Params returns every resolved parameter. The map must not be modified.
func (s *StepRun) Params() map[string]any { return s.params }

// String returns a string parameter, or "" when it is not set.
func (s *StepRun) String(name string) string {
	v, _ := s.params[name].(string)
	return v
}

// Int returns an integer parameter.
func (s *StepRun) Int(name string) (int64, bool) {
	switch v := s.params[name].(type) {
	case int64:
		return v, true
	case int:
		return int64(v), true
	case float64:
		return int64(v), v == float64(int64(v))
	}
	return 0, false
}

// Bool returns a boolean parameter.
func (s *StepRun) Bool(name string) (bool, bool) {
	v, ok := s.params[name].(bool)
	return v, ok
}

// Duration returns a duration parameter, parsed.
func (s *StepRun) Duration(name string) (time.Duration, error) {
	str, ok := s.params[name].(string)
	if !ok {
		return 0, fmt.Errorf("parameter %s is not set", name)
	}
	d, err := runbooks.ParseDuration(str)
	if err != nil {
		return 0, fmt.Errorf("parameter %s: %w", name, err)
	}
	return d, nil
}

// Input returns the input of the action's primary call: every parameter
// that fills an AWS member, renamed to that member (see memberInput).
func (s *StepRun) Input() map[string]any {
	spec, _ := s.exec.opts.Catalogue.Action(s.plan.Action)
	if spec.Input == nil {
		return map[string]any{}
	}
	return spec.Input(s.params)
}

// Token is the step's idempotency token for APIs that take a client
// token. It is the same for every attempt of the step and for a resumed
// run, so that AWS itself refuses to do the step's work twice.
func (s *StepRun) Token() string {
	sum := sha256.Sum256([]byte(s.exec.opts.RunID + "/" + s.plan.ID))
	return hex.EncodeToString(sum[:16])
}

// Note records something the action decided on its own, such as "already
// DISABLED: nothing to change"; it goes into step.done and the audit log.
func (s *StepRun) Note(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	s.notes = append(s.notes, msg)
	s.exec.emit(Event{Type: EventNote, Step: s.plan.ID, Message: msg})
}

// Conceal keeps the values of these input members of the step's mutating
// calls out of the audit log and the events, which show audit.Redacted
// instead. The log redacts members named like credentials on its own; this
// is for a secret whose member name does not say so, such as the Value of a
// SecureString parameter.
func (s *StepRun) Conceal(members ...string) {
	s.concealed = append(s.concealed, members...)
	// The value is a secret wherever else it turns up too: in a note, an
	// error, a read's response, another member a template copied it into.
	in := s.Input()
	for _, m := range members {
		if v, ok := in[m].(string); ok {
			s.exec.addSecrets(v)
		}
	}
}

// recoveryPoint is the moment a restore brought data back to, and how
// old it was when the step began: the data it could not bring back, the
// RPO the run achieved. Both are on the mode's clock.
type recoveryPoint struct {
	At         time.Time `json:"at"`
	Age        string    `json:"age"`
	AgeSeconds float64   `json:"age_seconds"`
	How        string    `json:"how"`
}

// RecoveredTo records the moment the step's restore brought data back to
// (a recovery point's creation, a point-in-time restore's time), measured
// against the step's start: the audit log keeps it, and the record's RPO
// is the oldest of them.
func (s *StepRun) RecoveredTo(at time.Time, how string) {
	if at.IsZero() || s.Simulated() {
		return
	}
	age := max(s.started.Sub(at), 0).Round(time.Second)
	s.recovered = &recoveryPoint{At: at.UTC(), Age: runbooks.FormatDuration(age), AgeSeconds: age.Seconds(), How: how}
	s.Note("data restored to %s: %s old when the step began (%s)", at.UTC().Format(time.RFC3339), s.recovered.Age, how)
}

// Sleep waits for d on the mode's clock (scaled in sandbox mode), or until
// ctx is done. It sleeps no further than the step's deadline, so that a
// wait looks once more when it comes, and once it has passed returns the
// step's timeout error instead.
func (s *StepRun) Sleep(ctx context.Context, d time.Duration) error {
	if s.deadline.IsZero() {
		return s.exec.sleep(ctx, d)
	}
	left := s.deadline.Sub(s.exec.now())
	if left <= 0 {
		return s.timedOut()
	}
	return s.exec.sleep(ctx, min(d, left))
}

// timedOut is the step's timeout error.
func (s *StepRun) timedOut() error {
	timeout := s.plan.Timeout.Duration
	if timeout <= 0 {
		timeout = runbooks.DefaultTimeout
	}
	return errTimeout{timeout}
}
