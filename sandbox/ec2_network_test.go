package sandbox

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// TestEC2RegionsZonesAndNetwork: the look-ups before a move. Regions and
// zones are listed and filtered; every Region has one default VPC and its
// default security group, which filters, ids and tags find; an unknown
// id is the NotFound EC2 answers; a Region that is out fails the call.
func TestEC2RegionsZonesAndNetwork(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{})
	client := ec2.NewFromConfig(awsConfig(t, url, "eu-west-2"))
	regions, err := client.DescribeRegions(ctx(t), &ec2.DescribeRegionsInput{})
	if err != nil || len(regions.Regions) != len(ec2Regions) {
		t.Fatalf("regions: %+v %v", regions, err)
	}
	one, err := client.DescribeRegions(ctx(t), &ec2.DescribeRegionsInput{RegionNames: []string{"us-west-2"}})
	if err != nil || len(one.Regions) != 1 || aws.ToString(one.Regions[0].Endpoint) != "ec2.us-west-2.amazonaws.com" {
		t.Fatalf("one region: %+v %v", one, err)
	}
	zones, err := client.DescribeAvailabilityZones(ctx(t), &ec2.DescribeAvailabilityZonesInput{})
	if err != nil || len(zones.AvailabilityZones) != 3 || aws.ToString(zones.AvailabilityZones[0].ZoneName) != "eu-west-2a" ||
		aws.ToString(zones.AvailabilityZones[0].ZoneId) != "euw2-az1" || zones.AvailabilityZones[0].State != ec2types.AvailabilityZoneStateAvailable {
		t.Fatalf("zones: %+v %v", zones, err)
	}
	if _, err := client.DescribeAvailabilityZones(ctx(t), &ec2.DescribeAvailabilityZonesInput{ZoneNames: []string{"eu-west-2z"}}); apiCode(err) != "InvalidParameterValue" {
		t.Fatalf("an unknown zone: %v", err)
	}
	vpcs, err := client.DescribeVpcs(ctx(t), &ec2.DescribeVpcsInput{Filters: []ec2types.Filter{{Name: aws.String("is-default"), Values: []string{"true"}}}})
	if err != nil || len(vpcs.Vpcs) != 1 || !aws.ToBool(vpcs.Vpcs[0].IsDefault) || aws.ToString(vpcs.Vpcs[0].CidrBlock) != "172.31.0.0/16" {
		t.Fatalf("vpcs: %+v %v", vpcs, err)
	}
	vpcID := aws.ToString(vpcs.Vpcs[0].VpcId)
	if _, err := client.CreateTags(ctx(t), &ec2.CreateTagsInput{Resources: []string{vpcID}, Tags: []ec2types.Tag{{Key: aws.String("tier"), Value: aws.String("dr")}}}); err != nil {
		t.Fatal(err)
	}
	tagged, err := client.DescribeVpcs(ctx(t), &ec2.DescribeVpcsInput{Filters: []ec2types.Filter{{Name: aws.String("tag:tier"), Values: []string{"dr"}}}})
	if err != nil || len(tagged.Vpcs) != 1 || len(tagged.Vpcs[0].Tags) != 1 {
		t.Fatalf("vpcs by tag: %+v %v", tagged, err)
	}
	if _, err := client.DescribeVpcs(ctx(t), &ec2.DescribeVpcsInput{VpcIds: []string{"vpc-0000"}}); apiCode(err) != "InvalidVpcID.NotFound" {
		t.Fatalf("an unknown VPC: %v", err)
	}
	groups, err := client.DescribeSecurityGroups(ctx(t), &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpcID}}}})
	if err != nil || len(groups.SecurityGroups) != 1 || aws.ToString(groups.SecurityGroups[0].GroupName) != "default" ||
		len(groups.SecurityGroups[0].IpPermissionsEgress) != 1 {
		t.Fatalf("groups: %+v %v", groups, err)
	}
	if _, err := client.DescribeSecurityGroups(ctx(t), &ec2.DescribeSecurityGroupsInput{GroupNames: []string{"web"}}); apiCode(err) != "InvalidGroup.NotFound" {
		t.Fatalf("an unknown group: %v", err)
	}
	other, err := ec2.NewFromConfig(awsConfig(t, url, "us-east-1")).DescribeVpcs(ctx(t), &ec2.DescribeVpcsInput{})
	if err != nil || len(other.Vpcs) != 1 || aws.ToString(other.Vpcs[0].VpcId) == vpcID {
		t.Fatalf("another Region's VPC: %+v %v", other, err)
	}
	if err := sb.faults.apply(Fault{Outage: &Outage{Region: "eu-west-2"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.DescribeVpcs(ctx(t), &ec2.DescribeVpcsInput{}); apiCode(err) != "ServiceUnavailable" {
		t.Fatalf("a VPC look-up in a Region that is out: %v", err)
	}
}
