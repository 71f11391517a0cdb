package main

import (
	"bytes"
	"os"
	"testing"
)

// The committed index must be what the YAML files generate.
func TestIndexUpToDate(t *testing.T) {
	want, err := generate(os.DirFS("../../../playbooks"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../../../playbooks/index_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("playbooks/index_gen.go is stale: run `go generate ./playbooks`")
	}
}
