package sandbox

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go"
)

// startSandbox serves a new sandbox over HTTP on loopback, as drpilot
// sandbox does, and returns it and its endpoint.
func startSandbox(t *testing.T, opts Options) (*Sandbox, string) {
	t.Helper()
	sb := New(opts)
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	return sb, srv.URL
}

// awsConfig builds the configuration real clients use against the
// sandbox: the standard chain (config.LoadDefaultConfig, which honours
// AWS_CA_BUNDLE when it is set), with static credentials, the Region, and
// the sandbox as base endpoint, and without the user's profiles.
func awsConfig(t *testing.T, endpoint, region string) aws.Config {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion(region),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKIDSANDBOX", "sandbox-secret", "")),
		config.WithSharedConfigFiles([]string{}),
		config.WithSharedCredentialsFiles([]string{}),
		config.WithBaseEndpoint(endpoint),
		config.WithRetryMaxAttempts(1),
	)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// apiCode returns an error's AWS error code, as the SDK decoded it.
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func startBenchServer(b *testing.B, sb *Sandbox) string {
	srv := httptest.NewServer(sb)
	b.Cleanup(srv.Close)
	return srv.URL
}

func benchConfig(b *testing.B, endpoint string) aws.Config {
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion("us-west-2"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKIDSANDBOX", "sandbox-secret", "")),
		config.WithSharedConfigFiles([]string{}),
		config.WithSharedCredentialsFiles([]string{}),
		config.WithBaseEndpoint(endpoint),
	)
	if err != nil {
		b.Fatal(err)
	}
	return cfg
}
