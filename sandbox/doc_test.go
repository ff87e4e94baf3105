package sandbox

import (
	"bytes"
	"flag"
	"os"
	"strings"
	"testing"
)

var updateDocs = flag.Bool("update", false, "rewrite the generated part of docs/sandbox.md")

const sandboxDoc = "../docs/sandbox.md"

// TestOperationsDocUpToDate: docs/sandbox.md lists exactly the operations
// the sandbox serves, as the sandbox marks them.
func TestOperationsDocUpToDate(t *testing.T) {
	doc, err := os.ReadFile(sandboxDoc)
	if err != nil {
		t.Fatal(err)
	}
	want, err := SpliceOperationsDoc(doc)
	if err != nil {
		t.Fatal(err)
	}
	if *updateDocs {
		if err := os.WriteFile(sandboxDoc, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(doc, want) {
		t.Fatal("docs/sandbox.md's list of operations is stale: run `make docs`")
	}
	for _, op := range New(Options{}).Operations() {
		if !strings.Contains(string(want), op.Name) {
			t.Errorf("%s:%s is not listed", op.Service, op.Name)
		}
	}
}
