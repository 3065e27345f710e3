package main

import (
	"context"
	"fmt"
	"io"

	"microwizard/snapshot"
)

// cmdRender prints the job `run` would submit. It copies and builds nothing:
// the paths in the job are those a run would create, and the commit is the
// one SOURCE names now.
func cmdRender(ctx context.Context, args []string, out io.Writer) error {
	r, err := parseRequest("render", args, nil)
	if err != nil {
		return err
	}
	snap := placeholderSnapshot(r)
	if r.source.Kind == snapshot.Uncommitted {
		snap.Dir = r.ws.Root
	}
	if snap.Commit, err = snapshot.ResolveCommit(ctx, r.ws.Root, r.source); err != nil {
		return err
	}
	job, err := r.render(snap)
	if err != nil {
		return err
	}
	_, err = fmt.Fprint(out, job)
	return err
}
