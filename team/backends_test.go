package team

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
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

var moto struct {
	once sync.Once
	url  string
	err  error
}

// motoServer starts one moto_server for the package's tests, or skips.
func motoServer(t *testing.T) string {
	path, err := exec.LookPath("moto_server")
	if err != nil {
		t.Skip("no moto_server on this machine: the team flow is not cross-checked against an independent emulator")
	}
	moto.once.Do(func() {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			moto.err = err
			return
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		cmd := exec.Command(path, "-p", fmt.Sprint(port))
		if moto.err = cmd.Start(); moto.err != nil {
			return
		}
		moto.url = fmt.Sprintf("http://127.0.0.1:%d", port)
		for i := 0; i < 300; i++ {
			resp, err := http.Get(moto.url + "/moto-api/")
			if err == nil {
				resp.Body.Close()
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		moto.err = fmt.Errorf("moto_server did not answer on %s", moto.url)
	})
	if moto.err != nil {
		t.Skipf("moto_server could not be started: %v", moto.err)
	}
	return moto.url
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
