package artifacts_test

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkPublish publishes new content of 1, 8 and 32 MB each iteration
// (MB/s: hashing, the HEAD that finds nothing, the upload), and unchanged
// content again (the no-op: hashing and one HEAD).
func BenchmarkPublish(b *testing.B) {
	srv := server(b)
	ctx := context.Background()
	for _, mb := range []int{1, 8, 32} {
		b.Run(fmt.Sprintf("new-%dMB", mb), func(b *testing.B) {
			s := newStore(b, srv)
			dir := b.TempDir()
			b.SetBytes(int64(mb) << 20)
			for b.Loop() {
				b.StopTimer()
				path, _ := randomFile(b, dir, mb<<20)
				b.StartTimer()
				a, err := s.Publish(ctx, path, "app")
				if err != nil || !a.Uploaded {
					b.Fatalf("%+v, %v", a, err)
				}
			}
		})
	}
	for _, mb := range []int{1, 32} {
		b.Run(fmt.Sprintf("unchanged-%dMB", mb), func(b *testing.B) {
			s := newStore(b, srv)
			path, _ := randomFile(b, b.TempDir(), mb<<20)
			if _, err := s.Publish(ctx, path, "app"); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				a, err := s.Publish(ctx, path, "app")
				if err != nil || a.Uploaded {
					b.Fatalf("%+v, %v", a, err)
				}
			}
		})
	}
}
