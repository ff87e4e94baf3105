package main

import (
	"bytes"
	"os"
	"testing"
)

// TestGeneratedFileIsCurrent fails when unions_gen.go differs from what
// the generator writes now: a service was added to the registry, or the
// SDK gained a union or a member. Regenerate with
//
//	go generate ./steps/awsclient
func TestGeneratedFileIsCurrent(t *testing.T) {
	t.Parallel()
	want, err := generate("../..", "unions_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../../unions_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("steps/awsclient/unions_gen.go is stale: run go generate ./steps/awsclient")
	}
}
