package snapshot

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"time"
)

// Archive writes the files of the tree at dir that files names
// (slash-separated paths relative to dir, such as a build's inputs) to w
// as a gzipped tar that depends only on their paths, content and modes:
// entries in lexical order, regular files only (a symbolic link is
// archived as the file it leads to, which must be in the tree), no
// directories (an unpacker makes them), no owners, no times. A file keeps
// its permission bits (0600 stays 0600, 0755 stays 0755), never more. The
// same files always give the same bytes, so an archive can be stored by
// its checksum and a second run of an unchanged tree finds it already
// there.
func Archive(dir string, files []string, w io.Writer) error {
	if err := archive(dir, files, w); err != nil {
		return fmt.Errorf("archive %s: %w", dir, err)
	}
	return nil
}

func archive(dir string, files []string, w io.Writer) error {
	if len(files) == 0 {
		return errors.New("no file to archive")
	}
	names := slices.Clone(files)
	slices.Sort(names)
	names = slices.Compact(names)
	for _, name := range names {
		if !filepath.IsLocal(filepath.FromSlash(name)) || path.Clean(name) != name {
			return fmt.Errorf("%q: not a clean path inside the tree", name)
		}
	}
	// Every read goes through root: nothing outside dir is archived, even
	// through a link.
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()

	zw, err := gzip.NewWriterLevel(w, gzip.BestSpeed)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(zw)
	for _, name := range names {
		if err := addFile(tw, root, name); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return zw.Close()
}

// addFile writes the regular file name of root, read through any link, to
// tw with its permission bits.
func addFile(tw *tar.Writer, root *os.Root, name string) error {
	f, err := root.Open(filepath.FromSlash(name))
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("not a regular file (%s)", info.Mode().Type())
	}
	hdr := &tar.Header{
		Typeflag: tar.TypeReg,
		Name:     name,
		Size:     info.Size(),
		Mode:     int64(info.Mode().Perm()),
		ModTime:  time.Unix(0, 0),
		Format:   tar.FormatPAX,
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	n, err := io.Copy(tw, f)
	if err == nil && n != info.Size() {
		err = fmt.Errorf("changed while it was archived (%d bytes, then %d)", info.Size(), n)
	}
	return err
}
