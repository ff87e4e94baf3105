package runbooks_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drpilot/drpilot/runbooks"
	"github.com/drpilot/drpilot/steps"
)

// Each file in testdata/broken is the valid minimal runbook with one
// mistake (made by testdata/make_broken.py). Its "# want:" lines give every
// diagnostic it must produce, exactly, as "line:col: path: message (hint)".
func TestBrokenFixtures(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/broken/*.toml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	cat := steps.Default()
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".toml"), func(t *testing.T) {
			t.Parallel()
			want := wantLines(t, file)
			if len(want) == 0 {
				t.Fatalf("%s has no # want: lines", file)
			}
			_, diags := runbooks.Check(file, cat)
			if !diags.HasErrors() && !strings.Contains(strings.Join(want, "\n"), "warning:") {
				t.Errorf("%s: no errors, and the fixture expects no warning either", file)
			}
			var got []string
			for _, d := range diags {
				got = append(got, strings.TrimPrefix(d.String(), file+":"))
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("%s:\n got:\n  %s\nwant:\n  %s", file, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
			}
		})
	}
}

func wantLines(t *testing.T, file string) []string {
	t.Helper()
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, line := range strings.Split(string(src), "\n") {
		if w, ok := strings.CutPrefix(line, "# want: "); ok {
			want = append(want, w)
		}
	}
	return want
}

// TestValidFixturesAndShippedRunbooks: the fixtures under testdata/valid and
// every shipped runbook are valid.
func TestValidFixturesAndShippedRunbooks(t *testing.T) {
	t.Parallel()
	valid, _ := filepath.Glob("testdata/valid/*.toml")
	shipped, _ := filepath.Glob("*.toml")
	if len(valid) == 0 {
		t.Fatal("no valid fixtures")
	}
	cat := steps.Default()
	for _, file := range append(valid, shipped...) {
		rb, diags := runbooks.Check(file, cat)
		if rb == nil || diags.HasErrors() {
			t.Errorf("%s is not valid:\n%v", file, diags)
			continue
		}
		if _, pd := runbooks.Plan(rb, cat); pd.HasErrors() {
			t.Errorf("%s does not plan:\n%v", file, pd)
		}
	}
}

// TestDocumentedExampleIsValid keeps the complete example at the top of
// docs/runbook-format.md valid: people copy it.
func TestDocumentedExampleIsValid(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../docs/runbook-format.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "## A complete example\n\n```toml\n")
	example, _, closed := strings.Cut(rest, "```")
	if !ok || !closed {
		t.Fatal("docs/runbook-format.md has no complete example in a toml block")
	}
	rb, diags := runbooks.Parse("docs/runbook-format.md", []byte(example))
	if rb == nil || diags.HasErrors() {
		t.Fatalf("the example does not load: %v", diags)
	}
	if diags := runbooks.Validate(rb, steps.Default()); diags.HasErrors() {
		t.Fatalf("the example is not valid:\n%v", diags)
	}
}
