package artifacts_test

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"
)

// TestPublish publishes a file and fetches it as a node would: go-getter's
// S3 form of Artifact.URL, fetched with the node's credentials, gives its
// bytes. The URL holds no credentials. The object carries the sha256 (user
// metadata and S3 checksum), and a second Publish uploads nothing.
func TestPublish(t *testing.T) {
	srv := server(t)
	s := newStore(t, srv)
	ctx := context.Background()
	path, content := randomFile(t, t.TempDir(), 3<<20+17)

	a, err := s.Publish(ctx, path, "lobsters-popularity")
	if err != nil {
		t.Fatal(err)
	}
	wantKey := keyFor("builds", content, "lobsters-popularity")
	if a.Key != wantKey || a.SHA256 != sha(content) || a.Size != int64(len(content)) || a.Name != "lobsters-popularity" {
		t.Errorf("artifact %+v, want key %s, sha256 %s, size %d", a, wantKey, sha(content), len(content))
	}
	if !a.Uploaded || a.Sent != a.Size || a.Replaced != "" {
		t.Errorf("first publish: Uploaded %v, Sent %d, Replaced %q; want true, %d, \"\"", a.Uploaded, a.Sent, a.Replaced, a.Size)
	}
	if want := "s3::" + srv.Endpoint + "/" + s.Bucket + "/" + wantKey; a.URL != want {
		t.Errorf("URL %s, want %s", a.URL, want)
	}
	if strings.Contains(a.URL, srv.AccessKey) || strings.Contains(a.URL, srv.SecretKey) {
		t.Errorf("URL %s holds the store's credentials", a.URL)
	}
	if a.Checksum() != "sha256:"+sha(content) {
		t.Errorf("Checksum() %q", a.Checksum())
	}

	status, got := fetch(t, srv, a.URL)
	if status != http.StatusOK || !bytes.Equal(got, content) {
		t.Fatalf("GET %s: %d, %d bytes (sha256 %s); want 200 and the file's %d bytes", a.URL, status, len(got), sha(got), len(content))
	}
	info, err := srv.Client.StatObject(ctx, s.Bucket, a.Key, minio.StatObjectOptions{Checksum: true})
	if err != nil {
		t.Fatal(err)
	}
	if info.UserMetadata["Sha256"] != a.SHA256 || info.ChecksumSHA256 == "" {
		t.Errorf("object metadata %v, S3 checksum %q: want sha256 %s in both", info.UserMetadata, info.ChecksumSHA256, a.SHA256)
	}

	again, err := s.Publish(ctx, path, "lobsters-popularity")
	if err != nil {
		t.Fatal(err)
	}
	if again.Uploaded || again.Sent != 0 || again.Replaced != "" || again.Key != a.Key || again.URL != a.URL {
		t.Errorf("second publish of the same bytes: %+v; want Uploaded false, Sent 0, same key and URL", again)
	}
}

// TestPublishNewContent publishes other bytes under the same name: a new
// key, and the first artifact is still there, unchanged.
func TestPublishNewContent(t *testing.T) {
	srv := server(t)
	s := newStore(t, srv)
	ctx := context.Background()
	dir := t.TempDir()
	path, v1 := randomFile(t, dir, 1<<20)
	a1, err := s.Publish(ctx, path, "app")
	if err != nil {
		t.Fatal(err)
	}
	v2 := bytes.Clone(v1)
	v2[0] ^= 1
	if err := os.WriteFile(path, v2, 0o644); err != nil {
		t.Fatal(err)
	}
	a2, err := s.Publish(ctx, path, "app")
	if err != nil {
		t.Fatal(err)
	}
	if a2.Key == a1.Key || a2.URL == a1.URL || !a2.Uploaded {
		t.Fatalf("new bytes: key %s (first %s), Uploaded %v; want a new key, uploaded", a2.Key, a1.Key, a2.Uploaded)
	}
	for _, c := range []struct {
		url  string
		want []byte
	}{{a1.URL, v1}, {a2.URL, v2}} {
		if status, got := fetch(t, srv, c.url); status != http.StatusOK || !bytes.Equal(got, c.want) {
			t.Errorf("GET %s: %d, sha256 %s; want 200, sha256 %s", c.url, status, sha(got), sha(c.want))
		}
	}
}

// TestPublishReplacesUntrusted puts objects under the key Publish will use
// that do not hold the file (cut short, foreign, with a wrong or forged
// sha256): each is replaced, not trusted.
func TestPublishReplacesUntrusted(t *testing.T) {
	srv := server(t)
	s := newStore(t, srv)
	ctx := context.Background()
	dir := t.TempDir()
	for _, c := range []struct {
		name string
		// what to put under the key, given the file's content
		put    func(content []byte) ([]byte, minio.PutObjectOptions)
		reason string // in Artifact.Replaced
	}{
		{"cut-short", func(c []byte) ([]byte, minio.PutObjectOptions) {
			return c[:len(c)/2], minio.PutObjectOptions{UserMetadata: map[string]string{"sha256": sha(c)}}
		}, "size"},
		{"foreign", func(c []byte) ([]byte, minio.PutObjectOptions) {
			return flipped(c), minio.PutObjectOptions{}
		}, "no sha256 recorded"},
		{"wrong-metadata", func(c []byte) ([]byte, minio.PutObjectOptions) {
			o := flipped(c)
			return o, minio.PutObjectOptions{UserMetadata: map[string]string{"sha256": sha(o)}}
		}, "x-amz-meta-sha256"},
		{"forged-metadata", func(c []byte) ([]byte, minio.PutObjectOptions) {
			// claims the file's sha256, but the store's own checksum is of other bytes
			return flipped(c), minio.PutObjectOptions{UserMetadata: map[string]string{"sha256": sha(c)}, Checksum: minio.ChecksumSHA256}
		}, "S3 checksum"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path, content := randomFile(t, dir, 1<<20+3)
			key := keyFor(s.Prefix, content, "app")
			body, opts := c.put(content)
			if _, err := srv.Client.PutObject(ctx, s.Bucket, key, bytes.NewReader(body), int64(len(body)), opts); err != nil {
				t.Fatal(err)
			}

			a, err := s.Publish(ctx, path, "app")
			if err != nil {
				t.Fatal(err)
			}
			if !a.Uploaded || !strings.Contains(a.Replaced, c.reason) {
				t.Errorf("Uploaded %v, Replaced %q; want true, a reason with %q", a.Uploaded, a.Replaced, c.reason)
			}
			if status, got := fetch(t, srv, a.URL); status != http.StatusOK || !bytes.Equal(got, content) {
				t.Errorf("GET after publish: %d, sha256 %s; want the file's %s", status, sha(got), sha(content))
			}
			if again, err := s.Publish(ctx, path, "app"); err != nil || again.Uploaded {
				t.Errorf("publish once more: Uploaded %v, %v; want false, nil", again.Uploaded, err)
			}
		})
	}
}

func flipped(b []byte) []byte {
	o := bytes.Clone(b)
	o[len(o)/2] ^= 0xff
	return o
}

// TestPublishFileChanging changes the file while it is uploaded (as a
// build writing it again would): the store verifies the sha256 the upload
// announced, refuses the bytes, and keeps nothing under the key.
func TestPublishFileChanging(t *testing.T) {
	srv := server(t)
	s := newStore(t, srv)
	ctx := context.Background()
	path, content := randomFile(t, t.TempDir(), 8<<20)
	changed := false
	s.Progress = func(sent, total int64) {
		if !changed {
			changed = true
			f, err := os.OpenFile(path, os.O_WRONLY, 0)
			if err != nil {
				t.Error(err)
				return
			}
			defer f.Close()
			if _, err := f.WriteAt([]byte("changed"), total-100); err != nil {
				t.Error(err)
			}
		}
	}
	a, err := s.Publish(ctx, path, "app")
	if err == nil || !strings.Contains(err.Error(), "BadDigest") || !strings.Contains(err.Error(), "change") {
		t.Fatalf("publish of a file that changes: %v; want a BadDigest error asking whether the file changed", err)
	}
	t.Log(err)
	if a.Key != keyFor(s.Prefix, content, "app") {
		t.Errorf("key %s, want the one of the bytes hashed", a.Key)
	}
	if _, err := srv.Client.StatObject(ctx, s.Bucket, a.Key, minio.StatObjectOptions{}); minio.ToErrorResponse(err).Code != minio.NoSuchKey {
		t.Errorf("after the refused upload: stat %s: %v; want NoSuchKey", a.Key, err)
	}
}

// TestPublishBadInput: names that are no plain file names, and paths that
// are no regular files, are refused before anything is sent.
func TestPublishBadInput(t *testing.T) {
	srv := server(t)
	s := newStore(t, srv)
	ctx := context.Background()
	path, _ := randomFile(t, t.TempDir(), 10)
	for _, name := range []string{"", "a/b", "../x", ".hidden", "a b", "x?y"} {
		if _, err := s.Publish(ctx, path, name); err == nil || !strings.Contains(err.Error(), "name") {
			t.Errorf("Publish name %q: %v; want an error about the name", name, err)
		}
	}
	if _, err := s.Publish(ctx, t.TempDir(), "dir"); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("Publish of a directory: %v", err)
	}
	if _, err := s.Publish(ctx, path+".missing", "x"); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("Publish of a missing file: %v", err)
	}
}
