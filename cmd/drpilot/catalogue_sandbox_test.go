package main

import (
	"path/filepath"
	"testing"

	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/sandbox"
	"github.com/drpilot/drpilot/steps"
)

// TestSandboxServesEveryCatalogueCall: every AWS operation an action of
// the catalogue makes is one the sandbox serves, so every action can run
// against it.
func TestSandboxServesEveryCatalogueCall(t *testing.T) {
	t.Parallel()
	sb := sandbox.New(sandbox.Options{})
	for _, spec := range steps.Default().Actions() {
		for _, call := range spec.Calls {
			svc, op, ok := cutOperation(call.Operation)
			if !ok {
				t.Errorf("%s: malformed call %q", spec.Name, call.Operation)
				continue
			}
			if call.HTTP != "" {
				continue // the resource's own endpoint, which the simulated internet serves
			}
			if !sb.Serves(sandboxService(svc), op) {
				t.Errorf("%s calls %s, which the sandbox does not serve", spec.Name, call.Operation)
			}
		}
	}
}

func cutOperation(s string) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == ':' {
			return s[:i], s[i+1:], i > 0 && i < len(s)-1
		}
	}
	return "", "", false
}

// TestSandboxServesShippedRunbooksCalls: every operation a shipped runbook
// names itself, in an aws.call step or a precondition, is one the sandbox
// serves, so that its game day can run the whole runbook.
func TestSandboxServesShippedRunbooksCalls(t *testing.T) {
	t.Parallel()
	sb := sandbox.New(sandbox.Options{})
	paths, err := filepath.Glob("../../runbooks/*.toml")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no shipped runbooks: %v", err)
	}
	for _, path := range paths {
		rb, diags := runbooks.Load(path)
		if rb == nil {
			t.Fatalf("%s: %v", path, diags)
		}
		for _, st := range rb.Steps {
			var calls []string
			if st.Action == "aws.call" {
				call, _ := st.With["call"].(string)
				calls = append(calls, call)
			}
			for _, req := range st.Require {
				calls = append(calls, req.Call)
			}
			for _, call := range calls {
				svc, op, ok := cutOperation(call)
				if !ok || !sb.Serves(sandboxService(svc), op) {
					t.Errorf("%s: step %s calls %q, which the sandbox does not serve", filepath.Base(path), st.ID, call)
				}
			}
		}
	}
}
