package sandbox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// searchEndpointScenario: the domain catalog-search, up for weeks, with
// one snapshot in a manual repository.
const searchEndpointScenario = `
start = 2026-03-01T12:00:00Z
time_scale = 60

[[create]]
service   = "es"
region    = "eu-central-1"
operation = "CreateDomain"
ago       = "100h"
input     = { DomainName = "catalog-search" }

[[search_snapshots]]
region     = "eu-central-1"
domain     = "catalog-search"
repository = "dr-snapshots"
name       = "nightly-1"
ago        = "3h"
indices    = ["products", "reviews"]
`

// domainRequest sends method path to the domain's endpoint through the
// simulated internet, signed for service ("" for unsigned).
func domainRequest(t *testing.T, srvURL, service, method, path, body string) (int, string) {
	t.Helper()
	target := WebURL(srvURL, "https://"+domainEndpoint("eu-central-1", "catalog-search")+path)
	req, err := http.NewRequestWithContext(context.Background(), method, target, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if service != "" {
		sum := sha256.Sum256([]byte(body))
		creds := aws.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "secret"}
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), service, "eu-central-1", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestDomainEndpointRestore: the endpoint wants SigV4 for es; a restore
// makes red indices that turn green on the sandbox clock; a second one is
// refused as OpenSearch refuses it; and a recording rebuilds the indices.
func TestDomainEndpointRestore(t *testing.T) {
	t.Parallel()
	sb := sandboxOf(t, "search.toml", searchEndpointScenario)
	dir := filepath.Join(t.TempDir(), "sandbox")
	rec, err := sb.StartRecording(dir, RecordOptions{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb)
	defer srv.Close()
	const restore = "/_snapshot/dr-snapshots/nightly-1/_restore"
	body := `{"indices":"products,reviews","include_global_state":false}`
	for _, service := range []string{"", "rds"} {
		if status, answer := domainRequest(t, srv.URL, service, http.MethodPost, restore, body); status != http.StatusForbidden {
			t.Errorf("signed for %q: %d %s", service, status, answer)
		}
	}
	if status, answer := domainRequest(t, srv.URL, "es", http.MethodGet, "/_snapshot/cs-automated/_all", ""); status != http.StatusOK ||
		!strings.Contains(answer, `"snapshot": "2026-03-01t11-00-00.`) {
		t.Errorf("automated snapshots: %d %s", status, answer)
	}
	if status, answer := domainRequest(t, srv.URL, "es", http.MethodPost, restore, body); status != http.StatusOK {
		t.Fatalf("restore: %d %s", status, answer)
	}
	if status, answer := domainRequest(t, srv.URL, "es", http.MethodGet, "/_cluster/health/products,reviews", ""); status != http.StatusOK ||
		!strings.Contains(answer, `"status": "red"`) {
		t.Errorf("health just after the restore: %d %s", status, answer)
	}
	if status, answer := domainRequest(t, srv.URL, "es", http.MethodPost, restore, body); status != http.StatusBadRequest ||
		!strings.Contains(answer, "snapshot_restore_exception") || !strings.Contains(answer, "an open index with same name already exists") {
		t.Errorf("second restore: %d %s", status, answer)
	}
	if err := sb.Clock().Advance(10 * time.Minute); err != nil {
		t.Fatal(err)
	}
	if status, answer := domainRequest(t, srv.URL, "es", http.MethodGet, "/_cluster/health/products,reviews", ""); !strings.Contains(answer, `"status": "green"`) {
		t.Errorf("health 10 minutes later: %d %s", status, answer)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	rebuilt, restored := rebuild(t, dir)
	if restored.Requests != 1 {
		t.Errorf("%d requests replayed", restored.Requests)
	}
	again := httptest.NewServer(rebuilt)
	defer again.Close()
	if status, answer := domainRequest(t, again.URL, "es", http.MethodGet, "/_cat/indices?format=json", ""); status != http.StatusOK ||
		!strings.Contains(answer, `"index": "products"`) || !strings.Contains(answer, `"health": "green"`) {
		t.Errorf("the rebuilt sandbox's indices: %d %s", status, answer)
	}
}
