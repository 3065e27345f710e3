package artifacts_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"

	"microwizard/internal/svctl/artifacts"
	"microwizard/internal/svctl/gobuild"
	"microwizard/internal/svctl/snapshot"
	"microwizard/internal/testenv/s3test"
)

// TestSecretPattern: the names that look like secrets, whatever their
// directory and case, and names that only resemble them.
func TestSecretPattern(t *testing.T) {
	for name, want := range map[string]string{
		".env": ".env", "cmd/x/.env": ".env", ".env.local": ".env.*", "deploy/.ENV.production": ".env.*",
		"certs/server.pem": "*.pem", "tls.PEM": "*.pem", "x.key": "*.key",
		"id_rsa": "id_*", "home/.ssh/id_ed25519": "id_*", "id_ecdsa.pub": "id_*",
		"main.go": "", "id_test.go": "", "cmd/x/id_gen.go": "", ".envrc": "", "env.go": "", "keys.go": "",
		"monkey": "", "pem.go": "", "README.md": "", "dump.sql": "", "my.env": "",
	} {
		if got := artifacts.SecretPattern(name); got != want {
			t.Errorf("SecretPattern(%q) = %q, want %q", name, got, want)
		}
	}
}

// TestAllowedPath: -allow-secret-file takes a path inside the repository,
// cleaned as a build names its files; it refuses one that is absolute or
// leaves the repository.
func TestAllowedPath(t *testing.T) {
	for in, want := range map[string]string{"cmd/x/x.pem": "cmd/x/x.pem", "./cmd/x/../x/x.pem": "cmd/x/x.pem", ".env": ".env"} {
		if got, err := artifacts.AllowedPath(in); got != want || err != nil {
			t.Errorf("AllowedPath(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "/etc/x.pem", "../x.pem", "cmd/../../x.pem", "."} {
		if got, err := artifacts.AllowedPath(in); err == nil {
			t.Errorf("AllowedPath(%q) = %q; want a refusal", in, got)
		}
	}
}

// gitEnv keeps the user's git configuration out of the tests' repositories.
func gitEnv(t *testing.T) {
	for k, v := range map[string]string{
		"GIT_CONFIG_GLOBAL": os.DevNull, "GIT_CONFIG_NOSYSTEM": "1",
		"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.invalid",
		"GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.invalid",
	} {
		t.Setenv(k, v)
	}
}

// repo makes a git repository holding files (path → content, mode 0644
// unless modes says otherwise), commits all but the untracked ones (which
// git does not ignore either) and returns it.
func repo(t *testing.T, files map[string]string, modes map[string]os.FileMode, untracked ...string) string {
	t.Helper()
	gitEnv(t)
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		mode := os.FileMode(0o644)
		if m, ok := modes[name]; ok {
			mode = m
		}
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	git("init", "-q", "-b", "main")
	for name := range files {
		if !slices.Contains(untracked, name) {
			git("add", name)
		}
	}
	git("commit", "-q", "-m", "tree")
	return dir
}

// built is a snapshot of a repository's working tree and its build.
type built struct {
	snap  snapshot.Snapshot
	build gobuild.Result
}

// buildCopy copies the working tree of dir (UNCOMMITTED_COPY, untracked
// files included) and builds pkg from the copy, as svctl run does.
func buildCopy(t *testing.T, dir, pkg string) built {
	t.Helper()
	ctx := context.Background()
	run := t.TempDir()
	snap, err := snapshot.Take(ctx, dir, snapshot.Source{Kind: snapshot.UncommittedCopy}, filepath.Join(run, "src"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := gobuild.Cache{Dir: filepath.Join(run, "builds")}.BuildOrReuse(ctx, snap.Dir, pkg, filepath.Join(run, "bin", "svc"), gobuild.Platform{}, false, io.Discard, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	return built{snap, res}
}

// withSource is the Build svctl run publishes for b, with its source.
func (b built) withSource(t *testing.T, allow ...string) artifacts.Build {
	return artifacts.Build{
		Binary: b.build.Binary, Service: "svc", Embedded: b.build.Embedded,
		SourceDir: b.snap.Dir, SourceFiles: b.build.Inputs, Archive: filepath.Join(t.TempDir(), "source.tar.gz"),
		AllowSecrets: allow,
	}
}

// untar returns the entries of a gzipped tar: name → mode.
func untar(t *testing.T, b []byte) map[string]int64 {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	got := map[string]int64{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return got
		}
		if err != nil {
			t.Fatal(err)
		}
		got[h.Name] = h.Mode
	}
}

// objects lists the keys of the store's bucket.
func objects(t *testing.T, srv *s3test.Server, s *artifacts.Store) []string {
	t.Helper()
	var keys []string
	for o := range srv.Client.ListObjects(context.Background(), s.Bucket, minio.ListObjectsOptions{Recursive: true}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		keys = append(keys, o.Key)
	}
	return keys
}

const embedsPage = "package main\n\nimport (\n\t_ \"embed\"\n\n\t\"example.com/svc/lib\"\n)\n\n//go:embed static/page.html\nvar page string\n\nfunc main() { println(page, lib.X) }\n"

// TestPublishBuildArchivesOnlyWhatTheBuildReads: the copy of a working
// tree holds an untracked .env and dump.sql (git ignores neither); the
// source archive a node fetches holds exactly the files the build reads,
// with their modes (a 0600 file stays 0600), and none of those. A second
// copy of the same tree archives to the same bytes: nothing is uploaded.
func TestPublishBuildArchivesOnlyWhatTheBuildReads(t *testing.T) {
	srv := server(t)
	s := newStore(t, srv)
	dir := repo(t, map[string]string{
		"go.mod":                   "module example.com/svc\n\ngo 1.22\n",
		"cmd/svc/main.go":          embedsPage,
		"cmd/svc/static/page.html": "<p>page</p>\n",
		"lib/lib.go":               "package lib\n\nconst X = 1\n",
		"other/other.go":           "package other\n",
		".env":                     "DB_PASSWORD=hunter2\n",
		"dump.sql":                 "INSERT INTO users VALUES ('hunter2');\n",
	}, map[string]os.FileMode{"cmd/svc/static/page.html": 0o600}, ".env", "dump.sql")
	b := buildCopy(t, dir, "./cmd/svc")
	for _, f := range []string{".env", "dump.sql"} {
		if _, err := os.Stat(filepath.Join(b.snap.Dir, f)); err != nil {
			t.Fatalf("the copy lacks the untracked %s the test is about: %v", f, err)
		}
	}

	_, src, err := s.PublishBuild(context.Background(), b.withSource(t), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	status, body := fetch(t, srv, src.URL)
	if status != http.StatusOK {
		t.Fatalf("fetch %s: %d", src.URL, status)
	}
	got := untar(t, body)
	want := map[string]int64{"cmd/svc/main.go": 0o644, "cmd/svc/static/page.html": 0o600, "go.mod": 0o644, "lib/lib.go": 0o644}
	if len(got) != len(want) {
		t.Errorf("the archive holds %v, want exactly %v", got, want)
	}
	for name, mode := range want {
		if m, ok := got[name]; !ok || m != mode {
			t.Errorf("the archive's %s: mode %o (there: %v), want %o", name, m, ok, mode)
		}
	}
	if bytes.Contains(body, []byte("hunter2")) {
		t.Error("the archive holds what .env and dump.sql hold")
	}

	_, src2, err := s.PublishBuild(context.Background(), buildCopy(t, dir, "./cmd/svc").withSource(t), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if src2.SHA256 != src.SHA256 || src2.Uploaded {
		t.Errorf("a second copy of the same tree: archive sha256 %s (first %s), uploaded %v; want the same bytes, nothing uploaded", src2.SHA256, src.SHA256, src2.Uploaded)
	}
}

// TestPublishBuildRefusesSecretsByName: a package that embeds x.pem is
// refused before anything is uploaded, binary alone or with the source,
// with one line naming the file and the flag; allowed, it is published. A
// .env in a package's directory, which the archive would hold, is refused
// in the same way.
func TestPublishBuildRefusesSecretsByName(t *testing.T) {
	srv := server(t)
	s := newStore(t, srv)
	dir := repo(t, map[string]string{
		"go.mod":          "module example.com/svc\n\ngo 1.22\n",
		"cmd/svc/main.go": "package main\n\nimport _ \"embed\"\n\n//go:embed x.pem\nvar cert string\n\nfunc main() { println(len(cert)) }\n",
		"cmd/svc/x.pem":   "-----BEGIN PRIVATE KEY-----\n",
	}, nil)
	b := buildCopy(t, dir, "./cmd/svc")
	binOnly := artifacts.Build{Binary: b.build.Binary, Service: "svc", Embedded: b.build.Embedded}
	for what, build := range map[string]artifacts.Build{"binary": binOnly, "with source": b.withSource(t)} {
		_, _, err := s.PublishBuild(context.Background(), build, io.Discard)
		var serr *artifacts.SecretError
		if !errors.As(err, &serr) {
			t.Fatalf("%s: %v; want a *SecretError", what, err)
		}
		checkErr(t, what, err, "cmd/svc/x.pem looks like a secret by its name (*.pem)", "nothing was uploaded", "-allow-secret-file cmd/svc/x.pem")
		if !serr.BadInput() {
			t.Errorf("%s: the refusal is not the user's to resolve (exit 2)", what)
		}
	}
	if keys := objects(t, srv, s); len(keys) != 0 {
		t.Fatalf("after the refusals the store holds %q; want nothing", keys)
	}

	binOnly.AllowSecrets = []string{"cmd/svc/x.pem"}
	if _, _, err := s.PublishBuild(context.Background(), binOnly, io.Discard); err != nil {
		t.Fatalf("binary with -allow-secret-file cmd/svc/x.pem: %v", err)
	}
	if _, src, err := s.PublishBuild(context.Background(), b.withSource(t, "cmd/svc/x.pem"), io.Discard); err != nil {
		t.Fatalf("with source and -allow-secret-file cmd/svc/x.pem: %v", err)
	} else if _, body := fetch(t, srv, src.URL); untar(t, body)["cmd/svc/x.pem"] == 0 {
		t.Errorf("the allowed x.pem is not in the archive: %v", untar(t, body))
	}

	// Beside the package, not embedded: in the archive, so refused there.
	dotenv := repo(t, map[string]string{
		"go.mod":          "module example.com/svc\n\ngo 1.22\n",
		"cmd/svc/main.go": "package main\n\nfunc main() {}\n",
		"cmd/svc/.env":    "TOKEN=t\n",
	}, nil, "cmd/svc/.env")
	b = buildCopy(t, dotenv, "./cmd/svc")
	_, _, err := s.PublishBuild(context.Background(), b.withSource(t), io.Discard)
	checkErr(t, ".env beside the package", err, "cmd/svc/.env looks like a secret by its name (.env)", "-allow-secret-file cmd/svc/.env")
	if _, _, err := s.PublishBuild(context.Background(), artifacts.Build{Binary: b.build.Binary, Service: "svc", Embedded: b.build.Embedded}, io.Discard); err != nil {
		t.Errorf("the binary alone, which holds no .env: %v", err)
	}
}

// TestPublishBuildRefusesALinkToASecret: a file of the archive that is a
// link to a file named like a secret is refused, naming both.
func TestPublishBuildRefusesALinkToASecret(t *testing.T) {
	srv := server(t)
	s := newStore(t, srv)
	dir := repo(t, map[string]string{
		"go.mod":          "module example.com/svc\n\ngo 1.22\n",
		"cmd/svc/main.go": "package main\n\nfunc main() {}\n",
		"keys/id_rsa":     "-----BEGIN OPENSSH PRIVATE KEY-----\n",
	}, nil)
	if err := os.Symlink("../../keys/id_rsa", filepath.Join(dir, "cmd", "svc", "notes.txt")); err != nil {
		t.Fatal(err)
	}
	b := buildCopy(t, dir, "./cmd/svc")
	_, _, err := s.PublishBuild(context.Background(), b.withSource(t), io.Discard)
	checkErr(t, "a link to id_rsa", err, "cmd/svc/notes.txt (a link to keys/id_rsa) looks like a secret by its name (id_*)", "-allow-secret-file cmd/svc/notes.txt")
}

// TestRemoveTakesTheURLsItGaveOut: Remove deletes the object of a URL
// Publish gave (as Nomad's event names it), and refuses another store's.
func TestRemoveTakesTheURLsItGaveOut(t *testing.T) {
	srv := server(t)
	s := newStore(t, srv)
	path, _ := randomFile(t, t.TempDir(), 100)
	a, err := s.Publish(context.Background(), path, "app")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(context.Background(), a.URL); err != nil {
		t.Fatal(err)
	}
	if status, _ := fetch(t, srv, a.URL); status != http.StatusNotFound {
		t.Errorf("fetch after Remove: %d, want 404", status)
	}
	for _, u := range []string{"s3::http://127.0.0.1:1/" + s.Bucket + "/" + a.Key, srv.Endpoint + "/" + s.Bucket + "/" + a.Key, "s3::" + srv.Endpoint + "/" + s.Bucket + "/"} {
		if err := s.Remove(context.Background(), u); err == nil || !strings.Contains(err.Error(), "not an object of") {
			t.Errorf("Remove(%s): %v; want a refusal", u, err)
		}
	}
}
