package s3test_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"microwizard/internal/testenv/s3test"
)

// TestServer starts a server, writes with the keys, reads with the node's
// read-only key (what a Nomad node's go-getter does) and may not write with
// it, checks that anonymous reads, writes and listings are refused, takes it down and up again with its data,
// and checks that Stop leaves no process, directory or socket behind.
func TestServer(t *testing.T) {
	t0 := time.Now()
	s := s3test.Start(t)
	t.Logf("S3 took writes %s after start", time.Since(t0).Round(time.Millisecond))
	ctx := context.Background()

	if err := s.CreateBucket(ctx, "things"); err != nil {
		t.Fatal(err)
	}
	body := make([]byte, 3<<20)
	rand.Read(body)
	t1 := time.Now()
	if _, err := s.Client.PutObject(ctx, "things", "a/b/blob", bytes.NewReader(body), int64(len(body)), minio.PutObjectOptions{}); err != nil {
		t.Fatalf("signed PUT: %v", err)
	}
	t.Logf("first 3 MB PUT into a new bucket: %s", time.Since(t1).Round(time.Millisecond))

	if status, _ := get(t, s.Endpoint+"/things/a/b/blob"); status != http.StatusForbidden {
		t.Fatalf("anonymous GET: %d, want 403 (no anonymous access)", status)
	}
	node, err := minio.New(strings.TrimPrefix(s.Endpoint, "http://"), &minio.Options{Creds: credentials.NewStaticV4(s3test.NodeAccessKey, s3test.NodeSecretKey, ""), Region: s3test.Region})
	if err != nil {
		t.Fatal(err)
	}
	obj, err := node.GetObject(ctx, "things", "a/b/blob", minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(obj)
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("the node's GET: %v, %d bytes (want the %d bytes put)", err, len(got), len(body))
	}
	if _, err := node.PutObject(ctx, "things", "by-node", strings.NewReader("x"), 1, minio.PutObjectOptions{}); minio.ToErrorResponse(err).Code != "AccessDenied" {
		t.Errorf("a PUT with the node's read-only key: %v, want AccessDenied", err)
	}
	if status, _ := get(t, s.Endpoint+"/things/"); status != http.StatusForbidden {
		t.Errorf("anonymous listing: %d, want 403", status)
	}
	req, _ := http.NewRequest(http.MethodPut, s.Endpoint+"/things/anon", strings.NewReader("x"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("anonymous PUT: %d, want 403", resp.StatusCode)
	}
	if _, err := s.Client.PutObject(ctx, "nobucket", "k", strings.NewReader("x"), 1, minio.PutObjectOptions{}); minio.ToErrorResponse(err).Code != minio.NoSuchBucket {
		t.Errorf("PUT into a missing bucket: %v, want NoSuchBucket (no bucket made on upload)", err)
	}

	pid := s.PID()
	s.Kill()
	if _, err := http.Get(s.Endpoint + "/things/a/b/blob"); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("GET after Kill: %v, want connection refused", err)
	}
	t2 := time.Now()
	if err := s.StartAgain(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("StartAgain: S3 took writes after %s", time.Since(t2).Round(time.Millisecond))
	if obj, err := node.GetObject(ctx, "things", "a/b/blob", minio.GetObjectOptions{}); err != nil {
		t.Fatalf("GET after StartAgain: %v", err)
	} else if got, err := io.ReadAll(obj); err != nil || !bytes.Equal(got, body) {
		t.Fatalf("GET after StartAgain: %v, %d bytes (want the %d bytes put)", err, len(got), len(body))
	}

	dir, pid2, socks := s.Dir(), s.PID(), s.Sockets()
	if len(socks) == 0 {
		t.Error("Sockets: none found for a running server")
	}
	for _, sock := range socks {
		if _, err := os.Stat(sock); err != nil {
			t.Errorf("socket of a running server: %v", err)
		}
	}
	t3 := time.Now()
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	t.Logf("Stop: %s", time.Since(t3).Round(time.Millisecond))
	for _, p := range []int{pid, pid2} {
		if err := syscall.Kill(p, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("weed (pid %d) still there after Stop: %v", p, err)
		}
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("server dir %s still there after Stop: %v", dir, err)
	}
	for _, sock := range socks {
		if _, err := os.Stat(sock); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("socket %s still there after Stop: %v", sock, err)
		}
	}
	if err := s.Stop(); err != nil {
		t.Errorf("a second Stop: %v", err)
	}
	if err := s.StartAgain(ctx); err == nil {
		t.Error("StartAgain after Stop succeeded")
	}
}

func get(t *testing.T, url string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode, b
}
