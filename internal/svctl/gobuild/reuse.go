package gobuild

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Key names a build by what it is made of: the content of every file it
// reads (Inputs), the Go toolchain's version, the build's flags, the package
// and the platform. Two trees with the same key build the same binary.
func (in *Inputs) Key(ctx context.Context, pkg string, p Platform) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOVERSION", "GOOS", "GOARCH").Output()
	if err != nil {
		return "", fmt.Errorf("ask go for its version: %w", err)
	}
	h := sha256.New()
	fmt.Fprintf(h, "go %s\nflags %s\npkg %s\nplatform %s\n", strings.Join(strings.Fields(string(out)), " "), buildFlags, pkg, p)
	files, err := in.files()
	if err != nil {
		return "", err
	}
	for _, f := range files {
		rel, _ := filepath.Rel(in.root, f)
		fmt.Fprintf(h, "file %s\n", filepath.ToSlash(rel))
		fh, err := os.Open(f)
		if err != nil {
			return "", fmt.Errorf("read %s: %w", f, err)
		}
		_, err = io.Copy(h, fh)
		fh.Close()
		if err != nil {
			return "", fmt.Errorf("read %s: %w", f, err)
		}
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// buildFlags are what Build passes the go command besides -o: part of a
// build's key.
const buildFlags = "CGO_ENABLED=0 -trimpath -ldflags=-s -w"

// Cache keeps built binaries by key, in a directory.
type Cache struct{ Dir string }

// path is where the binary of key is kept.
func (c Cache) path(key string) string { return filepath.Join(c.Dir, key) }

// Reuse puts the cached binary of key at out (a hard link, else a copy) and
// reports whether there was one.
func (c Cache) Reuse(key, out string) (bool, error) {
	src := c.path(key)
	if _, err := os.Stat(src); errors.Is(err, fs.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	_ = os.Remove(out)
	if err := os.Link(src, out); err == nil {
		return true, nil
	}
	if err := copyFile(src, out); err != nil {
		return false, fmt.Errorf("reuse the build %s: %w", key[:12], err)
	}
	return true, nil
}

// Keep records the binary at bin as the build of key.
func (c Cache) Keep(key, bin string) error {
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return fmt.Errorf("keep the build: %w", err)
	}
	// A name of its own: two runs may keep the same build at once.
	f, err := os.CreateTemp(c.Dir, ".keep-*")
	if err != nil {
		return fmt.Errorf("keep the build: %w", err)
	}
	tmp := f.Name()
	f.Close()
	os.Remove(tmp)
	if err := os.Link(bin, tmp); err != nil {
		if err := copyFile(bin, tmp); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("keep the build: %w", err)
		}
	}
	if err := os.Rename(tmp, c.path(key)); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("keep the build: %w", err)
	}
	return nil
}

// Prune removes the cached builds no run uses any more (no other hard link
// to them) that were made before cutoff, and returns how many bytes it freed.
func (c Cache) Prune(cutoff time.Time) (int, int64, error) {
	des, err := os.ReadDir(c.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, err
	}
	var n int
	var freed int64
	for _, de := range des {
		info, err := de.Info()
		if err != nil || !info.Mode().IsRegular() || info.ModTime().After(cutoff) || strings.HasPrefix(de.Name(), ".") {
			continue
		}
		if st, ok := info.Sys().(*syscall.Stat_t); ok && st.Nlink > 1 {
			continue // a run's binary still
		}
		if err := os.Remove(filepath.Join(c.Dir, de.Name())); err == nil {
			n++
			freed += info.Size()
		}
	}
	return n, freed, nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// BuildOrReuse builds pkg from the tree at dir into out for p, or reuses a
// build kept in the cache when nothing it is built from has changed (the
// same Key). live says dir is the live working tree: it may change while it
// builds, so the binary is kept only under the key of what it was built
// from. It says what it did on progress, and a build it could not keep on
// warn, and returns the build's inputs (Result.Inputs). Errors are as
// BuildFor's.
func (c Cache) BuildOrReuse(ctx context.Context, dir, pkg, out string, p Platform, live bool, progress, warn io.Writer) (Result, error) {
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return Result{}, fmt.Errorf("create %s: %w", filepath.Dir(out), err)
	}
	start := time.Now()
	// Without a key (the tree does not even list) the build says why.
	key := ""
	in, err := FindInputs(ctx, dir, pkg)
	if err == nil {
		key, _ = in.Key(ctx, pkg, p)
	} else {
		in = nil
	}
	if key != "" {
		if ok, err := c.Reuse(key, out); err == nil && ok {
			fmt.Fprintf(progress, "==> build: reused %s (nothing %s is built from has changed)\n", key[:12], pkg)
			res := Result{Binary: out, Duration: time.Since(start), Reused: true}
			res.Inputs, res.Embedded, _ = in.Files()
			return res, nil
		}
	}
	fmt.Fprintf(progress, "==> building %s from %s\n", pkg, dir)
	res, err := BuildFor(ctx, dir, pkg, out, p)
	if err != nil {
		return res, err
	}
	if key != "" && live {
		// What the tree holds now is what it was built from only if the
		// key is the same.
		if in, err = FindInputs(ctx, dir, pkg); err != nil {
			key, in = "", nil
		} else if after, _ := in.Key(ctx, pkg, p); after != key {
			key = ""
		}
	}
	if key != "" {
		if err := c.Keep(key, res.Binary); err != nil {
			fmt.Fprintf(warn, "svctl: %v (the next run builds again)\n", err)
		}
	}
	if in != nil {
		res.Inputs, res.Embedded, _ = in.Files()
	}
	res.Duration = time.Since(start)
	return res, nil
}
