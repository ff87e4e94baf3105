package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Redacted replaces a secret in an event's data.
const Redacted = "[redacted]"

// secretSuffixes end the key names, lower case and without separators,
// whose values never go into the log: credentials as AWS and HTTP name
// them. "token" alone is a secret, but ClientToken, ClientRequestToken and
// NextToken are not: reviewers need idempotency tokens to match CloudTrail.
var secretSuffixes = []string{
	"password", "passwd", "passphrase", "secret", "secretaccesskey", "secretkey",
	"sessiontoken", "accesstoken", "refreshtoken", "authtoken", "bearertoken",
	"apikey", "authorization", "privatekey", "credentials",
}

var secretNames = []string{"token", "cookie"}

// keySeparators are dropped from a key before it is compared with the
// names of credentials. Built once: a Replacer's tables cost more than
// the replacing, and every key of every event is checked.
var keySeparators = strings.NewReplacer("_", "", "-", "", ".", "")

// isSecretKey reports whether a key names a credential: "Password",
// "MasterUserPassword", "secret_access_key" and "X-Api-Key" all do.
func isSecretKey(key string) bool {
	k := keySeparators.Replace(strings.ToLower(key))
	if contains(secretNames, k) {
		return true
	}
	for _, s := range secretSuffixes {
		if strings.HasSuffix(k, s) {
			return true
		}
	}
	return false
}

// redact replaces secrets in a decoded JSON value: the values under keys
// that name a credential, the top-level keys the caller marked sensitive,
// and every occurrence of a secret text inside a string. It returns the
// redacted value and the paths it replaced, sorted.
//
// Under a key that names a credential, every scalar is redacted, however
// deep, but the structure is kept: a DynamoDB attribute
// "password": {"S": "…"} is redacted at password.S, and the record still
// says what kind of value was written. An ARN is kept: it is where a
// secret is kept (a Secrets Manager secret, a parameter), never the
// credential itself, and the engineer reading the log needs to know
// which one a step wrote or pointed at. Secret texts (sensitive vars,
// SecureString values, a secret's value) are scrubbed everywhere, ARNs
// included.
func redact(v any, sensitive, secrets []string) (any, []string) {
	var paths []string
	var walk func(path string, v any, top, credential bool) any
	each := func(path string, list []any, credential bool) []any {
		out := make([]any, len(list))
		for i, e := range list {
			out[i] = walk(path+"["+strconv.Itoa(i)+"]", e, false, credential)
		}
		return out
	}
	walk = func(path string, v any, top, credential bool) any {
		switch x := v.(type) {
		case map[string]any:
			out := make(map[string]any, len(x))
			for k, e := range x {
				p := joinPath(path, k)
				if top && contains(sensitive, k) {
					out[k] = Redacted
					paths = append(paths, p)
					continue
				}
				out[k] = walk(p, e, false, credential || isSecretKey(k))
			}
			return out
		case []any:
			return each(path, x, credential)
		case []map[string]any: // arrays of tables, as TOML decodes them
			list := make([]any, len(x))
			for i, e := range x {
				list[i] = e
			}
			return each(path, list, credential)
		case string:
			if credential && !isARN(x) {
				paths = append(paths, path)
				return Redacted
			}
			if r, changed := scrubText(x, secrets); changed {
				paths = append(paths, path)
				return r
			}
		case nil:
		default:
			if credential {
				paths = append(paths, path)
				return Redacted
			}
		}
		return v
	}
	out := walk("", v, true, false)
	sort.Strings(paths)
	return out, paths
}

// arnPattern is an ARN: arn:partition:service:region:account:resource,
// with no space anywhere.
var arnPattern = regexp.MustCompile(`^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:[0-9]{0,12}:[^\s]+$`)

// isARN reports whether s is an ARN, which names a resource and is never
// a credential.
func isARN(s string) bool { return arnPattern.MatchString(s) }

// Redact returns a copy of a decoded value with the values under secret
// keys replaced by Redacted, as the log writes them: for whatever shows a
// request outside the log (events, the terminal), which must not show
// more than the log does.
func Redact(v any) any {
	out, _ := redact(v, nil, nil)
	return out
}

// RedactSecrets is Redact that also replaces every occurrence of a secret
// text inside a string (a sensitive var's value, a SecureString's), for
// whatever shows data outside the log.
func RedactSecrets(v any, secrets []string) any {
	out, _ := redact(v, nil, secrets)
	return out
}

// ScrubText replaces every occurrence of a secret in s by Redacted, for
// messages and errors that show a value a template built.
func ScrubText(s string, secrets []string) string {
	out, _ := scrubText(s, secrets)
	return out
}

// HoldsSecret reports whether JSON text holds one of the secrets, as it
// is or as JSON escapes it inside a string: for whatever must keep a
// secret out of what it writes (the events, the sandbox's recording)
// without redacting it first.
func HoldsSecret(raw []byte, secrets []string) bool {
	for _, s := range secrets {
		if s == "" {
			continue
		}
		quoted, _ := json.Marshal(s)
		if bytes.Contains(raw, []byte(s)) || bytes.Contains(raw, quoted[1:len(quoted)-1]) {
			return true
		}
	}
	return false
}

// scrubText replaces the secrets in s, longest first so that a secret
// that contains another is replaced whole.
func scrubText(s string, secrets []string) (string, bool) {
	if len(secrets) == 0 || s == "" {
		return s, false
	}
	sorted := slices.Clone(secrets)
	sort.Slice(sorted, func(i, j int) bool { return len(sorted[i]) > len(sorted[j]) })
	out := s
	for _, secret := range sorted {
		if secret != "" {
			out = strings.ReplaceAll(out, secret, Redacted)
		}
	}
	return out, out != s
}

// redactData redacts an event's data, given as JSON. When it replaces
// anything it adds "_redacted": the paths, and "_unredacted_sha256": the
// SHA-256 of the data as given, so that whoever holds the original can
// prove it is what was logged. The underscore keeps them apart from the
// data's own keys.
func redactData(raw []byte, sensitive, secrets []string) ([]byte, error) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	out, paths := redact(v, sensitive, secrets)
	if len(paths) == 0 {
		return raw, nil
	}
	m, ok := out.(map[string]any)
	if !ok {
		m = map[string]any{"value": out}
	}
	m["_redacted"] = paths
	m["_unredacted_sha256"] = sha256Hex(raw)
	return json.Marshal(m)
}

func sha256Hex(raw []byte) string {
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}

// Redaction is what a logged event's data says of its redaction: the
// paths replaced, and the SHA-256 of the data as it was given.
type Redaction struct {
	Paths  []string `json:"_redacted"`
	SHA256 string   `json:"_unredacted_sha256"`
}

// RedactionOf reads an event's redaction from its data; its Paths are
// empty when nothing was redacted.
func RedactionOf(data json.RawMessage) (Redaction, error) {
	var r Redaction
	err := json.Unmarshal(data, &r)
	return r, err
}

// Given reports whether data, marshalled as the Writer marshals an
// entry's data, is what the event was given before redaction: whoever
// holds the redacted values rebuilds the data with them and proves them.
func (r Redaction) Given(data any) (bool, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return false, err
	}
	return r.SHA256 != "" && sha256Hex(raw) == r.SHA256, nil
}

func joinPath(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
