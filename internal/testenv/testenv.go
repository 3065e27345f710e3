// Package testenv holds what the test environments share: the rule for a
// missing component (skip, but fail under CI), and a listener that never
// answers. Each real component has a package of its own beside it:
// consultest, nomadtest, mariadbtest. What the mesh lab and tools/ use as
// well lives in packages without `testing`: freeport, consuldev, dbforward,
// admindsn and proclog.
package testenv

import (
	"os"
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
