package snapshot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
)

// copyWorkers is how many batches are copied at once. Copying small files is
// mostly waiting on system calls, so a few more workers than CPUs keep the
// disk and the CPUs busy; more only contend.
func copyWorkers(batches int) int {
	return max(1, min(2*runtime.GOMAXPROCS(0), 8, batches))
}

// batch is up to batchSize entries of one directory, copied by one worker
// that opens the directory once on each side: each file then costs one
// openat per side instead of one per path component.
type batch struct {
	dir   string   // slash-separated, relative to the top; "." for the top
	names []string // base names of entries in dir
}

const batchSize = 128

// batches groups sorted slash-separated paths by directory.
func batches(paths []string) []batch {
	var out []batch
	open := map[string]int{} // directory → index in out of its last batch
	for _, p := range paths {
		dir, name := path.Dir(p), path.Base(p)
		i, ok := open[dir]
		if !ok || len(out[i].names) == batchSize {
			i = len(out)
			open[dir] = i
			out = append(out, batch{dir: dir})
		}
		out[i].names = append(out[i].names, name)
	}
	return out
}

// copyFiles copies the listed paths from the work tree top into dest, which
// exists and is empty. Regular files keep their permission bits, symlinks
// are recreated as symlinks with the same target, directories are created
// as needed (mode 0755). A listed path that is a directory (a submodule or a
// nested repository) is created empty. A listed path missing from the work
// tree (a tracked file deleted there) is skipped.
//
// All access goes through os.Root, so nothing outside top is read and
// nothing outside dest is written, even if the work tree changes meanwhile.
func copyFiles(ctx context.Context, top, dest string, paths []string) (tally, error) {
	src, err := os.OpenRoot(top)
	if err != nil {
		return tally{}, fmt.Errorf("copy working tree: %w", err)
	}
	defer src.Close()
	dst, err := os.OpenRoot(dest)
	if err != nil {
		return tally{}, fmt.Errorf("copy working tree: %w", err)
	}
	defer dst.Close()

	work := batches(paths)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		next  atomic.Int64
		files atomic.Int64
		size  atomic.Int64
		wg    sync.WaitGroup
	)
	for range copyWorkers(len(work)) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(work) {
					return
				}
				n, err := copyBatch(src, dst, work[i])
				if err != nil {
					cancel(err)
					return
				}
				files.Add(int64(n.files))
				size.Add(n.bytes)
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return tally{}, err
	}
	return tally{files: int(files.Load()), bytes: size.Load()}, nil
}

// copyBatch copies the entries of one batch.
func copyBatch(src, dst *os.Root, b batch) (tally, error) {
	from, err := src.OpenRoot(b.dir)
	if gone(err) {
		return tally{}, nil // the whole directory was deleted in the work tree
	}
	if err != nil {
		return tally{}, fmt.Errorf("copy %s: %w", b.dir, err)
	}
	defer from.Close()

	var to *os.Root // opened when the first entry turns out to exist
	defer func() {
		if to != nil {
			to.Close()
		}
	}()
	var n tally
	for _, name := range b.names {
		fi, err := from.Lstat(name)
		if gone(err) {
			continue // deleted in the work tree
		}
		if err == nil && to == nil {
			to, err = openDir(dst, b.dir)
		}
		if err == nil {
			var size int64
			var wrote bool
			size, wrote, err = copyEntry(from, to, name, fi.Mode())
			if wrote {
				n.files++
				n.bytes += size
			}
		}
		if err != nil {
			return tally{}, fmt.Errorf("copy %s: %w", path.Join(b.dir, name), err)
		}
	}
	return n, nil
}

// gone reports whether err says a path does not exist (or a parent of it
// is no longer a directory).
func gone(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

// copyEntry copies one directory entry of the given mode from the directory
// from to the directory to. It returns the bytes copied and whether a file
// or symlink was written.
func copyEntry(from, to *os.Root, name string, mode fs.FileMode) (int64, bool, error) {
	switch {
	case mode.IsRegular():
		n, err := copyRegular(from, to, name, mode.Perm())
		return n, err == nil, err
	case mode&fs.ModeSymlink != 0:
		target, err := from.Readlink(name)
		if err == nil {
			err = to.Symlink(target, name)
		}
		return 0, err == nil, err
	case mode.IsDir():
		return 0, false, to.MkdirAll(name, 0o755)
	}
	return 0, false, fmt.Errorf("unsupported file type %v", mode.Type())
}

// copyRegular copies a regular file's content and permission bits. Between
// two files, io.Copy lets the kernel copy the data (copy_file_range or
// sendfile) without passing it through user space.
func copyRegular(from, to *os.Root, name string, perm fs.FileMode) (int64, error) {
	in, err := from.Open(name)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	out, err := to.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return 0, err
	}
	n, err := copyData(out, in)
	return n, closeFile(out, perm, err)
}

// copyData copies in to out keeping in's holes: only the data segments
// (SEEK_DATA to SEEK_HOLE) are written, and out is then extended to in's
// size, so a sparse file stays sparse. It returns the bytes of data copied.
func copyData(out, in *os.File) (int64, error) {
	info, err := in.Stat()
	if err != nil {
		return 0, err
	}
	size := info.Size()
	var copied int64
	for off := int64(0); off < size; {
		data, err := in.Seek(off, seekData)
		if err != nil {
			if errors.Is(err, syscall.ENXIO) {
				break // only a hole is left
			}
			// No SEEK_DATA here: copy the rest as it is.
			if _, err := in.Seek(off, io.SeekStart); err != nil {
				return copied, err
			}
			if _, err := out.Seek(off, io.SeekStart); err != nil {
				return copied, err
			}
			n, err := io.Copy(out, in)
			return copied + n, err
		}
		hole, err := in.Seek(data, seekHole)
		if err != nil {
			return copied, err
		}
		if _, err := in.Seek(data, io.SeekStart); err != nil {
			return copied, err
		}
		if _, err := out.Seek(data, io.SeekStart); err != nil {
			return copied, err
		}
		n, err := io.CopyN(out, in, hole-data)
		copied += n
		if err != nil {
			return copied, err
		}
		off = hole
	}
	return copied, out.Truncate(size)
}

// lseek's whence values for data and holes (Linux).
const (
	seekData = 3
	seekHole = 4
)
