package sandbox

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// sessionConfig signs with the credentials AssumeRole returned.
func sessionConfig(t *testing.T, url, region string, out *sts.AssumeRoleOutput) aws.Config {
	cfg := awsConfig(t, url, region)
	c := out.Credentials
	cfg.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
	return cfg
}

// TestSTSAssumeRoleCrossAccount: a runbook assumes a role in the
// recovery account; calls signed with the credentials come from the
// assumed role until they expire, then fail with ExpiredToken. Bad input
// is a ValidationError that says what is wrong.
func TestSTSAssumeRoleCrossAccount(t *testing.T) {
	t.Parallel()
	sb, url := startSandbox(t, Options{})
	client := sts.NewFromConfig(awsConfig(t, url, "us-east-1"))
	out, err := client.AssumeRole(ctx(t), &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::210987654321:role/dr/dr-operator"),
		RoleSessionName: aws.String("game-day"), DurationSeconds: aws.Int32(900)})
	if err != nil || out.Credentials == nil || aws.ToString(out.AssumedRoleUser.Arn) != "arn:aws:sts::210987654321:assumed-role/dr-operator/game-day" ||
		out.Credentials.Expiration.Sub(sb.Clock().Now()).Round(time.Minute) != 15*time.Minute {
		t.Fatalf("assume: %+v %v", out, err)
	}
	who, err := sts.NewFromConfig(sessionConfig(t, url, "eu-west-1", out)).GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(who.Account) != "210987654321" || aws.ToString(who.Arn) != aws.ToString(out.AssumedRoleUser.Arn) {
		t.Fatalf("caller: %+v %v", who, err)
	}
	me, err := client.GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(me.Account) != DefaultAccount {
		t.Fatalf("the long-term key's caller: %+v %v", me, err)
	}
	if err := sb.Clock().Advance(16 * time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := sts.NewFromConfig(sessionConfig(t, url, "eu-west-1", out)).GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{}); apiCode(err) != "ExpiredToken" {
		t.Fatalf("expired credentials: %v", err)
	}
	for _, in := range []*sts.AssumeRoleInput{
		{RoleArn: aws.String("arn:aws:iam::210987654321:user/bob"), RoleSessionName: aws.String("x1")},
		{RoleArn: aws.String("arn:aws:iam::210987654321:role/r"), RoleSessionName: aws.String("has space")},
		{RoleArn: aws.String("arn:aws:iam::210987654321:role/r"), RoleSessionName: aws.String("ok"), DurationSeconds: aws.Int32(60)},
	} {
		if _, err := client.AssumeRole(ctx(t), in); apiCode(err) != "ValidationError" {
			t.Errorf("%+v: %v", in, err)
		}
	}
}

// TestSTSSessionKeepsCallerPolicy: a key held to a policy cannot escape
// it by assuming a role: the session is held to the same policy.
func TestSTSSessionKeepsCallerPolicy(t *testing.T) {
	t.Parallel()
	_, url, cfg := startWithPolicy(t, `{"Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}}`, "us-east-1")
	out, err := sts.NewFromConfig(cfg).AssumeRole(ctx(t), &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/admin"),
		RoleSessionName: aws.String("escape")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = rds.NewFromConfig(sessionConfig(t, url, "us-east-1", out)).DescribeDBInstances(ctx(t), &rds.DescribeDBInstancesInput{})
	if apiCode(err) != "AccessDenied" {
		t.Fatalf("the session's call outside the policy: %v", err)
	}
}

// TestSTSAssumeRoleOnlyTheRolesAllowed: a policy that allows assuming
// one role denies assuming another, naming the role.
func TestSTSAssumeRoleOnlyTheRolesAllowed(t *testing.T) {
	t.Parallel()
	_, _, cfg := startWithPolicy(t, `{"Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::210987654321:role/dr-operator"}}`, "us-east-1")
	client := sts.NewFromConfig(cfg)
	if _, err := client.AssumeRole(ctx(t), &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::210987654321:role/dr-operator"), RoleSessionName: aws.String("ok")}); err != nil {
		t.Fatal(err)
	}
	_, err := client.AssumeRole(ctx(t), &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::210987654321:role/admin"), RoleSessionName: aws.String("no")})
	wantDenied(t, err, "AccessDenied", "sts:AssumeRole", "arn:aws:iam::210987654321:role/admin")
}
