package artifacts

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"sync/atomic"

	"github.com/minio/minio-go/v7"
)

// Artifact is a file published to a Store.
type Artifact struct {
	Name   string // the file's name on the node: the key's last segment
	Key    string // PREFIX/sha256/<hex>/<name>
	SHA256 string // hex
	Size   int64
	URL    string // where a node downloads it: <endpoint>/<bucket>/<key> (path style)

	Uploaded bool   // false: the store held these bytes already
	Sent     int64  // bytes this Publish uploaded: Size when Uploaded, else 0
	Replaced string // why the object found under Key was not trusted: "" if none was there
}

// Checksum is the value of go-getter's checksum option in Nomad's artifact
// block: sha256:<hex>.
func (a Artifact) Checksum() string { return "sha256:" + a.SHA256 }

// metaSHA256 is the user metadata (x-amz-meta-sha256) Publish sets to the
// object's hex sha256.
const metaSHA256 = "sha256"

// Publish makes sure the store holds the file at localPath under its
// content's key, named name (letters, digits and ._+-, the file name
// nodes get), and says where. It uploads only when the key holds no
// trustworthy object (see the package doc).
func (s *Store) Publish(ctx context.Context, localPath, name string) (Artifact, error) {
	if !segment.MatchString(name) {
		return Artifact{}, fmt.Errorf("publish %s: name %q: want letters, digits and ._+-, starting with a letter or digit", localPath, name)
	}
	f, err := os.Open(localPath)
	if err != nil {
		return Artifact{}, fmt.Errorf("publish %s: %w", name, err)
	}
	defer f.Close()
	sum, size, err := hashFile(f)
	if err != nil {
		return Artifact{}, fmt.Errorf("publish %s: hash %s: %w", name, localPath, err)
	}
	a := Artifact{Name: name, SHA256: hex.EncodeToString(sum), Size: size}
	a.Key = path.Join(s.Prefix, "sha256", a.SHA256, name)
	a.URL = s.URL(a.Key)

	trusted, why, err := s.lookUp(ctx, a)
	if err != nil {
		return a, fmt.Errorf("publish %s: look up %s: %w", name, s.s3Name(a.Key), err)
	}
	if trusted {
		return a, nil
	}
	a.Replaced = why
	if a.Sent, err = s.put(ctx, f, a, sum); err != nil {
		return a, s.putFailed(ctx, a, err)
	}
	a.Uploaded = true
	return a, nil
}

// hashFile returns the sha256 and size of a regular file, and leaves it at
// its start.
func hashFile(f *os.File) ([]byte, int64, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, 0, err
	}
	if !fi.Mode().IsRegular() {
		return nil, 0, fmt.Errorf("not a regular file (%s)", fi.Mode().Type())
	}
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return nil, 0, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, 0, err
	}
	return h.Sum(nil), n, nil
}

// lookUp says whether the object under a.Key holds a, and when an object
// is there that does not, why.
func (s *Store) lookUp(ctx context.Context, a Artifact) (trusted bool, why string, err error) {
	info, err := s.client.StatObject(ctx, s.Bucket, a.Key, minio.StatObjectOptions{Checksum: true})
	if err != nil {
		if minio.ToErrorResponse(err).Code == minio.NoSuchKey {
			return false, "", nil
		}
		return false, "", s.explain(ctx, err)
	}
	why = mismatch(info, a)
	return why == "", why, nil
}

// mismatch compares an object with the artifact it should hold: "" when
// its size and every sha256 the store has for it (at least one) match.
func mismatch(info minio.ObjectInfo, a Artifact) string {
	if info.Size != a.Size {
		return fmt.Sprintf("size %d, want %d", info.Size, a.Size)
	}
	meta := ""
	for k, v := range info.UserMetadata {
		if strings.EqualFold(k, metaSHA256) {
			meta = v
		}
	}
	want64 := base64.StdEncoding.EncodeToString(mustHex(a.SHA256))
	switch {
	case meta != "" && meta != a.SHA256:
		return fmt.Sprintf("x-amz-meta-sha256 %s, want %s", meta, a.SHA256)
	case info.ChecksumSHA256 != "" && info.ChecksumSHA256 != want64:
		return fmt.Sprintf("S3 checksum sha256 %s, want %s", info.ChecksumSHA256, want64)
	case meta == "" && info.ChecksumSHA256 == "":
		return "no sha256 recorded for it"
	}
	return ""
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// put uploads f as a.Key in one PUT with its sha256 as the S3 checksum,
// which the store verifies before it keeps the object. It returns the
// bytes uploaded.
func (s *Store) put(ctx context.Context, f *os.File, a Artifact, sum []byte) (int64, error) {
	opts := minio.PutObjectOptions{
		ContentType:      "application/octet-stream",
		DisableMultipart: true, // one PUT: all or nothing, and a whole-object checksum
		UserMetadata: map[string]string{
			metaSHA256:              a.SHA256,
			"X-Amz-Checksum-Sha256": base64.StdEncoding.EncodeToString(sum),
		},
	}
	if s.Progress != nil {
		opts.Progress = &progress{total: a.Size, report: s.Progress}
	}
	info, err := s.client.PutObject(ctx, s.Bucket, a.Key, f, a.Size, opts)
	if err != nil {
		return 0, err
	}
	return info.Size, nil
}

// progress counts the bytes an upload reads (minio-go hands it each read).
type progress struct {
	sent   atomic.Int64
	total  int64
	report func(sent, total int64)
}

func (p *progress) Read(b []byte) (int, error) {
	p.report(p.sent.Add(int64(len(b))), p.total)
	return len(b), nil
}

// s3Name names an object for messages: s3://BUCKET/KEY.
func (s *Store) s3Name(key string) string { return "s3://" + s.Bucket + "/" + key }
