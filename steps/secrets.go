package steps

import (
	"bytes"
	"encoding/json"
	"slices"

	"github.com/drpilot/drpilot/audit"
	"github.com/drpilot/drpilot/runbooks"
)

// A run's secrets are texts that must never be shown: the values of the
// runbook's sensitive vars, known from the start, and the values a step
// conceals (a SecureString's), known when the step resolves them. Every
// place a value leaves the executor redacts them: the audit log (the
// Writer holds the same list), the events every observer receives (emit),
// and the requests a gate shows (StepRun.shown). A secret is replaced
// wherever a template put it, inside a longer string too.

// addSecrets adds texts to the run's secrets, here and in the audit log.
func (e *Executor) addSecrets(secrets ...string) {
	e.mu.Lock()
	for _, s := range secrets {
		if s != "" && !slices.Contains(e.secrets, s) {
			e.secrets = append(e.secrets, s)
		}
	}
	e.mu.Unlock()
	e.opts.Audit.AddSecrets(secrets...)
}

// secretList is a copy of the run's secrets.
func (e *Executor) secretList() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.secrets)
}

// scrubEvent returns ev with the run's secrets redacted wherever they
// appear in it. An event that holds none is returned as it is; one that
// does is rebuilt from its JSON with the secrets replaced, which is the
// form every observer shows it in anyway (numbers in its free-form
// members become json.Number). An event that cannot be rebuilt is reduced
// to its type, step and time rather than shown with a secret.
func (e *Executor) scrubEvent(ev Event) Event {
	secrets := e.secretList()
	if len(secrets) == 0 {
		return ev
	}
	raw, err := json.Marshal(ev)
	if err != nil {
		return Event{Type: ev.Type, Step: ev.Step, Time: ev.Time, Message: "(not shown: it could not be checked for secrets)"}
	}
	if !audit.HoldsSecret(raw, secrets) {
		return ev
	}
	var generic any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&generic); err != nil {
		return Event{Type: ev.Type, Step: ev.Step, Time: ev.Time, Message: "(not shown: it holds a secret)"}
	}
	clean, err := json.Marshal(audit.RedactSecrets(generic, secrets))
	if err != nil {
		return Event{Type: ev.Type, Step: ev.Step, Time: ev.Time, Message: "(not shown: it holds a secret)"}
	}
	var out Event
	dec = json.NewDecoder(bytes.NewReader(clean))
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil {
		return Event{Type: ev.Type, Step: ev.Step, Time: ev.Time, Message: "(not shown: it holds a secret)"}
	}
	return out
}

// ShownPlannedInput is a planned call's input as a screen shows it before
// the step runs: what ShownInput shows, without the value of a
// SecureString parameter or of the plan's sensitive vars, as the step's
// own events will show it.
func ShownPlannedInput(plan *runbooks.RunPlan, c runbooks.PlannedCall) map[string]any {
	shown := ShownInput(c.Input)
	if shown == nil {
		return nil
	}
	service, op, _ := splitOperation(c.Operation)
	if _, ok := shown["Value"]; ok && service == "ssm" && op == "PutParameter" && shown["Type"] == "SecureString" {
		shown["Value"] = audit.Redacted
	}
	if plan != nil {
		shown, _ = audit.RedactSecrets(shown, plan.Secrets).(map[string]any)
	}
	return shown
}
