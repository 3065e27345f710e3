package snapshot

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
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

// checkUntracked refuses an untracked file (one git does not ignore) whose
// content is larger than max bytes; 0 means no limit. Sparse files count by
// the data they hold, as the copy writes only that.
func checkUntracked(ctx context.Context, top string, max int64) error {
	if max <= 0 {
		return nil
	}
	out, err := git(ctx, top, "ls-files", "-z", "--others", "--exclude-standard")
	if err != nil {
		return fmt.Errorf("list untracked files: %w", err)
	}
	for p := range bytes.SplitSeq(out, []byte{0}) {
		name := strings.TrimSuffix(string(p), "/")
		if name == "" || !filepath.IsLocal(name) {
			continue
		}
		info, err := os.Lstat(filepath.Join(top, name))
		if err != nil || !info.Mode().IsRegular() {
			continue
		}
		size := info.Size()
		if st, ok := info.Sys().(*syscall.Stat_t); ok && st.Blocks*512 < size {
			size = st.Blocks * 512 // sparse: what is really there
		}
		if size > max {
			return fmt.Errorf("the untracked file %s holds %d MB, over the %d MB a copy takes: add it to .gitignore, or allow it (svctl run -max-untracked 0)", name, size>>20, max>>20)
		}
	}
	return nil
}
