package artifacts

import (
	"context"
	"fmt"

	"github.com/minio/minio-go/v7"
)

// Remove deletes the object a node fetches from url, which this store gave
// out (an Artifact's URL): used when a node found that its bytes do not
// match its checksum, so that no later run trusts it and the next publish
// uploads the build again.
func (s *Store) Remove(ctx context.Context, url string) error {
	key, ok := s.key(url)
	if !ok {
		return fmt.Errorf("remove %s: not an object of %s", url, s)
	}
	if err := s.client.RemoveObject(ctx, s.Bucket, key, minio.RemoveObjectOptions{}); err != nil {
		return fmt.Errorf("remove %s: %w", key, s.explain(ctx, err))
	}
	return nil
}
