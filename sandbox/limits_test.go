package sandbox

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"
)

// signedFor is an Authorization header whose credential scope names the
// Region and service; the sandbox reads the scope and checks no signature.
func signedFor(region, service string) string {
	return "AWS4-HMAC-SHA256 Credential=AKID/20261121/" + region + "/" + service + "/aws4_request, SignedHeaders=host, Signature=00"
}

// gzipBomb returns a gzip body that decompresses to size bytes of zeros:
// one member holding a megabyte of zeros, compressed once through a
// gzip.Writer and repeated (a gzip stream may hold many members), so that
// neither the bomb's making nor the test ever holds its decompressed size.
func gzipBomb(t testing.TB, size int64) []byte {
	t.Helper()
	var member bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&member, gzip.BestCompression)
	if _, err := zw.Write(make([]byte, 1<<20)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return bytes.Repeat(member.Bytes(), int(size>>20))
}

// postDynamoDB posts a DynamoDB DescribeTable request whose body is body,
// with the given extra headers, and returns the status and answer.
func postDynamoDB(t *testing.T, url string, body io.Reader, headers map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/", body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", signedFor("us-east-1", "dynamodb"))
	req.Header.Set("X-Amz-Target", "DynamoDB_20120810.DescribeTable")
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(answer)
}

// TestGzipBombIsRefused sends a megabyte of gzip holding a gigabyte of
// zeros: the sandbox stops decompressing at its body limit and answers
// 413 RequestEntityTooLarge, quickly and without allocating the gigabyte.
func TestGzipBombIsRefused(t *testing.T) {
	_, url := startSandbox(t, Options{TimeScale: 1})
	bomb := gzipBomb(t, 1<<30)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	status, answer := postDynamoDB(t, url, bytes.NewReader(bomb), map[string]string{"Content-Encoding": "gzip"})
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	if status != http.StatusRequestEntityTooLarge || !strings.Contains(answer, "RequestEntityTooLarge") {
		t.Fatalf("a gzip bomb: status %d, %s; want 413 RequestEntityTooLarge", status, answer)
	}
	// Generous bounds: decompressing the whole gigabyte takes far longer
	// and allocates gigabytes; stopping at 32 MB does neither.
	if elapsed > time.Minute {
		t.Errorf("the sandbox took %s to refuse a gzip bomb", elapsed)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 512<<20 {
		t.Errorf("refusing a gzip bomb allocated %d MB", grew>>20)
	}
	// A body over the limit as sent is refused the same way.
	status, answer = postDynamoDB(t, url, io.LimitReader(zeros{}, maxBody+1), nil)
	if status != http.StatusRequestEntityTooLarge || !strings.Contains(answer, "RequestEntityTooLarge") {
		t.Fatalf("a body over the limit: status %d, %s; want 413 RequestEntityTooLarge", status, answer)
	}
}

// zeros reads as endless zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
