package runbooks

import (
	"regexp"
	"strings"
)

// check warns about credentials written into a runbook: runbooks are
// shared and their parameters are audited. It must not cry wolf at what
// merely names a secret (a Secrets Manager secret's name or ARN, an SSM
// parameter's path), which is what a runbook should hold instead: a
// warning on the right practice teaches people to ignore the warning.

// accessKeyRE matches AWS access key ids, long-term (AKIA) and temporary
// (ASIA).
var accessKeyRE = regexp.MustCompile(`\b(AKIA|ASIA)[A-Z0-9]{16}\b`)

// assignmentRE matches "password = ..." style assignments inside a text.
var assignmentRE = regexp.MustCompile(`(?i)\b(password|passwd|secret|token)\s*[=:]\s*\S`)

// embeddedARNRE matches an ARN inside a text, its Region and account
// possibly templates (${runbook.regions.primary}). Secrets Manager's have
// ":secret:" in them, which is a resource type, not an assignment.
var embeddedARNRE = regexp.MustCompile(`arn:aws[a-z-]*:[a-z0-9-]+:(?:[a-z0-9-]|\$\{[^}]*\})*:(?:[0-9]|\$\{[^}]*\})*:\S+`)

// secretHints are substrings every match of accessKeyRE or assignmentRE
// contains, lower case; checking for them first keeps the regular
// expressions off almost every string.
var secretHints = []string{"akia", "asia", "passw", "secret", "token"}

// The hints of the warnings: what to do instead.
const (
	accessKeyHint = "drpilot signs its calls with the operator's own credentials, a role or an SSO session: remove the key, and deactivate it if it is real"
	referenceHint = "reference the secret instead: the name or ARN of a Secrets Manager secret or of an SSM SecureString parameter, " +
		"or a var listed in sensitive_vars and given with --var"
)

// literalSecret says whether a text, whatever key it is under, holds
// something that looks like a credential: an access key id, or a
// "password = ..." assignment outside any ARN. It returns the message and
// the hint of the warning.
func literalSecret(s string) (msg, hint string, ok bool) {
	if !hasSecretHint(s) {
		return "", "", false
	}
	if accessKeyRE.MatchString(s) {
		return "this looks like an AWS access key id written in clear", accessKeyHint, true
	}
	if assignmentRE.MatchString(embeddedARNRE.ReplaceAllString(s, "")) {
		return "this looks like a secret written in clear", referenceHint, true
	}
	return "", "", false
}

// hasSecretHint reports whether s contains one of secretHints, ignoring
// case: containsFold for each hint, in one pass over s.
func hasSecretHint(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		for _, h := range secretHints {
			if c == h[0] && i+len(h) <= len(s) && strings.EqualFold(s[i:i+len(h)], h) {
				return true
			}
		}
	}
	return false
}

// containsFold reports whether s contains the lower-case ASCII substr,
// ignoring case, without allocating.
func containsFold(s, substr string) bool {
	for i := 0; i+len(substr) <= len(s); i++ {
		if s[i]|0x20 == substr[0] && strings.EqualFold(s[i:i+len(substr)], substr) {
			return true
		}
	}
	return false
}

// secretKeyRE matches parameter names that hold credentials.
var secretKeyRE = regexp.MustCompile(`(?i)(password|passwd|secret_access_key|secret|token|api_key)$`)

// secretKey reports whether a key names a credential; the substring test
// keeps the regular expression off almost every key.
func secretKey(key string) bool {
	return (containsFold(key, "pass") || containsFold(key, "secret") || containsFold(key, "token") || containsFold(key, "api_key")) &&
		secretKeyRE.MatchString(key)
}

// keyedSecret says whether a value under a key named like a credential
// looks like one. A password is one whatever it looks like. A "secret" or
// a "token" is as often the name of where one is kept
// (db_secret = "prod/payments-db"), so it is one only when it does not
// look like a name: characters a name or path does not have, or a long
// run of random-looking characters. An ARN names a resource and never is.
func keyedSecret(key, s string) bool {
	if !secretKey(key) || HasTemplate(s) || arnRE.MatchString(s) {
		return false
	}
	if containsFold(key, "passw") {
		return true
	}
	return !looksLikeName(s)
}

// nameRE is the characters of a Secrets Manager secret's name and of an
// SSM parameter's path.
var nameRE = regexp.MustCompile(`^[A-Za-z0-9/_+=.@:-]+$`)

// uuidRE matches a UUID, which many services issue as API keys.
var uuidRE = regexp.MustCompile(`(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// looksLikeName reports whether s reads as a name or a path: name
// characters only, no UUID, and words rather than random runs in each of
// its parts.
func looksLikeName(s string) bool {
	if !nameRE.MatchString(s) || uuidRE.MatchString(s) {
		return false
	}
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return !isAlnum(r) }) {
		if randomLooking(part) {
			return false
		}
	}
	return true
}

// randomLooking reports whether a run of letters and digits looks
// generated rather than written: long, and switching between lower case,
// upper case and digits every few characters (a hex digest, a base64 key),
// where a word or a camelCase name switches seldom.
func randomLooking(part string) bool {
	if len(part) < 12 {
		return false
	}
	switches := 0
	for i := 1; i < len(part); i++ {
		if charClass(part[i]) != charClass(part[i-1]) {
			switches++
		}
	}
	return switches*4 >= len(part)
}

// isAlnum reports whether r is an ASCII letter or digit.
func isAlnum(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}

// charClass is 0 for a lower-case letter, 1 for an upper-case one, 2 for
// a digit.
func charClass(c byte) int {
	switch {
	case c >= 'A' && c <= 'Z':
		return 1
	case c >= '0' && c <= '9':
		return 2
	}
	return 0
}

// secrets warns about credentials written into the runbook's vars, step
// parameters, precondition inputs and docs.
func (v *validator) secrets() {
	check := func(path func() string, key string, val any) {
		s, ok := val.(string)
		if !ok || s == "" {
			return
		}
		if msg, hint, ok := literalSecret(s); ok {
			v.rep.warnAtValue(path(), hint, "%s", msg)
		} else if keyedSecret(key, s) {
			v.rep.warnAtValue(path(), referenceHint, "this looks like a secret written in clear")
		}
	}
	walkValues("vars", v.rb.Vars, check)
	for i, s := range v.rb.Steps {
		p := v.stepPath(i)
		if len(s.With) > 0 {
			walkValues(p+".with", s.With, check)
		}
		for j, q := range s.Require {
			if len(q.Input) > 0 {
				walkValues(indexPath(p+".require", j)+".input", q.Input, check)
			}
		}
		if _, hint, ok := literalSecret(s.Doc); ok {
			v.rep.warnAtValue(p+".doc", hint, "the doc looks like it contains a secret")
		}
	}
}
