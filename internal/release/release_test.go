package release_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"microwizard/internal/release"
)

// spec is the archive every test asks for.
var spec = release.Spec{Product: "nomad", Version: "1.6.5", OS: "linux", Arch: "amd64"}

// binary is the "nomad" the test archive holds: a script a user can run.
const binary = "#!/bin/sh\necho 'Nomad v1.6.5'\n"

// makeZip builds a zip archive shaped like HashiCorp's: the binary and a
// licence at the top level.
func makeZip(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range []struct{ name, body string }{
		{"nomad", binary},
		{"LICENSE.txt", "Mozilla Public License, version 2.0\n"},
	} {
		w, err := zw.Create(f.name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(f.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// sumsFor is a SHA256SUMS as a release publishes it, with the line for the
// test archive and lines for other platforms' archives.
func sumsFor(archiveSum string) []byte {
	return fmt.Appendf(nil, "%s  nomad_1.6.5_darwin_arm64.zip\n%s  nomad_1.6.5_linux_amd64.zip\n%s  nomad_1.6.5_linux_arm64.zip\n",
		strings.Repeat("1", 64), archiveSum, strings.Repeat("2", 64))
}

// serve starts a release server holding one file at the path a release
// server would publish the test archive under; any other path is 404.
func serve(t *testing.T, archive []byte) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/nomad/1.6.5/nomad_1.6.5_linux_amd64.zip", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/zip")
		w.Write(archive)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// dirs gives a test its tools directory and a private temporary directory
// (TMPDIR), so that it can check that nothing is left in either.
func dirs(t *testing.T) (tools, tmp string) {
	t.Helper()
	tools, tmp = t.TempDir(), t.TempDir()
	t.Setenv("TMPDIR", tmp)
	return tools, tmp
}

// entries lists a directory's file names.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	return names
}

// assertNothingInstalled checks that the tools directory holds only what it
// held before (want) and the temporary directory nothing.
func assertNothingInstalled(t *testing.T, tools, tmp string, want ...string) {
	t.Helper()
	if got := entries(t, tools); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("tools directory holds %q, want %q", got, want)
	}
	if got := entries(t, tmp); len(got) > 0 {
		t.Errorf("temporary files left behind: %q", got)
	}
}

func TestInstallGoodArchive(t *testing.T) {
	tools, tmp := dirs(t)
	archive := makeZip(t)
	srv := serve(t, archive)
	// An older binary is there: it is replaced.
	if err := os.WriteFile(filepath.Join(tools, "nomad"), []byte("old"), 0o755); err != nil {
		t.Fatal(err)
	}

	res, err := release.Install(context.Background(), spec, release.Options{
		BaseURL: srv.URL, Sums: sumsFor(sum(archive)), SumsName: "nomad_1.6.5_SHA256SUMS", Dir: tools,
	})
	if err != nil {
		t.Fatalf("Install: %v", err)
	}

	path := filepath.Join(tools, "nomad")
	if res.Path != path || res.SHA256 != sum(archive) || res.URL != srv.URL+"/nomad/1.6.5/nomad_1.6.5_linux_amd64.zip" {
		t.Errorf("Install = %+v, want path %s, sha256 %s and the archive's URL", res, path, sum(archive))
	}
	out, err := exec.Command(path).Output()
	if err != nil {
		t.Fatalf("running the installed nomad: %v", err)
	}
	if string(out) != "Nomad v1.6.5\n" {
		t.Errorf("installed nomad prints %q, want the archive's binary", out)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != binary {
		t.Errorf("installed file holds %q, want the archive's %q", got, binary)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o755 {
		t.Errorf("mode %v, want 0755", fi.Mode().Perm())
	}
	// Only the binary: not the licence, no temporary file.
	assertNothingInstalled(t, tools, tmp, "nomad")
}

func TestInstallRefusesCorruptArchive(t *testing.T) {
	tools, tmp := dirs(t)
	archive := makeZip(t)
	pinned := sum(archive)
	corrupt := bytes.Clone(archive)
	corrupt[len(corrupt)/2] ^= 0xff
	srv := serve(t, corrupt)
	if err := os.WriteFile(filepath.Join(tools, "nomad"), []byte("old"), 0o755); err != nil {
		t.Fatal(err)
	}

	_, err := release.Install(context.Background(), spec, release.Options{
		BaseURL: srv.URL, Sums: sumsFor(pinned), SumsName: "nomad_1.6.5_SHA256SUMS", Dir: tools,
	})
	if !errors.Is(err, release.ErrChecksumMismatch) {
		t.Fatalf("Install of a corrupt archive: %v, want %v", err, release.ErrChecksumMismatch)
	}
	for _, want := range []string{pinned, sum(corrupt), "nomad_1.6.5_linux_amd64.zip"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	if got, _ := os.ReadFile(filepath.Join(tools, "nomad")); string(got) != "old" {
		t.Errorf("the binary already there was changed to %q", got)
	}
	assertNothingInstalled(t, tools, tmp, "nomad")
}

func TestInstallMissingArchive(t *testing.T) {
	tools, tmp := dirs(t)
	srv := serve(t, makeZip(t))
	other := spec
	other.Arch = "arm64" // the server has no such file

	_, err := release.Install(context.Background(), other, release.Options{
		BaseURL: srv.URL, Sums: sumsFor(strings.Repeat("3", 64)), Dir: tools,
	})
	if !errors.Is(err, release.ErrNotFound) {
		t.Fatalf("Install of a missing archive: %v, want %v", err, release.ErrNotFound)
	}
	if errors.Is(err, release.ErrUnreachable) {
		t.Errorf("a 404 counts as unreachable: %v", err)
	}
	if want := srv.URL + "/nomad/1.6.5/nomad_1.6.5_linux_arm64.zip"; !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "404") {
		t.Errorf("error %q does not name %s and 404", err, want)
	}
	assertNothingInstalled(t, tools, tmp)
}

func TestInstallRefusesSumsWithoutTheArchive(t *testing.T) {
	tools, tmp := dirs(t)
	archive := makeZip(t)
	srv := serve(t, archive)
	sums := fmt.Appendf(nil, "%s  nomad_1.6.5_linux_arm64.zip\n", sum(archive))

	_, err := release.Install(context.Background(), spec, release.Options{
		BaseURL: srv.URL, Sums: sums, SumsName: "deps/releases/nomad_1.6.5_SHA256SUMS", Dir: tools,
	})
	if !errors.Is(err, release.ErrNoChecksum) {
		t.Fatalf("Install with no pinned line: %v, want %v", err, release.ErrNoChecksum)
	}
	for _, want := range []string{"nomad_1.6.5_linux_amd64.zip", "deps/releases/nomad_1.6.5_SHA256SUMS"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	assertNothingInstalled(t, tools, tmp)
}

func TestInstallUnreachableServer(t *testing.T) {
	tools, tmp := dirs(t)
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close() // nothing listens there any more

	_, err := release.Install(context.Background(), spec, release.Options{
		BaseURL: srv.URL, Sums: sumsFor(strings.Repeat("3", 64)), Dir: tools,
	})
	if !errors.Is(err, release.ErrUnreachable) {
		t.Fatalf("Install from a closed server: %v, want %v", err, release.ErrUnreachable)
	}
	if !strings.Contains(err.Error(), strings.TrimPrefix(srv.URL, "http://")) {
		t.Errorf("error %q does not name the server", err)
	}
	assertNothingInstalled(t, tools, tmp)
}

func TestInstallArchiveWithoutTheBinary(t *testing.T) {
	tools, tmp := dirs(t)
	archive := makeZip(t)
	srv := serve(t, archive)

	_, err := release.Install(context.Background(), spec, release.Options{
		BaseURL: srv.URL, Sums: sumsFor(sum(archive)), Dir: tools, Binary: "consul",
	})
	if err == nil || !strings.Contains(err.Error(), `no file "consul"`) {
		t.Fatalf("Install of an archive without the binary: %v, want an error naming it", err)
	}
	assertNothingInstalled(t, tools, tmp)
}

func TestParseSums(t *testing.T) {
	sums, err := release.ParseSums([]byte("# pinned from the release\n\n" +
		strings.Repeat("AB", 32) + "  ./consul_1.14.0_linux_amd64.zip\n" +
		strings.Repeat("cd", 32) + " *consul_1.14.0_linux_arm64.zip\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := sums["consul_1.14.0_linux_amd64.zip"]; got != strings.Repeat("ab", 32) {
		t.Errorf("amd64 sum %q", got)
	}
	if got := sums["consul_1.14.0_linux_arm64.zip"]; got != strings.Repeat("cd", 32) {
		t.Errorf("arm64 sum %q", got)
	}
	for _, bad := range []string{
		"abc  consul_1.14.0_linux_amd64.zip\n",                       // not a sha256
		strings.Repeat("ab", 32) + "\n",                              // no file name
		strings.Repeat("zz", 32) + "  consul_1.14.0_linux_amd64.zip", // not hex
	} {
		if _, err := release.ParseSums([]byte(bad)); err == nil {
			t.Errorf("ParseSums(%q) accepted it", bad)
		}
	}
}
