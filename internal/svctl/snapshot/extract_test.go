package snapshot

import (
	"archive/tar"
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

type entry struct {
	name, link, body string
	typ              byte
}

func tarOf(t *testing.T, entries ...entry) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		hdr := &tar.Header{Name: e.name, Linkname: e.link, Typeflag: e.typ, Mode: 0o644, Size: int64(len(e.body))}
		if e.typ != tar.TypeReg {
			hdr.Size = 0
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if hdr.Size > 0 {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return &buf
}

func TestExtractRefusesEscapes(t *testing.T) {
	for _, tc := range []struct {
		what    string
		entries []entry
	}{
		{"parent path", []entry{{name: "../evil", body: "x", typ: tar.TypeReg}}},
		{"nested parent path", []entry{{name: "a/../../evil", body: "x", typ: tar.TypeReg}}},
		{"absolute path", []entry{{name: "/tmp/evil", body: "x", typ: tar.TypeReg}}},
		{"write through symlink", []entry{
			{name: "ln", link: "..", typ: tar.TypeSymlink},
			{name: "ln/evil", body: "x", typ: tar.TypeReg},
		}},
		{"write through absolute symlink", []entry{
			{name: "ln", link: "/tmp", typ: tar.TypeSymlink},
			{name: "ln/evil", body: "x", typ: tar.TypeReg},
		}},
		{".git", []entry{{name: ".git/config", body: "x", typ: tar.TypeReg}}},
		{"hard link", []entry{{name: "h", link: "/etc/passwd", typ: tar.TypeLink}}},
		{"duplicate", []entry{{name: "a", body: "1", typ: tar.TypeReg}, {name: "a", body: "2", typ: tar.TypeReg}}},
	} {
		parent := t.TempDir()
		dest := filepath.Join(parent, "dest")
		if err := makeDest(dest); err != nil {
			t.Fatal(err)
		}
		_, err := extract(tarOf(t, tc.entries...), dest)
		if err == nil {
			t.Errorf("%s: extract succeeded, want a refusal", tc.what)
		}
		// Nothing was written beside dest.
		for _, p := range listTree(t, parent) {
			if !strings.HasPrefix(p, "dest/") {
				t.Errorf("%s: extract wrote %s outside dest", tc.what, p)
			}
		}
	}
}

func TestExtractCountsAndNests(t *testing.T) {
	dest := filepath.Join(t.TempDir(), "dest")
	if err := makeDest(dest); err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("0123456789abcdef", 100_000) // larger than the copy buffer
	n, err := extract(tarOf(t,
		entry{name: "a/b/c.txt", body: "hello", typ: tar.TypeReg}, // no directory entries before it
		entry{name: "a/ln", link: "b/c.txt", typ: tar.TypeSymlink},
		entry{name: "a/zero", typ: tar.TypeReg},
		entry{name: "big/blob", body: big, typ: tar.TypeReg},
		entry{name: "empty/", typ: tar.TypeDir},
	), dest)
	if err != nil {
		t.Fatalf("extract: %v", err)
	}
	if want := int64(5 + len(big)); n.files != 4 || n.bytes != want {
		t.Errorf("tally = %+v, want 4 files, %d bytes", n, want)
	}
	if got := readFile(t, dest, "big/blob"); got != big {
		t.Errorf("big/blob has %d bytes, want %d equal to the archive's", len(got), len(big))
	}
	if got := readFile(t, dest, "a/zero"); got != "" {
		t.Errorf("a/zero = %q, want empty", got)
	}
	if got := readFile(t, dest, "a/ln"); got != "hello" {
		t.Errorf("a/ln reads %q", got)
	}
	assertSymlink(t, dest, "a/ln", "b/c.txt")
}
