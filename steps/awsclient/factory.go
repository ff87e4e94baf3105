package awsclient

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go/logging"
	"github.com/aws/smithy-go/middleware"
)

// Options configure a Factory.
type Options struct {
	// Config is the base configuration, from the standard chain
	// (config.LoadDefaultConfig): credentials, profile, endpoint.
	Config aws.Config
	// DryRun installs the guard that refuses every operation ReadOnly does
	// not accept, on every client, whatever asked for the call.
	DryRun bool
	// ReadOnly classifies "service:Operation" (service as its IAM prefix).
	// It must answer false for anything it does not know. Required when
	// DryRun is set.
	ReadOnly func(service, operation string) bool
	// MaxAttempts is the SDK's attempts per call, retries included; 0
	// means DefaultMaxAttempts.
	MaxAttempts int
	// Logger receives the SDK's own messages (retries, checksum
	// warnings); nil keeps the configuration's, which writes to stderr. The
	// terminal UI passes a log file's, or a discarding one: nothing may
	// write to the terminal under it.
	Logger logging.Logger
	// TimeScale divides the SDK's retry backoff: the sandbox's time scale,
	// so that a call to a Region that is out fails in scaled time, as the
	// step timeouts do, instead of outlasting them. 0 means 1.
	TimeScale float64
}

// maxBackoff is the SDK's default cap on the pause between two attempts.
const maxBackoff = 20 * time.Second

// DefaultMaxAttempts is how many times the SDK tries one call. It is above
// the SDK's default of 3 because a Region in trouble throttles, and a
// recovery must outlast a throttling storm rather than fail on it.
const DefaultMaxAttempts = 6

// Factory builds and caches one client per (service, Region). It is the
// only place in drpilot that calls NewFromConfig.
type Factory struct {
	opts    Options
	mu      sync.Mutex
	clients map[clientKey]any
}

type clientKey struct{ service, region string }

// NewFactory returns a factory for opts.
func NewFactory(opts Options) (*Factory, error) {
	if opts.DryRun && opts.ReadOnly == nil {
		return nil, fmt.Errorf("awsclient: dry-run needs an operation classifier")
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = DefaultMaxAttempts
	}
	if opts.TimeScale <= 0 {
		opts.TimeScale = 1
	}
	return &Factory{opts: opts, clients: map[clientKey]any{}}, nil
}

// DryRun reports whether the factory's clients refuse mutating operations.
func (f *Factory) DryRun() bool { return f.opts.DryRun }

// Client returns the client of service (an IAM prefix or alias) for
// region, building it on first use.
func (f *Factory) Client(service, region string) (any, error) {
	canon, ok := canonical(service)
	if !ok {
		return nil, fmt.Errorf("drpilot cannot call AWS service %q; it supports %v", service, Services())
	}
	key := clientKey{canon, region}
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, ok := f.clients[key]; ok {
		return c, nil
	}
	c := byName[canon].build(f.config(canon, region), f.customEndpoint())
	f.clients[key] = c
	return c, nil
}

// withoutDebug drops the SDK's debug messages ("Response has no supported
// checksum"), which say nothing an engineer can act on and would land on
// their terminal, keeping its warnings (retries, clock skew).
type withoutDebug struct{ inner logging.Logger }

func (l withoutDebug) Logf(c logging.Classification, format string, v ...any) {
	if c == logging.Debug || l.inner == nil {
		return
	}
	l.inner.Logf(c, format, v...)
}

// customEndpoint reports whether calls go somewhere other than AWS's own
// endpoints (the sandbox, an emulator), where S3 must use path-style
// addressing because bucket host names do not resolve.
func (f *Factory) customEndpoint() bool {
	return f.opts.Config.BaseEndpoint != nil
}

// config derives one client's configuration from the base.
func (f *Factory) config(service, region string) aws.Config {
	cfg := f.opts.Config.Copy()
	cfg.Region = region
	if f.opts.Logger != nil {
		cfg.Logger = f.opts.Logger
	}
	cfg.Logger = withoutDebug{cfg.Logger}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = http.DefaultClient
	}
	cfg.HTTPClient = bodyWithoutWriteTo{cfg.HTTPClient}
	attempts := f.opts.MaxAttempts
	backoff := time.Duration(float64(maxBackoff) / f.opts.TimeScale)
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = attempts
			o.MaxBackoff = backoff
			o.Backoff = retry.NewExponentialJitterBackoff(backoff)
			// The client-side retry quota protects a healthy service
			// from its callers; during a Region failover it would turn a
			// throttling storm into failed steps. drpilot's callers are
			// few and its steps back off on their own.
			o.RateLimiter = ratelimit.None
		})
	}
	cfg.APIOptions = append(append([]func(*middleware.Stack) error(nil), cfg.APIOptions...), f.guard(service))
	return cfg
}

// guard returns the stack option that installs the dry-run guard, or
// nothing outside dry-run.
func (f *Factory) guard(service string) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		if !f.opts.DryRun {
			return nil
		}
		return stack.Initialize.Add(dryRunGuard{service: service, readOnly: f.opts.ReadOnly}, middleware.Before)
	}
}

// bodyWithoutWriteTo wraps every request body so that it no longer offers
// WriteTo. net/http writes a body to the socket and then reads it once
// more to check nothing is left past Content-Length; smithy-go closes the
// body as soon as the answer's headers arrive, after which its WriteTo
// returns io.EOF, which net/http takes for a failed write: it closes the
// connection under the answer still being read ("use of closed network
// connection"). Only a server that answers within microseconds (the
// sandbox, a local emulator) wins that race, and no server can avoid it
// (sandbox.TestLargeRequestBodyRaceIsTheClients). The standard retryer
// would retry the call, but a retried conditional write that took effect
// the first time would then report its own success as a failed condition.
type bodyWithoutWriteTo struct{ inner aws.HTTPClient }

// Do sends r with its body wrapped.
func (c bodyWithoutWriteTo) Do(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = struct{ io.ReadCloser }{r.Body}
	}
	return c.inner.Do(r)
}

// dryRunGuard refuses, before anything is signed or sent, every operation
// that is not classified read-only.
type dryRunGuard struct {
	service  string
	readOnly func(service, operation string) bool
}

// ID names the middleware in the stack.
func (dryRunGuard) ID() string { return "drpilot.DryRunGuard" }

// HandleInitialize lets read-only operations through and refuses the rest.
func (g dryRunGuard) HandleInitialize(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	op := middleware.GetOperationName(ctx)
	if !g.readOnly(g.service, op) {
		return middleware.InitializeOutput{}, middleware.Metadata{}, &RefusedError{Service: g.service, Operation: op}
	}
	return next.HandleInitialize(ctx, in)
}

// RefusedError is the dry-run guard's answer to a mutating (or unknown)
// operation: it was not sent.
type RefusedError struct{ Service, Operation string }

func (e *RefusedError) Error() string {
	return fmt.Sprintf("dry-run: %s:%s is not classified read-only, so it was not sent", e.Service, e.Operation)
}
