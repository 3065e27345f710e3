package artifacts_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"microwizard/internal/svctl/artifacts"
)

// nodeGetter fetches an artifact as a Nomad 1.6 client does: it runs the
// nomad binary's own artifact sandbox (`nomad artifact-isolation`, go-getter
// v1.7 inside) with the artifact's source, options and mode, in an
// environment of nothing but env (what the client's artifact {
// set_environment_variables } passes on). It returns the sandbox's output
// and whether the download succeeded.
func nodeGetter(t *testing.T, nomad, source string, options map[string]string, mode int, dest string, env []string) (string, bool) {
	t.Helper()
	// As the client does (getter.getURL): the options become query
	// parameters of the source.
	u, err := url.Parse(source)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	for k, v := range options {
		q.Add(k, v)
	}
	u.RawQuery = q.Encode()
	task := filepath.Dir(filepath.Dir(dest))
	params, err := json.Marshal(map[string]any{
		"s3_timeout":                     int64(30 * time.Second),
		"decompression_limit_file_count": 4096,
		"decompression_limit_size":       int64(1 << 30),
		"disable_filesystem_isolation":   true,
		"artifact_mode":                  mode, // go-getter: 1 any, 2 file
		"artifact_source":                u.String(),
		"artifact_destination":           dest,
		"alloc_dir":                      task,
		"task_dir":                       task,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, nomad, "artifact-isolation")
	cmd.Env = append([]string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir()}, env...)
	cmd.Stdin = bytes.NewReader(params)
	out, err := cmd.CombinedOutput()
	return string(out), err == nil
}

// TestNodesFetchWithTheirOwnCredentials publishes a build (binary and
// source archive) and fetches both with Nomad 1.6's own go-getter, as a
// node does, from go-getter's S3 form of their URLs: with the node's
// credentials (and the dummy AWS_METADATA_URL that makes go-getter honour
// the URL's endpoint) it gets the binary and unpacks the archive, modes
// kept; with a wrong secret the store refuses it, so the getter signs with
// the node's credentials and nothing is fetched anonymously. A store in
// another region than us-east-1 works the same.
func TestNodesFetchWithTheirOwnCredentials(t *testing.T) {
	nomad, err := exec.LookPath("nomad")
	if err != nil {
		t.Skip("no nomad on PATH: put a Nomad v1.6.x binary on PATH or in ~/.cache/microwizard/bin (see README, Nomad)")
	}
	srv := server(t)
	dir := repo(t, map[string]string{
		"go.mod":                   "module example.com/svc\n\ngo 1.22\n",
		"cmd/svc/main.go":          embedsPage,
		"cmd/svc/static/page.html": "<p>page</p>\n",
		"lib/lib.go":               "package lib\n\nconst X = 1\n",
	}, map[string]os.FileMode{"cmd/svc/static/page.html": 0o600})
	b := buildCopy(t, dir, "./cmd/svc")
	binary, err := os.ReadFile(b.build.Binary)
	if err != nil {
		t.Fatal(err)
	}
	node := []string{
		"AWS_ACCESS_KEY_ID=" + srv.AccessKey,
		"AWS_SECRET_ACCESS_KEY=" + srv.SecretKey,
		"AWS_METADATA_URL=http://127.0.0.1:1", // never asked: the keys come first
	}

	for _, region := range []string{"us-east-1", "eu-west-3"} {
		t.Run(region, func(t *testing.T) {
			setEnv(t, srv, "s3://"+newBucket(t, srv)+"/runs")
			t.Setenv("AWS_REGION", region)
			s, err := artifacts.FromEnv()
			if err != nil {
				t.Fatal(err)
			}
			bin, src, err := s.PublishBuild(context.Background(), b.withSource(t), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(bin.URL, "s3::"+srv.Endpoint+"/") || (region != "us-east-1") != strings.HasSuffix(bin.URL, "?region="+region) {
				t.Fatalf("URL %s: want s3::%s/BUCKET/KEY, with ?region= only outside us-east-1", bin.URL, srv.Endpoint)
			}

			task := t.TempDir()
			dest := filepath.Join(task, "local", "bin", "svc")
			if out, ok := nodeGetter(t, nomad, bin.URL, map[string]string{"checksum": bin.Checksum()}, 2, dest, node); !ok {
				t.Fatalf("the node's getter could not fetch %s:\n%s", bin.URL, out)
			}
			if got, _ := os.ReadFile(dest); !bytes.Equal(got, binary) {
				t.Errorf("the node got %d bytes for the binary, want its %d", len(got), len(binary))
			}

			srcDest := filepath.Join(task, "local", "source")
			if out, ok := nodeGetter(t, nomad, src.URL, map[string]string{"checksum": src.Checksum()}, 1, srcDest, node); !ok {
				t.Fatalf("the node's getter could not fetch %s (mode any):\n%s", src.URL, out)
			}
			for name, mode := range map[string]os.FileMode{"go.mod": 0o644, "cmd/svc/main.go": 0o644, "cmd/svc/static/page.html": 0o600, "lib/lib.go": 0o644} {
				fi, err := os.Stat(filepath.Join(srcDest, filepath.FromSlash(name)))
				if err != nil || fi.Mode().Perm() != mode {
					t.Errorf("unpacked %s: %v, %v; want mode %o", name, fi, err, mode)
				}
			}

			wrong := []string{node[0], "AWS_SECRET_ACCESS_KEY=not-the-node-secret", node[2]}
			out, ok := nodeGetter(t, nomad, bin.URL, map[string]string{"checksum": bin.Checksum()}, 2, filepath.Join(t.TempDir(), "local", "bin", "svc"), wrong)
			if ok || !strings.Contains(out, "SignatureDoesNotMatch") {
				t.Errorf("a node with a wrong secret: ok %v:\n%s\nwant the store's refusal (SignatureDoesNotMatch)", ok, out)
			}
		})
	}
}
