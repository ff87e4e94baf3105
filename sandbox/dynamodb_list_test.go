package sandbox

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TestDynamoDBListTablesAndGlobalTables: ListTables pages through a
// Region's tables with the SDK's paginator; a global table joins the
// same-named tables of two Regions, and is described and listed; one
// over a Region without the table is refused, and an unknown one is
// GlobalTableNotFoundException.
func TestDynamoDBListTablesAndGlobalTables(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t, Options{TimeScale: 600})
	east := dynamodb.NewFromConfig(awsConfig(t, url, "us-east-1"))
	west := dynamodb.NewFromConfig(awsConfig(t, url, "us-west-2"))
	for _, name := range []string{"orders", "carts", "users"} {
		createTable(t, east, name)
	}
	createTable(t, west, "orders")
	var names []string
	pages := dynamodb.NewListTablesPaginator(east, &dynamodb.ListTablesInput{Limit: aws.Int32(2)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, page.TableNames...)
	}
	if len(names) != 3 || names[0] != "carts" || names[2] != "users" {
		t.Fatalf("tables: %v", names)
	}
	if _, err := east.ListTables(ctx(t), &dynamodb.ListTablesInput{Limit: aws.Int32(101)}); apiCode(err) != "ValidationException" {
		t.Fatalf("a limit over 100: %v", err)
	}
	group := []ddbtypes.Replica{{RegionName: aws.String("us-east-1")}, {RegionName: aws.String("us-west-2")}}
	created, err := east.CreateGlobalTable(ctx(t), &dynamodb.CreateGlobalTableInput{GlobalTableName: aws.String("orders"), ReplicationGroup: group})
	if err != nil || len(created.GlobalTableDescription.ReplicationGroup) != 2 {
		t.Fatalf("create global: %+v %v", created, err)
	}
	got, err := west.DescribeGlobalTable(ctx(t), &dynamodb.DescribeGlobalTableInput{GlobalTableName: aws.String("orders")})
	if err != nil || got.GlobalTableDescription.GlobalTableStatus != ddbtypes.GlobalTableStatusActive ||
		aws.ToString(got.GlobalTableDescription.ReplicationGroup[1].RegionName) != "us-west-2" {
		t.Fatalf("describe global: %+v %v", got, err)
	}
	listed, err := east.ListGlobalTables(ctx(t), &dynamodb.ListGlobalTablesInput{RegionName: aws.String("us-west-2")})
	if err != nil || len(listed.GlobalTables) != 1 {
		t.Fatalf("list global: %+v %v", listed, err)
	}
	_, err = east.CreateGlobalTable(ctx(t), &dynamodb.CreateGlobalTableInput{GlobalTableName: aws.String("carts"), ReplicationGroup: group})
	if apiCode(err) != "TableNotFoundException" {
		t.Fatalf("a global table over a Region without the table: %v", err)
	}
	if _, err := east.DescribeGlobalTable(ctx(t), &dynamodb.DescribeGlobalTableInput{GlobalTableName: aws.String("carts")}); apiCode(err) != "GlobalTableNotFoundException" {
		t.Fatalf("an unknown global table: %v", err)
	}
}
