package gobuild

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Inputs are the files of a module tree a build of one package reads: the
// files of the tree's packages it imports (its own included), the files
// they embed, and go.mod and go.sum.
type Inputs struct {
	root      string
	dirs      map[string]bool // absolute directories of the tree's packages it imports
	embeds    map[string]bool // absolute paths of the files they embed
	embedDirs map[string]bool // directories holding embedded files (a file added there may be embedded)
}

// FindInputs asks the go command which of the tree's packages the build of
// pkg in dir imports.
func FindInputs(ctx context.Context, dir, pkg string) (*Inputs, error) {
	if err := CheckPackage(pkg); err != nil {
		return nil, err
	}
	root, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	// The go command reports directories with symbolic links resolved.
	if root, err = filepath.EvalSymlinks(root); err != nil {
		return nil, err
	}
	cmd := goCommand(ctx, root, "list", "-e", "-deps", "-f", "{{if not .Standard}}{{.Dir}}{{range .EmbedFiles}}\t{{.}}{{end}}{{end}}", pkg)
	cmd.Env = append(buildEnv(os.Environ()), "CGO_ENABLED=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("list what %s imports: %w: %s", pkg, err, strings.TrimSpace(stderr.String()))
	}
	in := &Inputs{root: root, dirs: map[string]bool{}, embeds: map[string]bool{}, embedDirs: map[string]bool{}}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Split(line, "\t")
		d := fields[0]
		if d == "" || !within(root, d) {
			continue
		}
		in.dirs[d] = true
		for _, e := range fields[1:] {
			p := filepath.Join(d, filepath.FromSlash(e))
			in.embeds[p] = true
			in.embedDirs[filepath.Dir(p)] = true
		}
	}
	if len(in.dirs) == 0 {
		return nil, fmt.Errorf("list what %s imports: no package of %s", pkg, root)
	}
	return in, nil
}

// Has reports whether the file at path (absolute, symbolic links resolved
// as in the tree's root) may be one the build reads: go.mod or go.sum at the
// root, a file of an imported package's directory, or a file where embedded
// files are.
func (in *Inputs) Has(path string) bool {
	switch path {
	case filepath.Join(in.root, "go.mod"), filepath.Join(in.root, "go.sum"):
		return true
	}
	dir := filepath.Dir(path)
	return in.dirs[dir] || in.embeds[path] || in.embedDirs[dir]
}

// files returns the absolute paths, sorted, of the files the build reads
// (what Key hashes): every regular file of an imported package's
// directory, or link to one (go build compiles a linked .go file), the
// embedded files in its subdirectories, and go.mod and go.sum.
func (in *Inputs) files() ([]string, error) {
	var files []string
	for dir := range in.dirs {
		des, err := os.ReadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", dir, err)
		}
		for _, de := range des {
			if fi, err := os.Stat(filepath.Join(dir, de.Name())); err == nil && fi.Mode().IsRegular() {
				files = append(files, filepath.Join(dir, de.Name()))
			}
		}
	}
	for f := range in.embeds {
		if !in.dirs[filepath.Dir(f)] {
			files = append(files, f) // in a subdirectory of its package
		}
	}
	for _, f := range []string{"go.mod", "go.sum"} {
		if _, err := os.Stat(filepath.Join(in.root, f)); err == nil {
			files = append(files, filepath.Join(in.root, f))
		}
	}
	slices.Sort(files)
	return files, nil
}

// Files returns the files the build reads (see Key) as slash-separated
// paths relative to the tree's root, sorted, and those of them the binary
// embeds (go:embed).
func (in *Inputs) Files() (files, embedded []string, err error) {
	abs, err := in.files()
	if err != nil {
		return nil, nil, err
	}
	for _, f := range abs {
		rel, err := filepath.Rel(in.root, f)
		if err != nil {
			return nil, nil, err
		}
		rel = filepath.ToSlash(rel)
		files = append(files, rel)
		if in.embeds[f] {
			embedded = append(embedded, rel)
		}
	}
	return files, embedded, nil
}

// Root is the tree's root, symbolic links resolved.
func (in *Inputs) Root() string { return in.root }

// Dirs is how many of the tree's directories the build reads.
func (in *Inputs) Dirs() int { return len(in.dirs) }

func within(root, path string) bool {
	rel, err := filepath.Rel(root, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
