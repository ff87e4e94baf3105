package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// repoScenarios lists every scenario file in the repository: the shipped
// runbooks' and the tests'.
func repoScenarios(t *testing.T) []string {
	t.Helper()
	var out []string
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".toml") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(src, []byte("[[create]]")) {
			out = append(out, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestScenarioInputsInRepo checks every scenario in the repository against
// the AWS model of its operations' inputs: no misspelt member anywhere.
func TestScenarioInputsInRepo(t *testing.T) {
	files := repoScenarios(t)
	if len(files) < 5 {
		t.Fatalf("found only %d scenario files: %v", len(files), files)
	}
	for _, f := range files {
		if _, err := loadScenario(f); err != nil {
			t.Errorf("%v", err)
		}
	}
}
