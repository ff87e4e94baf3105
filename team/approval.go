package team

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/drpilot/drpilot/audit"
)

// GateBody is a gate waiting for approvals, as the running executor
// publishes it for approvers on other machines: exactly what the step
// will send.
type GateBody struct {
	Runbook       string     `json:"runbook"`
	RunbookSHA256 string     `json:"runbook_sha256"`
	Run           string     `json:"run"`
	Step          string     `json:"step"`
	Title         string     `json:"title"`
	Doc           string     `json:"doc,omitempty"`
	Confirm       string     `json:"confirm"`
	Calls         []GateCall `json:"calls"`
	Checklist     []string   `json:"checklist,omitempty"`
	// Requires describes the step's preconditions, which held when the
	// gate was published.
	Requires  []string  `json:"requires,omitempty"`
	Approvals int       `json:"approvals"`
	Approvers []string  `json:"approvers,omitempty"`
	Operator  string    `json:"operator"`
	Published time.Time `json:"published"`
	// Round tells one asking of the gate from another: a run resumed
	// after a refusal or a crash asks again, and the answers to the
	// earlier asking do not count for it.
	Round string `json:"round"`
	// Fence is the fencing token of the lease the asking run held: a
	// gate whose run no longer holds the lock waits for nobody.
	Fence int64 `json:"fence"`
}

// GateCall is one request the step will send, resolved.
type GateCall struct {
	Operation string         `json:"operation"`
	Region    string         `json:"region"`
	Input     map[string]any `json:"input,omitempty"`
}

// Digest binds an approval to what it approves: the runbook, the run,
// the step, its gate, the requests it will send, and the asking.
func (g GateBody) Digest() string {
	raw, _ := json.Marshal(struct {
		RunbookSHA256 string     `json:"runbook_sha256"`
		Run           string     `json:"run"`
		Step          string     `json:"step"`
		Confirm       string     `json:"confirm"`
		Calls         []GateCall `json:"calls"`
		Checklist     []string   `json:"checklist"`
		Round         string     `json:"round"`
	}{g.RunbookSHA256, g.Run, g.Step, g.Confirm, g.Calls, g.Checklist, g.Round})
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}

// Verdicts of an approval statement.
const (
	Approve = "approve"
	Deny    = "deny"
)

// statementType names what a signed statement is, so that a signature
// made for one purpose cannot be passed off as another.
const statementType = audit.ApprovalStatementType

// Statement is one key's answer to a gate, as signed: the audit log's
// own type, which verify checks.
type Statement = audit.ApprovalStatement

// Approval is a signed statement: the statement's exact bytes, the
// Ed25519 signature over them, and the signer's public key.
type Approval struct {
	Statement Statement
	Raw       []byte
	Signature []byte
	PublicKey ed25519.PublicKey
}

// Sign makes the approval of gate g by the key priv, named name.
func Sign(priv ed25519.PrivateKey, name string, g GateBody, verdict, reason string, at time.Time) (Approval, error) {
	if verdict != Approve && verdict != Deny {
		return Approval{}, fmt.Errorf("verdict %q is neither %s nor %s", verdict, Approve, Deny)
	}
	pub := priv.Public().(ed25519.PublicKey)
	st := Statement{Type: statementType, Runbook: g.Runbook, Run: g.Run, Step: g.Step, Digest: g.Digest(),
		Verdict: verdict, Reason: reason, Approver: name, Key: audit.Fingerprint(pub), At: at.UTC().Format(time.RFC3339Nano)}
	raw, err := json.Marshal(st)
	if err != nil {
		return Approval{}, err
	}
	return Approval{Statement: st, Raw: raw, Signature: ed25519.Sign(priv, raw), PublicKey: pub}, nil
}

// Parse reads a signed statement and checks its signature against pub.
func Parse(raw, signature []byte, pub ed25519.PublicKey) (Approval, error) {
	if len(pub) != ed25519.PublicKeySize || !ed25519.Verify(pub, raw, signature) {
		return Approval{}, errors.New("the signature does not match the statement and key")
	}
	var st Statement
	if err := json.Unmarshal(raw, &st); err != nil {
		return Approval{}, fmt.Errorf("the statement is not JSON: %w", err)
	}
	if st.Type != statementType {
		return Approval{}, fmt.Errorf("the statement is a %q, not an approval", st.Type)
	}
	if st.Key != audit.Fingerprint(pub) {
		return Approval{}, fmt.Errorf("the statement names key %s but is signed by %s", st.Key, audit.Fingerprint(pub))
	}
	return Approval{Statement: st, Raw: raw, Signature: signature, PublicKey: pub}, nil
}

// TrustedKey is one of the team's keys: keys/NAME.pub next to the
// runbooks.
type TrustedKey struct {
	Name        string
	Fingerprint string
	Public      ed25519.PublicKey
}

// LoadKeys reads the trusted keys of dir/*.pub. A file that is not a
// public key is an error: a team that means to trust someone must know
// that drpilot does not.
func LoadKeys(dir string) ([]TrustedKey, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.pub"))
	if err != nil {
		return nil, err
	}
	var keys []TrustedKey
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		pub, err := audit.ParsePublicKey(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", f, err)
		}
		keys = append(keys, TrustedKey{Name: strings.TrimSuffix(filepath.Base(f), ".pub"), Fingerprint: audit.Fingerprint(pub), Public: pub})
	}
	return keys, nil
}

// KeyOf finds the trusted key of a public key.
func KeyOf(keys []TrustedKey, pub ed25519.PublicKey) (TrustedKey, bool) {
	for _, k := range keys {
		if k.Public.Equal(pub) {
			return k, true
		}
	}
	return TrustedKey{}, false
}

// Tally is where a gate's approvals stand.
type Tally struct {
	Needed   int
	Approved []Approval
	// Denied is the first refusal: the step does not run.
	Denied *Approval
	// Awaited names the approvers who have not answered (every other
	// trusted key when the step names no approvers).
	Awaited []string
	// Ignored says why answers did not count (a key approving twice, a
	// key not among the approvers, another gate's digest).
	Ignored []string
	// Unreadable is why the answers could not be read this time; the
	// wait goes on.
	Unreadable error
}

// Done reports whether the gate is decided: approved by enough keys, or
// refused.
func (t Tally) Done() bool { return t.Denied != nil || len(t.Approved) >= t.Needed }

// Count tallies answers to gate g: each counts once per key, if the key
// is trusted, named in g.Approvers (when given), and the answer is to
// this gate's digest.
func Count(g GateBody, trusted []TrustedKey, answers []Approval) Tally {
	t := Tally{Needed: max(g.Approvals, 1)}
	counted := map[string]bool{}
	digest := g.Digest()
	for _, a := range answers {
		k, ok := KeyOf(trusted, a.PublicKey)
		st := a.Statement
		switch {
		case !ok:
			t.Ignored = append(t.Ignored, fmt.Sprintf("key %s is not among the team's trusted keys", audit.Fingerprint(a.PublicKey)))
		case len(g.Approvers) > 0 && !slices.Contains(g.Approvers, k.Name):
			t.Ignored = append(t.Ignored, fmt.Sprintf("%s is not among the step's approvers (%s)", k.Name, strings.Join(g.Approvers, ", ")))
		case st.Run != g.Run || st.Step != g.Step || st.Digest != digest:
			t.Ignored = append(t.Ignored, fmt.Sprintf("%s answered another gate (run %s, step %s, digest %.12s)", k.Name, st.Run, st.Step, st.Digest))
		case counted[k.Fingerprint]:
			t.Ignored = append(t.Ignored, fmt.Sprintf("%s already answered; a key counts once", k.Name))
		case st.Verdict == Deny:
			counted[k.Fingerprint] = true
			if t.Denied == nil {
				d := a
				t.Denied = &d
			}
		case st.Verdict == Approve:
			counted[k.Fingerprint] = true
			t.Approved = append(t.Approved, a)
		}
	}
	for _, k := range trusted {
		if counted[k.Fingerprint] || (len(g.Approvers) > 0 && !slices.Contains(g.Approvers, k.Name)) {
			continue
		}
		t.Awaited = append(t.Awaited, k.Name)
	}
	return t
}
