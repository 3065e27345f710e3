package main

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"microwizard/internal/svctl/gobuild"
	"microwizard/internal/svctl/snapshot"
)

// BenchmarkCopyAndBuildThisRepo measures what `svctl run … UNCOMMITTED_COPY`
// does before it submits: copy this repository's working tree and build the
// popularity service from the copy, with a warm build cache.
func BenchmarkCopyAndBuildThisRepo(b *testing.B) {
	out, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		b.Fatal(err)
	}
	root := strings.TrimSpace(string(out))
	ctx := context.Background()
	take := func() (string, time.Duration) {
		dest := filepath.Join(b.TempDir(), "src")
		start := time.Now()
		if _, err := snapshot.Take(ctx, root, snapshot.Source{Kind: snapshot.UncommittedCopy}, dest); err != nil {
			b.Fatal(err)
		}
		return dest, time.Since(start)
	}
	build := func(dir string) time.Duration {
		start := time.Now()
		if _, err := gobuild.Build(ctx, dir, "./popularity/cmd/lobsters-popularity", filepath.Join(dir, "svc")); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	dir, _ := take() // warm the build cache
	build(dir)
	var copyT, buildT time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dir, c := take()
		copyT += c
		buildT += build(dir)
	}
	b.ReportMetric(copyT.Seconds()/float64(b.N), "copy-s")
	b.ReportMetric(buildT.Seconds()/float64(b.N), "build-s")
}
