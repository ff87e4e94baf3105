package steps

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"

	"github.com/drpilot/drpilot/audit"
	"github.com/drpilot/drpilot/runbooks"
)

// A run's secrets are texts that must never be shown: the values of the
// runbook's sensitive vars, known from the start, the values a step
// conceals (a SecureString's), known when the step resolves them, and the
// values AWS answers with in the clear (a Secrets Manager secret's), known
// when the answer arrives and before anything records it. Every
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
	if e.opts.Audit != nil { // nil for the readiness board alone, which logs nothing
		e.opts.Audit.AddSecrets(secrets...)
	}
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

// responseSecrets are, per operation, the members of its response that
// hold a secret in the clear, as paths: "a.b" is member b of member a,
// "a[]" every element of the array a. The audit log redacts members named
// like credentials (RandomPassword) on its own, but a value copied into a
// step's outputs, a later step's input or a message keeps no member name;
// registering the value itself keeps it out of all of them.
var responseSecrets = map[string][]string{
	"secretsmanager:BatchGetSecretValue": {"SecretValues[].SecretString", "SecretValues[].SecretBinary"},
	"secretsmanager:GetRandomPassword":   {"RandomPassword"},
	"secretsmanager:GetSecretValue":      {"SecretString", "SecretBinary"},
}

// concealResponse adds to the run's secrets the values an operation's
// response holds in the clear. It must run before the response is logged,
// emitted or stored as an output. A secret that is a JSON object (as RDS
// and DocumentDB credentials are kept) also has each of its members named
// like a credential concealed alone, since a template may take the
// password out of it.
func (e *Executor) concealResponse(service, op string, output map[string]any) {
	canon, ok := CanonicalService(service)
	if !ok {
		return
	}
	var found []string
	for _, path := range responseSecrets[canon+":"+op] {
		found = append(found, valuesAt(output, strings.Split(path, "."))...)
	}
	for _, v := range slices.Clone(found) {
		found = append(found, credentialMembers(v)...)
	}
	e.addSecrets(found...)
}

// valuesAt returns the strings at a path in decoded JSON; SecretBinary
// is there as the base64 text every record of the response holds.
func valuesAt(v any, path []string) []string {
	if len(path) == 0 {
		if s, ok := v.(string); ok {
			return []string{s}
		}
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	name, each := strings.CutSuffix(path[0], "[]")
	if !each {
		return valuesAt(m[name], path[1:])
	}
	items, _ := m[name].([]any)
	var out []string
	for _, item := range items {
		out = append(out, valuesAt(item, path[1:])...)
	}
	return out
}

// credentialMembers returns the string members, named like credentials
// (audit.Redact's rule), of a secret that is a JSON object.
func credentialMembers(secret string) []string {
	var obj map[string]any
	if json.Unmarshal([]byte(secret), &obj) != nil {
		return nil
	}
	redacted, _ := audit.Redact(obj).(map[string]any)
	var out []string
	for k, v := range obj {
		if s, ok := v.(string); ok && redacted[k] == audit.Redacted {
			out = append(out, s)
		}
	}
	return out
}
