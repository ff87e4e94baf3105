package main

import (
	"encoding/json"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/drpilot/drpilot/audit"
	"github.com/drpilot/drpilot/runbooks"
)

// A resumed run applies again the --var values its run was given, from
// run.start. The log keeps a sensitive var's value (and any value with a
// secret in it) only as "[redacted]", so the operator gives those again
// with resume --var, and resume proves them before using them: run.start
// keeps the SHA-256 of its data as given (_unredacted_sha256), and the
// data rebuilt with the values given, through the code the run used,
// must have it. Any other --var is refused: what the log holds is what
// the run began with, and a resumed run must not send something else.

// loadForResume loads the run's runbook, refuses one that changed (the
// log's steps must mean what they meant when they were written), and
// applies the vars the run was given: from the log, and given again with
// --var where the log keeps them redacted.
func loadForResume(start audit.RunInfo, startData json.RawMessage, given []string, stderr io.Writer) (*runbooks.Runbook, *runbooks.RunPlan, error) {
	red, err := audit.RedactionOf(startData)
	if err != nil {
		return nil, nil, badInput("run.start: %v", err)
	}
	redacted, err := redactedVars(red)
	if err != nil {
		return nil, nil, err
	}
	if err := checkGivenAgain(start, redacted, given); err != nil {
		return nil, nil, err
	}
	return loadAndPlan(start.Runbook, stderr, func(rb *runbooks.Runbook) error {
		if rb.SHA256 != start.RunbookSHA256 {
			return badInput("runbook %s changed since the run began (SHA-256 %s, now %s): resume needs the file as it was", start.Runbook, start.RunbookSHA256, rb.SHA256)
		}
		for _, name := range slices.Sorted(maps.Keys(start.Vars)) {
			old, ok := rb.Vars[name]
			switch {
			case !ok:
				return badInput("the run overrode var %s, which the runbook no longer has", name)
			case redacted[name]:
				continue // given again: checkGivenAgain made sure
			}
			v, err := varFromLog(start.Vars[name], old)
			if err != nil {
				return badInput("var %s as the run logged it: %v", name, err)
			}
			rb.Vars[name] = v
		}
		if len(given) == 0 {
			return nil
		}
		if err := overrideVars(rb, given); err != nil {
			return err
		}
		return proveGivenAgain(start, red, rb, slices.Sorted(maps.Keys(redacted)))
	})
}

// redactedVars are the vars whose value run.start keeps redacted, wholly
// or in part. It refuses a run.start that redacted something else along
// with them: its data could not be rebuilt to prove the values given.
func redactedVars(red audit.Redaction) (map[string]bool, error) {
	names := map[string]bool{}
	var other []string
	for _, path := range red.Paths {
		rest, ok := strings.CutPrefix(path, "vars.")
		if !ok {
			other = append(other, path)
			continue
		}
		name, _, _ := strings.Cut(rest, "[")
		names[name] = true
	}
	if len(names) > 0 && len(other) > 0 {
		return nil, badInput("run.start keeps redacted %s, which is not a var's value: resume cannot rebuild what the run was given to check the vars given again", strings.Join(other, ", "))
	}
	return names, nil
}

// checkGivenAgain refuses a --var that is not a redacted var's value given
// again, and a redacted var not given, saying what to do. It never shows
// a value given.
func checkGivenAgain(start audit.RunInfo, redacted map[string]bool, given []string) error {
	seen := map[string]bool{}
	for _, kv := range given {
		name, _, ok := strings.Cut(kv, "=")
		_, wasGiven := start.Vars[name]
		switch {
		case !ok || name == "":
			return badInput("--var takes NAME=VALUE")
		case redacted[name]:
			seen[name] = true
		case wasGiven:
			return badInput("--var %s: the log holds the value the run was given for var %s, and the resumed run goes on with it; resume --var only gives again a value the log keeps redacted (a sensitive var's)", name, name)
		default:
			return badInput("--var %s: the run was not given var %s with --var, and a resumed run keeps the vars it began with; resume --var only gives again a value the log keeps redacted (a sensitive var's)", name, name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(redacted)) {
		if !seen[name] {
			return badInput("var %s is sensitive and the run was given its value with --var, which the log keeps only as %s: give it again, passing --var %s=... to resume", name, audit.Redacted, name)
		}
	}
	return nil
}

// proveGivenAgain rebuilds run.start's data with the vars now in rb, as
// the run built it (overridden), and refuses values that do not give the
// SHA-256 the log keeps.
func proveGivenAgain(start audit.RunInfo, red audit.Redaction, rb *runbooks.Runbook, names []string) error {
	rebuilt := start
	rebuilt.Vars = overridden(rb, slices.Collect(maps.Keys(start.Vars)))
	ok, err := red.Given(rebuilt)
	if err != nil {
		return badInput("rebuild run.start with the vars given again: %v", err)
	}
	if !ok {
		return badInput("the value given with --var for %s does not match what the run was given (run.start keeps the SHA-256 of its data as given, and the values given do not rebuild it): give the value the run began with", strings.Join(names, ", "))
	}
	return nil
}

// varFromLog turns a var's value as run.start logged it (JSON, numbers
// kept as json.Number) back into the type the runbook's var has.
func varFromLog(v, old any) (any, error) {
	switch x := v.(type) {
	case json.Number:
		if _, isInt := old.(int64); isInt {
			return x.Int64()
		}
		return x.Float64()
	case []any:
		out := make([]any, len(x))
		var elem any
		if list, ok := old.([]any); ok && len(list) > 0 {
			elem = list[0]
		}
		for i, e := range x {
			c, err := varFromLog(e, elem)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	}
	return v, nil
}
