package artifacts

import (
	"context"
	"fmt"
	"io"
	"os"

	"microwizard/internal/svctl/snapshot"
)

// Build is what a run publishes: its binary, named for its service, and
// for packs that ask for it the source snapshot, archived at Archive.
type Build struct {
	Binary, Service string
	SourceDir       string // "" : the source is not published
	Archive         string // where the source archive is written first
}

// PublishBuild publishes b's binary and, if it has one, its source
// archive, and says on progress what it uploaded. Content already in the
// store is not uploaded again.
func (s *Store) PublishBuild(ctx context.Context, b Build, progress io.Writer) (bin, src Artifact, err error) {
	if bin, err = s.Publish(ctx, b.Binary, b.Service); err != nil {
		return bin, src, err
	}
	report(progress, bin)
	if b.SourceDir == "" {
		return bin, src, nil
	}
	f, err := os.Create(b.Archive)
	if err != nil {
		return bin, src, fmt.Errorf("archive the source: %w", err)
	}
	err = snapshot.Archive(b.SourceDir, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return bin, src, fmt.Errorf("archive the source: %w", err)
	}
	if src, err = s.Publish(ctx, b.Archive, "source.tar.gz"); err != nil {
		return bin, src, err
	}
	report(progress, src)
	return bin, src, nil
}

// report says what publishing an artifact did.
func report(w io.Writer, a Artifact) {
	if a.Uploaded {
		fmt.Fprintf(w, "==> published %s (%s): uploaded %d bytes\n", a.Name, a.URL, a.Sent)
		return
	}
	fmt.Fprintf(w, "==> %s is already in the store (%s): nothing uploaded\n", a.Name, a.URL)
}
