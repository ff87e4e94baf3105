package team

import (
	"context"
	"github.com/drpilot/drpilot/internal/moto"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/drpilot/drpilot/sandbox"
)

// backend is an AWS-compatible endpoint the team flow is tested against:
// drpilot's sandbox, and moto_server, which drpilot's authors did not
// write, where the machine has it.
type backend struct {
	name     string
	endpoint string
	// advance moves the endpoint's clock, where it has one of its own.
	sb *sandbox.Sandbox
}

// eachBackend runs f against the sandbox and moto_server.
func eachBackend(t *testing.T, f func(t *testing.T, b backend)) {
	t.Run("sandbox", func(t *testing.T) {
		sb := sandbox.New(sandbox.Options{TimeScale: 1000})
		srv := httptest.NewServer(sb)
		t.Cleanup(srv.Close)
		f(t, backend{name: "sandbox", endpoint: srv.URL, sb: sb})
	})
	t.Run("moto", func(t *testing.T) {
		url := motoServer(t)
		f(t, backend{name: "moto", endpoint: url})
	})
}

// motoServer starts a moto_server for one test, or skips.
func motoServer(t *testing.T) string {
	return moto.Start(t, "the team flow is not cross-checked against an independent emulator")
}

// store returns a Store on the backend, with its own table and bucket
// names so that tests do not meet.
func (b backend) store(t *testing.T, region string) *Store {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion(region),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKIDTEAM", "team-secret", "")),
		config.WithSharedConfigFiles([]string{}), config.WithSharedCredentialsFiles([]string{}),
		config.WithBaseEndpoint(b.endpoint), config.WithRetryMaxAttempts(1),
	)
	if err != nil {
		t.Fatal(err)
	}
	cfg.HTTPClient = plainBodies{cfg.HTTPClient}
	name := strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name()))
	if len(name) > 50 {
		name = name[len(name)-50:]
	}
	name = strings.Trim(name, "-")
	c := Config{Region: region, LockTable: "runs-" + name, AuditBucket: "audit-" + name, Retention: 400 * 24 * time.Hour}
	return New(c, dynamodb.NewFromConfig(cfg), s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }))
}

// plainBodies hides a request body's WriteTo, as drpilot's client
// factory does (see awsclient.bodyWithoutWriteTo).
type plainBodies struct{ inner aws.HTTPClient }

func (c plainBodies) Do(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = struct{ io.ReadCloser }{r.Body}
	}
	return c.inner.Do(r)
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}
