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
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

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

// get fetches url as a Nomad node's go-getter does: a plain, anonymous GET.
func get(tb testing.TB, url string) (int, []byte) {
	tb.Helper()
	resp, err := http.Get(url)
	if err != nil {
		tb.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode, b
}

// keyFor is the key Publish gives content named name, under prefix.
func keyFor(prefix string, content []byte, name string) string {
	return filepath.ToSlash(filepath.Join(prefix, "sha256", sha(content), name))
}
