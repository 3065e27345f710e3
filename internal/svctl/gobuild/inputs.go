package gobuild

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Inputs are the files of a module tree a build of one package reads: the
// files of the tree's packages it imports (its own included), and go.mod
// and go.sum.
type Inputs struct {
	root string
	dirs map[string]bool // absolute directories of the tree's packages it imports
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
	cmd := exec.CommandContext(ctx, "go", "list", "-deps", "-f", "{{if not .Standard}}{{.Dir}}{{end}}", pkg)
	cmd.Dir = root
	cmd.Env = append(buildEnv(os.Environ()), "CGO_ENABLED=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("list what %s imports: %w: %s", pkg, err, strings.TrimSpace(stderr.String()))
	}
	in := &Inputs{root: root, dirs: map[string]bool{}}
	for _, d := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if d != "" && within(root, d) {
			in.dirs[d] = true
		}
	}
	return in, nil
}

// Has reports whether the file at path (absolute) is one the build reads:
// go.mod or go.sum at the root, or a file of an imported package's directory
// (its Go files, and what they embed from there).
func (in *Inputs) Has(path string) bool {
	switch path {
	case filepath.Join(in.root, "go.mod"), filepath.Join(in.root, "go.sum"):
		return true
	}
	return in.dirs[filepath.Dir(path)]
}

// Dirs is how many of the tree's directories the build reads.
func (in *Inputs) Dirs() int { return len(in.dirs) }

func within(root, path string) bool {
	rel, err := filepath.Rel(root, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
