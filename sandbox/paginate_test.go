package sandbox

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// TestPageSizesAsAWS: EC2 and Route 53 serve a page size above their
// largest as their largest (the AWS CLI asks EC2's describe-volumes for
// 1000 where the model says 500); EC2 refuses one below its smallest;
// RDS, CloudWatch and Secrets Manager refuse one out of bounds, each with
// its own code and wording.
func TestPageSizesAsAWS(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t, Options{})
	cfg := awsConfig(t, url, "eu-central-1")
	vm := ec2.NewFromConfig(cfg)
	for range 6 {
		if _, err := vm.CreateVolume(ctx(t), &ec2.CreateVolumeInput{AvailabilityZone: aws.String("eu-central-1a"), Size: aws.Int32(10)}); err != nil {
			t.Fatal(err)
		}
	}
	vols, err := vm.DescribeVolumes(ctx(t), &ec2.DescribeVolumesInput{MaxResults: aws.Int32(1000)})
	if err != nil || len(vols.Volumes) != 6 || vols.NextToken != nil {
		t.Fatalf("describe-volumes as the CLI pages it: %v", err)
	}
	if _, err := vm.DescribeSnapshots(ctx(t), &ec2.DescribeSnapshotsInput{MaxResults: aws.Int32(5000)}); err != nil {
		t.Fatalf("describe-snapshots past 1000: %v", err)
	}
	page, err := vm.DescribeVolumes(ctx(t), &ec2.DescribeVolumesInput{MaxResults: aws.Int32(5)})
	if err != nil || len(page.Volumes) != 5 || page.NextToken == nil {
		t.Fatalf("a page of 5: %v", err)
	}
	_, err = vm.DescribeVolumes(ctx(t), &ec2.DescribeVolumesInput{MaxResults: aws.Int32(3)})
	if apiCode(err) != "InvalidParameterValue" || !strings.Contains(err.Error(), "Expecting a value greater than 5") {
		t.Fatalf("a page of 3: %v", err)
	}

	r53 := route53.NewFromConfig(awsConfig(t, url, "us-east-1"))
	newZone(t, r53, "example.com")
	zones, err := r53.ListHostedZones(ctx(t), &route53.ListHostedZonesInput{MaxItems: aws.Int32(1000)})
	if err != nil || len(zones.HostedZones) != 1 || aws.ToInt32(zones.MaxItems) != 100 {
		t.Fatalf("list-hosted-zones past 100: %v %+v", err, zones)
	}

	_, err = rds.NewFromConfig(cfg).DescribeDBInstances(ctx(t), &rds.DescribeDBInstancesInput{MaxRecords: aws.Int32(1000)})
	if apiCode(err) != "InvalidParameterValue" || !strings.Contains(err.Error(), "Must be between 20 and 100") {
		t.Fatalf("RDS past 100: %v", err)
	}
	_, err = cloudwatch.NewFromConfig(cfg).DescribeAlarms(ctx(t), &cloudwatch.DescribeAlarmsInput{MaxRecords: aws.Int32(101)})
	if apiCode(err) != "ValidationError" || !strings.Contains(err.Error(), "at 'maxRecords' failed to satisfy constraint: Member must have value less than or equal to 100") {
		t.Fatalf("CloudWatch past 100: %v", err)
	}
	_, err = secretsmanager.NewFromConfig(cfg).ListSecrets(ctx(t), &secretsmanager.ListSecretsInput{MaxResults: aws.Int32(0)})
	if apiCode(err) != "ValidationException" || !strings.Contains(err.Error(), "greater than or equal to 1") {
		t.Fatalf("Secrets Manager below 1: %v", err)
	}
}
