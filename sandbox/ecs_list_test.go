package sandbox

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
)

// TestECSListAndDescribeClusters: the clusters of a Region and the
// services of one are listed as ARNs, a page at a time; a cluster that
// does not exist is a MISSING failure to DescribeClusters and
// ClusterNotFoundException to ListServices.
func TestECSListAndDescribeClusters(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t, Options{})
	client := ecs.NewFromConfig(awsConfig(t, url, "us-east-1"))
	ecsSetup(t, client, 2)
	if _, err := client.CreateCluster(ctx(t), &ecs.CreateClusterInput{ClusterName: aws.String("batch")}); err != nil {
		t.Fatal(err)
	}
	var arns []string
	pages := ecs.NewListClustersPaginator(client, &ecs.ListClustersInput{MaxResults: aws.Int32(1)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		arns = append(arns, page.ClusterArns...)
	}
	if len(arns) != 2 || arns[0] != "arn:aws:ecs:us-east-1:123456789012:cluster/batch" {
		t.Fatalf("clusters: %v", arns)
	}
	described, err := client.DescribeClusters(ctx(t), &ecs.DescribeClustersInput{Clusters: []string{"prod", "gone"}})
	if err != nil || len(described.Clusters) != 1 || described.Clusters[0].ActiveServicesCount != 1 ||
		len(described.Failures) != 1 || aws.ToString(described.Failures[0].Reason) != "MISSING" {
		t.Fatalf("describe: %+v %v", described, err)
	}
	services, err := client.ListServices(ctx(t), &ecs.ListServicesInput{Cluster: aws.String("prod")})
	if err != nil || len(services.ServiceArns) != 1 {
		t.Fatalf("services: %+v %v", services, err)
	}
	if _, err := client.ListServices(ctx(t), &ecs.ListServicesInput{Cluster: aws.String("gone")}); apiCode(err) != "ClusterNotFoundException" {
		t.Fatalf("the services of a missing cluster: %v", err)
	}
	if _, err := client.ListClusters(ctx(t), &ecs.ListClustersInput{MaxResults: aws.Int32(101)}); apiCode(err) != "InvalidParameterException" {
		t.Fatalf("maxResults over 100: %v", err)
	}
}
