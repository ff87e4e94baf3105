package sandbox

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/efs"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"
)

// TestNotSimulatedInTheClientsProtocol: a call to a service or operation
// the sandbox does not simulate is answered in the protocol its client
// speaks, so that the SDK decodes NotImplemented and its message, whatever
// the protocol: awsJson 1.0 and 1.1, rpcv2cbor, awsquery, ec2query,
// REST-JSON, REST-XML and S3's. An S3 subresource it does not simulate is
// not taken for the operation on the bucket or object it names.
func TestNotSimulatedInTheClientsProtocol(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t, Options{})
	cfg := awsConfig(t, url, "us-east-1")
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := s3c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String("logs")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s3c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("logs"), Key: aws.String("a"), Body: strings.NewReader("kept")}); err != nil {
		t.Fatal(err)
	}
	calls := map[string]func(context.Context) error{
		"kinesis ListStreams (awsJson 1.1, unknown service)": func(c context.Context) error {
			_, err := kinesis.NewFromConfig(cfg).ListStreams(c, &kinesis.ListStreamsInput{})
			return err
		},
		"sqs ListQueues (awsJson 1.0, unknown service)": func(c context.Context) error {
			_, err := sqs.NewFromConfig(cfg).ListQueues(c, &sqs.ListQueuesInput{})
			return err
		},
		"efs DescribeFileSystems (REST-JSON, unknown service)": func(c context.Context) error {
			_, err := efs.NewFromConfig(cfg).DescribeFileSystems(c, &efs.DescribeFileSystemsInput{})
			return err
		},
		"cloudfront ListDistributions (REST-XML, unknown service)": func(c context.Context) error {
			_, err := cloudfront.NewFromConfig(cfg).ListDistributions(c, &cloudfront.ListDistributionsInput{})
			return err
		},
		"dynamodb ListBackups (awsJson 1.0)": func(c context.Context) error {
			_, err := dynamodb.NewFromConfig(cfg).ListBackups(c, &dynamodb.ListBackupsInput{})
			return err
		},
		"monitoring ListDashboards (rpcv2cbor)": func(c context.Context) error {
			_, err := cloudwatch.NewFromConfig(cfg).ListDashboards(c, &cloudwatch.ListDashboardsInput{})
			return err
		},
		"rds DescribeEventSubscriptions (awsquery)": func(c context.Context) error {
			_, err := rds.NewFromConfig(cfg).DescribeEventSubscriptions(c, &rds.DescribeEventSubscriptionsInput{})
			return err
		},
		"ec2 DescribeKeyPairs (ec2query)": func(c context.Context) error {
			_, err := ec2.NewFromConfig(cfg).DescribeKeyPairs(c, &ec2.DescribeKeyPairsInput{})
			return err
		},
		"route53 GetHostedZoneCount (REST-XML)": func(c context.Context) error {
			_, err := route53.NewFromConfig(cfg).GetHostedZoneCount(c, &route53.GetHostedZoneCountInput{})
			return err
		},
		"s3 GetBucketTagging (S3)": func(c context.Context) error {
			_, err := s3c.GetBucketTagging(c, &s3.GetBucketTaggingInput{Bucket: aws.String("logs")})
			return err
		},
		"s3 PutObjectTagging (S3)": func(c context.Context) error {
			_, err := s3c.PutObjectTagging(c, &s3.PutObjectTaggingInput{Bucket: aws.String("logs"), Key: aws.String("a"),
				Tagging: &s3types.Tagging{TagSet: []s3types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}})
			return err
		},
	}
	for name, call := range calls {
		err := call(ctx(t))
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "NotImplemented" || !strings.Contains(ae.ErrorMessage(), "drpilot's sandbox does not simulate") {
			t.Errorf("%s: %v", name, err)
		}
	}
	got, err := s3c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("logs"), Key: aws.String("a")})
	if err != nil || aws.ToInt64(got.ContentLength) != 4 {
		t.Fatalf("the object after a tagging call: %v", err)
	}
}
