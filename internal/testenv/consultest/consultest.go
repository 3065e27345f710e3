package consultest

import (
	"context"
	"errors"
	"testing"

	"microwizard/internal/testenv"
)

// Start runs a dev agent for a test (see StartAgent) and stops it at the end
// of the test. Without a consul binary the test skips (fails under CI).
func Start(tb testing.TB) *Agent {
	tb.Helper()
	a, err := StartAgent(context.Background())
	if errors.Is(err, ErrNoBinary) {
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
