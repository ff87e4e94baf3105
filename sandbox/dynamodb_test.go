package sandbox

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func createTable(t *testing.T, client *dynamodb.Client, name string) {
	t.Helper()
	_, err := client.CreateTable(ctx(t), &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: ddbtypes.KeyTypeHash}},
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		BillingMode:          ddbtypes.BillingModePayPerRequest,
	})
	if err != nil {
		t.Fatal(err)
	}
	w := dynamodb.NewTableExistsWaiter(client, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 20*time.Millisecond, 100*time.Millisecond
	})
	if err := w.Wait(ctx(t), &dynamodb.DescribeTableInput{TableName: aws.String(name)}, 10*time.Second); err != nil {
		t.Fatal(err)
	}
}

// TestDynamoDBCrossRegionRestore: point-in-time recovery in the primary
// Region, a restore into the recovery Region by source ARN, which fails
// while the source Region is out and otherwise passes CREATING to ACTIVE.
func TestDynamoDBCrossRegionRestore(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{TimeScale: 3000})
	primary := dynamodb.NewFromConfig(awsConfig(t, url, "us-east-1"))
	recovery := dynamodb.NewFromConfig(awsConfig(t, url, "us-west-2"))
	createTable(t, primary, "carts")
	input := &dynamodb.RestoreTableToPointInTimeInput{SourceTableArn: aws.String("arn:aws:dynamodb:us-east-1:123456789012:table/carts"),
		TargetTableName: aws.String("carts-restored"), UseLatestRestorableTime: aws.Bool(true)}
	_, err := recovery.RestoreTableToPointInTime(ctx(t), input)
	var unavailable *ddbtypes.PointInTimeRecoveryUnavailableException
	if !errors.As(err, &unavailable) {
		t.Fatalf("restore without PITR: %v", err)
	}
	out, err := primary.UpdateContinuousBackups(ctx(t), &dynamodb.UpdateContinuousBackupsInput{TableName: aws.String("carts"),
		PointInTimeRecoverySpecification: &ddbtypes.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: aws.Bool(true)}})
	if err != nil || out.ContinuousBackupsDescription.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus != ddbtypes.PointInTimeRecoveryStatusEnabled {
		t.Fatalf("enable PITR: %+v, %v", out, err)
	}
	sb.faults.apply(Fault{Outage: &Outage{Region: "us-east-1"}})
	if _, err := recovery.RestoreTableToPointInTime(ctx(t), input); apiCode(err) != "InternalServerError" {
		t.Fatalf("restore while the source Region is out: %v", err)
	}
	sb.faults.apply(Fault{Outage: &Outage{Region: "us-east-1", Clear: true}})
	restored, err := recovery.RestoreTableToPointInTime(ctx(t), input)
	if err != nil {
		t.Fatal(err)
	}
	desc := restored.TableDescription
	if desc.TableStatus != ddbtypes.TableStatusCreating || !aws.ToBool(desc.RestoreSummary.RestoreInProgress) ||
		aws.ToString(desc.RestoreSummary.SourceTableArn) != aws.ToString(input.SourceTableArn) {
		t.Fatalf("restore = %+v", desc)
	}
	w := dynamodb.NewTableExistsWaiter(recovery, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 20*time.Millisecond, 100*time.Millisecond
	})
	if err := w.Wait(ctx(t), &dynamodb.DescribeTableInput{TableName: aws.String("carts-restored")}, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := recovery.RestoreTableToPointInTime(ctx(t), input); apiCode(err) != "TableAlreadyExistsException" {
		t.Fatalf("restore twice: %v", err)
	}
}

func TestDynamoDBErrorsAreTyped(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t, Options{TimeScale: 1000})
	client := dynamodb.NewFromConfig(awsConfig(t, url, "us-west-2"))
	_, err := client.DescribeTable(ctx(t), &dynamodb.DescribeTableInput{TableName: aws.String("missing")})
	var nf *ddbtypes.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("describe a missing table: %v", err)
	}
	createTable(t, client, "orders")
	_, err = client.CreateTable(ctx(t), &dynamodb.CreateTableInput{TableName: aws.String("orders"),
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: ddbtypes.KeyTypeHash}},
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: ddbtypes.ScalarAttributeTypeS}}})
	var inUse *ddbtypes.ResourceInUseException
	if !errors.As(err, &inUse) {
		t.Fatalf("create twice: %v", err)
	}
}

// TestDynamoDBItems: PutItem keeps an item by its key, replacing one with
// the same key; GetItem returns it, or nothing for another key; an item
// without its key attribute is refused.
func TestDynamoDBItems(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t, Options{TimeScale: 3000})
	client := dynamodb.NewFromConfig(awsConfig(t, url, "us-east-1"))
	createTable(t, client, "state")
	put := func(item map[string]ddbtypes.AttributeValue) error {
		_, err := client.PutItem(ctx(t), &dynamodb.PutItemInput{TableName: aws.String("state"), Item: item})
		return err
	}
	key := map[string]ddbtypes.AttributeValue{"id": &ddbtypes.AttributeValueMemberS{Value: "a"}}
	for _, n := range []string{"1", "2"} {
		if err := put(map[string]ddbtypes.AttributeValue{"id": key["id"], "n": &ddbtypes.AttributeValueMemberN{Value: n}}); err != nil {
			t.Fatal(err)
		}
	}
	out, err := client.GetItem(ctx(t), &dynamodb.GetItemInput{TableName: aws.String("state"), Key: key})
	if n, ok := out.Item["n"].(*ddbtypes.AttributeValueMemberN); err != nil || !ok || n.Value != "2" {
		t.Fatalf("GetItem: %v %#v", err, out)
	}
	other := map[string]ddbtypes.AttributeValue{"id": &ddbtypes.AttributeValueMemberS{Value: "b"}}
	if out, err := client.GetItem(ctx(t), &dynamodb.GetItemInput{TableName: aws.String("state"), Key: other}); err != nil || out.Item != nil {
		t.Fatalf("GetItem of another key: %v %#v", err, out)
	}
	if err := put(map[string]ddbtypes.AttributeValue{"n": &ddbtypes.AttributeValueMemberN{Value: "1"}}); err == nil || !strings.Contains(err.Error(), "Missing the key id") {
		t.Fatalf("an item without its key: %v", err)
	}
}
