package sandbox

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/rds"
)

// TestCredentialScopeRegion sends requests whose credential scope names
// something that is not a Region: each is refused with the service's
// protocol's signature error, and no state is made under the name; real
// Region names are served.
func TestCredentialScopeRegion(t *testing.T) {
	_, url := startSandbox(t, Options{TimeScale: 1})
	long := strings.Repeat("a", 60<<10)
	refused := []struct{ name, authorization, query, target, body, code string }{
		{"60 KB", signedFor(long, "dynamodb"), "", "DynamoDB_20120810.CreateTable", `{"TableName":"t"}`, "InvalidSignatureException"},
		{"no digit", signedFor("bogus", "dynamodb"), "", "DynamoDB_20120810.CreateTable", `{"TableName":"t"}`, "InvalidSignatureException"},
		{"trailing hyphen", signedFor("us-east-1-", "rds"), "", "", "Action=DescribeDBInstances&Version=2014-10-31", "SignatureDoesNotMatch"},
		{"presigned dots", "", "X-Amz-Credential=AKID%2F20261121%2F..%5Cx%2Fsts%2Faws4_request", "", "Action=GetCallerIdentity&Version=2011-06-15", "SignatureDoesNotMatch"},
		{"presigned upper case", "", "X-Amz-Credential=AKID%2F20261121%2FUS-EAST-1%2Fsts%2Faws4_request", "", "Action=GetCallerIdentity&Version=2011-06-15", "SignatureDoesNotMatch"},
	}
	for _, c := range refused {
		req, _ := http.NewRequest(http.MethodPost, url+"/?"+c.query, strings.NewReader(c.body))
		if c.authorization != "" {
			req.Header.Set("Authorization", c.authorization)
		}
		if c.target != "" {
			req.Header.Set("X-Amz-Target", c.target)
			req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		} else {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		answer, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(answer), c.code) || len(answer) > 4096 {
			t.Errorf("%s: status %d, %.300s; want 403 %s", c.name, resp.StatusCode, answer, c.code)
		}
	}
	for key := range getSandboxState(t, url) {
		if strings.Contains(key, "aaaa") || strings.Contains(key, "bogus") {
			t.Errorf("the sandbox made state under %.80q", key)
		}
	}
	for _, region := range []string{"us-east-1", "eu-central-2", "ap-southeast-4", "us-gov-west-1", "cn-north-1", "il-central-1", "mx-central-1"} {
		_, err := dynamodb.NewFromConfig(awsConfig(t, url, region)).DescribeTable(ctx(t), &dynamodb.DescribeTableInput{TableName: strPtr("missing")})
		if code := apiCode(err); code != "ResourceNotFoundException" {
			t.Errorf("%s: %v; want ResourceNotFoundException", region, err)
		}
	}
}

// TestCredentialScopeRegionThroughTheSDK signs for bogus Regions with the
// real SDK: the sandbox answers each protocol's signature error.
func TestCredentialScopeRegionThroughTheSDK(t *testing.T) {
	_, url := startSandbox(t, Options{TimeScale: 1})
	for _, region := range []string{"bogus", "us-east-1a", "localhost"} {
		cfg := awsConfig(t, url, region)
		_, err := dynamodb.NewFromConfig(cfg).DescribeTable(ctx(t), &dynamodb.DescribeTableInput{TableName: strPtr("t")})
		if code := apiCode(err); code != "InvalidSignatureException" {
			t.Errorf("dynamodb in %.20s: %v; want InvalidSignatureException", region, err)
		}
		_, err = rds.NewFromConfig(cfg).DescribeDBInstances(ctx(t), &rds.DescribeDBInstancesInput{})
		if code := apiCode(err); code != "SignatureDoesNotMatch" {
			t.Errorf("rds in %.20s: %v; want SignatureDoesNotMatch", region, err)
		}
	}
}

func strPtr(s string) *string { return &s }
