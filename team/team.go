// Package team coordinates the engineers of one incident through AWS in
// the recovery Region, with no server of drpilot's own: a DynamoDB table
// holds the run lock (a lease with a fencing token) and the approvals of
// gated steps, and an S3 bucket with Object Lock keeps a copy of each
// run's audit log. docs/team.md describes the items and objects, which
// are a contract with the scripts teams write around drpilot.
package team

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Config is a runbook's [runbook.team], its Region resolved.
type Config struct {
	Region      string
	LockTable   string
	AuditBucket string
	// Retention is how long the audit log's objects stay locked.
	Retention time.Duration
}

// Store reads and writes a team's lock table and audit bucket.
type Store struct {
	cfg Config
	ddb *dynamodb.Client
	s3  *s3.Client
	// now is the clock leases are judged by; tests set it.
	now func() time.Time
}

// New returns a Store on clients for the team's Region.
func New(cfg Config, ddb *dynamodb.Client, s3c *s3.Client) *Store {
	return &Store{cfg: cfg, ddb: ddb, s3: s3c, now: time.Now}
}

// SetClock replaces the clock leases are judged by (tests, and the
// sandbox's simulated clock).
func (s *Store) SetClock(now func() time.Time) { s.now = now }

// Config returns the team configuration the store was made with.
func (s *Store) Config() Config { return s.cfg }

// itemTTL is how long gate and approval items stay before the table's
// time to live removes them: long after any incident, and nothing relies
// on it except to keep the table small.
const itemTTL = 30 * 24 * time.Hour

// str and num build attribute values.
func str(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func num(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

// key is the item key of pk.
func key(pk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": str(pk)}
}

// getS and getN read attributes of an item; a missing or mistyped one
// reads as empty, which the callers treat as absent.
func getS(item map[string]types.AttributeValue, name string) string {
	if v, ok := item[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func getN(item map[string]types.AttributeValue, name string) int64 {
	if v, ok := item[name].(*types.AttributeValueMemberN); ok {
		n, _ := strconv.ParseInt(v.Value, 10, 64)
		return n
	}
	return 0
}

// conditionFailed reports a ConditionalCheckFailedException, and the item
// as it was when AWS returns it.
func conditionFailed(err error) (map[string]types.AttributeValue, bool) {
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return ccf.Item, true
	}
	return nil, false
}

// getItem reads one item with a consistent read: a lease or an approval
// read from a replica that lags would be wrong in exactly the moments
// that matter.
func (s *Store) getItem(ctx context.Context, pk string) (map[string]types.AttributeValue, error) {
	out, err := s.ddb.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.cfg.LockTable), Key: key(pk), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, s.tableError("GetItem", err)
	}
	return out.Item, nil
}

// tableError says which table in which Region a failure was about, and
// what to do when the table does not exist.
func (s *Store) tableError(op string, err error) error {
	var missing *types.ResourceNotFoundException
	if errors.As(err, &missing) {
		return fmt.Errorf("lock table %s %w in %s: create it with 'drpilot team init FILE'", s.cfg.LockTable, ErrMissing, s.cfg.Region)
	}
	return fmt.Errorf("lock table %s in %s: %s: %w", s.cfg.LockTable, s.cfg.Region, op, err)
}
