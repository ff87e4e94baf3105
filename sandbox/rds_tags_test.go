package sandbox

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/smithy-go"
)

func tagMap(tags []rdstypes.Tag) map[string]string {
	out := map[string]string{}
	for _, t := range tags {
		out[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return out
}

// TestRDSTags: tags given at creation and added later show in
// ListTagsForResource and DescribeDBInstances' TagList, a later value
// replaces an earlier one, and removal takes only the keys named.
func TestRDSTags(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t, Options{})
	client := rds.NewFromConfig(awsConfig(t, url, "eu-central-1"))
	c := ctx(t)
	if _, err := client.CreateDBInstance(c, &rds.CreateDBInstanceInput{DBInstanceIdentifier: aws.String("docstore"),
		DBInstanceClass: aws.String("db.t4g.medium"), Engine: aws.String("postgres"), AllocatedStorage: aws.Int32(20),
		Tags: []rdstypes.Tag{{Key: aws.String("team"), Value: aws.String("docs")}}}); err != nil {
		t.Fatal(err)
	}
	dbARN := "arn:aws:rds:eu-central-1:123456789012:db:docstore"
	if _, err := client.AddTagsToResource(c, &rds.AddTagsToResourceInput{ResourceName: aws.String(dbARN),
		Tags: []rdstypes.Tag{{Key: aws.String("backup-plan"), Value: aws.String("old")},
			{Key: aws.String("backup-plan"), Value: aws.String("docstore-euc1")}}}); err != nil {
		t.Fatal(err)
	}
	listed, err := client.ListTagsForResource(c, &rds.ListTagsForResourceInput{ResourceName: aws.String(dbARN)})
	if err != nil {
		t.Fatal(err)
	}
	if got := tagMap(listed.TagList); len(got) != 2 || got["team"] != "docs" || got["backup-plan"] != "docstore-euc1" {
		t.Fatalf("tags = %v", got)
	}
	described, err := client.DescribeDBInstances(c, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(dbARN)})
	if err != nil || len(described.DBInstances) != 1 {
		t.Fatalf("describe by ARN: %+v %v", described, err)
	}
	if got := tagMap(described.DBInstances[0].TagList); got["backup-plan"] != "docstore-euc1" {
		t.Fatalf("TagList = %v", got)
	}
	if _, err := client.RemoveTagsFromResource(c, &rds.RemoveTagsFromResourceInput{ResourceName: aws.String(dbARN),
		TagKeys: []string{"team"}}); err != nil {
		t.Fatal(err)
	}
	listed, _ = client.ListTagsForResource(c, &rds.ListTagsForResourceInput{ResourceName: aws.String(dbARN)})
	if got := tagMap(listed.TagList); len(got) != 1 || got["backup-plan"] == "" {
		t.Fatalf("after removing team: %v", got)
	}

	var nf *rdstypes.DBInstanceNotFoundFault
	_, err = client.AddTagsToResource(c, &rds.AddTagsToResourceInput{
		ResourceName: aws.String("arn:aws:rds:eu-central-1:123456789012:db:nope"), Tags: []rdstypes.Tag{}})
	if !errors.As(err, &nf) {
		t.Fatalf("tagging a missing instance: %v", err)
	}
	var api smithy.APIError
	_, err = client.AddTagsToResource(c, &rds.AddTagsToResourceInput{
		ResourceName: aws.String("arn:aws:rds:us-east-1:123456789012:db:docstore"), Tags: []rdstypes.Tag{}})
	if !errors.As(err, &api) || api.ErrorCode() != "InvalidParameterValue" {
		t.Fatalf("tagging through another Region's endpoint: %v", err)
	}
}

// TestRDSDescribeFilters: DescribeDBInstances' Filters select by
// identifier or ARN, resource id and engine; an unknown filter is an
// InvalidParameterValue that lists the ones RDS knows.
func TestRDSDescribeFilters(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t, Options{})
	client := rds.NewFromConfig(awsConfig(t, url, "us-east-1"))
	c := ctx(t)
	for id, engine := range map[string]string{"orders": "postgres", "catalog": "mysql", "carts": "postgres"} {
		if _, err := client.CreateDBInstance(c, &rds.CreateDBInstanceInput{DBInstanceIdentifier: aws.String(id),
			DBInstanceClass: aws.String("db.t4g.medium"), Engine: aws.String(engine), AllocatedStorage: aws.Int32(20)}); err != nil {
			t.Fatal(err)
		}
	}
	ids := func(filters ...rdstypes.Filter) map[string]bool {
		t.Helper()
		out, err := client.DescribeDBInstances(c, &rds.DescribeDBInstancesInput{Filters: filters})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, db := range out.DBInstances {
			got[aws.ToString(db.DBInstanceIdentifier)] = true
		}
		return got
	}
	if got := ids(rdstypes.Filter{Name: aws.String("engine"), Values: []string{"postgres"}}); len(got) != 2 || !got["orders"] || !got["carts"] {
		t.Errorf("engine=postgres: %v", got)
	}
	got := ids(rdstypes.Filter{Name: aws.String("db-instance-id"),
		Values: []string{"catalog", "arn:aws:rds:us-east-1:123456789012:db:orders"}},
		rdstypes.Filter{Name: aws.String("engine"), Values: []string{"postgres"}})
	if len(got) != 1 || !got["orders"] {
		t.Errorf("db-instance-id in (catalog, orders' ARN) and engine=postgres: %v", got)
	}
	one, err := client.DescribeDBInstances(c, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String("carts")})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(rdstypes.Filter{Name: aws.String("dbi-resource-id"), Values: []string{aws.ToString(one.DBInstances[0].DbiResourceId)}}); len(got) != 1 || !got["carts"] {
		t.Errorf("dbi-resource-id: %v", got)
	}
	var api smithy.APIError
	_, err = client.DescribeDBInstances(c, &rds.DescribeDBInstancesInput{Filters: []rdstypes.Filter{
		{Name: aws.String("instance-state"), Values: []string{"available"}}}})
	if !errors.As(err, &api) || api.ErrorCode() != "InvalidParameterValue" {
		t.Fatalf("an unknown filter: %v", err)
	}
}
