package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
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
// the sandbox as base endpoint, and without the user's profiles. Request
// bodies are wrapped (see readOnlyBodies).
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
	cfg.HTTPClient = readOnlyBodies{orDefaultClient(cfg.HTTPClient)}
	return cfg
}

// orDefaultClient is the client the configuration chose, or the SDK's
// default: LoadDefaultConfig sets none unless AWS_CA_BUNDLE is set, and
// the wrapper needs one to call.
func orDefaultClient(c aws.HTTPClient) aws.HTTPClient {
	if c == nil {
		return awshttp.NewBuildableClient()
	}
	return c
}

// readOnlyBodies wraps every request body so that it no longer offers
// WriteTo, as drpilot's client factory does (bodyWithoutWriteTo there):
// without it, a client with retries off loses an answer now and then to a
// race inside net/http and smithy-go (TestLargeRequestBodyRaceIsTheClients).
type readOnlyBodies struct{ inner aws.HTTPClient }

func (c readOnlyBodies) Do(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = struct{ io.ReadCloser }{r.Body}
	}
	return c.inner.Do(r)
}

// apiCode returns an error's AWS error code, as the SDK decoded it.
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// errorAs reports whether err is, or wraps, an error of type T: one of
// the SDK's typed errors.
func errorAs[T error](err error) bool {
	var target T
	return errors.As(err, &target)
}

// getSandboxState reads GET /_sandbox/state.
func getSandboxState(t *testing.T, url string) map[string]any {
	t.Helper()
	resp, err := http.Get(url + "/_sandbox/state")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var state map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&state); err != nil {
		t.Fatal(err)
	}
	return state
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
	cfg.HTTPClient = readOnlyBodies{orDefaultClient(cfg.HTTPClient)}
	return cfg
}
