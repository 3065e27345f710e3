package main

import (
	"context"
	"fmt"
	"io/fs"
	"os"
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

// BenchmarkRunGrowth shows how a run's copy and build grow with the tree:
// this repository's service in a git repository of 200, 2,000 and 20,000
// files (the rest small text files beside it, as a monorepo's other
// projects; the service's own module is about 20 files), copied as UNCOMMITTED_COPY and built from the copy (the key
// computed, then a build with a warm Go cache).
func BenchmarkRunGrowth(b *testing.B) {
	out, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		b.Fatal(err)
	}
	root := strings.TrimSpace(string(out))
	ctx := context.Background()
	const pkg = "./popularity/cmd/lobsters-popularity"
	for _, n := range []int{200, 2_000, 20_000} {
		b.Run(fmt.Sprintf("files=%d", n), func(b *testing.B) {
			// The service's module: go.mod, go.sum and popularity/, then
			// other files up to n.
			repo := filepath.Join(b.TempDir(), "repo")
			have := 0
			err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				rel, _ := filepath.Rel(root, path)
				if d.IsDir() {
					if rel == "." || rel == "popularity" || strings.HasPrefix(rel, "popularity"+string(filepath.Separator)) {
						return nil
					}
					return filepath.SkipDir
				}
				if rel != "go.mod" && rel != "go.sum" && !strings.HasPrefix(rel, "popularity"+string(filepath.Separator)) {
					return nil
				}
				data, err := os.ReadFile(path)
				if err != nil {
					return err
				}
				have++
				return writeFileAll(filepath.Join(repo, rel), data)
			})
			if err != nil {
				b.Fatal(err)
			}
			for i := have; i < n; i++ {
				name := filepath.Join(repo, "other", fmt.Sprintf("p%02d", i%100), fmt.Sprintf("f%05d.txt", i))
				if err := writeFileAll(name, []byte(strings.Repeat("x", 200+i%800))); err != nil {
					b.Fatal(err)
				}
			}
			for _, args := range [][]string{{"init", "-q"}, {"add", "-A"}, {"-c", "user.name=b", "-c", "user.email=b@b", "commit", "-qm", "bench"}} {
				cmd := exec.Command("git", args...)
				cmd.Dir = repo
				if out, err := cmd.CombinedOutput(); err != nil {
					b.Fatalf("git %v: %v\n%s", args, err, out)
				}
			}
			var copyT, buildT time.Duration
			files := 0
			for i := 0; b.Loop(); i++ {
				dest := filepath.Join(b.TempDir(), "src")
				start := time.Now()
				s, err := snapshot.Take(ctx, repo, snapshot.Source{Kind: snapshot.UncommittedCopy}, dest)
				if err != nil {
					b.Fatal(err)
				}
				copyT += time.Since(start)
				files = s.Files
				start = time.Now()
				in, err := gobuild.FindInputs(ctx, dest, pkg)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := in.Key(ctx, pkg, gobuild.Platform{}); err != nil {
					b.Fatal(err)
				}
				if _, err := gobuild.Build(ctx, dest, pkg, filepath.Join(dest, "svc")); err != nil {
					b.Fatal(err)
				}
				buildT += time.Since(start)
			}
			b.ReportMetric(float64(files), "files")
			b.ReportMetric(copyT.Seconds()/float64(b.N), "copy-s")
			b.ReportMetric(buildT.Seconds()/float64(b.N), "build-s")
		})
	}
}

// writeFileAll writes a file, making its directories.
func writeFileAll(name string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	return os.WriteFile(name, data, 0o644)
}
