package snapshot

import (
	"archive/tar"
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// export writes the tree of commit into dest, which exists and is empty, by
// extracting `git archive --format=tar` output. Files get the modes git
// records (0644, or 0755 for executables); symlinks stay symlinks. As with
// any git archive, files marked export-ignore in .gitattributes are left out
// and submodules come out as empty directories.
func export(parent context.Context, top, commit, dest string) (tally, error) {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	// tar.umask=0022 gives the modes of a checkout (the default, 0002, would
	// make files group-writable).
	args := []string{"-c", "tar.umask=0022", "archive", "--format=tar", commit}
	cmd, stderr := gitCmd(ctx, top, args...)
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		return tally{}, fmt.Errorf("export %s: %w", commit, err)
	}
	if err := cmd.Start(); err != nil {
		return tally{}, fmt.Errorf("export %s: %w", commit, gitErr(args, err, stderr))
	}
	n, xerr := extract(pipe, dest)
	if xerr != nil {
		cancel() // stop git archive, which may be blocked writing
	}
	werr := cmd.Wait()
	switch {
	case parent.Err() != nil:
		return tally{}, fmt.Errorf("export %s: %w", commit, parent.Err())
	case xerr != nil && stderr.Len() > 0:
		return tally{}, fmt.Errorf("export %s: %w (git archive: %s)", commit, xerr, firstLine(stderr.String()))
	case xerr != nil:
		return tally{}, fmt.Errorf("export %s: %w", commit, xerr)
	case werr != nil:
		return tally{}, fmt.Errorf("export %s: %w", commit, gitErr(args, werr, stderr))
	}
	return n, nil
}

// extract writes the entries of a tar stream into the directory dest. Every
// name must stay inside dest: absolute names, ".." components and writes
// through symlinks pointing outside are refused.
func extract(r io.Reader, dest string) (tally, error) {
	root, err := os.OpenRoot(dest)
	if err != nil {
		return tally{}, err
	}
	defer root.Close()
	x := extractor{root: root, buf: make([]byte, 1<<20)}
	defer x.closeDir()

	tr := tar.NewReader(bufio.NewReaderSize(r, 256<<10))
	var n tally
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return tally{}, fmt.Errorf("read archive: %w", err)
		}
		if hdr.Typeflag == tar.TypeXGlobalHeader {
			continue // git's comment holding the commit id
		}
		name := strings.TrimSuffix(hdr.Name, "/")
		if !filepath.IsLocal(name) || hasGitDir(name) {
			return tally{}, fmt.Errorf("archive entry %q: unsafe path", hdr.Name)
		}
		perm := fs.FileMode(hdr.Mode).Perm()
		switch hdr.Typeflag {
		case tar.TypeDir:
			err = root.MkdirAll(name, perm|0o700)
		case tar.TypeReg:
			var size int64
			size, err = x.writeFile(name, perm, hdr.Size, tr)
			n.files++
			n.bytes += size
		case tar.TypeSymlink:
			err = x.symlink(hdr.Linkname, name)
			n.files++
		default:
			err = fmt.Errorf("unsupported entry type %q", hdr.Typeflag)
		}
		if err != nil {
			return tally{}, fmt.Errorf("extract %s: %w", name, err)
		}
	}
}

// extractor writes archive entries below root. git archive lists each
// directory's files together, so it keeps the last directory open: a file
// then costs one openat, not one per path component.
type extractor struct {
	root *os.Root
	dir  string   // the directory open in cur
	cur  *os.Root // nil until the first file
	buf  []byte   // file contents pass through here
}

// openDir returns the directory dir of the archive, creating it if needed.
func (x *extractor) openDir(dir string) (*os.Root, error) {
	if x.cur != nil && x.dir == dir {
		return x.cur, nil
	}
	x.closeDir()
	cur, err := openDir(x.root, dir)
	if err != nil {
		return nil, err
	}
	x.dir, x.cur = dir, cur
	return cur, nil
}

func (x *extractor) closeDir() {
	if x.cur != nil {
		x.cur.Close()
		x.cur = nil
	}
}

// writeFile writes one regular file of size bytes from the archive. A file
// that fits in the buffer is read whole and written with one call.
func (x *extractor) writeFile(name string, perm fs.FileMode, size int64, r io.Reader) (int64, error) {
	dir, err := x.openDir(filepath.Dir(name))
	if err != nil {
		return 0, err
	}
	base := filepath.Base(name)
	f, err := dir.OpenFile(base, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return 0, fmt.Errorf("archive holds %s twice", name)
		}
		return 0, err
	}
	var n int64
	switch {
	case size == 0:
	case size <= int64(len(x.buf)):
		var m int
		if m, err = io.ReadFull(r, x.buf[:size]); err == nil {
			m, err = f.Write(x.buf[:m])
		}
		n = int64(m)
	default:
		// Hide f's ReadFrom, which would allocate a buffer of its own.
		n, err = io.CopyBuffer(struct{ io.Writer }{f}, r, x.buf)
	}
	return n, closeFile(f, perm, err)
}

// symlink creates one symlink from the archive. The target is not checked:
// a link pointing outside dest is written as it is, and never followed.
func (x *extractor) symlink(target, name string) error {
	dir, err := x.openDir(filepath.Dir(name))
	if err != nil {
		return err
	}
	return dir.Symlink(target, filepath.Base(name))
}
