package team

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// A run holds its runbook's lease for LeaseFor after each renewal, and
// renews it every RenewEvery: a crashed holder's lease is free for a
// take-over within LeaseFor, and a renewal may fail a few times in a row
// (a throttled table, a slow network) before the lease runs out.
const (
	LeaseFor   = 90 * time.Second
	RenewEvery = 20 * time.Second
)

// Lease states.
const (
	stateHeld     = "held"
	stateReleased = "released"
)

// Lease is the run lock of one runbook (docs/team.md).
type Lease struct {
	Runbook string
	Run     string
	Holder  string
	Host    string
	// Key is the fingerprint of the holder's signing key.
	Key string
	// PID is the holder's process on Host: on that host, a lease whose
	// process is gone can be taken over before it expires.
	PID  int
	Mode string
	// Log is where the run's audit log is copied: s3://bucket/prefix/.
	Log     string
	Started time.Time
	Renewed time.Time
	Expires time.Time
	// Fence grows by one every time the lease changes hands: the fencing
	// token every aws.request of the run carries.
	Fence int64
	State string
	// TakenOverFrom is who held the lease before a take-over.
	TakenOverFrom string
}

// Expired reports whether the lease ran out at now.
func (l Lease) Expired(now time.Time) bool { return !now.Before(l.Expires) }

// Held reports whether someone holds the lease at now.
func (l Lease) Held(now time.Time) bool { return l.State == stateHeld && !l.Expired(now) }

// HeldError is the answer to taking a lease somebody else holds.
type HeldError struct {
	Lease Lease
	// Expired is set when the holder stopped renewing it: a take-over
	// may take it.
	Expired bool
}

func (e *HeldError) Error() string {
	l := e.Lease
	what := "is being run by"
	if e.Expired {
		what = "was being run by"
	}
	msg := fmt.Sprintf("runbook %s %s %s on %s (run %s, since %s", l.Runbook, what, l.Holder, l.Host, l.Run, l.Started.UTC().Format(time.RFC3339))
	if e.Expired {
		return msg + fmt.Sprintf(", whose lease expired at %s without being released)", l.Expires.UTC().Format(time.RFC3339))
	}
	return msg + fmt.Sprintf(", lease renewed at %s)", l.Renewed.UTC().Format(time.RFC3339))
}

// ErrLost is a renewal's answer when the lease changed hands: the run
// must send nothing more.
var ErrLost = errors.New("the run lock was taken over by another run")

func leaseKey(runbook string) string { return "lease#" + runbook }

// Attribute names are placeholders: several (state, run, key, host) are
// DynamoDB reserved words.
var leaseNames = map[string]string{
	"#holder": "holder", "#host": "host", "#run": "run", "#key": "key", "#mode": "mode", "#log": "log",
	"#started": "started", "#renewed": "renewed", "#expires": "expires", "#fence": "fence", "#state": "state",
	"#from": "taken_over_from", "#pid": "pid",
}

// Acquire takes the lease of want.Runbook for want's run when nobody
// holds it (never held, or released). It returns the lease with its new
// fencing token, or a *HeldError naming who holds it.
func (s *Store) Acquire(ctx context.Context, want Lease) (Lease, error) {
	return s.take(ctx, want, "attribute_not_exists(pk) OR #state = :released", nil)
}

// TakeOver takes a lease whose holder stopped renewing it: it succeeds
// only if the lease is still the one seen (same fencing token) and has
// expired, so that two engineers taking over at once cannot both win.
// holderGone skips the expiry: the caller saw that the holder's process
// is gone (on this host), and the lease would only outlive it.
func (s *Store) TakeOver(ctx context.Context, want Lease, seen Lease, holderGone bool) (Lease, error) {
	want.TakenOverFrom = fmt.Sprintf("%s on %s (run %s, fence %d)", seen.Holder, seen.Host, seen.Run, seen.Fence)
	condition := "#fence = :seen AND (#expires <= :now OR #state = :released)"
	if holderGone {
		condition = "#fence = :seen"
	}
	return s.take(ctx, want, condition, map[string]types.AttributeValue{":seen": num(seen.Fence)})
}

// take writes the lease under a condition, growing the fencing token.
func (s *Store) take(ctx context.Context, want Lease, condition string, extra map[string]types.AttributeValue) (Lease, error) {
	now := s.now().UTC()
	want.Started, want.Renewed, want.Expires, want.State = now, now, now.Add(LeaseFor), stateHeld
	values := map[string]types.AttributeValue{
		":holder": str(want.Holder), ":host": str(want.Host), ":run": str(want.Run), ":key": str(want.Key),
		":mode": str(want.Mode), ":log": str(want.Log), ":started": str(want.Started.Format(time.RFC3339Nano)),
		":renewed": str(want.Renewed.Format(time.RFC3339Nano)), ":expires": num(want.Expires.Unix()),
		":held": str(stateHeld), ":released": str(stateReleased), ":zero": num(0), ":one": num(1),
		":now": num(now.Unix()), ":from": str(want.TakenOverFrom), ":pid": num(int64(want.PID)),
	}
	for k, v := range extra {
		values[k] = v
	}
	update := "SET #holder = :holder, #host = :host, #run = :run, #key = :key, #mode = :mode, #log = :log, " +
		"#started = :started, #renewed = :renewed, #expires = :expires, #state = :held, #from = :from, #pid = :pid, " +
		"#fence = if_not_exists(#fence, :zero) + :one"
	out, err := s.ddb.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.cfg.LockTable), Key: key(leaseKey(want.Runbook)),
		UpdateExpression: aws.String(update), ConditionExpression: aws.String(condition),
		ExpressionAttributeNames: leaseNames, ExpressionAttributeValues: used(values, update+" "+condition),
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if item, failed := conditionFailed(err); failed {
		if item == nil { // not every implementation returns it
			if item, err = s.getItem(ctx, leaseKey(want.Runbook)); err != nil {
				return Lease{}, err
			}
		}
		held := leaseOf(want.Runbook, item)
		return Lease{}, &HeldError{Lease: held, Expired: held.State == stateHeld && held.Expired(now)}
	}
	if err != nil {
		return Lease{}, s.tableError("UpdateItem", err)
	}
	return leaseOf(want.Runbook, out.Attributes), nil
}

// Renew extends the lease the run holds. It answers ErrLost when the
// lease changed hands; any other error is a renewal that did not reach
// the table, which the caller retries while the lease lasts.
func (s *Store) Renew(ctx context.Context, l Lease) (Lease, error) {
	now := s.now().UTC()
	update := "SET #renewed = :renewed, #expires = :expires"
	condition := "#fence = :fence AND #state = :held AND #run = :run"
	values := map[string]types.AttributeValue{
		":renewed": str(now.Format(time.RFC3339Nano)), ":expires": num(now.Add(LeaseFor).Unix()),
		":fence": num(l.Fence), ":held": str(stateHeld), ":run": str(l.Run),
	}
	_, err := s.ddb.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.cfg.LockTable), Key: key(leaseKey(l.Runbook)),
		UpdateExpression: aws.String(update), ConditionExpression: aws.String(condition),
		ExpressionAttributeNames: pick(leaseNames, "#renewed", "#expires", "#fence", "#state", "#run"), ExpressionAttributeValues: values,
	})
	if _, failed := conditionFailed(err); failed {
		return l, ErrLost
	}
	if err != nil {
		return l, s.tableError("UpdateItem", err)
	}
	l.Renewed, l.Expires = now, now.Add(LeaseFor)
	return l, nil
}

// Release gives the lease up, keeping its fencing token so that the next
// holder's is greater. Releasing a lease that changed hands changes
// nothing and answers ErrLost.
func (s *Store) Release(ctx context.Context, l Lease) error {
	now := s.now().UTC()
	update := "SET #state = :released, #expires = :now"
	condition := "#fence = :fence AND #run = :run"
	_, err := s.ddb.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.cfg.LockTable), Key: key(leaseKey(l.Runbook)),
		UpdateExpression: aws.String(update), ConditionExpression: aws.String(condition),
		ExpressionAttributeNames: pick(leaseNames, "#state", "#expires", "#fence", "#run"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":released": str(stateReleased), ":now": num(now.Unix()), ":fence": num(l.Fence), ":run": str(l.Run),
		},
	})
	if _, failed := conditionFailed(err); failed {
		return ErrLost
	}
	if err != nil {
		return s.tableError("UpdateItem", err)
	}
	return nil
}

// Current reads the lease of a runbook; ok is false when it was never
// taken.
func (s *Store) Current(ctx context.Context, runbook string) (l Lease, ok bool, err error) {
	item, err := s.getItem(ctx, leaseKey(runbook))
	if err != nil || item == nil {
		return Lease{}, false, err
	}
	return leaseOf(runbook, item), true, nil
}

// Now is the clock leases are judged by.
func (s *Store) Now() time.Time { return s.now() }

// leaseOf reads a lease item.
func leaseOf(runbook string, item map[string]types.AttributeValue) Lease {
	started, _ := time.Parse(time.RFC3339Nano, getS(item, "started"))
	renewed, _ := time.Parse(time.RFC3339Nano, getS(item, "renewed"))
	return Lease{
		Runbook: runbook, Run: getS(item, "run"), Holder: getS(item, "holder"), Host: getS(item, "host"),
		Key: getS(item, "key"), PID: int(getN(item, "pid")), Mode: getS(item, "mode"), Log: getS(item, "log"),
		Started: started, Renewed: renewed, Expires: time.Unix(getN(item, "expires"), 0).UTC(),
		Fence: getN(item, "fence"), State: getS(item, "state"), TakenOverFrom: getS(item, "taken_over_from"),
	}
}

// pick returns the named entries of names: DynamoDB refuses a name
// placeholder that the expressions do not use.
func pick(names map[string]string, keys ...string) map[string]string {
	out := make(map[string]string, len(keys))
	for _, k := range keys {
		out[k] = names[k]
	}
	return out
}

// used returns the values the expression names: DynamoDB refuses a value
// placeholder that no expression uses.
func used(values map[string]types.AttributeValue, expression string) map[string]types.AttributeValue {
	out := map[string]types.AttributeValue{}
	for _, token := range placeholder.FindAllString(expression, -1) {
		if v, ok := values[token]; ok {
			out[token] = v
		}
	}
	return out
}

var placeholder = regexp.MustCompile(`:[A-Za-z0-9_]+`)
