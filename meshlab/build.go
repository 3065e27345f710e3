package meshlab

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"microwizard/gobuild"
	"microwizard/snapshot"
)

// The tutorial's two lines in popularity/users.go (README, step 5): the slow
// version comments out the first and uncomments the second.
const (
	usersFile          = "popularity/users.go"
	efficientLine      = "users, err := efficientQuery("
	inefficientLine    = "users, err := inefficientQuery("
	commentedOutPrefix = "//"
)

// buildIn compiles pkg of the tree at dir into the lab's bin/name.
func (l *Lab) buildIn(ctx context.Context, dir, pkg, name string) (string, error) {
	out := filepath.Join(l.dir, "bin", name)
	if _, err := gobuild.Build(ctx, dir, pkg, out); err != nil {
		return "", fmt.Errorf("build %s: %w", name, err)
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
	if err := swapQueryLines(filepath.Join(src, usersFile)); err != nil {
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

// swapQueryLines makes the tutorial's bad change in the users.go at path.
func swapQueryLines(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("the tutorial's change: %w", err)
	}
	src := string(b)
	if !strings.Contains(src, commentedOutPrefix+inefficientLine) || strings.Contains(src, commentedOutPrefix+efficientLine) {
		return fmt.Errorf("the tutorial's change: %s does not have its two query lines as the README describes", path)
	}
	src = strings.Replace(src, commentedOutPrefix+inefficientLine, inefficientLine, 1)
	src = strings.Replace(src, efficientLine, commentedOutPrefix+efficientLine, 1)
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		return fmt.Errorf("the tutorial's change: %w", err)
	}
	return nil
}
