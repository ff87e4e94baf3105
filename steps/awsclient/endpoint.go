package awsclient

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Some AWS resources answer on their own endpoint rather than through
// their service's API: an OpenSearch domain's REST API, which IAM
// authorizes by HTTP method (es:ESHttpPost). Such a request is signed
// here, where the credentials are, with the same dry-run guard as every
// client: only GET and HEAD go out in dry-run.

// maxEndpointAnswer bounds the body of an endpoint's answer that is read.
const maxEndpointAnswer = 4 << 20

// EndpointAnswer is a resource endpoint's answer.
type EndpointAnswer struct {
	Status int
	Body   []byte
}

// SignedRequest sends method to url (a resource's endpoint, or the
// sandbox's address for it) with body, signed with SigV4 for service in
// region. Dry-run refuses every method but GET and HEAD before anything is
// signed.
func (f *Factory) SignedRequest(ctx context.Context, service, region, method, url string, body []byte) (EndpointAnswer, error) {
	if f.opts.DryRun && method != http.MethodGet && method != http.MethodHead {
		return EndpointAnswer{}, &RefusedError{Service: service, Operation: "ESHttp" + method[:1] + strings.ToLower(method[1:])}
	}
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return EndpointAnswer{}, err
	}
	if len(body) > 0 {
		req.Header.Set("Content-Type", "application/json")
	}
	cfg := f.config(service, region)
	if cfg.Credentials == nil {
		return EndpointAnswer{}, fmt.Errorf("no AWS credentials to sign the request to %s with", req.URL.Host)
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return EndpointAnswer{}, fmt.Errorf("AWS credentials: %w", err)
	}
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), service, region, time.Now()); err != nil {
		return EndpointAnswer{}, fmt.Errorf("sign the request to %s: %w", req.URL.Host, err)
	}
	resp, err := cfg.HTTPClient.Do(req)
	if err != nil {
		return EndpointAnswer{}, err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxEndpointAnswer))
	return EndpointAnswer{Status: resp.StatusCode, Body: answer}, err
}
