package sandbox

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"
)

const simulatedPolicy = `{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "Action": ["ssm:GetParameter", "ssm:PutParameter"],
   "Resource": "arn:aws:ssm:*:123456789012:parameter/shop/*",
   "Condition": {"StringEquals": {"aws:RequestedRegion": "us-west-2"}}},
  {"Effect": "Deny", "Action": "ssm:PutParameter", "Resource": "arn:aws:ssm:*:123456789012:parameter/shop/locked"},
  {"Effect": "Allow", "Action": "iam:SimulatePrincipalPolicy", "Resource": "*"}]}`

func simulate(c *iam.Client, in *iam.SimulatePrincipalPolicyInput) (map[string]string, error) {
	if in.PolicySourceArn == nil {
		in.PolicySourceArn = aws.String("arn:aws:iam::123456789012:user/drpilot-sandbox")
	}
	got := map[string]string{}
	p := iam.NewSimulatePrincipalPolicyPaginator(c, in)
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			return nil, err
		}
		for _, r := range out.EvaluationResults {
			d := string(r.EvalDecision)
			if len(r.MissingContextValues) > 0 {
				d += " missing " + strings.Join(r.MissingContextValues, ",")
			}
			got[aws.ToString(r.EvalActionName)+" "+aws.ToString(r.EvalResourceName)] = d
		}
	}
	return got, nil
}

// TestSimulatePrincipalPolicySDK: the real IAM client's simulation of the
// signing key's policy gives each action on each resource the decision
// the same policy then gives the requests themselves: allowed, an explicit
// deny winning, implicitly denied outside the resources or without the
// Region its condition needs (reported missing); pages follow the marker.
func TestSimulatePrincipalPolicySDK(t *testing.T) {
	t.Parallel()
	_, _, cfg := startWithPolicy(t, simulatedPolicy, "us-west-2")
	c := iam.NewFromConfig(cfg)
	shop := "arn:aws:ssm:us-west-2:123456789012:parameter/shop/"
	in := &iam.SimulatePrincipalPolicyInput{
		ActionNames:    []string{"ssm:GetParameter", "ssm:PutParameter", "ssm:DeleteParameter"},
		ResourceArns:   []string{shop + "mode", shop + "locked", "arn:aws:ssm:us-west-2:123456789012:parameter/other"},
		ContextEntries: []iamtypes.ContextEntry{{ContextKeyName: aws.String("aws:RequestedRegion"), ContextKeyValues: []string{"us-west-2"}, ContextKeyType: iamtypes.ContextKeyTypeEnumString}},
		MaxItems:       aws.Int32(2),
	}
	got, err := simulate(c, in)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"ssm:GetParameter " + shop + "mode":                                      "allowed",
		"ssm:GetParameter " + shop + "locked":                                    "allowed",
		"ssm:GetParameter arn:aws:ssm:us-west-2:123456789012:parameter/other":    "implicitDeny",
		"ssm:PutParameter " + shop + "mode":                                      "allowed",
		"ssm:PutParameter " + shop + "locked":                                    "explicitDeny",
		"ssm:PutParameter arn:aws:ssm:us-west-2:123456789012:parameter/other":    "implicitDeny",
		"ssm:DeleteParameter " + shop + "mode":                                   "implicitDeny",
		"ssm:DeleteParameter " + shop + "locked":                                 "implicitDeny",
		"ssm:DeleteParameter arn:aws:ssm:us-west-2:123456789012:parameter/other": "implicitDeny",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("simulated\n%v\nwant\n%v", got, want)
	}
	// The requests themselves get what the simulation said.
	params := ssm.NewFromConfig(cfg)
	if err := putParam(t, params, "/shop/mode"); err != nil {
		t.Errorf("allowed put: %v", err)
	}
	wantDenied(t, putParam(t, params, "/shop/locked"), "AccessDeniedException", "ssm:PutParameter", shop+"locked")

	// Without the Region the condition reads, IAM's simulator denies and
	// says which context value was missing.
	in.ContextEntries, in.MaxItems, in.ResourceArns = nil, nil, []string{shop + "mode"}
	in.ActionNames = []string{"ssm:GetParameter"}
	if got, err := simulate(c, in); err != nil || got["ssm:GetParameter "+shop+"mode"] != "implicitDeny missing aws:RequestedRegion" {
		t.Errorf("no Region: %v, %v", got, err)
	}

	// No ResourceArns is "*".
	in.ResourceArns, in.ActionNames = nil, []string{"iam:SimulatePrincipalPolicy"}
	if got, err := simulate(c, in); err != nil || got["iam:SimulatePrincipalPolicy *"] != "allowed" {
		t.Errorf("on *: %v, %v", got, err)
	}
}

// TestSimulatePrincipalPolicyRefusals: an administrator key (held to no
// policy), another principal, a bad action, and a key whose policy does
// not allow the simulator each get IAM's error, through the SDK.
func TestSimulatePrincipalPolicyRefusals(t *testing.T) {
	t.Parallel()
	_, endpoint, cfg := startWithPolicy(t, `{"Version": "2012-10-17", "Statement": [
	  {"Effect": "Allow", "Action": "iam:SimulatePrincipalPolicy", "Resource": "arn:aws:iam::123456789012:user/drpilot-sandbox"}]}`, "us-east-1")
	code := func(err error) string {
		var api smithy.APIError
		if errors.As(err, &api) {
			return api.ErrorCode() + ": " + api.ErrorMessage()
		}
		return fmt.Sprint(err)
	}
	admin := iam.NewFromConfig(awsConfig(t, endpoint, "us-east-1"))
	if _, err := simulate(admin, &iam.SimulatePrincipalPolicyInput{ActionNames: []string{"s3:GetObject"}}); !strings.HasPrefix(code(err), "NoSuchEntity: access key id AKIDSANDBOX is held to no IAM policy") {
		t.Errorf("administrator: %s", code(err))
	}
	held := iam.NewFromConfig(cfg)
	for _, tc := range []struct {
		in   *iam.SimulatePrincipalPolicyInput
		want string
	}{
		{&iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String("arn:aws:iam::123456789012:role/other"), ActionNames: []string{"s3:GetObject"}}, "AccessDenied: User: arn:aws:iam::123456789012:user/drpilot-sandbox is not authorized to perform: iam:SimulatePrincipalPolicy on resource: arn:aws:iam::123456789012:role/other"},
		{&iam.SimulatePrincipalPolicyInput{ActionNames: []string{"GetObject"}}, `InvalidInput: ActionNames: "GetObject" is not an action`},
		{&iam.SimulatePrincipalPolicyInput{ActionNames: []string{"s3:GetObject"}, PolicyInputList: []string{"{}"}}, "InvalidInput: the sandbox does not simulate PolicyInputList"},
		{&iam.SimulatePrincipalPolicyInput{ActionNames: []string{"s3:GetObject"}, MaxItems: aws.Int32(5000)}, "ValidationError: 1 validation error detected"},
	} {
		if _, err := simulate(held, tc.in); !strings.HasPrefix(code(err), tc.want) {
			t.Errorf("%s: got %s, want %s", aws.ToString(tc.in.PolicySourceArn), code(err), tc.want)
		}
	}
	// A request with no ActionNames at all, as the query protocol sends it.
	req, _ := http.NewRequest("POST", endpoint+"/", strings.NewReader("Action=SimulatePrincipalPolicy&Version=2010-05-08&PolicySourceArn=arn:aws:iam::123456789012:user/drpilot-sandbox"))
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+policyKey+"/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=x")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("no ActionNames: HTTP %d", resp.StatusCode)
	}
}
