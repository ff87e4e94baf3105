package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/arcregionswitch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"
)

// policyKey is the access key id the tests hold to a policy; awsConfig's
// AKIDSANDBOX stays an administrator.
const policyKey = "AKIDPOLICY"

// startWithPolicy serves a sandbox whose policyKey is held to the policy
// document, and returns it, its endpoint, and a configuration signing
// with policyKey in region.
func startWithPolicy(t *testing.T, doc, region string) (*Sandbox, string, aws.Config) {
	t.Helper()
	p, err := ParsePolicy([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	sb, endpoint := startSandbox(t, Options{})
	sb.SetPolicies(map[string]*Policy{policyKey: p})
	return sb, endpoint, keyConfig(t, endpoint, region, policyKey)
}

// keyConfig is awsConfig signing with another access key id.
func keyConfig(t *testing.T, endpoint, region, key string) aws.Config {
	cfg := awsConfig(t, endpoint, region)
	cfg.Credentials = credentials.NewStaticCredentialsProvider(key, "sandbox-secret", "")
	return cfg
}

// wantDenied checks that err is the AWS error code the SDK parsed, and
// that its message names the action and resource as AWS's does.
func wantDenied(t *testing.T, err error, code, action, resource string) {
	t.Helper()
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != code {
		t.Fatalf("want %s, got %v", code, err)
	}
	msg := apiErr.ErrorMessage()
	if !strings.Contains(msg, "is not authorized to perform: "+action+" on resource: "+resource+" ") {
		t.Errorf("message %q does not name %s on %s", msg, action, resource)
	}
}

func putParam(t *testing.T, c *ssm.Client, name string) error {
	_, err := c.PutParameter(context.Background(), &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String("v"), Type: "String"})
	return err
}

func getParam(c *ssm.Client, name string) error {
	_, err := c.GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String(name)})
	return err
}

// TestPolicyResourceScoping: a policy allowing GetParameter on one
// parameter allows that, denies another parameter and any action it does
// not name; the administrator key is not held to it; each denial is in
// the journal and at /_sandbox/denials.
func TestPolicyResourceScoping(t *testing.T) {
	t.Parallel()
	sb, endpoint, cfg := startWithPolicy(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow",
		"Action":"ssm:GetParameter","Resource":"arn:aws:ssm:*:123456789012:parameter/app/a"}}`, "us-east-1")
	admin := ssm.NewFromConfig(awsConfig(t, endpoint, "us-east-1"))
	for _, name := range []string{"/app/a", "/app/b"} {
		if err := putParam(t, admin, name); err != nil {
			t.Fatalf("admin PutParameter %s: %v", name, err)
		}
	}
	held := ssm.NewFromConfig(cfg)
	if err := getParam(held, "/app/a"); err != nil {
		t.Fatalf("allowed GetParameter: %v", err)
	}
	wantDenied(t, getParam(held, "/app/b"), "AccessDeniedException", "ssm:GetParameter",
		"arn:aws:ssm:us-east-1:123456789012:parameter/app/b")
	err := putParam(t, held, "/app/a")
	wantDenied(t, err, "AccessDeniedException", "ssm:PutParameter", "arn:aws:ssm:us-east-1:123456789012:parameter/app/a")
	if !strings.Contains(err.Error(), "because no identity-based policy allows the ssm:PutParameter action") {
		t.Errorf("implicit deny message: %v", err)
	}
	if err := getParam(admin, "/app/b"); err != nil {
		t.Errorf("the administrator key is held to the policy: %v", err)
	}

	resp, err := http.Get(endpoint + "/_sandbox/denials")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct {
		Total   int      `json:"total"`
		Denials []Denial `json:"denials"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if got.Total != 2 || len(got.Denials) != 2 || got.Denials[1].Action != "ssm:PutParameter" ||
		got.Denials[1].AccessKey != policyKey || got.Denials[1].Operation != "PutParameter" || got.Denials[1].Explicit {
		t.Errorf("denials: %+v", got)
	}
	entries, _ := sb.Journal().Entries()
	last := entries[len(entries)-2]
	if last.Status != http.StatusForbidden || last.Action != "ssm:PutParameter" || last.ErrorCode != "AccessDeniedException" {
		t.Errorf("journal entry of the denial: %+v", last)
	}
}

// TestPolicyExplicitDeny: a Deny wins over an Allow of everything.
func TestPolicyExplicitDeny(t *testing.T) {
	t.Parallel()
	_, _, cfg := startWithPolicy(t, `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"*","Resource":"*"},
		{"Sid":"NoProd","Effect":"Deny","Action":["ssm:Put*"],"Resource":"arn:aws:ssm:*:*:parameter/prod/*"}]}`, "us-east-1")
	c := ssm.NewFromConfig(cfg)
	if err := putParam(t, c, "/dev/x"); err != nil {
		t.Fatalf("allowed: %v", err)
	}
	err := putParam(t, c, "/prod/x")
	wantDenied(t, err, "AccessDeniedException", "ssm:PutParameter", "arn:aws:ssm:us-east-1:123456789012:parameter/prod/x")
	if !strings.Contains(err.Error(), "with an explicit deny in an identity-based policy") {
		t.Errorf("explicit deny message: %v", err)
	}
}

// TestPolicyWildcardActions: * and ? in actions, matched without regard
// to case; NotAction allows what it does not name.
func TestPolicyWildcardActions(t *testing.T) {
	t.Parallel()
	for _, action := range []string{`"ssm:Get*"`, `"SSM:getparameter"`, `"ssm:Ge?Parameter"`, `["sns:*","ssm:*"]`} {
		_, endpoint, cfg := startWithPolicy(t, `{"Statement":{"Effect":"Allow","Action":`+action+`,"Resource":"*"}}`, "us-east-1")
		if err := putParam(t, ssm.NewFromConfig(awsConfig(t, endpoint, "us-east-1")), "/p"); err != nil {
			t.Fatal(err)
		}
		if err := getParam(ssm.NewFromConfig(cfg), "/p"); err != nil {
			t.Errorf("Action %s: %v", action, err)
		}
	}
	_, _, cfg := startWithPolicy(t, `{"Statement":{"Effect":"Allow","NotAction":"ssm:PutParameter","Resource":"*"}}`, "us-east-1")
	c := ssm.NewFromConfig(cfg)
	wantDenied(t, putParam(t, c, "/q"), "AccessDeniedException", "ssm:PutParameter", "arn:aws:ssm:us-east-1:123456789012:parameter/q")
	if err := getParam(c, "/q"); err == nil || strings.Contains(err.Error(), "AccessDenied") {
		t.Errorf("NotAction denies GetParameter, or the parameter exists: %v", err)
	}
}

// TestPolicyRegionCondition: aws:RequestedRegion is the Region the
// request is signed for; Route 53 is asked in us-east-1.
func TestPolicyRegionCondition(t *testing.T) {
	t.Parallel()
	_, endpoint, cfg := startWithPolicy(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["ssm:*","route53:*"],"Resource":"*",
		"Condition":{"StringEquals":{"aws:RequestedRegion":["us-west-2","us-east-1"]},"StringNotLike":{"aws:RequestedRegion":"us-east-*"}}}}`, "us-west-2")
	if err := putParam(t, ssm.NewFromConfig(cfg), "/r"); err != nil {
		t.Fatalf("us-west-2: %v", err)
	}
	east := ssm.NewFromConfig(keyConfig(t, endpoint, "us-east-1", policyKey))
	wantDenied(t, putParam(t, east, "/r"), "AccessDeniedException", "ssm:PutParameter", "arn:aws:ssm:us-east-1:123456789012:parameter/r")
	_, err := route53.NewFromConfig(cfg).ListHostedZones(context.Background(), &route53.ListHostedZonesInput{})
	wantDenied(t, err, "AccessDenied", "route53:ListHostedZones", "*")
}

// TestPolicyPassRole: a request that hands a role to a service needs
// iam:PassRole on that role, with iam:PassedToService naming the service.
func TestPolicyPassRole(t *testing.T) {
	t.Parallel()
	const role = "arn:aws:iam::123456789012:role/fn"
	create := func(cfg aws.Config, name string) error {
		_, err := lambda.NewFromConfig(cfg).CreateFunction(context.Background(), &lambda.CreateFunctionInput{
			FunctionName: aws.String(name), Role: aws.String(role), Runtime: "python3.12", Handler: aws.String("h"),
			Code: &lambdatypes.FunctionCode{ZipFile: []byte("zip")}})
		return err
	}
	_, _, cfg := startWithPolicy(t, `{"Statement":{"Effect":"Allow","Action":"lambda:CreateFunction","Resource":"*"}}`, "us-east-1")
	wantDenied(t, create(cfg, "f"), "AccessDeniedException", "iam:PassRole", role)
	_, _, cfg = startWithPolicy(t, `{"Statement":[{"Effect":"Allow","Action":"lambda:CreateFunction","Resource":"*"},
		{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::*:role/fn",
		 "Condition":{"StringEquals":{"iam:PassedToService":"lambda.amazonaws.com"}}}]}`, "us-east-1")
	if err := create(cfg, "f"); err != nil {
		t.Fatalf("with iam:PassRole: %v", err)
	}
	_, _, cfg = startWithPolicy(t, `{"Statement":[{"Effect":"Allow","Action":"lambda:CreateFunction","Resource":"*"},
		{"Effect":"Allow","Action":"iam:PassRole","Resource":"*","Condition":{"StringEquals":{"iam:PassedToService":"ecs.amazonaws.com"}}}]}`, "us-east-1")
	wantDenied(t, create(cfg, "f"), "AccessDeniedException", "iam:PassRole", role)
}

// TestPolicyErrorShapes: a denial reaches each protocol's client as the
// code AWS answers it with.
func TestPolicyErrorShapes(t *testing.T) {
	t.Parallel()
	_, _, cfg := startWithPolicy(t, `{"Statement":{"Effect":"Deny","Action":"iam:*","Resource":"*"}}`, "us-east-1")
	ctx := context.Background()
	const acct = "123456789012"
	cases := []struct {
		protocol, code, action, resource string
		call                             func() error
	}{
		{"query", "AccessDenied", "rds:DescribeDBInstances", "arn:aws:rds:us-east-1:" + acct + ":db:orders", func() error {
			_, err := rds.NewFromConfig(cfg).DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String("Orders")})
			return err
		}},
		{"query (SNS)", "AuthorizationError", "sns:Publish", "arn:aws:sns:us-east-1:" + acct + ":alerts", func() error {
			_, err := sns.NewFromConfig(cfg).Publish(ctx, &sns.PublishInput{TopicArn: aws.String("arn:aws:sns:us-east-1:" + acct + ":alerts"), Message: aws.String("m")})
			return err
		}},
		{"json", "AccessDeniedException", "ssm:GetParameter", "arn:aws:ssm:us-east-1:" + acct + ":parameter/x", func() error {
			return getParam(ssm.NewFromConfig(cfg), "/x")
		}},
		{"rest-json", "AccessDeniedException", "lambda:GetFunctionConcurrency", "arn:aws:lambda:us-east-1:" + acct + ":function:f", func() error {
			_, err := lambda.NewFromConfig(cfg).GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: aws.String("f")})
			return err
		}},
		{"rest-xml", "AccessDenied", "route53:ListResourceRecordSets", "arn:aws:route53:::hostedzone/Z1", func() error {
			_, err := route53.NewFromConfig(cfg).ListResourceRecordSets(ctx, &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String("/hostedzone/Z1")})
			return err
		}},
		{"rest-xml (S3)", "AccessDenied", "s3:GetReplicationConfiguration", "arn:aws:s3:::assets", func() error {
			_, err := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }).GetBucketReplication(ctx, &s3.GetBucketReplicationInput{Bucket: aws.String("assets")})
			return err
		}},
		{"ec2", "UnauthorizedOperation", "ec2:DescribeInstances", "*", func() error {
			_, err := ec2.NewFromConfig(cfg).DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
			return err
		}},
		{"rpcv2cbor (CloudWatch)", "AccessDenied", "cloudwatch:DescribeAlarms", "arn:aws:cloudwatch:us-east-1:" + acct + ":alarm:a", func() error {
			_, err := cloudwatch.NewFromConfig(cfg).DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"a"}})
			return err
		}},
		{"rpcv2cbor", "AccessDeniedException", "arc-region-switch:GetPlanEvaluationStatus", "arn:aws:arc-region-switch::" + acct + ":plan/p:1", func() error {
			_, err := arcregionswitch.NewFromConfig(cfg).GetPlanEvaluationStatus(ctx, &arcregionswitch.GetPlanEvaluationStatusInput{PlanArn: aws.String("arn:aws:arc-region-switch::" + acct + ":plan/p:1")})
			return err
		}},
	}
	for _, tc := range cases {
		t.Run(tc.protocol, func(t *testing.T) { wantDenied(t, tc.call(), tc.code, tc.action, tc.resource) })
	}
}

// TestPolicyTagOnCreate: EC2 authorizes the tags a create gives as
// ec2:CreateTags on the new resource, with ec2:CreateAction.
func TestPolicyTagOnCreate(t *testing.T) {
	t.Parallel()
	create := func(cfg aws.Config) error {
		_, err := ec2.NewFromConfig(cfg).CreateVolume(context.Background(), &ec2.CreateVolumeInput{
			AvailabilityZone: aws.String("us-east-1a"), Size: aws.Int32(10),
			TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeVolume,
				Tags: []ec2types.Tag{{Key: aws.String("Name"), Value: aws.String("data")}}}}})
		return err
	}
	_, _, cfg := startWithPolicy(t, `{"Statement":{"Effect":"Allow","Action":"ec2:CreateVolume","Resource":"*"}}`, "us-east-1")
	wantDenied(t, create(cfg), "UnauthorizedOperation", "ec2:CreateTags", "arn:aws:ec2:us-east-1:123456789012:volume/*")
	_, _, cfg = startWithPolicy(t, `{"Statement":[{"Effect":"Allow","Action":"ec2:CreateVolume","Resource":"*"},
		{"Effect":"Allow","Action":"ec2:CreateTags","Resource":"arn:aws:ec2:*:*:volume/*","Condition":{"StringEquals":{"ec2:CreateAction":"CreateVolume"}}}]}`, "us-east-1")
	if err := create(cfg); err != nil {
		t.Fatalf("with ec2:CreateTags on create: %v", err)
	}
}
