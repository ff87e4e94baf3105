package audit

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
)

// ApprovalStatementType is the type of a signed approval statement
// (team.Statement): a signature made for anything else is not an approval.
const ApprovalStatementType = "drpilot.approval.v1"

// ApprovalKey is the member of a decision's data that carries a signed
// approval.
const ApprovalKey = "approval"

// ApprovalRecord is a signed approval as a decision event carries it,
// under data.approval. The statement is kept as its exact bytes, in a
// string, because the signature is over those bytes: re-marshalled JSON
// would not verify. The rest is what a reviewer needs to check it with
// nothing but the log: the signature and the signer's public key.
type ApprovalRecord struct {
	// Statement is the signed statement's JSON, byte for byte.
	Statement string `json:"statement"`
	// Signature is the base64 (standard, padded) Ed25519 signature over
	// Statement's bytes.
	Signature string `json:"signature"`
	// PublicKey is the signer's key, PEM SubjectPublicKeyInfo.
	PublicKey string `json:"public_key"`
	// Approver is the name of the signer's key (keys/NAME.pub).
	Approver string `json:"approver"`
	// Key is the fingerprint of PublicKey (Fingerprint).
	Key string `json:"key"`
}

// ApprovalDecision is the data of a decision event that records one
// approver's signed answer to a gate.
type ApprovalDecision struct {
	// Decision is the statement's verdict: "approve" or "deny".
	Decision string         `json:"decision"`
	Gate     string         `json:"gate"`
	Reason   string         `json:"reason"`
	Approval ApprovalRecord `json:"approval"`
}

// NewApprovalRecord builds the record of a signed statement.
func NewApprovalRecord(statement, signature []byte, pub ed25519.PublicKey, approver string) (ApprovalRecord, error) {
	pemText, err := PublicKeyPEM(pub)
	if err != nil {
		return ApprovalRecord{}, err
	}
	return ApprovalRecord{Statement: string(statement), Signature: base64.StdEncoding.EncodeToString(signature),
		PublicKey: string(pemText), Approver: approver, Key: Fingerprint(pub)}, nil
}

// ApprovalStatement is what an approver signs: their answer to one
// asking of a gate (team.Statement is this type; team gathers the
// answers, audit checks them in the log).
type ApprovalStatement struct {
	Type     string `json:"type"`
	Runbook  string `json:"runbook"`
	Run      string `json:"run"`
	Step     string `json:"step"`
	Digest   string `json:"digest"`
	Verdict  string `json:"verdict"`
	Reason   string `json:"reason,omitempty"`
	Approver string `json:"approver"`
	Key      string `json:"key"`
	At       string `json:"at"`
}

// ApprovalSeen is a verified approval, as Verify reports it.
type ApprovalSeen struct {
	Seq      int64  `json:"seq"`
	Step     string `json:"step"`
	Approver string `json:"approver"`
	Key      string `json:"key"` // the signer's fingerprint
	Verdict  string `json:"verdict"`
	At       string `json:"at"`
	// Untrusted is set when the reviewer gave trusted keys
	// (MarkUntrusted) and this approval's key is not among them.
	Untrusted bool `json:"untrusted,omitempty"`
}

// approval checks the signed approval a decision carries, if any, and
// returns why it does not hold, or "". It is checked as the line is read,
// on its own: a checkpoint proves the line is what the run wrote, but only
// the approver's signature proves the approver said it, and whoever holds
// the run's key could otherwise write any approval and sign the log.
func (v *verifier) approval(seq int64, e *Event) string {
	var members map[string]json.RawMessage
	if json.Unmarshal(e.Data, &members) != nil {
		return ""
	}
	raw, ok := members[ApprovalKey]
	if !ok || string(raw) == "null" {
		return ""
	}
	var rec ApprovalRecord
	if err := strictJSON(raw, &rec); err != nil {
		return fmt.Sprintf("the approval of step %q is not an approval record: %v", e.Step, err)
	}
	var decision string
	if err := json.Unmarshal(members["decision"], &decision); err != nil {
		return fmt.Sprintf("the decision carrying the approval of step %q has no decision (approve or deny)", e.Step)
	}
	who := fmt.Sprintf("the approval of step %q by %q (key %s)", e.Step, rec.Approver, rec.Key)
	st, why := checkApproval(rec)
	if why == "" {
		why = v.bindApproval(st, rec, e, decision)
	}
	if why != "" {
		return who + ": " + why
	}
	v.rep.Approvals = append(v.rep.Approvals, ApprovalSeen{Seq: seq, Step: e.Step, Approver: st.Approver, Key: st.Key, Verdict: st.Verdict, At: st.At})
	return ""
}

// checkApproval checks the record on its own: the signature over the
// statement's bytes, and that the statement is an approval by that key.
func checkApproval(rec ApprovalRecord) (ApprovalStatement, string) {
	var st ApprovalStatement
	pub, err := ParsePublicKey([]byte(rec.PublicKey))
	if err != nil {
		return st, "public_key: " + err.Error()
	}
	sig, err := base64.StdEncoding.DecodeString(rec.Signature)
	if err != nil {
		return st, "the signature is not base64"
	}
	if !ed25519.Verify(pub, []byte(rec.Statement), sig) {
		return st, fmt.Sprintf("the signature does not verify over the statement with public_key (%s): the statement was altered, or signed by another key", Fingerprint(pub))
	}
	if err := strictJSON([]byte(rec.Statement), &st); err != nil {
		return st, "the statement is not an approval statement: " + err.Error()
	}
	fp := Fingerprint(pub)
	switch {
	case st.Type != ApprovalStatementType:
		return st, fmt.Sprintf("the statement is a %q, not a %s", st.Type, ApprovalStatementType)
	case st.Key != fp:
		return st, fmt.Sprintf("the statement names key %s, but public_key is %s", st.Key, fp)
	case rec.Key != fp:
		return st, fmt.Sprintf("the record names key %s, but public_key is %s", rec.Key, fp)
	}
	return st, ""
}

// bindApproval checks that a valid statement is about this line: this
// run, this step, the decision the line records, by the approver it names.
func (v *verifier) bindApproval(st ApprovalStatement, rec ApprovalRecord, e *Event, decision string) string {
	switch {
	case st.Run != v.rep.Run:
		return fmt.Sprintf("the statement approves run %q, not this run (%q)", st.Run, v.rep.Run)
	case st.Step != e.Step:
		return fmt.Sprintf("the statement is about step %q, not %q", st.Step, e.Step)
	case st.Verdict != decision:
		return fmt.Sprintf("the statement's verdict is %q, but the decision logged is %q", st.Verdict, decision)
	case st.Approver != rec.Approver:
		return fmt.Sprintf("the statement is signed as %q, but the record names %q", st.Approver, rec.Approver)
	case st.Approver != e.Actor:
		return fmt.Sprintf("the statement is signed as %q, but the decision's actor is %q", st.Approver, e.Actor)
	}
	return ""
}

// strictJSON decodes one JSON object with no members but dst's.
func strictJSON(data []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("more than one JSON value")
	}
	return nil
}

// MarkUntrusted compares the verified approvals with the reviewer's
// trusted keys (name → key, as keys/NAME.pub): an approval by a key not
// among them, or signed under another name than its key's, is marked and
// warned about. It does not change the verdict: the log is what the run
// wrote either way; whether those approvers were entitled to approve is
// the reviewer's question, which this answers.
func (r *Report) MarkUntrusted(trusted map[string]ed25519.PublicKey, where string) {
	names := map[string]string{} // fingerprint → name
	for name, pub := range trusted {
		names[Fingerprint(pub)] = name
	}
	for i, a := range r.Approvals {
		name, ok := names[a.Key]
		switch {
		case !ok:
			r.Approvals[i].Untrusted = true
			r.Warnings = append(r.Warnings, fmt.Sprintf("seq %d: the approval of step %q by %q is signed by key %s, which is not among the trusted keys in %s", a.Seq, a.Step, a.Approver, a.Key, where))
		case name != a.Approver:
			r.Approvals[i].Untrusted = true
			r.Warnings = append(r.Warnings, fmt.Sprintf("seq %d: the approval of step %q is signed as %q by key %s, which %s trusts as %q", a.Seq, a.Step, a.Approver, a.Key, where, name))
		}
	}
}

// ApprovalsLine lists the approvals for a person: "promote-replica: alice
// (fp…) approve, bob (fp…) approve; other-step: …".
func (r *Report) ApprovalsLine() string {
	var steps []string
	byStep := map[string][]string{}
	for _, a := range r.Approvals {
		if _, ok := byStep[a.Step]; !ok {
			steps = append(steps, a.Step)
		}
		who := fmt.Sprintf("%s (%s) %s", a.Approver, a.Key, a.Verdict)
		if a.Untrusted {
			who += " [untrusted key]"
		}
		byStep[a.Step] = append(byStep[a.Step], who)
	}
	parts := make([]string, len(steps))
	for i, s := range steps {
		parts[i] = s + ": " + strings.Join(byStep[s], ", ")
	}
	return strings.Join(parts, "; ")
}
