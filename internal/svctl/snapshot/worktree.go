package snapshot

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
)

// listWorkTree returns the paths, relative to the work tree's top directory,
// of the files a copy of the working tree holds: tracked files and untracked
// files git does not ignore, sorted, each once. Tracked files deleted in the
// work tree are still listed; the copy skips them.
func listWorkTree(ctx context.Context, top string) ([]string, error) {
	out, err := git(ctx, top, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	if err != nil {
		return nil, fmt.Errorf("list working tree files: %w", err)
	}
	var paths []string
	for p := range bytes.SplitSeq(out, []byte{0}) {
		if len(p) == 0 {
			continue
		}
		// An untracked nested repository is listed as "dir/".
		name := strings.TrimSuffix(string(p), "/")
		if !filepath.IsLocal(name) || hasGitDir(name) {
			return nil, fmt.Errorf("list working tree files: git listed the unsafe path %q", name)
		}
		paths = append(paths, name)
	}
	// Unmerged files are listed once per conflict stage.
	slices.Sort(paths)
	return slices.Compact(paths), nil
}

// hasGitDir reports whether a path goes through a ".git" component.
func hasGitDir(name string) bool {
	for part := range strings.SplitSeq(filepath.ToSlash(name), "/") {
		if part == ".git" {
			return true
		}
	}
	return false
}
