package sandbox

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestParsePolicyRefuses: what IAM refuses in an identity-based policy,
// and operators the sandbox does not evaluate, are refused with what is
// wrong and where.
func TestParsePolicyRefuses(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		`[]`:                       "not a JSON policy document",
		`{"Statement":[]} {}`:      "text after the document",
		`{"Version":"2012-10-17"}`: "no Statement",
		`{"Version":"2020-01-01","Statement":[]}`: `Version must be "2012-10-17"`,
		`{"Statment":[]}`:                         `unknown element "Statment"`,
		`{"Statement":"x"}`:                       "Statement must be an object",
		`{"Statement":[1]}`:                       "Statement[0] is not an object",
		`{"Statement":{"Effect":"allow","Action":"*","Resource":"*"}}`:                                                         `Statement[0]: Effect must be "Allow" or "Deny", not "allow"`,
		`{"Statement":{"Effect":"Allow","Resource":"*"}}`:                                                                      "Statement[0]: needs Action or NotAction",
		`{"Statement":{"Effect":"Allow","Action":"*","NotAction":"s3:*","Resource":"*"}}`:                                      "has both Action and NotAction",
		`{"Statement":{"Effect":"Allow","Action":"*"}}`:                                                                        "needs Resource or NotResource",
		`{"Statement":{"Effect":"Allow","Action":"GetParameter","Resource":"*"}}`:                                              `Action "GetParameter"`,
		`{"Statement":{"Effect":"Allow","Action":"*:Get","Resource":"*"}}`:                                                     `Action "*:Get"`,
		`{"Statement":{"Effect":"Allow","Action":[],"Resource":"*"}}`:                                                          "Action must be a string or a non-empty array",
		`{"Statement":{"Effect":"Allow","Action":"*","Resource":"orders"}}`:                                                    `Resource "orders"`,
		`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Principal":"*"}}`:                                         "names no principal",
		`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Sid":1}}`:                                                 "Sid must be a string",
		`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":[]}}`:                                          "Condition must be an object",
		`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateLessThan":{}}}}`:                         `operator "DateLessThan"`,
		`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NullIfExists":{"a":"true"}}}}`:               `operator "NullIfExists"`,
		`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForAnyValue:StringLike":{"a":"b"}}}}`:        `operator "ForAnyValue:StringLike"`,
		`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":{}}}}}`: `"aws:RequestedRegion": its value`,
	}
	for doc, want := range cases {
		if _, err := ParsePolicy([]byte(doc)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: want an error with %q, got %v", doc, want, err)
		}
	}
	path := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(path, []byte(`{"Statement":{"Effect":"Allow"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadPolicy(path); err == nil || !strings.HasPrefix(err.Error(), path+": Statement[0]") {
		t.Errorf("LoadPolicy names the file and the statement: %v", err)
	}
}

// TestPolicyEvaluate: IAM's evaluation of one identity-based policy:
// explicit Deny, then Allow, else implicit deny; resources matched with
// wildcards and case; conditions with absent keys, IfExists and
// variables.
func TestPolicyEvaluate(t *testing.T) {
	t.Parallel()
	p, err := ParsePolicy([]byte(`{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"rds:Describe*","Resource":"arn:aws:rds:*:*:db:orders-?"},
		{"Effect":"Allow","Action":"rds:CreateDBSnapshot","NotResource":"arn:aws:rds:*:*:db:prod*"},
		{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"arn:aws:ssm:${aws:RequestedRegion}:*:parameter/${*}"},
		{"Effect":"Allow","Action":"sns:Publish","Resource":"*","Condition":{"StringEqualsIfExists":{"sns:Protocol":"email"},
			"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/*"},"Bool":{"aws:SecureTransport":"false"},"Null":{"sns:Protocol":true}}},
		{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringNotEquals":{"s3:prefix":"x"}}},
		{"Effect":"Deny","Action":"rds:DescribeDBInstances","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":"eu-west-1"}}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	ctx := map[string]string{"aws:requestedregion": "us-east-1", "aws:principalarn": "arn:aws:iam::1:user/u", "aws:securetransport": "false"}
	eu := map[string]string{"aws:requestedregion": "eu-west-1"}
	cases := []struct {
		action, resource string
		ctx              map[string]string
		want             decision
	}{
		{"rds:DescribeDBInstances", "arn:aws:rds:us-east-1:1:db:orders-1", ctx, allowed},
		{"RDS:describedbinstances", "arn:aws:rds:us-east-1:1:db:orders-1", ctx, allowed},
		{"rds:DescribeDBInstances", "arn:aws:rds:us-east-1:1:db:orders-12", ctx, implicitDeny},
		{"rds:DescribeDBInstances", "arn:aws:rds:us-east-1:1:db:Orders-1", ctx, implicitDeny},
		{"rds:DescribeDBInstances", "arn:aws:rds:eu-west-1:1:db:orders-1", eu, explicitDeny},
		{"rds:CreateDBSnapshot", "arn:aws:rds:us-east-1:1:db:staging", ctx, allowed},
		{"rds:CreateDBSnapshot", "arn:aws:rds:us-east-1:1:db:prod-a", ctx, implicitDeny},
		{"ssm:GetParameter", "arn:aws:ssm:us-east-1:1:parameter/*", ctx, allowed},
		{"ssm:GetParameter", "arn:aws:ssm:us-east-1:1:parameter/a", ctx, implicitDeny},
		{"ssm:GetParameter", "arn:aws:ssm:eu-west-1:1:parameter/*", ctx, implicitDeny},
		{"sns:Publish", "arn:aws:sns:us-east-1:1:t", ctx, allowed},
		{"sns:Publish", "arn:aws:sns:us-east-1:1:t", eu, implicitDeny},
		{"s3:GetObject", "arn:aws:s3:::b/k", ctx, allowed},
	}
	for _, tc := range cases {
		if got := p.evaluate(tc.action, tc.resource, tc.ctx); got != tc.want {
			t.Errorf("%s on %s in %v: %v, want %v", tc.action, tc.resource, tc.ctx, got, tc.want)
		}
	}
}

// TestPolicyChecks: the actions and resources each kind of request is
// authorized for, as the Service Authorization Reference has them.
func TestPolicyChecks(t *testing.T) {
	t.Parallel()
	sb := New(Options{})
	const a = "123456789012"
	cases := []struct {
		service, op string
		input       map[string]any
		want        []string // "action on resource"
	}{
		{"rds", "RestoreDBInstanceToPointInTime", map[string]any{"SourceDBInstanceIdentifier": "Orders", "TargetDBInstanceIdentifier": "orders-pitr", "Tags": map[string]any{"member": []any{map[string]any{"Key": "k"}}}},
			[]string{"rds:RestoreDBInstanceToPointInTime on arn:aws:rds:us-east-1:" + a + ":db:orders-pitr", "rds:RestoreDBInstanceToPointInTime on arn:aws:rds:us-east-1:" + a + ":db:orders",
				"rds:AddTagsToResource on arn:aws:rds:us-east-1:" + a + ":db:orders-pitr"}},
		{"rds", "DescribeDBInstances", map[string]any{}, []string{"rds:DescribeDBInstances on arn:aws:rds:us-east-1:" + a + ":db:*"}},
		{"rds", "FailoverGlobalCluster", map[string]any{"GlobalClusterIdentifier": "g", "TargetDbClusterIdentifier": "arn:aws:rds:us-west-2:" + a + ":cluster:c"},
			[]string{"rds:FailoverGlobalCluster on arn:aws:rds::" + a + ":global-cluster:g", "rds:FailoverGlobalCluster on arn:aws:rds:us-west-2:" + a + ":cluster:c"}},
		{"route53", "ChangeResourceRecordSets", map[string]any{"HostedZoneId": "/hostedzone/Z1"}, []string{"route53:ChangeResourceRecordSets on arn:aws:route53:::hostedzone/Z1"}},
		{"s3", "HeadObject", map[string]any{"Bucket": "b", "Key": "k/1"}, []string{"s3:GetObject on arn:aws:s3:::b/k/1"}},
		{"s3", "PutBucketReplication", map[string]any{"Bucket": "b", "ReplicationConfiguration": map[string]any{"Role": "arn:aws:iam::" + a + ":role/r"}},
			[]string{"s3:PutReplicationConfiguration on arn:aws:s3:::b", "iam:PassRole on arn:aws:iam::" + a + ":role/r"}},
		{"monitoring", "PutMetricAlarm", map[string]any{"AlarmName": "lag"}, []string{"cloudwatch:PutMetricAlarm on arn:aws:cloudwatch:us-east-1:" + a + ":alarm:lag"}},
		{"monitoring", "GetMetricStatistics", map[string]any{}, []string{"cloudwatch:GetMetricStatistics on *"}},
		{"ses", "SendEmail", map[string]any{"FromEmailAddress": "Ops <ops@example.com>"}, []string{"ses:SendEmail on arn:aws:ses:us-east-1:" + a + ":identity/example.com"}},
		{"dynamodb", "RestoreTableToPointInTime", map[string]any{"SourceTableName": "t", "TargetTableName": "u"},
			append([]string{"dynamodb:RestoreTableToPointInTime on arn:aws:dynamodb:us-east-1:" + a + ":table/t"}, func() []string {
				var w []string
				for _, action := range dynamoRestoreWrites {
					w = append(w, action+" on arn:aws:dynamodb:us-east-1:"+a+":table/u")
				}
				return w
			}()...)},
		{"backup", "StartRestoreJob", map[string]any{"RecoveryPointArn": "arn:aws:rds:us-east-1:" + a + ":snapshot:awsbackup:job-1", "IamRoleArn": "arn:aws:iam::" + a + ":role/b"},
			[]string{"backup:StartRestoreJob on arn:aws:rds:us-east-1:" + a + ":snapshot:awsbackup:job-1", "iam:PassRole on arn:aws:iam::" + a + ":role/b"}},
		{"ecs", "UpdateService", map[string]any{"cluster": "arn:aws:ecs:us-east-1:" + a + ":cluster/web", "service": "api"}, []string{"ecs:UpdateService on arn:aws:ecs:us-east-1:" + a + ":service/web/api"}},
		{"ec2", "CreateVolume", map[string]any{"SnapshotId": "snap-1", "TagSpecification": map[string]any{"item": []any{map[string]any{"ResourceType": "volume"}}}},
			[]string{"ec2:CreateVolume on arn:aws:ec2:us-east-1:" + a + ":volume/*", "ec2:CreateVolume on arn:aws:ec2:us-east-1::snapshot/snap-1", "ec2:CreateTags on arn:aws:ec2:us-east-1:" + a + ":volume/*"}},
		{"ecs", "CreateService", map[string]any{"cluster": "web", "serviceName": "api", "role": "arn:aws:iam::" + a + ":role/ecs", "tags": []any{map[string]any{"key": "k"}}},
			[]string{"ecs:CreateService on arn:aws:ecs:us-east-1:" + a + ":service/web/api", "ecs:TagResource on arn:aws:ecs:us-east-1:" + a + ":service/web/api", "iam:PassRole on arn:aws:iam::" + a + ":role/ecs"}},
		{"lambda", "CreateFunction", map[string]any{"FunctionName": "f", "Role": "arn:aws:iam::" + a + ":role/l", "Tags": map[string]any{"k": "v"}},
			[]string{"lambda:CreateFunction on arn:aws:lambda:us-east-1:" + a + ":function:f", "lambda:TagResource on arn:aws:lambda:us-east-1:" + a + ":function:f", "iam:PassRole on arn:aws:iam::" + a + ":role/l"}},
		{"ssm", "GetParameter", map[string]any{"Name": "/app/db:3"}, []string{"ssm:GetParameter on arn:aws:ssm:us-east-1:" + a + ":parameter/app/db"}},
		{"events", "DisableRule", map[string]any{"Name": "sync"}, []string{"events:DisableRule on arn:aws:events:us-east-1:" + a + ":rule/sync"}},
		{"autoscaling", "SetDesiredCapacity", map[string]any{"AutoScalingGroupName": "web"},
			[]string{"autoscaling:SetDesiredCapacity on arn:aws:autoscaling:us-east-1:" + a + ":autoScalingGroup:" + asgUUID("us-east-1", "web") + ":autoScalingGroupName/web"}},
	}
	for _, tc := range cases {
		var got []string
		for _, ch := range sb.checks(sb.svcs[tc.service], &call{sb: sb, region: "us-east-1", service: tc.service, op: tc.op, input: tc.input}) {
			got = append(got, ch.action+" on "+ch.resource)
		}
		if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
			t.Errorf("%s %s:\n got %q\nwant %q", tc.service, tc.op, got, tc.want)
		}
	}
	// Every operation is authorized for its service's actions on "*" or
	// an ARN, whatever its input lacks.
	for _, op := range sb.Operations() {
		for _, ch := range sb.checks(sb.svcs[op.Service], &call{sb: sb, region: "us-east-1", service: op.Service, op: op.Name, input: map[string]any{}}) {
			if !strings.Contains(ch.action, ":") || ch.resource != "*" && !strings.HasPrefix(ch.resource, "arn:aws:") {
				t.Errorf("%s %s: %q on %q", op.Service, op.Name, ch.action, ch.resource)
			}
		}
	}
}

// TestPolicyAWSCLI: a call the policy denies fails in the AWS CLI with
// AccessDenied, as it does against AWS.
func TestPolicyAWSCLI(t *testing.T) {
	t.Parallel()
	awsCLI, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("the AWS CLI (aws) is not installed: the SDK tests cover the error shapes")
	}
	p, err := ParsePolicy([]byte(`{"Statement":{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"*"}}`))
	if err != nil {
		t.Fatal(err)
	}
	sb := New(Options{})
	sb.SetPolicies(map[string]*Policy{policyKey: p})
	srv := httptest.NewServer(sb)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, awsCLI, "rds", "describe-db-instances", "--region", "us-east-1", "--endpoint-url", srv.URL)
	// The CLI gets none of the user's AWS settings: only the key the
	// policy holds, and the CA bundle, which it needs when one is set.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") || strings.HasPrefix(kv, "AWS_CA_BUNDLE=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "AWS_ACCESS_KEY_ID="+policyKey, "AWS_SECRET_ACCESS_KEY=x", "AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_MAX_ATTEMPTS=1", "AWS_PAGER=")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err == nil {
		t.Fatal("aws rds describe-db-instances succeeded under a policy that allows ssm:GetParameter only")
	}
	if out := stderr.String(); !strings.Contains(out, "AccessDenied") || !strings.Contains(out, "rds:DescribeDBInstances") {
		t.Errorf("aws printed: %s", out)
	}
	if _, total := sb.Denials(); total == 0 {
		t.Error("the denial is not recorded")
	}
	resp, err := http.Get(srv.URL + "/_sandbox/denials")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /_sandbox/denials: %v %v", resp, err)
	}
	resp.Body.Close()
}

// FuzzParsePolicy: any document either parses or is refused, and a parsed
// one evaluates any request, without a panic.
func FuzzParsePolicy(f *testing.F) {
	for _, seed := range []string{
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ssm:Get*","Resource":"arn:aws:ssm:${aws:RequestedRegion}:*:parameter/${*}${?}${$}${"}}`,
		`{"Statement":[{"Effect":"Deny","NotAction":["a:?*"],"NotResource":"*","Condition":{"StringNotLikeIfExists":{"aws:RequestedRegion":["us-*",true,3]},"Null":{"x":"false"},"ArnNotEquals":{"aws:PrincipalArn":"arn:*"}}}]}`,
		`{"Statement":[]}`, `{}`, `null`, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":false}}}}`,
	} {
		f.Add(seed, "ssm:GetParameter", "arn:aws:ssm:us-east-1:1:parameter/a")
	}
	f.Fuzz(func(t *testing.T, doc, action, resource string) {
		p, err := ParsePolicy([]byte(doc))
		if err != nil {
			if p != nil {
				t.Fatal("a refused policy is returned")
			}
			return
		}
		ctx := map[string]string{"aws:requestedregion": "us-east-1", "aws:principalarn": "arn:aws:iam::1:user/u"}
		_ = p.evaluate(action, resource, ctx)
	})
}
