// Package sample is what testsummary's test feeds go test: a test that
// passes, one that fails, and two that skip, one with a subtest.
package sample

import (
	"os"
	"testing"
)

func TestPasses(t *testing.T) {}

func TestFails(t *testing.T) {
	if os.Getenv("SAMPLE_FAIL") != "" {
		t.Log("what the failing test printed")
		t.Fatal("it failed")
	}
}

func TestSkipsForNomad(t *testing.T) {
	t.Run("sub", func(t *testing.T) { t.Skip("e2e: no nomad on PATH: put one there") })
}

func TestSkipsToo(t *testing.T) { t.Skip("e2e: no nomad on PATH: put one there") }
