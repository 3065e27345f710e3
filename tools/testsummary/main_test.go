package main

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// goTestJSON runs go test -json on the sample package, with env, and
// returns what it printed.
func goTestJSON(t *testing.T, env ...string) []byte {
	t.Helper()
	cmd := exec.Command("go", "test", "-count=1", "-json", "./testdata/sample")
	cmd.Env = append(os.Environ(), env...)
	out, _ := cmd.Output() // a failing sample exits 1: its events are the point
	if len(out) == 0 {
		t.Fatal("go test -json printed nothing")
	}
	return out
}

// TestSummaryOfRealGoTestOutput: fed what go test -json really prints, the
// summary counts passes, failures and skips, names the skips' reason once
// with its tests, and shows the failing test's output.
func TestSummaryOfRealGoTestOutput(t *testing.T) {
	var w bytes.Buffer
	s, err := fold(bytes.NewReader(goTestJSON(t, "SAMPLE_FAIL=1")), &w)
	if err != nil {
		t.Fatal(err)
	}
	line := s.line()
	for _, want := range []string{
		"2 passed, 1 failed, 2 skipped, in 1 packages", // a test whose subtests all skip passes
		"skipped 2 (tools/testsummary/testdata/sample.TestSkipsForNomad/sub, tools/testsummary/testdata/sample.TestSkipsToo): e2e: no nomad on PATH: put one there",
		"failed: microwizard/tools/testsummary/testdata/sample TestFails",
	} {
		if !strings.Contains(line, want) {
			t.Errorf("summary lacks %q:\n%s", want, line)
		}
	}
	if !strings.Contains(w.String(), "what the failing test printed") || !strings.Contains(w.String(), "FAIL") {
		t.Errorf("the failing test's output or the package's FAIL is not shown:\n%s", w.String())
	}
	if strings.Contains(w.String(), "=== RUN") {
		t.Errorf("the -v lines of passing tests are shown:\n%s", w.String())
	}
}
