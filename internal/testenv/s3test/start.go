package s3test

import (
	"context"
	"errors"
	"testing"

	"microwizard/internal/testenv"
)

// Start runs a server for a test (see StartServer) and stops it at the end
// of the test. Without a weed binary the test skips (fails under CI).
func Start(tb testing.TB) *Server {
	tb.Helper()
	s, err := StartServer(context.Background())
	if errors.Is(err, ErrNoBinary) {
		testenv.Missing(tb, "s3test: "+err.Error())
	}
	if err != nil {
		tb.Fatalf("s3test: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Stop(); err != nil {
			tb.Logf("s3test: %v", err)
		}
	})
	return s
}
