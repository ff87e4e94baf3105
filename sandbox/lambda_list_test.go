package sandbox

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// TestLambdaListAndGetFunction: functions are listed a page at a time and
// got by name or ARN with their reserved concurrency; an unknown one is
// ResourceNotFoundException.
func TestLambdaListAndGetFunction(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t, Options{})
	client := lambda.NewFromConfig(awsConfig(t, url, "us-east-1"))
	for _, name := range []string{"order-export", "invoice-sync", "cleanup"} {
		if _, err := client.CreateFunction(ctx(t), &lambda.CreateFunctionInput{FunctionName: aws.String(name),
			Role: aws.String("arn:aws:iam::123456789012:role/fn"), Runtime: lambdatypes.RuntimePython312,
			Handler: aws.String("app.handler"), Code: &lambdatypes.FunctionCode{ZipFile: []byte("zip")}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := client.PutFunctionConcurrency(ctx(t), &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("cleanup"),
		ReservedConcurrentExecutions: aws.Int32(5)}); err != nil {
		t.Fatal(err)
	}
	var names []string
	pages := lambda.NewListFunctionsPaginator(client, &lambda.ListFunctionsInput{MaxItems: aws.Int32(2)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range page.Functions {
			names = append(names, aws.ToString(f.FunctionName))
		}
	}
	if len(names) != 3 || names[0] != "cleanup" {
		t.Fatalf("functions: %v", names)
	}
	got, err := client.GetFunction(ctx(t), &lambda.GetFunctionInput{FunctionName: aws.String("arn:aws:lambda:us-east-1:123456789012:function:cleanup")})
	if err != nil || aws.ToString(got.Configuration.FunctionName) != "cleanup" || got.Concurrency == nil ||
		aws.ToInt32(got.Concurrency.ReservedConcurrentExecutions) != 5 || got.Configuration.State != lambdatypes.StateActive {
		t.Fatalf("get: %+v %v", got, err)
	}
	if _, err := client.GetFunction(ctx(t), &lambda.GetFunctionInput{FunctionName: aws.String("nope")}); apiCode(err) != "ResourceNotFoundException" {
		t.Fatalf("an unknown function: %v", err)
	}
}
