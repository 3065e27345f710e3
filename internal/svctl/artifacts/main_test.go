package artifacts_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/minio/minio-go/v7"

	"microwizard/internal/svctl/artifacts"
	"microwizard/internal/testenv"
	"microwizard/internal/testenv/s3test"
)

// The tests share one SeaweedFS (~5 s to start), each with a bucket of its
// own; those that take the store down start their own.
var shared struct {
	once sync.Once
	srv  *s3test.Server
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.srv != nil {
		if err := shared.srv.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
	os.Exit(code)
}

// server returns the shared server, started on first use. Without weed the
// test skips (fails under CI).
func server(tb testing.TB) *s3test.Server {
	tb.Helper()
	shared.once.Do(func() { shared.srv, shared.err = s3test.StartServer(context.Background()) })
	if errors.Is(shared.err, s3test.ErrNoBinary) {
		testenv.Missing(tb, "artifacts: "+shared.err.Error())
	}
	if shared.err != nil {
		tb.Fatalf("artifacts: %v", shared.err)
	}
	return shared.srv
}

var unsafe = regexp.MustCompile(`[^a-z0-9]+`)

// newBucket creates a bucket named after the test on srv.
func newBucket(tb testing.TB, srv *s3test.Server) string {
	tb.Helper()
	var rnd [3]byte
	rand.Read(rnd[:])
	base := strings.Trim(unsafe.ReplaceAllString(strings.ToLower(tb.Name()), "-"), "-")
	if len(base) > 40 {
		base = base[:40]
	}
	name := "t-" + base + "-" + hex.EncodeToString(rnd[:])
	if err := srv.CreateBucket(context.Background(), name); err != nil {
		tb.Fatal(err)
	}
	return name
}

// setEnv points the AWS environment at srv, with SVCTL_ARTIFACTS=location.
func setEnv(tb testing.TB, srv *s3test.Server, location string) {
	tb.Helper()
	for _, name := range []string{"AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION", "AWS_PROFILE"} {
		tb.Setenv(name, "")
	}
	for _, kv := range srv.Env() {
		k, v, _ := strings.Cut(kv, "=")
		tb.Setenv(k, v)
	}
	tb.Setenv("SVCTL_ARTIFACTS", location)
}

// newStore returns the store FromEnv makes for a new bucket on srv, under
// the prefix "builds".
func newStore(tb testing.TB, srv *s3test.Server) *artifacts.Store {
	tb.Helper()
	setEnv(tb, srv, "s3://"+newBucket(tb, srv)+"/builds")
	s, err := artifacts.FromEnv()
	if err != nil || s == nil {
		tb.Fatalf("FromEnv: %v, %v", s, err)
	}
	return s
}

// randomFile writes size random bytes to a new file in dir.
func randomFile(tb testing.TB, dir string, size int) (path string, content []byte) {
	tb.Helper()
	content = make([]byte, size)
	rand.Read(content)
	f, err := os.CreateTemp(dir, "artifact-")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(content); err != nil {
		tb.Fatal(err)
	}
	return f.Name(), content
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// fetch gets the object at u, an Artifact.URL, as a Nomad node's
// go-getter does: it reads go-getter's S3 form, s3::ENDPOINT/BUCKET/KEY
// with an optional ?region=, as go-getter v1.7 reads a host that is not
// AWS's, and sends a GET signed with the node's own credentials (here the
// server's keys), path-style to that endpoint. A missing object is 404.
func fetch(tb testing.TB, srv *s3test.Server, u string) (int, []byte) {
	tb.Helper()
	rest, ok := strings.CutPrefix(u, "s3::")
	if !ok {
		tb.Fatalf("URL %s: not go-getter's S3 form (s3::...)", u)
	}
	pu, err := url.Parse(rest)
	if err != nil {
		tb.Fatalf("URL %s: %v", u, err)
	}
	if endpoint := pu.Scheme + "://" + pu.Host; endpoint != srv.Endpoint {
		tb.Fatalf("URL %s: endpoint %s, want the store's %s", u, endpoint, srv.Endpoint)
	}
	for k := range pu.Query() {
		if k != "region" {
			tb.Fatalf("URL %s: query parameter %q; want none but region", u, k)
		}
	}
	parts := strings.SplitN(pu.Path, "/", 3) // "", BUCKET, KEY: go-getter's split
	if len(parts) != 3 || parts[1] == "" || parts[2] == "" {
		tb.Fatalf("URL %s: path %q is not /BUCKET/KEY", u, pu.Path)
	}
	obj, err := srv.Client.GetObject(context.Background(), parts[1], parts[2], minio.GetObjectOptions{})
	if err == nil {
		var b []byte
		if b, err = io.ReadAll(obj); err == nil {
			return http.StatusOK, b
		}
	}
	if code := minio.ToErrorResponse(err).StatusCode; code != 0 {
		return code, nil
	}
	tb.Fatalf("GET %s: %v", u, err)
	return 0, nil
}

// keyFor is the key Publish gives content named name, under prefix.
func keyFor(prefix string, content []byte, name string) string {
	return filepath.ToSlash(filepath.Join(prefix, "sha256", sha(content), name))
}
