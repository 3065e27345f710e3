package gobuild

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
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

// Root is the tree's root, symbolic links resolved.
func (in *Inputs) Root() string { return in.root }

// Dirs is how many of the tree's directories the build reads.
func (in *Inputs) Dirs() int { return len(in.dirs) }

func within(root, path string) bool {
	rel, err := filepath.Rel(root, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
