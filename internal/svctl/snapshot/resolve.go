package snapshot

import "context"

// ResolveCommit returns the commit a Take of src would record, without taking
// anything: the ref's commit, or HEAD's for the working-tree sources ("" when
// the repository has no commits yet).
func ResolveCommit(ctx context.Context, repoDir string, src Source) (string, error) {
	top, err := topLevel(ctx, repoDir)
	if err != nil {
		return "", err
	}
	if src.Kind == Ref {
		return resolveCommit(ctx, top, src.Rev())
	}
	return headCommit(ctx, top)
}
