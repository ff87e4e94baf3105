package runbooks_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/steps"
)

// FuzzLoadValidate feeds arbitrary bytes through Parse, Validate and Plan:
// none of them may panic or hang, and every diagnostic must say where.
func FuzzLoadValidate(f *testing.F) {
	for _, pattern := range []string{"*.toml", "testdata/valid/*.toml", "testdata/broken/*.toml"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			src, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(src)
		}
	}
	// The team table and the approval fields, valid and with the
	// mistakes their rules are about (testdata/valid/team.toml is seeded
	// above).
	f.Add([]byte(teamBase))
	f.Add([]byte(strings.Replace(teamBase, `retention = "400d"`, `retention = "1.5d"`, 1)))
	f.Add([]byte(strings.Replace(teamBase, `region = "recovery"`, `region = "${runbook.regions.primary}"`, 1)))
	f.Add([]byte(strings.Replace(teamBase, "[runbook.team]\n", "[runbook.teams]\n", 1)))
	f.Add([]byte(strings.Replace(teamBase, `approvers = ["alice", "bob", "carol"]`, `approvers = ["alice", "alice", 3]`, 1)))
	f.Add([]byte("format = 1\n[runbook.team]\nretention = \"36500d\"\n[[steps]]\napprovals = -1\napprovers = []\n"))
	f.Add([]byte("[[[[[[[[[["))
	f.Add([]byte("a = [[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]"))
	f.Add([]byte("\x00\xff\xfe"))
	cat := steps.Default()
	f.Fuzz(func(t *testing.T, src []byte) {
		rb, diags := runbooks.Parse("fuzz.toml", src)
		for _, d := range diags {
			if d.File != "fuzz.toml" || d.Message == "" {
				t.Fatalf("diagnostic without file or message: %#v", d)
			}
		}
		if rb == nil {
			if !diags.HasErrors() {
				t.Fatal("no runbook and no error")
			}
			return
		}
		vd := runbooks.Validate(rb, cat)
		for _, d := range vd {
			if d.Message == "" {
				t.Fatalf("diagnostic without message: %#v", d)
			}
		}
		if !diags.HasErrors() && !vd.HasErrors() {
			if p, pd := runbooks.Plan(rb, cat); p == nil {
				t.Fatalf("valid runbook does not plan: %v", pd)
			}
		}
	})
}
