package jobspec

import (
	"path/filepath"
	"strings"
	"testing"
)

// monolithJob is the repository's static job with variables.
var monolithJob = filepath.Join("..", "..", "..", "jobs", "lobsters.nomad.hcl")

// TestReadFileRefusesUnknownVariable: a value for no declared variable is a
// mistake, as with nomad job run, and so is a variable left without a value.
func TestReadFileRefusesUnknownVariable(t *testing.T) {
	_, err := ReadFile(monolithJob, map[string]string{"binary": "/b", "bianry": "/b"})
	if err == nil || !strings.Contains(err.Error(), "bianry") {
		t.Fatalf("err = %v, want one naming bianry", err)
	}
	_, err = Parse("job.hcl", []byte("variable \"image\" {\n  type = string\n}\njob \"j\" {}\n"), nil)
	if err == nil || !strings.Contains(err.Error(), "image has no default") {
		t.Fatalf("err = %v, want one naming the missing image", err)
	}
}
