package team

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// ErrMissing is CheckTable's and CheckBucket's answer when the table or
// the bucket does not exist.
var ErrMissing = errors.New("does not exist")

// CheckTable checks that the lock table exists in the team's Region
// with the partition key pk, a string, and no sort key.
func (s *Store) CheckTable(ctx context.Context) error {
	out, err := s.ddb.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(s.cfg.LockTable)})
	if err != nil {
		return s.tableError("DescribeTable", err)
	}
	return tableShape(out.Table)
}

// tableShape checks a lock table's key schema.
func tableShape(t *types.TableDescription) error {
	name := aws.ToString(t.TableName)
	if len(t.KeySchema) != 1 || aws.ToString(t.KeySchema[0].AttributeName) != "pk" || t.KeySchema[0].KeyType != types.KeyTypeHash {
		return fmt.Errorf("lock table %s must have the partition key \"pk\" (a string) and no sort key; it has %s: use another table", name, keySchemaText(t.KeySchema))
	}
	for _, a := range t.AttributeDefinitions {
		if aws.ToString(a.AttributeName) == "pk" && a.AttributeType != types.ScalarAttributeTypeS {
			return fmt.Errorf("lock table %s's partition key pk is of type %s; it must be a string (S): use another table", name, a.AttributeType)
		}
	}
	return nil
}

func keySchemaText(keys []types.KeySchemaElement) string {
	text := ""
	for i, k := range keys {
		if i > 0 {
			text += ", "
		}
		text += fmt.Sprintf("%s (%s)", aws.ToString(k.AttributeName), k.KeyType)
	}
	if text == "" {
		return "no key"
	}
	return text
}

// CheckBucket checks that the audit bucket exists with Object Lock.
func (s *Store) CheckBucket(ctx context.Context) error {
	out, err := s.s3.GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: aws.String(s.cfg.AuditBucket)})
	var apiErr smithy.APIError
	switch {
	case errors.As(err, &apiErr) && apiErr.ErrorCode() == "NoSuchBucket":
		return fmt.Errorf("audit bucket %s %w: create it with 'drpilot team init FILE'", s.cfg.AuditBucket, ErrMissing)
	case errors.As(err, &apiErr) && apiErr.ErrorCode() == "ObjectLockConfigurationNotFoundError":
		return fmt.Errorf("audit bucket %s has no Object Lock: the log's copy could be deleted; use a bucket created with Object Lock enabled ('drpilot team init FILE' creates one)", s.cfg.AuditBucket)
	case err != nil:
		return fmt.Errorf("audit bucket %s: GetObjectLockConfiguration: %w", s.cfg.AuditBucket, err)
	case out.ObjectLockConfiguration == nil || out.ObjectLockConfiguration.ObjectLockEnabled != s3types.ObjectLockEnabledEnabled:
		return fmt.Errorf("audit bucket %s has no Object Lock enabled: use a bucket created with Object Lock", s.cfg.AuditBucket)
	}
	return nil
}

// InitReport says what Init found and did, one line per resource.
type InitReport []string

// Init creates the lock table and the audit bucket when they do not
// exist, and checks them when they do. It never changes an existing one.
func (s *Store) Init(ctx context.Context) (InitReport, error) {
	var report InitReport
	err := s.CheckTable(ctx)
	switch {
	case err == nil:
		report = append(report, fmt.Sprintf("lock table %s in %s: exists, key pk (string): ok", s.cfg.LockTable, s.cfg.Region))
	case errors.Is(err, ErrMissing):
		if err := s.createTable(ctx); err != nil {
			return report, err
		}
		report = append(report, fmt.Sprintf("lock table %s in %s: created (key pk, string; on-demand; time to live on ttl)", s.cfg.LockTable, s.cfg.Region))
	default:
		return report, err
	}
	err = s.CheckBucket(ctx)
	switch {
	case err == nil:
		report = append(report, fmt.Sprintf("audit bucket %s: exists, Object Lock enabled: ok", s.cfg.AuditBucket))
	case errors.Is(err, ErrMissing):
		if err := s.createBucket(ctx); err != nil {
			return report, err
		}
		report = append(report, fmt.Sprintf("audit bucket %s in %s: created with Object Lock (each copy is locked for %s in COMPLIANCE mode)", s.cfg.AuditBucket, s.cfg.Region, days(s.cfg.Retention)))
	default:
		return report, err
	}
	return report, nil
}

func (s *Store) createTable(ctx context.Context) error {
	_, err := s.ddb.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(s.cfg.LockTable),
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
		BillingMode:          types.BillingModePayPerRequest,
	})
	if err != nil {
		return s.tableError("CreateTable", err)
	}
	waiter := dynamodb.NewTableExistsWaiter(s.ddb, func(o *dynamodb.TableExistsWaiterOptions) { o.MinDelay = time.Second })
	if err := waiter.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(s.cfg.LockTable)}, 5*time.Minute); err != nil {
		return s.tableError("waiting for the table", err)
	}
	_, err = s.ddb.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String(s.cfg.LockTable),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String("ttl"), Enabled: aws.Bool(true)}})
	if err != nil {
		return s.tableError("UpdateTimeToLive", err)
	}
	return nil
}

func (s *Store) createBucket(ctx context.Context) error {
	in := &s3.CreateBucketInput{Bucket: aws.String(s.cfg.AuditBucket), ObjectLockEnabledForBucket: aws.Bool(true)}
	if s.cfg.Region != "us-east-1" {
		in.CreateBucketConfiguration = &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(s.cfg.Region)}
	}
	if _, err := s.s3.CreateBucket(ctx, in); err != nil {
		return fmt.Errorf("audit bucket %s: CreateBucket: %w", s.cfg.AuditBucket, err)
	}
	return nil
}

// days writes a retention in days, as Object Lock counts it.
func days(d time.Duration) string { return fmt.Sprintf("%dd", int(d.Hours()/24)) }
