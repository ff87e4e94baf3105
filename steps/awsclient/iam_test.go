package awsclient

import (
	"strings"
	"testing"

	"github.com/drpilot/drpilot/sandbox"
)

// TestSandboxActionsUseRegistryPrefixes: the sandbox, which imports
// nothing of drpilot's, keeps its own table of IAM prefixes for the
// policies it enforces; for every operation it serves, the action it
// authorizes is under the IAM prefix this registry gives the service
// signed that way, so that a policy the generator writes from the
// registry is the one the sandbox evaluates.
func TestSandboxActionsUseRegistryPrefixes(t *testing.T) {
	t.Parallel()
	sb := sandbox.New(sandbox.Options{})
	bySigning := map[string]Service{}
	for _, s := range Registry() {
		if _, seen := bySigning[s.Signing()]; !seen || s.IAMPrefix == "" {
			bySigning[s.Signing()] = s
		}
	}
	for _, op := range sb.Operations() {
		perms := sb.Permissions(op.Service, "us-east-1", op.Name, map[string]any{})
		if len(perms) == 0 {
			t.Errorf("%s %s: no permission", op.Service, op.Name)
			continue
		}
		svc, ok := bySigning[op.Service]
		if !ok {
			t.Errorf("%s: no service of the registry signs as %q", op.Name, op.Service)
			continue
		}
		if prefix, _, _ := strings.Cut(perms[0].Action, ":"); prefix != svc.IAM() {
			t.Errorf("%s %s: the sandbox authorizes %s, the registry's IAM prefix is %s", op.Service, op.Name, perms[0].Action, svc.IAM())
		}
	}
}
