package pack

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/hashicorp/hcl/v2/hclsimple"
)

// buildFile is svctl's addition to a pack: how to build what the job runs.
// nomad-pack ignores it.
const buildFile = "build.hcl"

// Build is a pack's build.hcl: the Go package svctl builds from a source
// snapshot before it renders the pack.
type Build struct {
	// Package is the package to build, relative to the source's root, such
	// as "./popularity/cmd/lobsters-popularity".
	Package string `hcl:"package"`
}

// loadBuild reads build.hcl; a pack without one has no build (nil).
func loadBuild(path string) (*Build, error) {
	var spec struct {
		Build Build `hcl:"build,block"`
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err := hclsimple.DecodeFile(path, nil, &spec); err != nil {
		return nil, err
	}
	if spec.Build.Package == "" {
		return nil, fmt.Errorf("%s: build.package is empty", path)
	}
	return &spec.Build, nil
}
