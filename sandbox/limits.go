package sandbox

import (
	"net/http"
	"regexp"
	"time"
)

// maxBody bounds a request body, before and after gzip decompression
// alike; AWS's own limits are lower for every operation the sandbox serves
// except S3 uploads.
const maxBody = 32 << 20

// maxLatency bounds the delay latency faults add to one call, however
// many of them (any, the Region's, the service's, both's) apply: each is
// at most this long, and so is their sum, so that a server's write
// timeout can outlast every fault the sandbox injects.
const maxLatency = 10 * time.Minute

// Timeouts are the limits of the HTTP server the sandbox is served with.
// Without them a client that stops halfway through a request holds its
// connection, and a goroutine, open forever.
type Timeouts struct {
	// ReadHeader bounds reading a request's headers.
	ReadHeader time.Duration
	// Read bounds reading a whole request, body included.
	Read time.Duration
	// Write bounds the time from the end of a request's headers to the end
	// of its answer: it must outlast the longest the sandbox holds a call
	// on purpose (latency faults, then a "timeouts" outage).
	Write time.Duration
	// Idle bounds how long a kept-alive connection waits for its next
	// request.
	Idle time.Duration
}

// DefaultTimeouts are the timeouts of every server the sandbox is served
// with. Reading is quick on loopback, even for a 32 MB body; writing
// waits for the faults: up to maxLatency of latency and then
// outageTimeout of a "timeouts" outage, with a minute to spare.
var DefaultTimeouts = Timeouts{
	ReadHeader: 10 * time.Second,
	Read:       time.Minute,
	Write:      maxLatency + outageTimeout + time.Minute,
	Idle:       2 * time.Minute,
}

// NewServer returns the HTTP server to serve h (a Sandbox) with, bounded
// by t; callers give DefaultTimeouts, tests shorter ones.
func NewServer(h http.Handler, t Timeouts) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: t.ReadHeader,
		ReadTimeout:       t.Read,
		WriteTimeout:      t.Write,
		IdleTimeout:       t.Idle,
	}
}

// maxClockYear bounds simulated time: an advance past it is refused, well
// before time.Time's arithmetic could wrap, since no rehearsal needs it.
const maxClockYear = 9999

// scopeRegionRE is the shape of a Region a credential scope may name: the
// shape regionRE finds in ARNs and DNS names, and nothing more, so that a
// request cannot make state under a name no other part of the sandbox
// would read as a Region.
var scopeRegionRE = regexp.MustCompile(`^` + regionPattern + `$`)
