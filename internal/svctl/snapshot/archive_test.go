package snapshot

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestArchiveDependsOnlyOnContent: two copies of a tree, made at different
// times, archive to the same bytes; a changed file changes them; and the
// archive holds the files as they are.
func TestArchiveDependsOnlyOnContent(t *testing.T) {
	mk := func(body string) string {
		dir := t.TempDir()
		for name, content := range map[string]string{"go.mod": "module x\n", "cmd/main.go": body, "run.sh": "#!/bin/sh\n"} {
			p := filepath.Join(dir, name)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Chmod(filepath.Join(dir, "run.sh"), 0o755); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	archive := func(dir string) []byte {
		var b bytes.Buffer
		if err := Archive(dir, &b); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	a := archive(mk("package main\n"))
	time.Sleep(1100 * time.Millisecond) // other mtimes
	if b := archive(mk("package main\n")); !bytes.Equal(a, b) {
		t.Fatal("the same tree archived twice gave different bytes")
	}
	if c := archive(mk("package main // changed\n")); bytes.Equal(a, c) {
		t.Fatal("a changed file did not change the archive")
	}

	zr, err := gzip.NewReader(bytes.NewReader(a))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	got := map[string]string{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(tr)
		got[h.Name] = string(body)
		if h.Name == "run.sh" && h.Mode != 0o755 {
			t.Errorf("run.sh mode %o, want 755", h.Mode)
		}
	}
	if got["cmd/main.go"] != "package main\n" || got["go.mod"] != "module x\n" {
		t.Fatalf("archive holds %q", got)
	}
}
