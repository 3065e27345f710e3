package gobuild

import (
	"context"
	"debug/buildinfo"
	"debug/elf"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// keyModule writes a small module whose main package ./cmd/b reads one file
// of each kind a build reads: its own .go file, a .go file it reaches
// through a symbolic link, a package of the module it imports, a package it
// imports through a symbolically linked directory, a file it embeds from a
// subdirectory, go.mod and go.sum. Beside them are files the build of
// ./cmd/b does not read: a README, another main package and a package
// nothing imports.
func keyModule(t *testing.T) string {
	t.Helper()
	dir := writeModule(t, map[string]string{
		"cmd/b": "package main\n\nimport (\n\t_ \"embed\"\n\n\t\"example.com/tiny/ext\"\n\t\"example.com/tiny/lib\"\n)\n\n//go:embed static/page.html\nvar page string\n\nfunc main() { println(page, lib.X, ext.Y, Z) }\n",
		"cmd/a": hello,
	})
	write(t, filepath.Join(dir, "go.sum"), "example.com/dep v1.0.0 h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n")
	write(t, filepath.Join(dir, "cmd", "b", "static", "page.html"), "<p>one</p>\n")
	write(t, filepath.Join(dir, "lib", "lib.go"), "package lib\n\nconst X = 1\n")
	write(t, filepath.Join(dir, "shared", "z.go"), "package main\n\nconst Z = 1\n")
	symlink(t, "../../shared/z.go", filepath.Join(dir, "cmd", "b", "z.go"))
	write(t, filepath.Join(dir, "third_party", "ext", "ext.go"), "package ext\n\nconst Y = 1\n")
	symlink(t, "third_party/ext", filepath.Join(dir, "ext"))
	write(t, filepath.Join(dir, "other", "other.go"), "package other\n")
	write(t, filepath.Join(dir, "README.md"), "hello\n")
	return dir
}

func symlink(t *testing.T, target, name string) {
	t.Helper()
	if err := os.Symlink(target, name); err != nil {
		t.Fatal(err)
	}
}

// buildKey is the key of the build of pkg in the tree at dir for p, as a
// run computes it.
func buildKey(t *testing.T, dir, pkg string, p Platform) string {
	t.Helper()
	ctx := context.Background()
	in, err := FindInputs(ctx, dir, pkg)
	if err != nil {
		t.Fatal(err)
	}
	k, err := in.Key(ctx, pkg, p)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// goReporting puts first on PATH a go command that is the real one in all
// but the version it reports: the real go's answers, with the line naming
// its version replaced by version. To Key it is what a second toolchain
// installed on PATH looks like, which a unit test cannot have.
func goReporting(t *testing.T, version string) {
	t.Helper()
	real, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(real, "env", "GOVERSION").Output()
	if err != nil {
		t.Fatal(err)
	}
	have := strings.TrimSpace(string(out))
	bin := t.TempDir()
	script := "#!/bin/sh\n" +
		"out=$('" + real + "' \"$@\") || exit\n" +
		"printf '%s\\n' \"$out\" | sed 's/^" + regexp.QuoteMeta(have) + "$/" + version + "/'\n"
	if err := os.WriteFile(filepath.Join(bin, "go"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	got, err := exec.Command("go", "env", "GOVERSION").Output()
	if err != nil {
		t.Fatalf("the go reporting %s: %v", version, err)
	}
	if strings.TrimSpace(string(got)) != version {
		t.Fatalf("the go put on PATH reports %q, want %q", got, version)
	}
}

// goVersion is the version the go command on PATH reports.
func goVersion(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOVERSION").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

// copyTree copies the tree at src to dst, symbolic links as links.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		to := filepath.Join(dst, rel)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(target, to)
		case d.IsDir():
			return os.MkdirAll(to, 0o755)
		default:
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			return os.WriteFile(to, b, 0o644)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestKeyNamesEverythingTheBuildIsMadeOf: two builds share a key (and so a
// binary) only if they are made of the same things. The key changes with
// each ingredient of the build of ./cmd/b: the target platform's OS and
// CPU (else an arm64 cluster is sent the amd64 binary a local run built),
// the Go version, and each kind of file the build reads; it stays when a
// file the build does not read changes, or when the tree is a copy in
// another place.
func TestKeyNamesEverythingTheBuildIsMadeOf(t *testing.T) {
	const pkg = "./cmd/b"
	base := Platform{OS: "linux", Arch: "amd64"}
	if !testing.Short() {
		// The tree builds, so the build does read the files reached
		// through a link: Z and ext.Y are declared only there.
		if _, err := BuildFor(context.Background(), keyModule(t), pkg, filepath.Join(t.TempDir(), "b"), base); err != nil {
			t.Fatalf("the test's module does not build: %v", err)
		}
	}
	edit := func(path ...string) func(t *testing.T, dir string) (string, Platform) {
		return func(t *testing.T, dir string) (string, Platform) {
			name := filepath.Join(append([]string{dir}, path...)...)
			b, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			// Through a link, the file the link points to is what changes.
			if err := os.WriteFile(name, append(b, "\n// edited\n"...), 0o644); err != nil {
				t.Fatal(err)
			}
			return dir, base
		}
	}
	for _, tc := range []struct {
		name    string
		change  func(t *testing.T, dir string) (string, Platform) // the tree and platform keyed after
		changes bool
	}{
		{"nothing", func(t *testing.T, dir string) (string, Platform) { return dir, base }, false},
		{"the platform's OS", func(t *testing.T, dir string) (string, Platform) {
			return dir, Platform{OS: "darwin", Arch: base.Arch}
		}, true},
		{"the platform's Arch", func(t *testing.T, dir string) (string, Platform) {
			return dir, Platform{OS: base.OS, Arch: "arm64"}
		}, true},
		// The control of the next: the go put on PATH changes nothing but
		// the version it reports.
		{"the go on PATH, reporting the same version", func(t *testing.T, dir string) (string, Platform) {
			goReporting(t, goVersion(t))
			return dir, base
		}, false},
		{"the Go version", func(t *testing.T, dir string) (string, Platform) {
			goReporting(t, "go1.99.0")
			return dir, base
		}, true},
		{"a .go file of the package", edit("cmd", "b", "main.go"), true},
		{"a .go file of the package reached through a symbolic link", edit("cmd", "b", "z.go"), true},
		{"a .go file of an imported package of the module", edit("lib", "lib.go"), true},
		{"a .go file of a package imported through a symbolically linked directory", edit("ext", "ext.go"), true},
		{"go.mod", func(t *testing.T, dir string) (string, Platform) {
			write(t, filepath.Join(dir, "go.mod"), "module example.com/tiny\n\ngo 1.23\n")
			return dir, base
		}, true},
		{"go.sum", func(t *testing.T, dir string) (string, Platform) {
			write(t, filepath.Join(dir, "go.sum"), "example.com/dep v1.0.1 h1:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB=\n")
			return dir, base
		}, true},
		{"an embedded file", func(t *testing.T, dir string) (string, Platform) {
			write(t, filepath.Join(dir, "cmd", "b", "static", "page.html"), "<p>two</p>\n")
			return dir, base
		}, true},
		{"a README the build does not read", edit("README.md"), false},
		{"another main package", edit("cmd", "a", "main.go"), false},
		{"a package nothing imports", edit("other", "other.go"), false},
		{"the tree's place: a copy elsewhere", func(t *testing.T, dir string) (string, Platform) {
			cp := filepath.Join(t.TempDir(), "elsewhere")
			copyTree(t, dir, cp)
			return cp, base
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := keyModule(t)
			before := buildKey(t, dir, pkg, base)
			dir, p := tc.change(t, dir)
			after := buildKey(t, dir, pkg, p)
			switch {
			case tc.changes && after == before:
				t.Errorf("a change of %s left the key as it was (%.12s): a build made of other things would reuse the binary of this one", tc.name, before)
			case !tc.changes && after != before:
				t.Errorf("a change of %s changed the key (%.12s to %.12s): the binary of an identical build would not be reused", tc.name, before, after)
			}
		})
	}
}

// TestKeyFlagsAreTheBuildsFlags: the flags that go into the key
// (buildFlags, a constant, so no test can vary them) are the ones Build
// passes the go command, as the binary shows them: its build info for
// CGO_ENABLED and -trimpath and any other flag it records, its ELF
// sections for -ldflags=-s -w (build info leaves -ldflags out under
// -trimpath). A flag passed to the build but missing from buildFlags would
// let binaries built with and without it share a key.
func TestKeyFlagsAreTheBuildsFlags(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	dir := writeModule(t, map[string]string{".": hello})
	out := filepath.Join(t.TempDir(), "svc")
	// Built for linux, as Build builds for this machine, to read an ELF
	// binary anywhere.
	if _, err := BuildFor(context.Background(), dir, ".", out, Platform{OS: "linux", Arch: "amd64"}); err != nil {
		t.Fatal(err)
	}
	has := func(flag string) bool { return strings.Contains(" "+buildFlags+" ", " "+flag+" ") }
	info, err := buildinfo.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range info.Settings {
		switch {
		case s.Key == "CGO_ENABLED":
			if f := "CGO_ENABLED=" + s.Value; !has(f) {
				t.Errorf("the binary was built with %s, the key's flags %q do not say so", f, buildFlags)
			}
		case s.Key == "-buildmode" && s.Value == "exe", s.Key == "-compiler" && s.Value == "gc":
			// The go command's defaults, recorded always.
		case s.Key == "-trimpath" && s.Value == "true":
			if !has("-trimpath") {
				t.Errorf("the binary was built with -trimpath, the key's flags %q do not say so", buildFlags)
			}
		case strings.HasPrefix(s.Key, "-"):
			t.Errorf("the binary was built with %s=%s, the key's flags %q do not say so", s.Key, s.Value, buildFlags)
		}
	}
	f, err := elf.Open(out)
	if err != nil {
		t.Fatalf("not an ELF binary: %v", err)
	}
	defer f.Close()
	var sections []string
	dwarf := false
	for _, s := range f.Sections {
		sections = append(sections, s.Name)
		if strings.HasPrefix(s.Name, ".debug_") || strings.HasPrefix(s.Name, ".zdebug_") {
			dwarf = true
		}
	}
	symtab := f.Section(".symtab") != nil
	switch built, said := !symtab && !dwarf, has("-ldflags=-s -w"); {
	case built && !said:
		t.Errorf("the binary was built with -ldflags=-s -w (no symbol table, no DWARF), the key's flags %q do not say so", buildFlags)
	case !built && said:
		t.Errorf("the key's flags %q say -ldflags=-s -w, the binary has a symbol table: %v, DWARF: %v (sections %v)", buildFlags, symtab, dwarf, sections)
	}
}
