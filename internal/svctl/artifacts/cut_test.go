package artifacts_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/minio/minio-go/v7"

	"microwizard/internal/svctl/artifacts"
	"microwizard/internal/testenv/s3test"
)

const bigSize = 64 << 20 // a large-ish binary

// TestUploadCutByCancel cancels the context a quarter into the upload of
// 64 MB: Publish says the upload was cut and that nothing was stored, and
// the store indeed has no object under the key. Publishing again uploads it
// whole.
func TestUploadCutByCancel(t *testing.T) {
	srv := server(t)
	s := newStore(t, srv)
	path, content := randomFile(t, t.TempDir(), bigSize)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var cutAt int64
	s.Progress = func(sent, total int64) {
		if sent >= total/4 && cutAt == 0 {
			cutAt = sent
			cancel()
		}
	}

	a, err := s.Publish(ctx, path, "app")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Publish with the context cancelled at %d bytes: %v; want context.Canceled", cutAt, err)
	}
	checkErr(t, "cut upload", err, "upload of 67108864 bytes to s3://"+s.Bucket+"/"+a.Key+" cut", "nothing was stored under the key")
	nothingUnder(t, srv, s, a.Key)

	s.Progress = nil
	again, err := s.Publish(context.Background(), path, "app")
	if err != nil || !again.Uploaded || again.Sent != bigSize {
		t.Fatalf("publish after the cut: %+v, %v; want uploaded whole", again, err)
	}
	if status, got := fetch(t, srv, again.URL); status != http.StatusOK || !bytes.Equal(got, content) {
		t.Fatalf("GET after publishing again: %d, sha256 %s; want the file's %s", status, sha(got), sha(content))
	}
}

// TestUploadCutByStoreDown kills the store a quarter into the upload of
// 64 MB, as a crash would: Publish says the connection was lost. Once the
// store is back no object is under the key, and publishing again uploads it.
func TestUploadCutByStoreDown(t *testing.T) {
	srv := s3test.Start(t)
	s := newStore(t, srv)
	path, content := randomFile(t, t.TempDir(), bigSize)
	var kill sync.Once
	s.Progress = func(sent, total int64) {
		if sent >= total/4 {
			kill.Do(srv.Kill)
		}
	}
	a, err := s.Publish(context.Background(), path, "app")
	checkErr(t, "upload with the store killed", err, "upload of 67108864 bytes", "cut: connection to "+srv.Endpoint+" lost")

	if err := srv.StartAgain(context.Background()); err != nil {
		t.Fatal(err)
	}
	nothingUnder(t, srv, s, a.Key)
	s.Progress = nil
	again, err := s.Publish(context.Background(), path, "app")
	if err != nil || !again.Uploaded {
		t.Fatalf("publish once the store is back: %+v, %v; want uploaded", again, err)
	}
	if status, got := fetch(t, srv, again.URL); status != http.StatusOK || !bytes.Equal(got, content) {
		t.Fatalf("GET after publishing again: %d, sha256 %s; want the file's %s", status, sha(got), sha(content))
	}
}

// nothingUnder fails if the store has an object under key, or a node could
// GET one.
func nothingUnder(t *testing.T, srv *s3test.Server, s *artifacts.Store, key string) {
	t.Helper()
	_, err := srv.Client.StatObject(context.Background(), s.Bucket, key, minio.StatObjectOptions{})
	if minio.ToErrorResponse(err).Code != minio.NoSuchKey {
		t.Errorf("stat %s after the cut: %v; want NoSuchKey", key, err)
	}
	if status, got := fetch(t, srv, s.URL(key)); status != http.StatusNotFound {
		t.Errorf("GET %s after the cut: %d (%d bytes); want 404", s.URL(key), status, len(got))
	}
	if !strings.HasPrefix(key, s.Prefix+"/sha256/") {
		t.Errorf("key %q", key)
	}
}
