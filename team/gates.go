package team

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/drpilot/drpilot/audit"
)

func gateKey(run, step string) string { return "gate#" + run + "#" + step }
func approvalKey(run, step, fingerprint string) string {
	return "approval#" + run + "#" + step + "#" + fingerprint
}

// ErrAnswered is PutApproval's answer when the key already answered this
// gate: an answer is never replaced.
var ErrAnswered = errors.New("this key has already answered this gate")

// ErrNoGate is Gate's answer when the run is not waiting at the step.
var ErrNoGate = errors.New("the run is not waiting for approvals at this step")

// PublishGate puts the gate where approvers read it. A later publication
// of the same step (a retry that will send other requests) replaces it,
// and the answers to the old digest no longer count.
func (s *Store) PublishGate(ctx context.Context, g GateBody) error {
	body, err := json.Marshal(g)
	if err != nil {
		return err
	}
	_, err = s.ddb.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.cfg.LockTable), Item: map[string]types.AttributeValue{
		"pk": str(gateKey(g.Run, g.Step)), "body": str(string(body)), "digest": str(g.Digest()),
		"state": str("open"), "ttl": num(s.now().Add(itemTTL).Unix()),
	}})
	if err != nil {
		return s.tableError("PutItem", err)
	}
	return nil
}

// CloseGate marks a published gate decided, so that approvers who come
// late are told it no longer waits.
func (s *Store) CloseGate(ctx context.Context, run, step, outcome string) error {
	_, err := s.ddb.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(s.cfg.LockTable), Key: key(gateKey(run, step)),
		UpdateExpression:          aws.String("SET #state = :state"),
		ConditionExpression:       aws.String("attribute_exists(pk)"),
		ExpressionAttributeNames:  map[string]string{"#state": "state"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":state": str(outcome)},
	})
	if _, failed := conditionFailed(err); failed {
		return nil
	}
	if err != nil {
		return s.tableError("UpdateItem", err)
	}
	return nil
}

// Gate reads the gate a run waits at; open is false once it is decided.
func (s *Store) Gate(ctx context.Context, run, step string) (g GateBody, open bool, err error) {
	item, err := s.getItem(ctx, gateKey(run, step))
	if err != nil {
		return GateBody{}, false, err
	}
	if item == nil {
		return GateBody{}, false, ErrNoGate
	}
	if err := json.Unmarshal([]byte(getS(item, "body")), &g); err != nil {
		return GateBody{}, false, fmt.Errorf("gate %s of run %s in the lock table is not readable: %w", step, run, err)
	}
	if d := getS(item, "digest"); d != g.Digest() {
		return GateBody{}, false, fmt.Errorf("gate %s of run %s in the lock table does not match its digest: refusing to show it", step, run)
	}
	return g, getS(item, "state") == "open", nil
}

// PutApproval writes one key's answer. A key answers a gate once; it may
// answer again only a gate republished with other requests.
func (s *Store) PutApproval(ctx context.Context, a Approval) error {
	pub, err := audit.PublicKeyPEM(a.PublicKey)
	if err != nil {
		return err
	}
	st := a.Statement
	_, err = s.ddb.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.cfg.LockTable),
		Item: map[string]types.AttributeValue{
			"pk": str(approvalKey(st.Run, st.Step, st.Key)), "statement": str(string(a.Raw)),
			"signature": str(base64.StdEncoding.EncodeToString(a.Signature)), "public_key": str(string(pub)),
			"digest": str(st.Digest), "ttl": num(s.now().Add(itemTTL).Unix()),
		},
		ConditionExpression:       aws.String("attribute_not_exists(pk) OR digest <> :digest"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":digest": str(st.Digest)},
	})
	if _, failed := conditionFailed(err); failed {
		return ErrAnswered
	}
	if err != nil {
		return s.tableError("PutItem", err)
	}
	return nil
}

// Answers reads the answers of the given keys to a gate. An item whose
// signature does not check is reported, not counted.
func (s *Store) Answers(ctx context.Context, run, step string, keys []TrustedKey) (answers []Approval, bad []string, err error) {
	for _, k := range keys {
		item, err := s.getItem(ctx, approvalKey(run, step, k.Fingerprint))
		if err != nil {
			return nil, nil, err
		}
		if item == nil {
			continue
		}
		sig, decodeErr := base64.StdEncoding.DecodeString(getS(item, "signature"))
		a, parseErr := Parse([]byte(getS(item, "statement")), sig, k.Public)
		if err := errors.Join(decodeErr, parseErr); err != nil {
			bad = append(bad, fmt.Sprintf("the answer under %s's key does not check: %v", k.Name, err))
			continue
		}
		answers = append(answers, a)
	}
	return answers, bad, nil
}

// WaitForAnswers polls the gate's answers every poll until the tally is
// done or ctx ends, calling progress whenever it changes.
func (s *Store) WaitForAnswers(ctx context.Context, g GateBody, keys []TrustedKey, poll time.Duration, progress func(Tally)) (Tally, error) {
	var last string
	for {
		answers, bad, err := s.Answers(ctx, g.Run, g.Step, keys)
		if err != nil && progress != nil {
			// Said, not hidden: the operator waits on a table that does
			// not answer, and should know it.
			progress(Tally{Needed: max(g.Approvals, 1), Unreadable: err})
			last = ""
		}
		if err == nil {
			t := Count(g, keys, answers)
			t.Ignored = append(t.Ignored, bad...)
			if sig := tallySignature(t); sig != last && progress != nil {
				last = sig
				progress(t)
			}
			if t.Done() {
				return t, nil
			}
		}
		select {
		case <-ctx.Done():
			return Tally{}, context.Cause(ctx)
		case <-time.After(poll):
		}
	}
}

// tallySignature tells two tallies apart for progress reports.
func tallySignature(t Tally) string {
	raw, _ := json.Marshal([]any{len(t.Approved), t.Denied != nil, t.Awaited, t.Ignored})
	return string(raw)
}

// Answer signs an answer to gate g with the approver's key and writes it
// to the lock table: what `drpilot approve` and the watch screen do.
func (s *Store) Answer(ctx context.Context, priv ed25519.PrivateKey, name string, g GateBody, verdict, reason string) (Approval, error) {
	a, err := Sign(priv, name, g, verdict, reason, s.now())
	if err != nil {
		return Approval{}, err
	}
	return a, s.PutApproval(ctx, a)
}

// ErrStale is Asking's answer when the gate's run no longer holds the
// lock with which it asked (it crashed, paused, or was taken over): no
// one waits for answers to it, and a resumed run asks again.
var ErrStale = errors.New("the process that asked no longer holds the run lock; when the run is resumed it asks again")

// Asking reads the gate a run waits at now: published, not decided, by
// the process that holds the runbook's lock. Answering any other would
// answer a question nobody is asking.
func (s *Store) Asking(ctx context.Context, runbook, run, step string) (GateBody, error) {
	g, open, err := s.Gate(ctx, run, step)
	switch {
	case err != nil:
		return GateBody{}, err
	case !open:
		return GateBody{}, ErrDecided
	}
	lease, found, err := s.Current(ctx, runbook)
	switch {
	case err != nil:
		return GateBody{}, err
	case !found || lease.Run != run || lease.Fence != g.Fence || !lease.Held(s.now()):
		return GateBody{}, ErrStale
	}
	return g, nil
}

// ErrDecided is Asking's answer when the gate was decided already.
var ErrDecided = errors.New("the gate is decided already")
