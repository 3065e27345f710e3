// Package consultest gives a test a real Consul dev agent (consuldev's),
// without Nomad, and stops it when the test ends; StartSecured gives one
// with ACLs (default deny) or TLS. When there is no consul binary the test
// is skipped with the reason, except under CI.
package consultest

import (
	"context"
	"errors"
	"testing"

	"microwizard/internal/consuldev"
	"microwizard/internal/testenv"
)

// Start runs a dev agent for a test (see consuldev.Start) and stops it at the
// end of the test. Without a consul binary the test skips (fails under CI).
func Start(tb testing.TB) *consuldev.Agent {
	tb.Helper()
	a, err := consuldev.Start(context.Background())
	if errors.Is(err, consuldev.ErrNoBinary) {
		testenv.Missing(tb, "consultest: "+err.Error())
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
