package sandbox

import (
	"errors"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	asgtypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
)

func ec2Tag(k, v string) ec2types.Tag { return ec2types.Tag{Key: aws.String(k), Value: aws.String(v)} }

func ec2Filter(name string, values ...string) ec2types.Filter {
	return ec2types.Filter{Name: aws.String(name), Values: values}
}

func volumeIDs(t *testing.T, client *ec2.Client, fs ...ec2types.Filter) string {
	t.Helper()
	out, err := client.DescribeVolumes(ctx(t), &ec2.DescribeVolumesInput{Filters: fs})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, v := range out.Volumes {
		ids = append(ids, aws.ToString(v.VolumeId))
	}
	sort.Strings(ids)
	return strings.Join(ids, ",")
}

// TestEC2Tags: tags given at creation (TagSpecifications) or with
// CreateTags show in tagSet and DescribeTags and select resources through
// tag:KEY, tag-key and tag-value filters; DeleteTags removes a tag only
// if a value it names matches.
func TestEC2Tags(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t, Options{})
	client := ec2.NewFromConfig(awsConfig(t, url, "eu-central-1"))
	c := ctx(t)
	data, err := client.CreateVolume(c, &ec2.CreateVolumeInput{AvailabilityZone: aws.String("eu-central-1a"), Size: aws.Int32(100),
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeVolume,
			Tags: []ec2types.Tag{ec2Tag("Name", "docstore-data"), ec2Tag("team", "docs")}}}})
	if err != nil {
		t.Fatal(err)
	}
	dataID := aws.ToString(data.VolumeId)
	if len(data.Tags) != 2 {
		t.Fatalf("CreateVolume's answer carries tags %+v", data.Tags)
	}
	scratch, err := client.CreateVolume(c, &ec2.CreateVolumeInput{AvailabilityZone: aws.String("eu-central-1b"), Size: aws.Int32(10)})
	if err != nil {
		t.Fatal(err)
	}
	scratchID := aws.ToString(scratch.VolumeId)
	if _, err := client.CreateTags(c, &ec2.CreateTagsInput{Resources: []string{scratchID},
		Tags: []ec2types.Tag{ec2Tag("team", "infra"), ec2Tag("backup-plan", "")}}); err != nil {
		t.Fatal(err)
	}
	both := []string{dataID, scratchID}
	sort.Strings(both)
	cases := []struct {
		filters []ec2types.Filter
		want    string
	}{
		{[]ec2types.Filter{ec2Filter("tag:Name", "docstore-data")}, dataID},
		{[]ec2types.Filter{ec2Filter("tag-key", "backup-plan")}, scratchID},
		{[]ec2types.Filter{ec2Filter("tag:team", "docs", "infra")}, strings.Join(both, ",")},
		{[]ec2types.Filter{ec2Filter("tag:Name", "nope")}, ""},
		{[]ec2types.Filter{ec2Filter("tag-value", "infra", "docs"), ec2Filter("availability-zone", "eu-central-1b")}, scratchID},
	}
	for _, tc := range cases {
		if ids := volumeIDs(t, client, tc.filters...); ids != tc.want {
			t.Errorf("filters %s=%v: volumes %q, want %q", aws.ToString(tc.filters[0].Name), tc.filters[0].Values, ids, tc.want)
		}
	}
	tags, err := client.DescribeTags(c, &ec2.DescribeTagsInput{Filters: []ec2types.Filter{
		ec2Filter("resource-id", dataID), ec2Filter("key", "team")}})
	if err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Value) != "docs" || tags.Tags[0].ResourceType != ec2types.ResourceTypeVolume {
		t.Fatalf("DescribeTags: %+v %v", tags, err)
	}
	// A value that does not match keeps the tag; no value removes it.
	if _, err := client.DeleteTags(c, &ec2.DeleteTagsInput{Resources: []string{dataID},
		Tags: []ec2types.Tag{ec2Tag("team", "someone-else"), {Key: aws.String("Name")}}}); err != nil {
		t.Fatal(err)
	}
	got, err := client.DescribeVolumes(c, &ec2.DescribeVolumesInput{VolumeIds: []string{dataID}})
	if err != nil || len(got.Volumes) != 1 || len(got.Volumes[0].Tags) != 1 || aws.ToString(got.Volumes[0].Tags[0].Key) != "team" {
		t.Fatalf("after DeleteTags: %+v %v", got, err)
	}

	var api smithy.APIError
	_, err = client.CreateTags(c, &ec2.CreateTagsInput{Resources: []string{"vol-0000000000000dead"}, Tags: []ec2types.Tag{ec2Tag("a", "b")}})
	if !errors.As(err, &api) || api.ErrorCode() != "InvalidVolume.NotFound" {
		t.Fatalf("tagging a missing volume: %v", err)
	}
	_, err = client.CreateTags(c, &ec2.CreateTagsInput{Resources: []string{dataID}, Tags: []ec2types.Tag{ec2Tag("aws:x", "b")}})
	if !errors.As(err, &api) || api.ErrorCode() != "InvalidParameterValue" {
		t.Fatalf("an aws: key: %v", err)
	}
	_, err = client.CreateVolume(c, &ec2.CreateVolumeInput{AvailabilityZone: aws.String("eu-central-1a"), Size: aws.Int32(1),
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeVolume, Tags: []ec2types.Tag{ec2Tag("", "x")}}}})
	if !errors.As(err, &api) || api.ErrorCode() != "InvalidParameterValue" {
		t.Fatalf("an empty tag key at creation: %v", err)
	}
	if ids := volumeIDs(t, client); strings.Count(ids, ",") != 1 {
		t.Fatalf("a refused CreateVolume left a volume: %s", ids)
	}
}

// TestEC2InstanceTags: RunInstances' tags and an Auto Scaling group's
// aws:autoscaling:groupName tag select instances by filter.
func TestEC2InstanceTags(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t, Options{})
	cfg := awsConfig(t, url, "us-east-2")
	client, asg := ec2.NewFromConfig(cfg), autoscaling.NewFromConfig(cfg)
	c := ctx(t)
	run, err := client.RunInstances(c, &ec2.RunInstancesInput{ImageId: aws.String("ami-0abc"), MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeInstance, Tags: []ec2types.Tag{ec2Tag("role", "bastion")}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := asg.CreateAutoScalingGroup(c, &autoscaling.CreateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String("web"), MinSize: aws.Int32(0), MaxSize: aws.Int32(4), DesiredCapacity: aws.Int32(2),
		LaunchTemplate:    &asgtypes.LaunchTemplateSpecification{LaunchTemplateName: aws.String("web")},
		AvailabilityZones: []string{"us-east-2a", "us-east-2b"}}); err != nil {
		t.Fatal(err)
	}
	count := func(fs ...ec2types.Filter) int {
		out, err := client.DescribeInstances(c, &ec2.DescribeInstancesInput{Filters: fs})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, r := range out.Reservations {
			n += len(r.Instances)
		}
		return n
	}
	if n := count(ec2Filter("tag:aws:autoscaling:groupName", "web")); n != 2 {
		t.Errorf("the group's instances by its tag: %d, want 2", n)
	}
	if n := count(ec2Filter("tag:role", "bastion")); n != 1 {
		t.Errorf("RunInstances' tagged instance: %d, want 1", n)
	}
	out, err := client.DescribeInstances(c, &ec2.DescribeInstancesInput{InstanceIds: []string{aws.ToString(run.Instances[0].InstanceId)}})
	if err != nil || len(out.Reservations[0].Instances[0].Tags) != 1 {
		t.Fatalf("instance tagSet: %+v %v", out, err)
	}
}
