package sandbox

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// TestLambdaConcurrencyFreeze: a reserved concurrency of 0 freezes a
// function (a freeze step); Lambda keeps 100 unreserved.
func TestLambdaConcurrencyFreeze(t *testing.T) {
	t.Parallel()
	_, url := startSandbox(t, Options{})
	client := lambda.NewFromConfig(awsConfig(t, url, "us-east-1"))
	created, err := client.CreateFunction(ctx(t), &lambda.CreateFunctionInput{FunctionName: aws.String("order-export"),
		Role: aws.String("arn:aws:iam::123456789012:role/order-export"), Runtime: lambdatypes.RuntimePython312,
		Handler: aws.String("app.handler"), Code: &lambdatypes.FunctionCode{ZipFile: []byte("zip")}})
	if err != nil || aws.ToString(created.FunctionArn) != "arn:aws:lambda:us-east-1:123456789012:function:order-export" {
		t.Fatalf("create: %+v %v", created, err)
	}
	got, err := client.GetFunctionConcurrency(ctx(t), &lambda.GetFunctionConcurrencyInput{FunctionName: aws.String("order-export")})
	if err != nil || got.ReservedConcurrentExecutions != nil {
		t.Fatalf("no reservation yet: %+v %v", got, err)
	}
	if _, err := client.PutFunctionConcurrency(ctx(t), &lambda.PutFunctionConcurrencyInput{FunctionName: created.FunctionArn,
		ReservedConcurrentExecutions: aws.Int32(0)}); err != nil {
		t.Fatal(err)
	}
	got, err = client.GetFunctionConcurrency(ctx(t), &lambda.GetFunctionConcurrencyInput{FunctionName: aws.String("order-export")})
	if err != nil || got.ReservedConcurrentExecutions == nil || *got.ReservedConcurrentExecutions != 0 {
		t.Fatalf("frozen: %+v %v", got, err)
	}
	_, err = client.PutFunctionConcurrency(ctx(t), &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("order-export"),
		ReservedConcurrentExecutions: aws.Int32(950)})
	var invalid *lambdatypes.InvalidParameterValueException
	if !errors.As(err, &invalid) {
		t.Fatalf("reserving past the unreserved minimum: %v", err)
	}
	var nf *lambdatypes.ResourceNotFoundException
	if _, err := client.GetFunctionConcurrency(ctx(t), &lambda.GetFunctionConcurrencyInput{FunctionName: aws.String("nope")}); !errors.As(err, &nf) {
		t.Fatalf("missing function: %v", err)
	}
	var conflict *lambdatypes.ResourceConflictException
	if _, err := client.CreateFunction(ctx(t), &lambda.CreateFunctionInput{FunctionName: aws.String("order-export"),
		Role: aws.String("arn:aws:iam::123456789012:role/x"), Code: &lambdatypes.FunctionCode{ZipFile: []byte("zip")}}); !errors.As(err, &conflict) {
		t.Fatalf("create twice: %v", err)
	}
}
