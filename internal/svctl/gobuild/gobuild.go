// Package gobuild compiles a service's Go main package from a snapshot.
package gobuild

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Result describes a successful build.
type Result struct {
	Binary   string        // absolute path of the built executable
	Duration time.Duration // wall time of `go build`, or of finding the build to reuse
	Reused   bool          // an earlier build with the same key was reused (Cache)
	// Inputs are the files the build reads, as slash-separated paths
	// relative to the tree's root, sorted: what its key hashes (see
	// Inputs.Files). Embedded are those of them the binary embeds. Set by
	// Cache.BuildOrReuse; nil when the go command could not list them.
	Inputs, Embedded []string
}

// Build compiles the main package pkg of the module tree at dir into the
// executable out, as
//
//	CGO_ENABLED=0 go build -trimpath -ldflags=-s -w -o out pkg
//
// run in dir: a static binary that also runs in a small container image.
// Leaving out the DWARF and symbol tables (-s -w) makes the link, most of a
// build with a warm cache, faster; stack traces keep their function names.
//
// pkg must name one package inside dir, as a relative path: "." or "./…"
// (see CheckPackage). A relative out is taken relative to the caller's working
// directory, not dir; its parent directory must exist.
//
// The binary is built next to out and renamed into place only on success, so
// a failed build never creates out and never leaves a partial file there (an
// out that existed before is left as it was). If the go command ran and
// failed, the error is a *CompileError carrying its output.
func Build(ctx context.Context, dir, pkg, out string) (Result, error) {
	return BuildFor(ctx, dir, pkg, out, Platform{})
}

// buildEnv is the caller's environment without what would make the build
// something else than the snapshot says: a go.work found above the snapshot
// (GOWORK=off: the snapshot is its own module) and GOFLAGS (-mod, -tags,
// -race... in the user's shell). The toolchain, caches and proxy settings
// stay.
func buildEnv(env []string) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if strings.HasPrefix(kv, "GOWORK=") || strings.HasPrefix(kv, "GOFLAGS=") {
			continue
		}
		out = append(out, kv)
	}
	// GOFLAGS set (to a flag the build passes anyway) so that one written
	// with `go env -w` does not apply either.
	return append(out, "GOWORK=off", "GOFLAGS=-trimpath")
}

// Platform is the OS and CPU a binary is built for, as Go names them
// (GOOS, GOARCH); the zero Platform is this machine's.
type Platform struct{ OS, Arch string }

func (p Platform) String() string { return p.OS + "/" + p.Arch }

// BuildFor is Build for the platform p: a cross-compiled static binary
// where p is not this machine's.
func BuildFor(ctx context.Context, dir, pkg, out string, p Platform) (Result, error) {
	if err := CheckPackage(pkg); err != nil {
		return Result{}, err
	}
	if out == "" {
		return Result{}, errors.New("build: no output path given")
	}
	absOut, err := filepath.Abs(out)
	if err != nil {
		return Result{}, fmt.Errorf("build %s: output path %s: %w", pkg, out, err)
	}
	if fi, err := os.Stat(dir); err != nil {
		return Result{}, fmt.Errorf("build %s: %w", pkg, err)
	} else if !fi.IsDir() {
		return Result{}, fmt.Errorf("build %s: %s is not a directory", pkg, dir)
	}

	tmp, err := os.MkdirTemp(filepath.Dir(absOut), ".gobuild-*")
	if err != nil {
		return Result{}, fmt.Errorf("build %s: %w", pkg, err)
	}
	defer os.RemoveAll(tmp)
	tmpOut := filepath.Join(tmp, filepath.Base(absOut))

	cmd := goCommand(ctx, dir, "build", "-trimpath", "-ldflags=-s -w", "-o", tmpOut, pkg)
	cmd.Env = append(buildEnv(os.Environ()), "CGO_ENABLED=0")
	if p.OS != "" {
		cmd.Env = append(cmd.Env, "GOOS="+p.OS)
	}
	if p.Arch != "" {
		cmd.Env = append(cmd.Env, "GOARCH="+p.Arch)
	}
	var output bytes.Buffer
	cmd.Stdout = &output
	cmd.Stderr = &output

	start := time.Now()
	err = cmd.Run()
	took := time.Since(start)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return Result{}, fmt.Errorf("build %s: %w", pkg, ctxErr)
		}
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return Result{}, &CompileError{Package: pkg, Dir: dir, Output: output.String(), Err: err}
		}
		return Result{}, fmt.Errorf("build %s: run go: %w", pkg, err)
	}
	if err := os.Rename(tmpOut, absOut); err != nil {
		return Result{}, fmt.Errorf("build %s: %w", pkg, err)
	}
	return Result{Binary: absOut, Duration: took}, nil
}
