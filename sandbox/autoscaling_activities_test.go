package sandbox

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	asgtypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
)

// TestASGScalingActivities: a group's launches and, after a scale-in,
// terminations are its activities, newest first, in progress until the
// instance is in service or gone; an unknown group is a ValidationError.
func TestASGScalingActivities(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{})
	client := autoscaling.NewFromConfig(awsConfig(t, url, "us-east-2"))
	createASG(t, client, "web", 0, 4, 2)
	out, err := client.DescribeScalingActivities(ctx(t), &autoscaling.DescribeScalingActivitiesInput{AutoScalingGroupName: aws.String("web")})
	if err != nil || len(out.Activities) != 2 || out.Activities[0].StatusCode != asgtypes.ScalingActivityStatusCodeInProgress ||
		!strings.HasPrefix(aws.ToString(out.Activities[0].Description), "Launching a new EC2 instance: i-") {
		t.Fatalf("activities: %+v %v", out, err)
	}
	if err := sb.Clock().Advance(asgLaunch); err != nil {
		t.Fatal(err)
	}
	if _, err := client.SetDesiredCapacity(ctx(t), &autoscaling.SetDesiredCapacityInput{AutoScalingGroupName: aws.String("web"), DesiredCapacity: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	out, err = client.DescribeScalingActivities(ctx(t), &autoscaling.DescribeScalingActivitiesInput{})
	if err != nil || len(out.Activities) != 3 || !strings.HasPrefix(aws.ToString(out.Activities[0].Description), "Terminating") ||
		out.Activities[1].StatusCode != asgtypes.ScalingActivityStatusCodeSuccessful || out.Activities[1].EndTime == nil {
		t.Fatalf("after a scale-in: %+v %v", out, err)
	}
	if _, err := client.DescribeScalingActivities(ctx(t), &autoscaling.DescribeScalingActivitiesInput{AutoScalingGroupName: aws.String("nope")}); apiCode(err) != "ValidationError" {
		t.Fatalf("an unknown group: %v", err)
	}
}
