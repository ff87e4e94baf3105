package sandbox

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// Scenario sets a sandbox up: the account, the time scale, the resources
// present at the start, and the faults. Resources are created through the
// services' own operations with their AWS member names, as any AWS tool
// would create them, at a moment in the past (ago) so that they have
// settled by the start — or are just as old as a test of the RPO needs.
type Scenario struct {
	Account   string        `toml:"account"`
	TimeScale float64       `toml:"time_scale"`
	Start     time.Time     `toml:"start"`
	Create    []CreateEntry `toml:"create"`
	Faults    []Fault       `toml:"faults"`
	// Sites are what hosts of the simulated internet serve (web.go).
	Sites []Site `toml:"sites"`
	// SearchSnapshots are snapshots in OpenSearch domains' repositories
	// (opensearch_endpoint.go).
	SearchSnapshots []SearchSnapshot `toml:"search_snapshots"`

	file  string
	lines []int // the line of each [[create]] entry
	// src is the file's text, which a recording keeps a copy of; nil for
	// a Scenario made in Go.
	src []byte
}

// CreateEntry is one operation that creates a resource.
type CreateEntry struct {
	Service   string `toml:"service"` // SigV4 signing name: rds, dynamodb, route53, monitoring, ...
	Region    string `toml:"region"`
	Operation string `toml:"operation"`
	Ago       string `toml:"ago"` // how long before the start; default "24h"
	// ID pins the id of the resource made (a hosted zone or health check
	// id, an EC2 instance, volume or snapshot id, a target group or ARC
	// plan ARN, the recovery point ARN of a backup or copy job, an
	// ElastiCache global datastore id), so that runbooks — and later
	// entries — that name it by id find it.
	ID    string         `toml:"id"`
	Input map[string]any `toml:"input"`
}

// ScenarioError is a problem in a scenario file, with its position.
type ScenarioError struct {
	File      string
	Line, Col int
	Msg       string
}

func (e *ScenarioError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// maxScenarioSize bounds a scenario file.
const maxScenarioSize = 4 << 20

// LoadScenario reads and decodes a scenario file; Apply checks the rest.
func LoadScenario(path string) (*Scenario, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, &ScenarioError{File: path, Msg: fmt.Sprintf("cannot read the scenario: %v", err)}
	}
	return ParseScenario(path, src)
}

var createHeaderRE = regexp.MustCompile(`(?m)^[ \t]*\[\[[ \t]*create[ \t]*\]\]`)

// ParseScenario decodes scenario source; file names it in errors.
func ParseScenario(file string, src []byte) (*Scenario, error) {
	if len(src) > maxScenarioSize {
		return nil, &ScenarioError{File: file, Msg: "the scenario is larger than 4 MiB"}
	}
	var sc Scenario
	md, err := toml.Decode(string(src), &sc)
	if err != nil {
		e := &ScenarioError{File: file, Msg: err.Error()}
		var pe toml.ParseError
		if asParseError(err, &pe) {
			e.Line, e.Col, e.Msg = pe.Position.Line, pe.Position.Col, pe.Message
		}
		return nil, e
	}
	sc.file, sc.src = file, src
	for _, loc := range createHeaderRE.FindAllIndex(src, -1) {
		sc.lines = append(sc.lines, 1+strings.Count(string(src[:loc[0]]), "\n"))
	}
	if undecoded := md.Undecoded(); len(undecoded) > 0 {
		for _, k := range undecoded {
			if len(k) >= 2 && k[0] == "create" && k[1] == "input" {
				continue // free-form: the operation's input
			}
			e := &ScenarioError{File: file, Msg: fmt.Sprintf("unknown key %q (a scenario has account, time_scale, start, [[create]], [[faults]], [[sites]] and [[search_snapshots]])", k.String())}
			if len(k) == 2 && k[0] == "sites" {
				e.Line, e.Col = keyPosition(src, k[1])
				e.Msg = fmt.Sprintf("unknown key %q in [[sites]] (a site has host, path, status, body and content_type)", k[1])
			}
			return nil, e
		}
	}
	if err := sc.compileSites(src); err != nil {
		return nil, err
	}
	return &sc, nil
}

func asParseError(err error, pe *toml.ParseError) bool {
	p, ok := err.(toml.ParseError)
	if ok {
		*pe = p
	}
	return ok
}

// entryError places an error at the i-th [[create]] entry.
func (sc *Scenario) entryError(i int, format string, args ...any) error {
	e := &ScenarioError{File: sc.file, Col: 1, Msg: fmt.Sprintf("create[%d]: ", i) + fmt.Sprintf(format, args...)}
	if i < len(sc.lines) {
		e.Line = sc.lines[i]
	}
	return e
}

// Apply creates the scenario's resources and applies its faults. Call it
// on a new sandbox, before serving. The clock stands still meanwhile, so
// that every entry is made exactly its ago before the same moment, however
// long applying takes: a sandbox rebuilt from a recording (replay.go) is
// then the same.
func (s *Sandbox) Apply(sc *Scenario) error {
	at := s.clock.Now()
	s.clock.holdAt(at)
	defer s.clock.release()
	return s.applyAt(sc, at)
}

// applyAt applies a scenario at a simulated moment; the clock is held.
func (s *Sandbox) applyAt(sc *Scenario, at time.Time) error {
	if err := sc.compileSites(nil); err != nil { // a Scenario made in Go, not parsed
		return err
	}
	s.mu.Lock()
	s.setSites(sc.Sites)
	s.scenario, s.appliedAt = sc, at
	s.applied++
	s.mu.Unlock()
	for i, c := range sc.Create {
		if err := s.applyCreate(sc, i, c, at); err != nil {
			return err
		}
	}
	if err := s.addSnapshots(sc, at); err != nil {
		return err
	}
	for i, f := range sc.Faults {
		if err := s.applyFault(f, at, false); err != nil {
			return &ScenarioError{File: sc.file, Msg: fmt.Sprintf("faults[%d]: %v", i, err)}
		}
	}
	return nil
}

func (s *Sandbox) applyCreate(sc *Scenario, i int, c CreateEntry, at time.Time) error {
	svc := s.svcs[c.Service]
	if svc == nil {
		return sc.entryError(i, "unknown service %q: use a SigV4 signing name such as rds, dynamodb, route53, monitoring, s3", c.Service)
	}
	op := s.ops[opKey{c.Service, c.Operation}]
	if op == nil || !op.mutating {
		return sc.entryError(i, "%s has no creating operation %q", c.Service, c.Operation)
	}
	if !regionRE.MatchString(c.Region) && c.Region != "global" {
		return sc.entryError(i, "region %q is not a Region name", c.Region)
	}
	ago := 24 * time.Hour
	if c.Ago != "" {
		d, err := time.ParseDuration(c.Ago)
		if err != nil || d < 0 {
			return sc.entryError(i, "ago %q is not a duration such as \"10m\" or \"36h\"", c.Ago)
		}
		ago = d
	}
	input, _ := normalizeTOML(c.Input).(map[string]any)
	if input == nil {
		input = map[string]any{}
	}
	input, err := cliInput(c.Service, c.Operation, input)
	if err != nil {
		return sc.entryError(i, "%s %s: %v", c.Service, c.Operation, err)
	}
	call := &call{sb: s, region: c.Region, service: c.Service, op: c.Operation, input: input,
		now: at.Add(-ago), requestID: s.newRequestID(), pinned: c.ID}
	s.mu.Lock()
	_, err = op.handler(call)
	s.mu.Unlock()
	if err != nil {
		return sc.entryError(i, "%s %s in %s: %v", c.Service, c.Operation, c.Region, err)
	}
	return nil
}

// normalizeTOML makes a decoded TOML value look like decoded JSON, as the
// handlers expect: numbers as float64, timestamps as epoch seconds.
func normalizeTOML(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normalizeTOML(e)
		}
		return out
	case []map[string]any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalizeTOML(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalizeTOML(e)
		}
		return out
	case int64:
		return float64(x)
	case time.Time:
		return float64(x.UnixMilli()) / 1000
	}
	return v
}

// NewFromScenario makes a sandbox as a scenario describes it and applies
// the scenario. timeScale, when above zero, overrides the scenario's.
func NewFromScenario(sc *Scenario, timeScale float64) (*Sandbox, error) {
	opts := Options{Account: sc.Account, TimeScale: sc.TimeScale, Start: sc.Start}
	if timeScale > 0 {
		opts.TimeScale = timeScale
	}
	if sc.Account != "" && !accountRE.MatchString(sc.Account) {
		return nil, &ScenarioError{File: sc.file, Msg: fmt.Sprintf("account %q is not 12 digits", sc.Account)}
	}
	if opts.TimeScale < 0 || opts.TimeScale > 1e6 {
		return nil, &ScenarioError{File: sc.file, Msg: fmt.Sprintf("time_scale %g is out of range (0 to 1000000)", opts.TimeScale)}
	}
	s := New(opts)
	return s, s.Apply(sc)
}

var accountRE = regexp.MustCompile(`^\d{12}$`)
