package artifacts

import (
	"context"
	"fmt"
	"io"
	"os"

	"microwizard/internal/svctl/snapshot"
)

// Build is what a run publishes: its binary, named for its service, and
// for packs that ask for it the files of the source snapshot the build
// reads, archived at Archive.
type Build struct {
	Binary, Service string
	// Embedded are the files of the tree the binary embeds (go:embed),
	// slash-separated paths relative to the tree's root: published in it.
	Embedded []string
	// SourceDir is the snapshot; "": the source is not published.
	SourceDir string
	// SourceFiles are the files of SourceDir the archive holds: the
	// build's inputs (gobuild.Result.Inputs), nothing else of the tree.
	SourceFiles []string
	Archive     string // where the source archive is written first
	// AllowSecrets are files (relative to the tree's root) published
	// although their names look like secrets (svctl run -allow-secret-file).
	AllowSecrets []string
}

// PublishBuild publishes b's binary and, if it has one, the archive of its
// source files, and says on progress what it uploaded. Content already in
// the store is not uploaded again. Before anything is uploaded it refuses,
// with a *SecretError, a file to publish whose name looks like a secret's
// (see SecretPattern) that b.AllowSecrets does not name.
func (s *Store) PublishBuild(ctx context.Context, b Build, progress io.Writer) (bin, src Artifact, err error) {
	if err := checkSecrets(b); err != nil {
		return bin, src, err
	}
	// Archived first: a file the archive cannot take stops the publish
	// before anything is uploaded, too.
	if b.SourceDir != "" {
		if err := archive(b); err != nil {
			return bin, src, err
		}
	}
	if bin, err = s.Publish(ctx, b.Binary, b.Service); err != nil {
		return bin, src, err
	}
	report(progress, bin)
	if b.SourceDir == "" {
		return bin, src, nil
	}
	if src, err = s.Publish(ctx, b.Archive, "source.tar.gz"); err != nil {
		return bin, src, err
	}
	report(progress, src)
	return bin, src, nil
}

// archive writes the archive of b's source files at b.Archive.
func archive(b Build) error {
	f, err := os.Create(b.Archive)
	if err != nil {
		return fmt.Errorf("archive the source: %w", err)
	}
	err = snapshot.Archive(b.SourceDir, b.SourceFiles, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("archive the source: %w", err)
	}
	return nil
}

// report says what publishing an artifact did.
func report(w io.Writer, a Artifact) {
	if a.Uploaded {
		fmt.Fprintf(w, "==> published %s (%s): uploaded %d bytes\n", a.Name, a.URL, a.Sent)
		return
	}
	fmt.Fprintf(w, "==> %s is already in the store (%s): nothing uploaded\n", a.Name, a.URL)
}
