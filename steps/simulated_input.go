package steps

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/drpilot/drpilot/steps/awsclient"
)

// A dry run gives the outputs it cannot know a marker, simulatedValue's
// "<simulated: steps.ID.NAME>", and a later step's input may hold one. No
// request is sent with such an input, read or not: AWS would answer about
// a resource named "<simulated: …>" (not found, malformed), which says
// nothing about the world and puts a made-up name in AWS's own logs. Every
// read of a step, its preconditions' included, goes through sendRead, so
// the rule holds whatever the action's code does; mutating calls are not
// sent in a dry run at all.

// simulatedMarker begins every simulated output's value.
const simulatedMarker = "<simulated: steps."

// simulatedIn returns the first string in v (a call's input: maps, lists
// and strings, at any depth) that holds a simulated marker, or "".
func simulatedIn(v any) string {
	switch v := v.(type) {
	case string:
		if strings.Contains(v, simulatedMarker) {
			return v
		}
	case map[string]any:
		for _, m := range v {
			if s := simulatedIn(m); s != "" {
				return s
			}
		}
	case []any:
		for _, m := range v {
			if s := simulatedIn(m); s != "" {
				return s
			}
		}
	}
	return ""
}

// SimulatedInputError is a read that was not sent because its input holds
// a value an earlier step's simulated change stands in for.
type SimulatedInputError struct {
	Operation string
	Value     string // the input's string that holds the marker
}

func (e *SimulatedInputError) Error() string {
	return fmt.Sprintf("dry-run: %s was not sent: its input holds %q, which only a live run knows because the change that makes it was simulated",
		e.Operation, e.Value)
}

// notSent reports whether err is a read not sent for a simulated input:
// what it would have looked up is what a simulated change makes, so an
// action that creates what it does not find goes on to its (simulated)
// change, which the dry run then shows.
func notSent(err error) bool {
	_, ok := errors.AsType[*SimulatedInputError](err)
	return ok
}

// sendRead sends one read-only request unless its input holds a simulated
// marker, and conceals the secrets of its answer before anything sees it.
func (e *Executor) sendRead(ctx context.Context, service, region, op string, in map[string]any) (*awsclient.Response, error) {
	if v := simulatedIn(in); v != "" {
		return nil, &SimulatedInputError{Operation: service + ":" + op, Value: v}
	}
	resp, err := e.opts.Clients.Invoke(ctx, service, region, op, in)
	if err == nil {
		e.concealResponse(service, op, resp.Output)
	}
	return resp, err
}

// notSentInDryRun ends a dry-run step one of whose reads was not sent
// because of a simulated input: the step cannot see what it would act on,
// so its change is taken as simulated, and its outputs are markers (or
// what the action simulated before the read).
func (s *StepRun) notSentInDryRun(err *SimulatedInputError) map[string]any {
	s.Note("dry-run: this step reads what an earlier simulated change would make, so it goes on as simulated; a live run reads and acts on the real %s",
		strings.TrimSuffix(strings.TrimPrefix(err.Value, "<simulated: "), ">"))
	if s.simulated == nil {
		s.simulated = map[string]any{}
	}
	return s.simulated
}
