package sandbox

import (
	"sync"
	"time"
)

// journalCapacity bounds the journal: it keeps the newest entries, so that
// memory stays flat however long a game day runs.
const journalCapacity = 10000

// Entry is one request as the journal records it.
type Entry struct {
	Seq       uint64    `json:"seq"`
	Time      time.Time `json:"time"`     // real time
	SimTime   time.Time `json:"sim_time"` // simulated time
	Region    string    `json:"region"`
	Service   string    `json:"service"`
	Operation string    `json:"operation"`
	Mutating  bool      `json:"mutating"`
	Status    int       `json:"status"`
	ErrorCode string    `json:"error_code,omitempty"`
	RequestID string    `json:"request_id"`
	Fault     string    `json:"fault,omitempty"` // the injected fault that answered, if any
	// URL is what a request of the simulated internet (service "web",
	// operation its HTTP method) asked for: https://<host>/<path>.
	URL string `json:"url,omitempty"`
	// Action and Resource are what an IAM policy denied the request
	// (ErrorCode AccessDenied, AccessDeniedException, AuthorizationError
	// or UnauthorizedOperation).
	Action   string `json:"action,omitempty"`
	Resource string `json:"resource,omitempty"`
}

// Journal records every AWS request the sandbox answers.
type Journal struct {
	mu      sync.Mutex
	entries []Entry // a ring of the newest entries
	next    int
	total   uint64
}

// NewJournal keeps the newest capacity entries.
func NewJournal(capacity int) *Journal {
	return &Journal{entries: make([]Entry, 0, capacity)}
}

func (j *Journal) add(e Entry) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.total++
	e.Seq = j.total
	if len(j.entries) < cap(j.entries) {
		j.entries = append(j.entries, e)
		return
	}
	j.entries[j.next] = e
	j.next = (j.next + 1) % len(j.entries)
}

// Entries returns the kept entries, oldest first, and how many requests
// there were in all.
func (j *Journal) Entries() ([]Entry, uint64) {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := make([]Entry, 0, len(j.entries))
	out = append(out, j.entries[j.next:]...)
	out = append(out, j.entries[:j.next]...)
	return out, j.total
}
