package steps

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// update rewrites docs/actions.md from the catalogue instead of comparing.
var update = flag.Bool("update", false, "rewrite docs/actions.md from the catalogue")

// actionsDoc is docs/actions.md, relative to this package's directory,
// where go test runs.
var actionsDoc = filepath.Join("..", "docs", "actions.md")

func TestActionsDocUpToDate(t *testing.T) {
	var b bytes.Buffer
	if err := WriteActionsDoc(&b, Default()); err != nil {
		t.Fatalf("WriteActionsDoc: %v", err)
	}
	if *update {
		if err := os.WriteFile(actionsDoc, b.Bytes(), 0o644); err != nil {
			t.Fatalf("update %s: %v", actionsDoc, err)
		}
		return
	}
	got, err := os.ReadFile(actionsDoc)
	if err != nil {
		t.Fatalf("docs/actions.md is stale: run `go test ./steps -run TestActionsDocUpToDate -update` (%v)", err)
	}
	if !bytes.Equal(got, b.Bytes()) {
		t.Fatal("docs/actions.md is stale: run `go test ./steps -run TestActionsDocUpToDate -update`")
	}
}

// TestActionsDocContent checks the generated reference says what it must
// for every action, independently of the committed file.
func TestActionsDocContent(t *testing.T) {
	t.Parallel()
	c := Default()
	var b bytes.Buffer
	if err := WriteActionsDoc(&b, c); err != nil {
		t.Fatalf("WriteActionsDoc: %v", err)
	}
	doc := b.String()
	for _, spec := range c.Actions() {
		for _, want := range []string{
			"### `" + spec.Name + "`",
			"](#" + anchor(spec.Name) + ")",
			`action = "` + spec.Name + `"`,
		} {
			if !strings.Contains(doc, want) {
				t.Errorf("doc lacks %q", want)
			}
		}
		for _, p := range spec.Params {
			if !strings.Contains(doc, "| `"+p.Name+"` |") {
				t.Errorf("doc lacks a row for %s's parameter %s", spec.Name, p.Name)
			}
		}
	}
	for _, want := range []string{
		"| `alias_target.dns_name` |", "| `targets[].id` |",
		"Give exactly one of `values`, `alias_target`.",
		"Give at least one of `min_size`, `max_size`, `desired_capacity`.",
		"| `sts:GetSessionToken` | mutating |",
		"| `elasticloadbalancing` | `elbv2` | in each Region |", "| `route53` |  | only in us-east-1 (a global service) |",
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("doc lacks %q", want)
		}
	}
}

func TestAnchor(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"rds.promote-read-replica": "rdspromote-read-replica",
		"aws.call":                 "awscall",
		"wait":                     "wait",
	}
	for in, want := range tests {
		if got := anchor(in); got != want {
			t.Errorf("anchor(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTOMLLiteral(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   any
		want string
	}{
		{"String", `"String"`},
		{`say "hi"\`, `"say \"hi\"\\"`},
		{int64(200), "200"},
		{true, "true"},
		{1.5, "1.5"},
	}
	for _, tt := range tests {
		if got := tomlLiteral(tt.in); got != tt.want {
			t.Errorf("tomlLiteral(%#v) = %s, want %s", tt.in, got, tt.want)
		}
	}
}
