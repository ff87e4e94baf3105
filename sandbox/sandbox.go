// Package sandbox is drpilot's embedded AWS-compatible simulator
// (docs/sandbox.md): an HTTP server that speaks each service's wire protocol as
// aws-sdk-go-v2 and the AWS CLI send it, routes by the SigV4 credential
// scope (service and Region), and simulates the resources a recovery
// touches, with state machines on a scaled clock, injected faults and a
// journal of every request.
//
// Three concerns are kept apart so that adding an operation is one small
// function: the protocol layer (one file per wire protocol: decode a
// request into an operation name and a generic input, encode a result or
// an AWS error), the operation table (which handler serves a service's
// operation, and whether it mutates), and one file per service holding its
// resources and handlers. One store, one clock, one journal around
// everything. It imports nothing of drpilot's.
package sandbox

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultAccount is the account the sandbox answers for unless a scenario
// names another.
const DefaultAccount = "123456789012"

// Options configure a sandbox.
type Options struct {
	// Account is the simulated AWS account id.
	Account string
	// TimeScale is simulated seconds per real second (1 = real time).
	TimeScale float64
	// Start is the simulated time at start; zero means now.
	Start time.Time
}

// Sandbox simulates AWS. It is an http.Handler; Serve it on loopback.
type Sandbox struct {
	account string
	clock   *Clock
	journal *Journal
	faults  *faults
	ops     map[opKey]*operation
	svcs    map[string]*service // by SigV4 signing name

	// policies are the IAM policies of access key ids (policy.go); a key
	// without one is an administrator. denials are the requests they
	// denied.
	policyMu sync.RWMutex
	policies map[string]*Policy
	// granted counts the actions each key's policy allowed (Granted).
	granted map[string]map[string]int
	denials denials

	mu    sync.Mutex // guards everything below: the one store
	state map[string]any
	// scenario is the scenario applied, and appliedAt the simulated moment
	// it was applied at: a recording starts from them (record.go).
	scenario  *Scenario
	appliedAt time.Time
	applied   int
	// changes counts the state changes served (requests, faults, clock
	// advances, deliveries) besides a scenario's and a replay's: a
	// recording that starts after one would not rebuild this sandbox.
	changes int

	// rec, when set, records every change to the sandbox's state, so that
	// it can be rebuilt (record.go, replay.go).
	rec atomic.Pointer[Recorder]

	requestSeq atomic.Uint64
	// origin is the clock's start when the sandbox was made, and epoch,
	// its Unix seconds, begins every request id: fixed, unlike the clock's
	// start, which pacing moves, so that ids made from request ids (Backup
	// jobs, incident records) come out the same when a recording is
	// replayed.
	origin time.Time
	epoch  uint32
}

// New makes a sandbox with every supported service registered and no
// resources.
func New(opts Options) *Sandbox {
	if opts.Account == "" {
		opts.Account = DefaultAccount
	}
	if opts.TimeScale <= 0 {
		opts.TimeScale = 1
	}
	s := &Sandbox{
		account: opts.Account,
		clock:   NewClock(opts.Start, opts.TimeScale),
		journal: NewJournal(journalCapacity),
		faults:  newFaults(),
		ops:     map[opKey]*operation{},
		svcs:    map[string]*service{},
		state:   map[string]any{},
	}
	s.origin = s.clock.start
	s.epoch = uint32(s.origin.Unix())
	for _, register := range registry {
		register(s)
	}
	s.faults.known = func(name string) bool { _, ok := s.svcs[name]; return ok }
	return s
}

// Clock returns the simulated clock.
func (s *Sandbox) Clock() *Clock { return s.clock }

// Journal returns the request journal.
func (s *Sandbox) Journal() *Journal { return s.journal }

// Account returns the simulated account id.
func (s *Sandbox) Account() string { return s.account }

// registry lists every service the sandbox serves, one register function
// each (in that service's file): the one list to extend.
var registry = []func(*Sandbox){
	registerARC,
	registerAutoScaling,
	registerBackup,
	registerCloudFormation,
	registerCloudWatch,
	registerDynamoDB,
	registerEC2,
	registerElastiCache,
	registerECS,
	registerELBv2,
	registerEventBridge,
	registerFIS,
	registerIAM,
	registerIncidents,
	registerKMS,
	registerLambda,
	registerOpenSearch,
	registerRDS,
	registerRoute53,
	registerS3,
	registerSESv2,
	registerSNS,
	registerSecretsManager,
	registerSSM,
	registerSSMContacts,
	registerSTS,
}

// stateOf returns a service's state in a Region, made on first use by mk.
// Callers hold s.mu.
func stateOf[T any](s *Sandbox, service, region string, mk func() *T) *T {
	key := service + "/" + region
	if v, ok := s.state[key]; ok {
		return v.(*T)
	}
	v := mk()
	s.state[key] = v
	return v
}

// newRequestID makes an id that looks like AWS's and is unique per sandbox.
func (s *Sandbox) newRequestID() string {
	n := s.requestSeq.Add(1)
	return fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", s.epoch, n>>16&0xffff, n>>4&0xfff, n&0xfff, n)
}

// ServeHTTP routes a request: the sandbox's own endpoints under
// /_sandbox/, everything else to the AWS service its SigV4 scope names.
func (s *Sandbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_sandbox/") {
		s.serveAdmin(w, r)
		return
	}
	s.serveAWS(w, r)
}

// Serves reports whether the sandbox implements an operation of a service
// named by its SigV4 signing name (CloudWatch is "monitoring").
func (s *Sandbox) Serves(service, operation string) bool {
	_, ok := s.ops[opKey{service, operation}]
	return ok
}

// Operation is one operation the sandbox serves.
type Operation struct {
	// Service is its SigV4 signing name.
	Service, Name string
	// Mutating says it changes the sandbox's state: a recording keeps it.
	Mutating bool
}

// Operations lists every operation the sandbox serves, sorted by service
// and name: what docs list and what the conformance test holds against the
// operation classifier.
func (s *Sandbox) Operations() []Operation {
	out := make([]Operation, 0, len(s.ops))
	for k, op := range s.ops {
		out = append(out, Operation{Service: k.service, Name: k.op, Mutating: op.mutating})
	}
	slices.SortFunc(out, func(a, b Operation) int {
		return cmp.Or(cmp.Compare(a.Service, b.Service), cmp.Compare(a.Name, b.Name))
	})
	return out
}

// Mutates reports whether an operation the sandbox serves changes its
// state, as its operation table says: those are the requests a recording
// keeps.
func (s *Sandbox) Mutates(service, operation string) bool {
	op, ok := s.ops[opKey{service, operation}]
	return ok && op.mutating
}
