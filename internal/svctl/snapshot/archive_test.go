package snapshot

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// archived is a file as an archive holds it.
type archived struct {
	mode int64
	body string
}

// unarchive reads an archive Archive wrote back, by entry name.
func unarchive(t *testing.T, b []byte) (map[string]archived, []string) {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	got := map[string]archived{}
	var order []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag != tar.TypeReg || h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" || !h.ModTime.Equal(time.Unix(0, 0)) {
			t.Errorf("entry %s: type %c, owner %d:%d %q:%q, time %v; want a regular file of no one at time 0", h.Name, h.Typeflag, h.Uid, h.Gid, h.Uname, h.Gname, h.ModTime)
		}
		body, _ := io.ReadAll(tr)
		got[h.Name] = archived{h.Mode, string(body)}
		order = append(order, h.Name)
	}
	return got, order
}

// writeTree writes files (path → content) into a new directory, each with
// mode 0644 unless modes says otherwise.
func writeTree(t *testing.T, files map[string]string, modes map[string]os.FileMode) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if m, ok := modes[name]; ok {
			if err := os.Chmod(p, m); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

func archiveOf(t *testing.T, dir string, files ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Archive(dir, files, &b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestArchiveHoldsOnlyTheNamedFiles: the archive holds the files it is
// given, in lexical order, and nothing else of the tree (an untracked .env
// and a database dump beside them).
func TestArchiveHoldsOnlyTheNamedFiles(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"go.mod": "module x\n", "cmd/x/main.go": "package main\n", "lib/lib.go": "package lib\n",
		".env": "TOKEN=t0k3n\n", "dump.sql": "INSERT INTO users\n", "cmd/x/notes.txt": "notes\n",
	}, nil)
	got, order := unarchive(t, archiveOf(t, dir, "lib/lib.go", "go.mod", "cmd/x/main.go", "go.mod"))
	if want := []string{"cmd/x/main.go", "go.mod", "lib/lib.go"}; strings.Join(order, " ") != strings.Join(want, " ") {
		t.Errorf("archive holds %q, want %q", order, want)
	}
	if got["cmd/x/main.go"].body != "package main\n" || got["go.mod"].body != "module x\n" {
		t.Errorf("archive holds %v", got)
	}
}

// TestArchiveDependsOnlyOnContent: two copies of a tree, made at different
// times, archive to the same bytes; a changed file changes them.
func TestArchiveDependsOnlyOnContent(t *testing.T) {
	mk := func(body string) string {
		return writeTree(t, map[string]string{"go.mod": "module x\n", "cmd/main.go": body, "run.sh": "#!/bin/sh\n"}, map[string]os.FileMode{"run.sh": 0o755})
	}
	files := []string{"go.mod", "cmd/main.go", "run.sh"}
	a := archiveOf(t, mk("package main\n"), files...)
	time.Sleep(1100 * time.Millisecond) // other mtimes
	if b := archiveOf(t, mk("package main\n"), files...); !bytes.Equal(a, b) {
		t.Fatal("the same files archived twice gave different bytes")
	}
	if c := archiveOf(t, mk("package main // changed\n"), files...); bytes.Equal(a, c) {
		t.Fatal("a changed file did not change the archive")
	}
}

// TestArchiveKeepsModesAndNeverWidensThem: each file keeps its permission
// bits, a private one (0600, 0700) included, and gets no other.
func TestArchiveKeepsModesAndNeverWidensThem(t *testing.T) {
	modes := map[string]os.FileMode{"private.txt": 0o600, "tool.sh": 0o700, "run.sh": 0o755, "plain.go": 0o644, "ro.txt": 0o444}
	files := map[string]string{}
	var names []string
	for name := range modes {
		files[name] = name + "\n"
		names = append(names, name)
	}
	got, _ := unarchive(t, archiveOf(t, writeTree(t, files, modes), names...))
	for name, mode := range modes {
		if got[name].mode != int64(mode) {
			t.Errorf("%s: mode %o in the archive, want %o as in the tree", name, got[name].mode, mode)
		}
	}
}

// TestArchiveReadsLinksInTheTreeOnly: a link to a file of the tree is
// archived as that file; a link out of the tree, a directory, a missing
// file or a path that leaves the tree is refused, naming it.
func TestArchiveReadsLinksInTheTreeOnly(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "outside.txt")
	if err := os.WriteFile(outside, []byte("not the tree's\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := writeTree(t, map[string]string{"real.go": "package x\n", "sub/a.txt": "a\n"}, map[string]os.FileMode{"real.go": 0o600})
	if err := os.Symlink("real.go", filepath.Join(dir, "link.go")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "out.txt")); err != nil {
		t.Fatal(err)
	}
	got, _ := unarchive(t, archiveOf(t, dir, "link.go"))
	if got["link.go"] != (archived{0o600, "package x\n"}) {
		t.Errorf("link.go archived as %+v, want real.go's content and mode", got["link.go"])
	}
	for _, name := range []string{"out.txt", "sub", "missing.go", "../x", "/etc/passwd", "sub/../real.go"} {
		var b bytes.Buffer
		err := Archive(dir, []string{name}, &b)
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("Archive of %q: %v; want a refusal naming it", name, err)
		}
		if strings.Contains(b.String(), "not the tree's") {
			t.Errorf("Archive of %q wrote what is outside the tree", name)
		}
	}
	if err := Archive(dir, nil, io.Discard); err == nil {
		t.Error("Archive of no file: no error (an empty archive is one go-getter refuses)")
	}
}
