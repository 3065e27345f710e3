package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"microwizard/deploy"
	"microwizard/snapshot"
)

// cmdRender prints the job `run` would submit. It copies, builds and submits
// nothing: the paths in the job are those a run would create, and the commit
// is the one SOURCE names now.
func cmdRender(ctx context.Context, args []string, out io.Writer) error {
	r, err := parseRequest(ctx, "render", args, nil)
	if err != nil {
		return err
	}
	// With Nomad reachable, pick the sidecar as run would; otherwise the
	// pack's default stands.
	if client, err := deploy.Connect(ctx, nil); err == nil {
		if err := chooseSidecar(client, r.vars, os.Stderr); err != nil {
			return err
		}
	}
	snap := placeholderSnapshot(r)
	if r.source.Kind == snapshot.Uncommitted {
		snap.Dir = r.ws.Root
	}
	snap.Commit = r.commit
	job, err := r.render(snap)
	if err != nil {
		return err
	}
	_, err = fmt.Fprint(out, job)
	return err
}
