package snapshot

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// benchRepo makes a repository of n small files (100–1,100 bytes) spread over
// nested directories, every tenth one an executable, all committed, and
// then edits and adds a few so the working tree is dirty.
func benchRepo(b *testing.B, n int) string {
	b.Helper()
	dir := newRepo(b)
	body := make([]byte, 1100)
	for i := range body {
		body[i] = byte('a' + i%26)
	}
	for i := range n {
		name := filepath.Join(dir, fmt.Sprintf("d%d/e%d/f%d/file%05d.go", i%10, i/10%10, i/100%10, i))
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			b.Fatal(err)
		}
		mode := os.FileMode(0o644)
		if i%10 == 0 {
			mode = 0o755
		}
		if err := os.WriteFile(name, body[:100+i%1000], mode); err != nil {
			b.Fatal(err)
		}
	}
	commitAll(b, dir, "bench")
	for i := range 20 {
		writeFile(b, dir, fmt.Sprintf("d0/e0/f0/file%05d.go", i*1000), "edited\n", 0o644)
		writeFile(b, dir, fmt.Sprintf("new/untracked%d.go", i), "package new\n", 0o644)
	}
	return dir
}

// BenchmarkCopy10kFiles times Take on a 10,000-file tree, git commands
// included: the time `svctl run` spends on the snapshot.
func BenchmarkCopy10kFiles(b *testing.B) {
	repo := benchRepo(b, 10_000)
	for _, src := range []Source{{Kind: UncommittedCopy}, {Kind: Ref}} {
		b.Run(src.Kind.String(), func(b *testing.B) {
			out := b.TempDir()
			files := 0
			i := 0
			for b.Loop() {
				dest := filepath.Join(out, fmt.Sprint(i))
				i++
				snap, err := Take(context.Background(), repo, src, dest)
				if err != nil {
					b.Fatal(err)
				}
				files += snap.Files
				b.StopTimer()
				if err := os.RemoveAll(dest); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(files)/b.Elapsed().Seconds(), "files/s")
		})
	}
}
