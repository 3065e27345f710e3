package gobuild

import (
	"context"
	"debug/elf"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// writeModule writes a tiny module with one main package per entry of mains
// (directory relative to the module root → main.go source).
func writeModule(t *testing.T, mains map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	write(t, filepath.Join(dir, "go.mod"), "module example.com/tiny\n\ngo 1.22\n")
	for sub, src := range mains {
		write(t, filepath.Join(dir, sub, "main.go"), src)
	}
	return dir
}

func write(t *testing.T, name, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

const hello = `package main

import (
	"fmt"
	"os"
)

func main() { fmt.Println("hello from", os.Args[1]) }
`

func TestBuildRunsBinary(t *testing.T) {
	dir := writeModule(t, map[string]string{"cmd/hello": hello})
	out := filepath.Join(t.TempDir(), "hello")

	res, err := Build(context.Background(), dir, "./cmd/hello", out)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	if res.Binary != out {
		t.Errorf("Binary = %q, want %q", res.Binary, out)
	}
	if res.Duration <= 0 {
		t.Errorf("Duration = %v, want > 0", res.Duration)
	}
	got, err := exec.Command(out, "tests").CombinedOutput()
	if err != nil {
		t.Fatalf("run built binary: %v\n%s", err, got)
	}
	if string(got) != "hello from tests\n" {
		t.Errorf("binary printed %q, want %q", got, "hello from tests\n")
	}
	// The staging directory next to out is gone.
	entries, err := os.ReadDir(filepath.Dir(out))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("output directory holds %d entries, want only the binary: %v", len(entries), entries)
	}
}

func TestBuildIsStaticAndTrimmed(t *testing.T) {
	dir := writeModule(t, map[string]string{".": hello})
	out := filepath.Join(t.TempDir(), "hello")
	if _, err := Build(context.Background(), dir, ".", out); err != nil {
		t.Fatalf("Build: %v", err)
	}
	info, err := exec.Command("go", "version", "-m", out).CombinedOutput()
	if err != nil {
		t.Fatalf("go version -m: %v\n%s", err, info)
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath=true"} {
		if !strings.Contains(string(info), want) {
			t.Errorf("build info lacks %s:\n%s", want, info)
		}
	}
}

func TestBuildRelativeOutIsRelativeToCaller(t *testing.T) {
	dir := writeModule(t, map[string]string{".": hello})
	t.Chdir(t.TempDir())
	res, err := Build(context.Background(), dir, ".", "bin-here")
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	wd, _ := os.Getwd()
	if want := filepath.Join(wd, "bin-here"); res.Binary != want {
		t.Errorf("Binary = %q, want %q", res.Binary, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "bin-here")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("binary was also written into the source directory (stat: %v)", err)
	}
}

func TestBuildCompileError(t *testing.T) {
	dir := writeModule(t, map[string]string{"cmd/broken": "package main\n\nfunc main() {\n\tx := \n}\n"})
	out := filepath.Join(t.TempDir(), "broken")

	_, err := Build(context.Background(), dir, "./cmd/broken", out)
	var ce *CompileError
	if !errors.As(err, &ce) {
		t.Fatalf("Build error = %v (%T), want *CompileError", err, err)
	}
	// The compiler's own position, as it printed it, reaches the user.
	pos := regexp.MustCompile(`cmd/broken/main\.go:5:1: syntax error`)
	if !pos.MatchString(err.Error()) {
		t.Errorf("error does not carry the compiler's file:line:\n%s", err)
	}
	if !strings.Contains(err.Error(), strings.TrimRight(ce.Output, "\n")) || ce.Output == "" {
		t.Errorf("Error() does not include Output verbatim:\nError: %s\nOutput: %s", err, ce.Output)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("output file exists after a failed build (stat: %v)", err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(out)); len(entries) != 0 {
		t.Errorf("failed build left files behind: %v", entries)
	}
}

func TestBuildFailureKeepsExistingOut(t *testing.T) {
	dir := writeModule(t, map[string]string{".": "package main\n\nfunc main() { undefined() }\n"})
	out := filepath.Join(t.TempDir(), "svc")
	write(t, out, "previous binary")

	_, err := Build(context.Background(), dir, ".", out)
	var ce *CompileError
	if !errors.As(err, &ce) {
		t.Fatalf("Build error = %v, want *CompileError", err)
	}
	if !strings.Contains(ce.Output, "undefined: undefined") {
		t.Errorf("Output = %q, want the type checker's message", ce.Output)
	}
	if got, _ := os.ReadFile(out); string(got) != "previous binary" {
		t.Errorf("out = %q after a failed build, want it untouched", got)
	}
}

func TestBuildRefusesBadPackage(t *testing.T) {
	dir := writeModule(t, map[string]string{".": hello})
	for _, pkg := range []string{
		"",
		"cmd/hello",
		"example.com/tiny",
		"/abs/path",
		"-toolexec=evil",
		"../other",
		"./../other",
		"./cmd/../../other",
		"./...",
		"./cmd/...",
		"./a b",
		"./a\nb",
		`.\cmd`,
		"..",
	} {
		out := filepath.Join(t.TempDir(), "svc")
		_, err := Build(context.Background(), dir, pkg, out)
		if err == nil {
			t.Errorf("Build(pkg %q) succeeded, want refusal", pkg)
			continue
		}
		var ce *CompileError
		if errors.As(err, &ce) {
			t.Errorf("Build(pkg %q) ran go build (%v), want refusal before", pkg, err)
		}
		if !strings.Contains(err.Error(), "package path") {
			t.Errorf("Build(pkg %q) = %v, want a message about the package path", pkg, err)
		}
		if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("Build(pkg %q) created out", pkg)
		}
	}
}

func TestCheckPackageAccepts(t *testing.T) {
	for _, pkg := range []string{".", "./cmd/server", "./svc", "./a/./b", "./popularity/cmd/popularity"} {
		if err := CheckPackage(pkg); err != nil {
			t.Errorf("CheckPackage(%q) = %v, want nil", pkg, err)
		}
	}
}

func TestBuildMissingPackage(t *testing.T) {
	dir := writeModule(t, map[string]string{".": hello})
	_, err := Build(context.Background(), dir, "./nope", filepath.Join(t.TempDir(), "svc"))
	var ce *CompileError
	if !errors.As(err, &ce) {
		t.Fatalf("Build error = %v, want *CompileError", err)
	}
	if !strings.Contains(ce.Output, "nope") {
		t.Errorf("Output = %q, want it to name the missing directory", ce.Output)
	}
}

func TestBuildCanceled(t *testing.T) {
	dir := writeModule(t, map[string]string{".": hello})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Build(ctx, dir, ".", filepath.Join(t.TempDir(), "svc"))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Build with canceled context = %v, want context.Canceled", err)
	}
}

// TestBuildForAnotherPlatform cross-compiles for linux/arm64 and checks the
// binary's ELF header says so: the nodes that run a service need not be
// this machine's kind.
func TestBuildForAnotherPlatform(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	dir := writeModule(t, map[string]string{".": "package main\n\nfunc main() {}\n"})
	out := filepath.Join(t.TempDir(), "svc")
	if _, err := BuildFor(context.Background(), dir, ".", out, Platform{OS: "linux", Arch: "arm64"}); err != nil {
		t.Fatal(err)
	}
	f, err := elf.Open(out)
	if err != nil {
		t.Fatalf("not an ELF binary: %v", err)
	}
	defer f.Close()
	if f.Machine != elf.EM_AARCH64 {
		t.Fatalf("machine %v, want EM_AARCH64", f.Machine)
	}
}

// TestBuildIgnoresTheUsersGoEnvironment: a go.work in a directory above the
// snapshot, and GOFLAGS in the user's shell, do not change or break the
// build.
func TestBuildIgnoresTheUsersGoEnvironment(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	parent := t.TempDir()
	other := filepath.Join(parent, "other")
	write(t, filepath.Join(other, "go.mod"), "module example.com/other\n\ngo 1.22\n")
	write(t, filepath.Join(parent, "go.work"), "go 1.22\n\nuse ./other\n")
	dir := filepath.Join(parent, "runs", "src")
	write(t, filepath.Join(dir, "go.mod"), "module example.com/tiny\n\ngo 1.22\n")
	write(t, filepath.Join(dir, "main.go"), "package main\n\nfunc main() {}\n")
	t.Setenv("GOFLAGS", "-tags=nosuchtag -mod=vendor")
	// And GOFLAGS written with `go env -w`, in the go env file.
	goenv := filepath.Join(t.TempDir(), "goenv")
	write(t, goenv, "GOFLAGS=-mod=vendor\n")
	t.Setenv("GOENV", goenv)
	if _, err := Build(context.Background(), dir, ".", filepath.Join(t.TempDir(), "svc")); err != nil {
		t.Fatalf("a go.work above the snapshot and GOFLAGS broke the build: %v", err)
	}
}

func TestInputsAreTheImportedPackagesFiles(t *testing.T) {
	dir := writeModule(t, map[string]string{"cmd/a": hello})
	write(t, filepath.Join(dir, "lib", "lib.go"), "package lib\n\nconst X = 1\n")
	write(t, filepath.Join(dir, "cmd", "b", "main.go"), "package main\n\nimport \"example.com/tiny/lib\"\n\nfunc main() { _ = lib.X }\n")
	write(t, filepath.Join(dir, "other", "other.go"), "package other\n")
	in, err := FindInputs(context.Background(), dir, "./cmd/b")
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]bool{
		filepath.Join(dir, "cmd", "b", "main.go"): true,
		filepath.Join(dir, "lib", "lib.go"):       true,
		filepath.Join(dir, "lib", "new.go"):       true, // a file added there
		filepath.Join(dir, "go.mod"):              true,
		filepath.Join(dir, "other", "other.go"):   false,
		filepath.Join(dir, "cmd", "a", "main.go"): false,
		filepath.Join(dir, "README.md"):           false,
	} {
		if got := in.Has(path); got != want {
			t.Errorf("Has(%s) = %v, want %v", path, got, want)
		}
	}
}
