package sandbox

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// TestCloudWatchListMetrics: published metrics are listed with their
// dimensions, and filtered by namespace, name and dimension (with or
// without a value).
func TestCloudWatchListMetrics(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t, Options{})
	client := cloudwatch.NewFromConfig(awsConfig(t, url, "us-east-1"))
	for _, rb := range []string{"shop", "ledger"} {
		if _, err := client.PutMetricData(ctx(t), &cloudwatch.PutMetricDataInput{Namespace: aws.String("drpilot"),
			MetricData: []cwtypes.MetricDatum{{MetricName: aws.String("Ready"), Value: aws.Float64(1),
				Dimensions: []cwtypes.Dimension{{Name: aws.String("Runbook"), Value: aws.String(rb)}}}}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := client.PutMetricData(ctx(t), &cloudwatch.PutMetricDataInput{Namespace: aws.String("other"),
		MetricData: []cwtypes.MetricDatum{{MetricName: aws.String("Count"), Value: aws.Float64(1)}}}); err != nil {
		t.Fatal(err)
	}
	all, err := client.ListMetrics(ctx(t), &cloudwatch.ListMetricsInput{})
	if err != nil || len(all.Metrics) != 3 {
		t.Fatalf("all: %+v %v", all, err)
	}
	ours, err := client.ListMetrics(ctx(t), &cloudwatch.ListMetricsInput{Namespace: aws.String("drpilot"),
		Dimensions: []cwtypes.DimensionFilter{{Name: aws.String("Runbook"), Value: aws.String("shop")}}})
	if err != nil || len(ours.Metrics) != 1 || aws.ToString(ours.Metrics[0].Dimensions[0].Value) != "shop" {
		t.Fatalf("filtered: %+v %v", ours, err)
	}
	anyValue, err := client.ListMetrics(ctx(t), &cloudwatch.ListMetricsInput{Dimensions: []cwtypes.DimensionFilter{{Name: aws.String("Runbook")}}})
	if err != nil || len(anyValue.Metrics) != 2 {
		t.Fatalf("by dimension name: %+v %v", anyValue, err)
	}
}
