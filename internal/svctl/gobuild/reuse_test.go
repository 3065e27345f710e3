package gobuild

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestKeyChangesWithWhatTheBuildReads: an edit to an imported package or
// go.mod changes the key; an edit elsewhere in the tree does not.
func TestKeyChangesWithWhatTheBuildReads(t *testing.T) {
	dir := writeModule(t, map[string]string{"cmd/a": hello})
	write(t, filepath.Join(dir, "lib", "lib.go"), "package lib\n\nconst X = 1\n")
	write(t, filepath.Join(dir, "cmd", "b", "main.go"), "package main\n\nimport \"example.com/tiny/lib\"\n\nfunc main() { _ = lib.X }\n")
	write(t, filepath.Join(dir, "README.md"), "hello\n")
	ctx := context.Background()
	key := func() string {
		t.Helper()
		in, err := FindInputs(ctx, dir, "./cmd/b")
		if err != nil {
			t.Fatal(err)
		}
		k, err := in.Key(ctx, "./cmd/b", Platform{})
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	k0 := key()
	if key() != k0 {
		t.Fatal("the key of an unchanged tree changed")
	}
	write(t, filepath.Join(dir, "README.md"), "hello again\n")
	write(t, filepath.Join(dir, "cmd", "a", "main.go"), hello+"// edit\n")
	if key() != k0 {
		t.Fatal("an edit to what the build does not read changed the key")
	}
	write(t, filepath.Join(dir, "lib", "lib.go"), "package lib\n\nconst X = 2\n")
	k1 := key()
	if k1 == k0 {
		t.Fatal("an edit to an imported package left the key as it was")
	}
	write(t, filepath.Join(dir, "go.mod"), "module example.com/tiny\n\ngo 1.23\n")
	if key() == k1 {
		t.Fatal("an edit to go.mod left the key as it was")
	}
}

// TestCacheReusesKeepsAndPrunes: a kept build is reused at another path; a
// build no run uses any more is pruned, one a run uses is not.
func TestCacheReusesKeepsAndPrunes(t *testing.T) {
	dir := t.TempDir()
	c := Cache{Dir: filepath.Join(dir, "builds")}
	bin := filepath.Join(dir, "run1", "bin")
	write(t, bin, "binary 1")
	if ok, err := c.Reuse("k1", filepath.Join(dir, "x")); ok || err != nil {
		t.Fatalf("Reuse of an unknown key: %v, %v", ok, err)
	}
	if err := c.Keep("k1", bin); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "run2", "bin")
	os.MkdirAll(filepath.Dir(out), 0o755)
	if ok, err := c.Reuse("k1", out); !ok || err != nil {
		t.Fatalf("Reuse of a kept build: %v, %v", ok, err)
	}
	if b, _ := os.ReadFile(out); string(b) != "binary 1" {
		t.Fatalf("the reused binary holds %q", b)
	}
	// Runs still use it: kept.
	if n, _, err := c.Prune(time.Now().Add(time.Hour)); n != 0 || err != nil {
		t.Fatalf("Prune removed %d builds runs still use (%v)", n, err)
	}
	os.RemoveAll(filepath.Join(dir, "run1"))
	os.RemoveAll(filepath.Join(dir, "run2"))
	if n, _, err := c.Prune(time.Now().Add(time.Hour)); n != 1 || err != nil {
		t.Fatalf("Prune removed %d builds no run uses, want 1 (%v)", n, err)
	}
	if ok, _ := c.Reuse("k1", out); ok {
		t.Fatal("a pruned build was reused")
	}
}

// TestKeyFollowsEmbeddedFilesAndSymlinkedRoots: a file a package embeds
// from a subdirectory is part of the key, and a tree reached through a
// symbolic link keys the same as through its own path.
func TestKeyFollowsEmbeddedFilesAndSymlinkedRoots(t *testing.T) {
	dir := writeModule(t, map[string]string{"cmd/e": "package main\n\nimport _ \"embed\"\n\n//go:embed static/page.html\nvar page string\n\nfunc main() { println(page) }\n"})
	write(t, filepath.Join(dir, "cmd", "e", "static", "page.html"), "<p>one</p>\n")
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	key := func(root string) string {
		t.Helper()
		in, err := FindInputs(ctx, root, "./cmd/e")
		if err != nil {
			t.Fatal(err)
		}
		if !in.Has(filepath.Join(in.Root(), "cmd", "e", "static", "page.html")) {
			t.Fatal("Has does not count the embedded file")
		}
		k, err := in.Key(ctx, "./cmd/e", Platform{})
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	k0 := key(dir)
	if key(link) != k0 {
		t.Fatal("the same tree through a symbolic link has another key")
	}
	write(t, filepath.Join(dir, "cmd", "e", "static", "page.html"), "<p>two</p>\n")
	if key(link) == k0 {
		t.Fatal("an edit to an embedded file left the key as it was")
	}
}

// TestBuildOrReuseSaysWhatTheBuildReads: a build, and its reuse, list the
// files the build reads (the imported packages' directories, the embedded
// files, go.mod) relative to the tree, and which of them the binary embeds;
// a file elsewhere in the tree is not among them.
func TestBuildOrReuseSaysWhatTheBuildReads(t *testing.T) {
	dir := writeModule(t, map[string]string{"cmd/e": "package main\n\nimport (\n\t_ \"embed\"\n\n\t\"example.com/tiny/lib\"\n)\n\n//go:embed static/page.html\nvar page string\n\nfunc main() { println(page, lib.X) }\n"})
	write(t, filepath.Join(dir, "cmd", "e", "static", "page.html"), "<p>one</p>\n")
	write(t, filepath.Join(dir, "cmd", "e", "static", "unused.css"), "p {}\n")
	write(t, filepath.Join(dir, "lib", "lib.go"), "package lib\n\nconst X = 1\n")
	write(t, filepath.Join(dir, "other", "other.go"), "package other\n")
	write(t, filepath.Join(dir, "dump.sql"), "secret rows\n")
	c := Cache{Dir: filepath.Join(t.TempDir(), "builds")}
	want := []string{"cmd/e/main.go", "cmd/e/static/page.html", "go.mod", "lib/lib.go"}
	for _, what := range []string{"build", "reuse"} {
		out := filepath.Join(t.TempDir(), "e")
		res, err := c.BuildOrReuse(context.Background(), dir, "./cmd/e", out, Platform{}, false, io.Discard, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if res.Reused != (what == "reuse") {
			t.Errorf("%s: Reused %v", what, res.Reused)
		}
		if !slices.Equal(res.Inputs, want) || !slices.Equal(res.Embedded, []string{"cmd/e/static/page.html"}) {
			t.Errorf("%s: Inputs %q, Embedded %q; want %q, [cmd/e/static/page.html]", what, res.Inputs, res.Embedded, want)
		}
	}
}
