// Package testenv holds what the test environments share: the rule for a
// missing component (skip, but fail under CI), a log buffer for the processes
// they start, and a listener that never answers. Each real component has a
// package of its own beside it: consultest, nomadtest, mariadbtest. What the
// mesh lab and tools/ use as well lives in packages without `testing`:
// freeport, consuldev, dbforward and admindsn.
package testenv

import (
	"bytes"
	"os"
	"sync"
	"testing"
)

// Missing skips the test because a component it needs is missing, saying
// why, or fails it under CI (CI set), where every component but Nomad is
// installed by .ci/run.
func Missing(tb testing.TB, why string) {
	tb.Helper()
	if os.Getenv("CI") != "" {
		tb.Fatal(why)
	}
	tb.Skip(why)
}

// Log collects a process's output; it is safe for concurrent use.
type Log struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (l *Log) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns everything written so far.
func (l *Log) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
