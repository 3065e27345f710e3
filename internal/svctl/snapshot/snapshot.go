// Package snapshot turns a source (the working tree, or a git ref) into a
// directory a service can be built from.
//
// ParseSource reads what the user typed; Take makes the directory:
//
//   - UNCOMMITTED_COPY copies the working tree as it is now (tracked files
//     with their edits, untracked files git does not ignore) to a new
//     directory;
//   - UNCOMMITTED uses the live working tree in place;
//   - a ref or commit exports its committed tree with git archive to a new
//     directory.
package snapshot

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Snapshot is a directory holding a service's source, and where it came from.
type Snapshot struct {
	Dir    string // absolute path of the directory to build from
	Kind   Kind
	Source string // the source as the user typed it ("" means HEAD)
	// Commit is the full hash of the exported commit (Kind Ref), or of HEAD
	// for the uncommitted kinds ("" in a repository with no commits yet).
	Commit string
	// Dirty tells whether the working tree differed from HEAD (git status
	// showed changes or untracked files). Always false for Kind Ref.
	Dirty bool
	// Files and Bytes count the regular files and symlinks written to Dir,
	// and the bytes of the regular files. Both are 0 for Kind Uncommitted,
	// which writes nothing.
	Files int
	Bytes int64
	// Took is how long taking the snapshot took.
	Took time.Duration
}

// Take makes a snapshot of src from the git work tree holding repoDir.
//
// For UncommittedCopy and Ref, dest is created (its parent directories too)
// and filled; it must not exist yet. For Uncommitted, dest is ignored and
// Dir is the work tree's top directory. If Take fails after creating dest,
// it removes dest: nothing half-made is left behind.
func Take(ctx context.Context, repoDir string, src Source, dest string) (Snapshot, error) {
	return TakeLimited(ctx, repoDir, src, dest, DefaultMaxUntracked)
}

// DefaultMaxUntracked is the largest untracked file a copy takes unless the
// user allows more: a forgotten core dump or data set would otherwise be
// copied in full on every run.
const DefaultMaxUntracked = 100 << 20

// TakeLimited is Take with maxUntracked, the largest untracked file (in
// bytes of content) an UNCOMMITTED_COPY takes; 0 means no limit. A larger
// one is refused, naming it, before anything is copied.
func TakeLimited(ctx context.Context, repoDir string, src Source, dest string, maxUntracked int64) (Snapshot, error) {
	start := time.Now()
	snap, err := take(ctx, repoDir, src, dest, maxUntracked)
	snap.Took = time.Since(start)
	return snap, err
}

func take(ctx context.Context, repoDir string, src Source, dest string, maxUntracked int64) (snap Snapshot, err error) {
	switch src.Kind {
	case Ref:
		if src.Ref != "" {
			if err := CheckRef(src.Ref); err != nil {
				return Snapshot{}, err
			}
		}
	case UncommittedCopy, Uncommitted:
	default:
		return Snapshot{}, fmt.Errorf("snapshot: unknown source kind %v", src.Kind)
	}

	top, err := topLevel(ctx, repoDir)
	if err != nil {
		return Snapshot{}, err
	}
	snap = Snapshot{Kind: src.Kind, Source: src.String()}

	if src.Kind == Uncommitted {
		if snap.Commit, err = headCommit(ctx, top); err != nil {
			return Snapshot{}, err
		}
		if snap.Dirty, err = isDirty(ctx, top); err != nil {
			return Snapshot{}, err
		}
		snap.Dir = top
		return snap, nil
	}

	if dest == "" {
		return Snapshot{}, errors.New("snapshot: no destination directory given")
	}
	if snap.Dir, err = filepath.Abs(dest); err != nil {
		return Snapshot{}, fmt.Errorf("snapshot destination %s: %w", dest, err)
	}
	if _, err := os.Lstat(snap.Dir); err == nil {
		return Snapshot{}, fmt.Errorf("snapshot destination %s already exists", snap.Dir)
	}

	// Everything that can fail without writing is done before dest exists.
	var (
		paths []string
		dirty func() (bool, error)
	)
	switch src.Kind {
	case UncommittedCopy:
		if snap.Commit, err = headCommit(ctx, top); err != nil {
			return Snapshot{}, err
		}
		// git status reads the whole tree too: let it run beside the copy.
		dirty = background(func() (bool, error) { return isDirty(ctx, top) })
		if paths, err = listWorkTree(ctx, top); err != nil {
			return Snapshot{}, err
		}
		if err := checkUntracked(ctx, top, maxUntracked); err != nil {
			return Snapshot{}, err
		}
	case Ref:
		if snap.Commit, err = resolveCommit(ctx, top, src.Rev()); err != nil {
			return Snapshot{}, err
		}
	}

	dir := snap.Dir
	if err := makeDest(dir); err != nil {
		return Snapshot{}, err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(dir)
		}
	}()

	var n tally
	switch src.Kind {
	case UncommittedCopy:
		if n, err = copyFiles(ctx, top, dir, paths); err == nil {
			snap.Dirty, err = dirty()
		}
	case Ref:
		n, err = export(ctx, top, snap.Commit, dir)
	}
	if err != nil {
		return Snapshot{}, err
	}
	snap.Files, snap.Bytes = n.files, n.bytes
	return snap, nil
}

// makeDest creates dir, which must not exist yet, and its missing parents.
func makeDest(dir string) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return fmt.Errorf("create snapshot destination: %w", err)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("snapshot destination %s already exists", dir)
		}
		return fmt.Errorf("create snapshot destination: %w", err)
	}
	return nil
}

// background runs f in a goroutine and returns a function that waits for
// its result.
func background[T any](f func() (T, error)) func() (T, error) {
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := f()
		ch <- result{v, err}
	}()
	return func() (T, error) {
		r := <-ch
		return r.v, r.err
	}
}

// tally counts what a snapshot wrote.
type tally struct {
	files int
	bytes int64
}
