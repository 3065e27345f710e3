// Command testsummary reads `go test -json` on stdin and prints what plain
// `go test` prints (each package's result line, the output of every test
// that failed, build errors), then one line that says what ran and what was
// skipped, with the reasons. It exits 1 when a test or a build failed, or
// when the input ends without a package result (go test itself failed).
//
//	go test -json ./... | go run ./tools/testsummary
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action     string
	Package    string
	Test       string
	Output     string
	ImportPath string // of build-output
}

// summary is what was seen.
type summary struct {
	passed, failed, skipped int
	packages, failedPkgs    int
	skips                   map[string][]string // reason -> tests
	failures                []string
}

func main() {
	s, err := fold(os.Stdin, os.Stdout)
	if err != nil {
		fmt.Fprintf(os.Stderr, "testsummary: %v\n", err)
		os.Exit(1)
	}
	fmt.Println(s.line())
	if s.failed > 0 || s.failedPkgs > 0 || s.packages == 0 {
		os.Exit(1)
	}
}

// fold reads the events from r and writes go test's usual output to w.
func fold(r io.Reader, w io.Writer) (*summary, error) {
	s := &summary{skips: map[string][]string{}}
	out := map[string][]string{} // package/test -> its output so far
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			// Not an event (go vet's or the linker's words): pass it on.
			fmt.Fprintln(w, sc.Text())
			continue
		}
		key := e.Package + " " + e.Test
		switch {
		case e.Action == "build-output":
			fmt.Fprint(w, e.Output)
		case e.Action == "output" && e.Test == "":
			// The package's own lines: its result, a panic, a failed
			// TestMain. The per-test summary lines of -v are left out.
			if !strings.HasPrefix(e.Output, "=== ") && !strings.HasPrefix(e.Output, "--- ") &&
				strings.TrimSpace(e.Output) != "PASS" {
				fmt.Fprint(w, e.Output)
			}
		case e.Action == "output" && !strings.HasPrefix(e.Output, "=== "):
			out[key] = append(out[key], e.Output)
		case e.Action == "output": // -json's "=== RUN" and the like
		case e.Test == "" && (e.Action == "pass" || e.Action == "fail" || e.Action == "skip"):
			s.packages++
			if e.Action == "fail" {
				s.failedPkgs++
			}
		case e.Action == "pass":
			s.passed++
			delete(out, key)
		case e.Action == "fail":
			s.failed++
			s.failures = append(s.failures, e.Package+" "+e.Test)
			fmt.Fprint(w, strings.Join(out[key], ""))
			delete(out, key)
		case e.Action == "skip":
			s.skipped++
			reason := skipReason(out[key])
			s.skips[reason] = append(s.skips[reason], shortPackage(e.Package)+"."+e.Test)
			delete(out, key)
		}
	}
	return s, sc.Err()
}

// skipReason is what a skipped test said before its "--- SKIP" line: the
// message of t.Skip, without the file:line go test puts before it.
func skipReason(lines []string) string {
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if l == "" || strings.HasPrefix(l, "--- SKIP") || strings.HasPrefix(l, "=== ") {
			continue
		}
		if _, msg, ok := strings.Cut(l, ": "); ok && strings.Contains(l[:len(l)-len(msg)], ".go:") {
			return msg
		}
		return l
	}
	return "no reason given"
}

func shortPackage(p string) string { return strings.TrimPrefix(p, "microwizard/") }

// line is the one-line summary: counts, then each reason for a skip with
// the tests it skipped (a few named, the rest counted).
func (s *summary) line() string {
	var b strings.Builder
	fmt.Fprintf(&b, "tests: %d passed, %d failed, %d skipped, in %d packages", s.passed, s.failed, s.skipped, s.packages)
	if s.failedPkgs > 0 && s.failed == 0 {
		fmt.Fprintf(&b, " (%d package(s) failed outside a test: a build error or a panic)", s.failedPkgs)
	}
	if s.packages == 0 {
		b.WriteString(" (no package result: go test did not run)")
	}
	reasons := make([]string, 0, len(s.skips))
	for r := range s.skips {
		reasons = append(reasons, r)
	}
	slices.SortFunc(reasons, func(a, b string) int { return len(s.skips[b]) - len(s.skips[a]) })
	for _, r := range reasons {
		tests := s.skips[r]
		slices.Sort(tests)
		named := tests
		if len(named) > 3 {
			named = named[:3]
		}
		more := ""
		if len(tests) > len(named) {
			more = fmt.Sprintf(" and %d more", len(tests)-len(named))
		}
		fmt.Fprintf(&b, "; skipped %d (%s%s): %s", len(tests), strings.Join(named, ", "), more, r)
	}
	if len(s.failures) > 0 {
		fmt.Fprintf(&b, "; failed: %s", strings.Join(s.failures, ", "))
	}
	return b.String()
}
