package sandbox

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"net"
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

// serveWith serves sb with the given timeouts on loopback and returns the
// address.
func serveWith(t *testing.T, sb *Sandbox, timeouts Timeouts) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(sb, timeouts)
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// TestStalledRequestsAreDisconnected opens raw connections that send part
// of a request and then stall: the server closes each within its read
// timeouts rather than holding it open forever.
func TestStalledRequestsAreDisconnected(t *testing.T) {
	addr := serveWith(t, New(Options{TimeScale: 1}), Timeouts{
		ReadHeader: 200 * time.Millisecond, Read: 300 * time.Millisecond, Write: 5 * time.Second, Idle: time.Second})
	headers := "POST / HTTP/1.1\r\nHost: sandbox\r\nAuthorization: " + signedFor("us-east-1", "dynamodb") +
		"\r\nX-Amz-Target: DynamoDB_20120810.DescribeTable\r\nContent-Type: application/x-amz-json-1.0\r\n"
	for name, partial := range map[string]string{
		"mid-body":    headers + "Content-Length: 100\r\n\r\n{\"Limit\":",
		"mid-headers": headers + "Content-Len",
		"idle":        "",
	} {
		t.Run(name, func(t *testing.T) {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := io.WriteString(conn, partial); err != nil {
				t.Fatal(err)
			}
			// Far longer than the timeouts, so that a slow machine passes;
			// a server without them holds the connection past it.
			conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			_, err = io.Copy(io.Discard, conn)
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatalf("the sandbox still holds a connection stalled %s", name)
			}
		})
	}
}

// TestTimeoutsOutlastFaults checks that the write timeout outlasts the
// longest the sandbox holds a call on purpose, and that a call delayed by
// a latency fault past the read timeout is still answered.
func TestTimeoutsOutlastFaults(t *testing.T) {
	if held := maxLatency + outageTimeout; DefaultTimeouts.Write <= held {
		t.Fatalf("the write timeout %s does not outlast %s of faults", DefaultTimeouts.Write, held)
	}
	sb := New(Options{TimeScale: 1})
	if err := sb.applyFault(Fault{Latency: &Latency{Service: "dynamodb", MS: 400}}, sb.clock.Now(), true); err != nil {
		t.Fatal(err)
	}
	addr := serveWith(t, sb, Timeouts{ReadHeader: 100 * time.Millisecond, Read: 100 * time.Millisecond, Write: 10 * time.Second, Idle: time.Second})
	status, answer := postDynamoDB(t, "http://"+addr, strings.NewReader(`{"TableName":"missing"}`), nil)
	if status != http.StatusBadRequest || !strings.Contains(answer, "ResourceNotFoundException") {
		t.Fatalf("a call delayed past the read timeout: status %d, %s", status, answer)
	}
}

// advanceClock posts {"advance": advance} to POST /_sandbox/clock and
// returns the status and answer.
func advanceClock(t *testing.T, url, advance string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(url+"/_sandbox/clock", "application/json", strings.NewReader(`{"advance":"`+advance+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var answer map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, answer
}

// TestClockAdvanceBounds advances the clock by the longest duration there
// is, again and again, as once overflowed simulated time back to 2026:
// the advance that would pass the year 9999 is refused with a 400 and a
// message, as a negative one and one longer than a duration are, and the
// clock never runs backwards.
func TestClockAdvanceBounds(t *testing.T) {
	sb, url := startSandbox(t, Options{TimeScale: 1})
	last, refused := sb.clock.Now(), false
	for i := 0; i < 40 && !refused; i++ {
		status, answer := advanceClock(t, url, "2562047h")
		refused = status == http.StatusBadRequest
		if msg, _ := answer["error"].(string); refused && !strings.Contains(msg, "9999") {
			t.Errorf("a refused advance says %q; want why", msg)
		}
		now := sb.clock.Now()
		if now.Before(last) || now.Year() > maxClockYear {
			t.Fatalf("advance %d moved the clock from %s to %s", i, last, now)
		}
		last = now
	}
	if !refused {
		t.Fatal("the clock advanced past the year 9999")
	}
	for _, advance := range []string{"-1h", "2562048h", "1y"} {
		status, answer := advanceClock(t, url, advance)
		if msg, _ := answer["error"].(string); status != http.StatusBadRequest || !strings.Contains(msg, "advance") {
			t.Errorf("advance %s: status %d, %v; want 400 and a message", advance, status, answer)
		}
	}
	if now := sb.clock.Now(); now.Before(last) {
		t.Fatalf("refused advances moved the clock from %s to %s", last, now)
	}
}
