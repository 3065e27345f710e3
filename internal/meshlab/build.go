package meshlab

import (
	"context"
	"fmt"
	"path/filepath"

	"microwizard/internal/svctl/gobuild"
	"microwizard/internal/svctl/snapshot"
	"microwizard/internal/tutorial"
)

// buildIn compiles pkg of the tree at dir into the lab's bin/name.
func (l *Lab) buildIn(ctx context.Context, dir, pkg, name string) (string, error) {
	out := filepath.Join(l.dir, "bin", name)
	if _, err := gobuild.Build(ctx, dir, pkg, out); err != nil {
		return "", err
	}
	return out, nil
}

// SlowBinary returns the service built with the tutorial's bad change: a
// copy of the working tree (UNCOMMITTED_COPY) with the two query lines of
// popularity/users.go swapped. It is built on the first call.
func (l *Lab) SlowBinary(ctx context.Context) (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.slowBin != "" {
		return l.slowBin, nil
	}
	src := filepath.Join(l.dir, "src-slow")
	if _, err := snapshot.Take(ctx, l.opts.RepoRoot, snapshot.Source{Kind: snapshot.UncommittedCopy}, src); err != nil {
		return "", fmt.Errorf("copy the working tree for the slow version: %w", err)
	}
	if err := tutorial.MakeSlowIn(src); err != nil {
		return "", err
	}
	bin, err := l.buildIn(ctx, src, l.popularityPkg, "lobsters-popularity-slow")
	if err != nil {
		return "", err
	}
	l.slowBin = bin
	l.sourceDirs[bin] = src
	return bin, nil
}
