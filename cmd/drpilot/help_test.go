package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/spf13/cobra"
)

// TestMain lays help out as without a terminal and without COLUMNS, so
// that the width tests do not depend on the terminal that runs them.
func TestMain(m *testing.M) {
	os.Unsetenv("COLUMNS")
	os.Exit(m.Run())
}

// commandPaths lists every command's path below root, e.g. ["audit",
// "verify"].
func commandPaths(root *cobra.Command) [][]string {
	var paths [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		for _, sub := range c.Commands() {
			if sub.Hidden {
				continue
			}
			p := append(append([]string(nil), path...), sub.Name())
			paths = append(paths, p)
			walk(sub, p)
		}
	}
	walk(root, nil)
	return paths
}

// TestHelpFitsEightyColumns: without a terminal, every line of every help
// page is at most 80 columns wide, padding included, as fang renders it.
func TestHelpFitsEightyColumns(t *testing.T) {
	t.Parallel()
	root := newRootCommand()
	addDefaultCommands(root)
	paths := append([][]string{nil}, commandPaths(root)...)
	if len(paths) < 18 {
		t.Fatalf("only %d commands: %v", len(paths), paths)
	}
	for _, path := range paths {
		args := append(append([]string(nil), path...), "--help")
		code, out, errOut := drpilot(t, args...)
		if code != exitOK || out == "" {
			t.Errorf("drpilot %s: exit %d\n%s", strings.Join(args, " "), code, errOut)
			continue
		}
		for i, line := range strings.Split(out, "\n") {
			if w := ansi.StringWidth(line); w > 80 {
				t.Errorf("drpilot %s, line %d is %d columns wide: %q", strings.Join(args, " "), i+1, w, line)
			}
		}
	}
}

// TestHelpKeepsEveryWord: fitting help to the width moves words, and
// drops none: run's flag descriptions and examples are whole in its help.
func TestHelpKeepsEveryWord(t *testing.T) {
	t.Parallel()
	_, out, _ := drpilot(t, "run", "--help")
	got := strings.Join(strings.Fields(out), " ")
	run := newRunCommand()
	want := []string{"write diagnostics (the AWS SDK's messages, every event) to this file as JSON lines"}
	for _, line := range strings.Split(run.Example, "\n") {
		want = append(want, strings.TrimSpace(line))
	}
	for _, w := range want {
		if !strings.Contains(strings.ToLower(got), strings.ToLower(w)) {
			t.Errorf("run --help lacks %q:\n%s", w, out)
		}
	}
}

func TestHelpWidth(t *testing.T) {
	t.Parallel()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	for _, tc := range []struct {
		columns string
		out     any
		want    int
	}{
		{"", &bytes.Buffer{}, 80},
		{"", w, 80},
		{"132", w, 132},
		{"100", &bytes.Buffer{}, 100},
		{"10", &bytes.Buffer{}, minHelpWidth},
		{"wide", &bytes.Buffer{}, 80},
	} {
		env := func(name string) string {
			if name == "COLUMNS" {
				return tc.columns
			}
			return ""
		}
		if got := helpWidth(tc.out.(interface{ Write([]byte) (int, error) }), env); got != tc.want {
			t.Errorf("COLUMNS=%q, %T: width %d, want %d", tc.columns, tc.out, got, tc.want)
		}
	}
}
