// Package consultest starts a real Consul dev agent for a test, on free
// loopback ports, and stops it when the test ends.
//
// The agent is the `consul` binary on PATH (scripts/setup builds v1.14.0),
// run by package consulagent. When there is none the test is skipped with the
// reason, except under CI (CI set), where a missing Consul is a failure: CI
// installs it.
package consultest

import (
	"context"
	"errors"
	"os"
	"testing"

	"microwizard/consulagent"
)

// Agent is a running dev agent.
type Agent = consulagent.Agent

// Binary returns the path of the consul binary, or skips (fails under CI).
func Binary(tb testing.TB) string {
	tb.Helper()
	p, err := consulagent.Binary()
	if err != nil {
		skipOrFail(tb, err)
	}
	return p
}

// Start runs `consul agent -dev` on free loopback ports, waits for a leader,
// and stops the agent at the end of the test.
func Start(tb testing.TB) *Agent {
	tb.Helper()
	Binary(tb)
	a, err := consulagent.Start(context.Background())
	if errors.Is(err, consulagent.ErrNoBinary) {
		skipOrFail(tb, err)
	}
	if err != nil {
		tb.Fatalf("consultest: %v", err)
	}
	tb.Cleanup(func() {
		if err := a.Stop(); err != nil {
			tb.Logf("consultest: %v", err)
		}
	})
	return a
}

// FreePorts returns n distinct free TCP ports on 127.0.0.1.
func FreePorts(tb testing.TB, n int) []int {
	tb.Helper()
	ports, err := consulagent.FreePorts(n)
	if err != nil {
		tb.Fatalf("consultest: %v", err)
	}
	return ports
}

// skipOrFail skips the test for a missing consul, or fails it under CI.
func skipOrFail(tb testing.TB, err error) {
	tb.Helper()
	msg := "consultest: " + err.Error()
	if os.Getenv("CI") != "" {
		tb.Fatal(msg)
	}
	tb.Skip(msg)
}
