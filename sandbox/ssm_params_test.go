package sandbox

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// TestSSMParametersInBulk: GetParameters names the ones it did not find;
// GetParametersByPath reads one level or the whole tree, page by page,
// SecureStrings as ciphertext unless decrypted; DescribeParameters lists
// metadata without values, filtered.
func TestSSMParametersInBulk(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t, Options{})
	client := ssm.NewFromConfig(awsConfig(t, url, "us-east-1"))
	put := func(name, value string, typ ssmtypes.ParameterType) {
		if _, err := client.PutParameter(ctx(t), &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String(value), Type: typ}); err != nil {
			t.Fatal(err)
		}
	}
	put("/shop/db/host", "db.internal", ssmtypes.ParameterTypeString)
	put("/shop/db/password", "hunter2", ssmtypes.ParameterTypeSecureString)
	put("/shop/region", "us-east-1", ssmtypes.ParameterTypeString)
	put("/other/x", "1", ssmtypes.ParameterTypeString)
	got, err := client.GetParameters(ctx(t), &ssm.GetParametersInput{Names: []string{"/shop/region", "/shop/nope"}})
	if err != nil || len(got.Parameters) != 1 || len(got.InvalidParameters) != 1 || got.InvalidParameters[0] != "/shop/nope" {
		t.Fatalf("get parameters: %+v %v", got, err)
	}
	oneLevel, err := client.GetParametersByPath(ctx(t), &ssm.GetParametersByPathInput{Path: aws.String("/shop")})
	if err != nil || len(oneLevel.Parameters) != 1 || aws.ToString(oneLevel.Parameters[0].Name) != "/shop/region" {
		t.Fatalf("one level: %+v %v", oneLevel, err)
	}
	values := map[string]string{}
	pages := ssm.NewGetParametersByPathPaginator(client, &ssm.GetParametersByPathInput{Path: aws.String("/shop/"), Recursive: aws.Bool(true),
		WithDecryption: aws.Bool(true), MaxResults: aws.Int32(2)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range page.Parameters {
			values[aws.ToString(p.Name)] = aws.ToString(p.Value)
		}
	}
	if len(values) != 3 || values["/shop/db/password"] != "hunter2" {
		t.Fatalf("the tree: %v", values)
	}
	if _, err := client.GetParametersByPath(ctx(t), &ssm.GetParametersByPathInput{Path: aws.String("shop")}); apiCode(err) != "ValidationException" {
		t.Fatalf("a path without a leading slash: %v", err)
	}
	described, err := client.DescribeParameters(ctx(t), &ssm.DescribeParametersInput{ParameterFilters: []ssmtypes.ParameterStringFilter{
		{Key: aws.String("Path"), Option: aws.String("Recursive"), Values: []string{"/shop"}},
		{Key: aws.String("Type"), Values: []string{"SecureString"}}}})
	if err != nil || len(described.Parameters) != 1 || aws.ToString(described.Parameters[0].Name) != "/shop/db/password" ||
		aws.ToString(described.Parameters[0].KeyId) == "" {
		t.Fatalf("describe: %+v %v", described, err)
	}
	all, err := client.DescribeParameters(ctx(t), &ssm.DescribeParametersInput{})
	if err != nil || len(all.Parameters) != 4 {
		t.Fatalf("describe all: %+v %v", all, err)
	}
}
