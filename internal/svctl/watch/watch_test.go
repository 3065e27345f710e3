package watch

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// gitTree makes a git working tree with a .gitignore.
func gitTree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, args := range [][]string{{"init", "-q"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	write(t, filepath.Join(dir, ".gitignore"), "build/\n*.log\n")
	write(t, filepath.Join(dir, "svc", "main.go"), "package main\n")
	write(t, filepath.Join(dir, "build", "out.txt"), "x")
	return dir
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// next waits for a batch, or none within d.
func next(w *Watcher, d time.Duration) []string {
	select {
	case b := <-w.Changes():
		return b
	case <-time.After(d):
		return nil
	}
}

// TestBatchesRelevantChangesGitDoesNotIgnore: several saves make one batch;
// what git ignores, what the caller does not care about, and changes in an
// ignored directory make none; a file in a new directory is seen.
func TestBatchesRelevantChangesGitDoesNotIgnore(t *testing.T) {
	dir := gitTree(t)
	relevant := func(p string) bool { return !strings.HasSuffix(p, ".md") }
	w, err := New(dir, relevant, 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()

	main := filepath.Join(dir, "svc", "main.go")
	for i := 0; i < 3; i++ {
		write(t, main, "package main\n// edit\n")
		time.Sleep(20 * time.Millisecond)
	}
	write(t, filepath.Join(dir, "svc", "extra.go"), "package main\n")
	got := next(w, 5*time.Second)
	if strings.Join(got, ",") != filepath.Join(dir, "svc", "extra.go")+","+main {
		t.Fatalf("batch = %v, want extra.go and main.go once each", got)
	}

	write(t, filepath.Join(dir, "debug.log"), "ignored by git")
	write(t, filepath.Join(dir, "build", "out.txt"), "in an ignored directory")
	write(t, filepath.Join(dir, "README.md"), "not relevant")
	if got := next(w, time.Second); got != nil {
		t.Fatalf("a batch for ignored or irrelevant changes: %v", got)
	}

	newFile := filepath.Join(dir, "svc", "sub", "x.go")
	write(t, newFile, "package sub\n")
	time.Sleep(300 * time.Millisecond) // the new directory is watched
	write(t, newFile, "package sub\n// edit\n")
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if b := next(w, time.Second); strings.Contains(strings.Join(b, ","), newFile) {
			return
		}
	}
	t.Fatal("no batch for a file in a new directory")
}
