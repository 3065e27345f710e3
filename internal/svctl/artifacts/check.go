package artifacts

import (
	"context"
	"fmt"

	"github.com/minio/minio-go/v7"
)

// Check verifies, with one listing of at most one key under the prefix,
// that the endpoint answers, the bucket exists and the credentials are
// accepted and may list it (a store answers a HEAD of a missing key with
// 403 to those who may not, which Publish would take for a refusal). It
// cannot prove the right to write without writing. Call it before building
// anything.
func (s *Store) Check(ctx context.Context) error {
	if err := s.list(ctx); err != nil {
		return fmt.Errorf("check artifact store %s: %w", s.Location(), s.explain(ctx, err))
	}
	return nil
}

// list lists at most one key under the prefix.
func (s *Store) list(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // ends minio-go's listing goroutine
	prefix := s.Prefix
	if prefix != "" {
		prefix += "/"
	}
	obj, ok := <-s.client.ListObjects(ctx, s.Bucket, minio.ListObjectsOptions{Prefix: prefix, MaxKeys: 1})
	if !ok {
		return nil // nothing under the prefix yet
	}
	return obj.Err
}
